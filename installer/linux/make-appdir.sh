#!/bin/sh
# Turns an installed tree (APPDIR/usr/bin/nibble, APPDIR/usr/share/...) into a
# self-contained AppDir: the Qt plugins and QML modules the app loads at run
# time, every shared library they and the binaries need except those that must
# come from the host (C runtime, graphics drivers, X11/Wayland core, fonts),
# a qt.conf that points Qt at the bundled copies, and the AppRun launcher.
#   make-appdir.sh APPDIR QT_PLUGIN_DIR QT_QML_DIR QMLIMPORTSCANNER UI_SOURCE_DIR
set -eu
appdir="$1" plugin_dir="$2" qml_dir="$3" scanner="$4" ui_dir="$5"
here="$(cd "$(dirname "$0")" && pwd)"
usr="$appdir/usr"
[ -x "$usr/bin/nibble" ] || { echo "make-appdir: $usr/bin/nibble is missing" >&2; exit 1; }
mkdir -p "$usr/lib" "$usr/plugins" "$usr/qml"

# Qt plugins: windowing (X11 and Wayland), SVG, input methods, TLS.
for dir in platforms xcbglintegrations wayland-shell-integration wayland-graphics-integration-client \
           wayland-decoration-client imageformats iconengines platforminputcontexts tls; do
    if [ -d "$plugin_dir/$dir" ]; then cp -a "$plugin_dir/$dir" "$usr/plugins/"; fi
done
# Desktops only: X11, Wayland, and offscreen for headless runs; not the
# framebuffer, EGLFS or VNC platforms (nor the libinput stack EGLFS pulls in).
find "$usr/plugins/platforms" -type f ! -name 'libqxcb.so' ! -name 'libqwayland-*.so' ! -name 'libqoffscreen.so' -delete

# QML modules: what the UI imports (and they import) with everything below
# them, since some imports (QtQuick.Dialogs.quickimpl) are made from QML
# compiled into Qt and no scanner sees them; plus QtQml's own optional imports
# and the folder model behind the non-native file dialog.
imports="$(mktemp)"
trap 'rm -f "$imports"' EXIT
"$scanner" -rootPath "$ui_dir" -importPath "$qml_dir" >"$imports" 2>/dev/null
{
    python3 -c '
import json, sys
for module in json.load(open(sys.argv[1])):
    if module.get("type") == "module" and module.get("path"):
        print(module["path"])
' "$imports"
    printf '%s\n' "$qml_dir/QtQml" "$qml_dir/Qt/labs/folderlistmodel"
} | sort -u | while read -r module; do
    [ -d "$module" ] || continue
    relative="${module#"$qml_dir"/}"
    mkdir -p "$usr/qml/$(dirname "$relative")"
    [ -e "$usr/qml/$relative/qmldir" ] || cp -a "$module" "$usr/qml/$(dirname "$relative")/"
done

# Shared libraries: ldd gives each ELF file's whole closure.
excluded='^(ld-linux.*|libc|libm|libdl|libpthread|librt|libresolv|libutil|libstdc\+\+|libgcc_s|libGL|libGLX|libGLdispatch|libOpenGL|libEGL|libgbm|libdrm|libX11|libX11-xcb|libxcb|libXau|libXdmcp|libfontconfig|libfreetype|libexpat|libz|libasound|libdbus-1|libwayland-client|libwayland-cursor|libwayland-egl|libharfbuzz)\.so'
find "$usr/bin" "$usr/plugins" "$usr/qml" -type f \( -name '*.so' -o -perm -u+x \) | while read -r elf; do
    file_type="$(head -c 4 "$elf" | od -An -c | tr -d ' ')"
    [ "$file_type" = "177ELF" ] || continue
    ldd "$elf" | awk '/=> \// { print $3 }'
done | sort -u | while read -r lib; do
    name="$(basename "$lib")"
    if echo "$name" | grep -Eq "$excluded"; then continue; fi
    [ -e "$usr/lib/$name" ] || cp -L "$lib" "$usr/lib/$name"
done
if ldd "$usr/bin/nibble" | grep -q "not found"; then
    echo "make-appdir: nibble needs libraries that are not installed here:" >&2
    ldd "$usr/bin/nibble" | grep "not found" >&2
    exit 1
fi

cat >"$usr/bin/qt.conf" <<'CONF'
[Paths]
Prefix = ..
Plugins = plugins
QmlImports = qml
CONF

cp "$here/AppRun" "$appdir/AppRun"
chmod 755 "$appdir/AppRun"
cp "$usr/share/applications/io.github.nibble.Nibble.desktop" "$appdir/"
icon="$usr/share/icons/hicolor/256x256/apps/io.github.nibble.Nibble.png"
[ -f "$icon" ] || icon="$usr/share/icons/hicolor/scalable/apps/io.github.nibble.Nibble.svg"
cp "$icon" "$appdir/"
ln -sf "$(basename "$icon")" "$appdir/.DirIcon"
