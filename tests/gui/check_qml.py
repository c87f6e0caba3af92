#!/usr/bin/env python3
"""test_qmllint: qmllint over the app's QML; any warning fails the test.

usage: check_qml.py QMLLINT IMPORT_DIR FILE...

Qt 6.4's qmllint has three gaps the QML cannot work around; each is let
through here by its exact shape, and every other warning fails:
- builtins.qmltypes describes no 64-bit integer, so each qint64/quint64
  property (ids, the seed) reads as 'Type "qlonglong" ... not found';
- DialogButtonBox's role enum lives on a type its qmltypes do not link, so
  DialogButtonBox.AcceptRole reads as a missing property;
- an id read from an enclosing component (a delegate, a Loader's
  sourceComponent) is "unqualified access" until Qt 6.5's
  'pragma ComponentBehavior: Bound'. Only names that are ids in the same file,
  or the model data a view gives its delegates, pass: a name from nowhere
  (as a context property was) still fails.
"""
import json
import re
import subprocess
import sys

DELEGATE_NAMES = {"index", "modelData", "model", "section"}
LET_THROUGH = [
    re.compile(r'^Type "q(u)?longlong" of property "\w+" not found\.'),
    re.compile(r'^Property "(Accept|Reject)Role" not found on type "DialogButtonBox"$'),
]


def identifier_at(source_lines, line, column, length):
    return source_lines[line - 1][column - 1:column - 1 + length]


def main():
    qmllint, import_dir, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    run = subprocess.run([qmllint, "-I", import_dir, "--json", "-", *files], capture_output=True, text=True)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(run.stdout, run.stderr, sep="\n")
        print("qmllint gave no report")
        return 1
    failures = 0
    for checked in report["files"]:
        with open(checked["filename"], encoding="utf-8") as qml:
            text = qml.read()
        lines = text.splitlines()
        ids = set(re.findall(r"\bid:\s*(\w+)", text))
        if not checked["success"] and not checked["warnings"]:
            print(f"{checked['filename']}: qmllint could not check it")
            failures += 1
        for warning in checked["warnings"]:
            if warning["type"] in ("info", "debug"):
                continue
            message = warning["message"]
            if any(pattern.search(message) for pattern in LET_THROUGH):
                continue
            if message == "Unqualified access":
                name = identifier_at(lines, warning["line"], warning["column"], warning["length"])
                if name in ids or name in DELEGATE_NAMES:
                    continue
                message += f' to "{name}"'
            print(f"{checked['filename']}:{warning['line']}:{warning['column']}: {message}")
            failures += 1
    print(f"{failures} qmllint warnings in {len(files)} files")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
