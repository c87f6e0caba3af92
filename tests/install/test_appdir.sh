#!/usr/bin/env bash
# The self-contained tarball: cpack builds it from this build tree, it unpacks
# into an AppDir, its launcher starts the app under Xvfb with a fresh HOME and
# a clean environment, the running app has mapped Qt, its plugins and its QML
# modules from the AppDir rather than from the system, and the window shows
# (screenshot in BUILD/screenshots/appdir-first-run.png).
#   test_appdir.sh BUILD_DIR
# Exits 77 (skipped) when the build bundles no model, unless CI=true.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
begin_install_test "$@"

step "cpack builds the tarball"
tarball="$(cpack_package TGZ 'nibble-*-linux-*.tar.gz')"
echo "$tarball"

step "it unpacks into an AppDir"
mkdir "$scratch/unpacked"
tar -xzf "$tarball" -C "$scratch/unpacked"
appdir="$(ls -d "$scratch"/unpacked/nibble-*)"
for file in AppRun io.github.nibble.Nibble.desktop usr/bin/nibble usr/bin/nibble-cli usr/bin/qt.conf \
            usr/lib/libQt6Core.so.6 usr/lib/libQt6Quick.so.6 usr/plugins/platforms/libqxcb.so \
            usr/qml/QtQuick/Controls/Basic/qmldir usr/qml/QtQuick/Dialogs/quickimpl/qmldir \
            usr/share/metainfo/io.github.nibble.Nibble.metainfo.xml; do
    [ -e "$appdir/$file" ] || fail "the AppDir lacks $file"
done
[ -x "$appdir/AppRun" ] || fail "AppRun is not executable"
[ -f "$appdir/usr/share/nibble/models/SmolLM2-135M-Instruct.Q4_1.gguf" ] || fail "the AppDir lacks the model"
# Host libraries stay on the host: glibc and the graphics driver stack, with
# the Vulkan loader, which the app opens at run time when the host has it.
for host_only in libc.so.6 libGL.so.1 libEGL.so.1 libGLX.so.0 libdrm.so.2 libxcb.so.1 libvulkan.so.1; do
    [ ! -e "$appdir/usr/lib/$host_only" ] || fail "the AppDir bundles $host_only, which must come from the host"
done
env -i PATH=/usr/bin:/bin HOME="$scratch" QT_QPA_PLATFORM=offscreen "$appdir/AppRun" --version | grep -q "^Nibble " ||
    fail "AppRun --version"
"$appdir/AppRun" --cli --help | grep -q "usage: nibble-cli" || fail "AppRun --cli --help"

step "the launcher starts the app with a fresh HOME, on the bundled Qt"
home="$scratch/home"
mkdir -p "$home" "$build/screenshots"
shot="$build/screenshots/appdir-first-run.png"
rm -f "$shot"
# AppRun execs the app, so the launcher's pid is the app's and its maps are the app's.
run_under_xvfb "$home" "$0" --under-x "$appdir/AppRun" "$shot" "$scratch/app.log" "$scratch/maps" ||
    { cat "$scratch/app.log"; fail "the app did not show its window"; }
check_screenshot "$shot"
qt_outside="$(grep -E '/libQt6|/qt6/(plugins|qml)/' "$scratch/maps" | grep -v "^$appdir/" || true)"
[ -z "$qt_outside" ] || fail "the app loaded Qt from outside the AppDir: $qt_outside"
grep -q "^$appdir/usr/qml/QtQuick/Controls/Basic/" "$scratch/maps" || fail "the app did not load the bundled Basic style"
grep -q "^$appdir/usr/plugins/platforms/libqxcb.so" "$scratch/maps" || fail "the app did not load the bundled xcb plugin"
grep -q "registering the bundled model .*$appdir/usr/share/nibble/models/" "$home/.local/share/Nibble/Nibble/logs/nibble.log" ||
    fail "the app did not register the model in the AppDir"

echo "PASS"
