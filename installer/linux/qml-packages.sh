#!/bin/sh
# Prints the Debian packages that hold the QML modules the app imports, one per
# line: qmlimportscanner follows ui/'s imports (and theirs) into the system QML
# folder, and dpkg names the package of each module's qmldir.
#   qml-packages.sh QMLIMPORTSCANNER QML_SOURCE_DIR SYSTEM_QML_DIR
set -eu
scanner="$1" sources="$2" qml_dir="$3"

imports="$(mktemp)"
trap 'rm -f "$imports"' EXIT
# The scanner warns on stderr about QtQml, which is built into libQt6Qml.
"$scanner" -rootPath "$sources" -importPath "$qml_dir" >"$imports" 2>/dev/null

python3 -c '
import json, sys
for module in json.load(open(sys.argv[1])):
    if module.get("type") == "module" and module.get("path"):
        print(module["path"] + "/qmldir")
' "$imports" | while read -r qmldir; do
    [ -f "$qmldir" ] || continue
    dpkg-query -S "$qmldir" | sed 's/:.*//; s/, /\n/g'
done | sort -u
