#!/usr/bin/env bash
# The .deb as a person gets it: cpack builds it from this build tree, lintian
# finds no errors in it, dpkg installs it into a scratch root, the installed
# desktop entry and AppStream metainfo validate, the installed app starts under
# Xvfb with a fresh HOME, finds its bundled model and shows a window (screenshot
# in BUILD/screenshots/first-run.png), and removing the package leaves the
# user's data folder alone.
#   test_deb.sh BUILD_DIR
# Exits 77 (skipped) when the build bundles no model, unless CI=true.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
begin_install_test "$@"

step "cpack builds the .deb"
deb="$(cpack_package DEB 'nibble_*.deb')"
echo "$deb"

step "control fields"
depends="$(dpkg-deb --field "$deb" Depends)"
recommends="$(dpkg-deb --field "$deb" Recommends)"
echo "Depends: $depends"
echo "Recommends: $recommends"
# From dpkg-shlibdeps: the Qt libraries; from the QML scan: the modules the UI
# imports.
for needed in libqt6core6 libqt6quick6 libc6 qml6-module-qtquick qml6-module-qtquick-controls \
              qml6-module-qtquick-layouts qml6-module-qtquick-dialogs qml6-module-qtqml-workerscript libqt6svg6; do
    echo "$depends" | grep -Eq "(^|, )$needed( |,|$)" || fail "Depends lacks $needed"
done
echo "$recommends" | grep -q "mesa-vulkan-drivers" || fail "Recommends lacks mesa-vulkan-drivers"
# The Vulkan loader is opened at run time; without it the app runs on the CPU.
echo "$recommends" | grep -Eq "(^|, )libvulkan1( |,|$)" || fail "Recommends lacks libvulkan1"
if echo "$depends" | grep -Eq "(^|, )libvulkan1( |,|$)"; then
    fail "Depends has libvulkan1, which the app only opens at run time"
fi
# Every dependency is a package (or a virtual package) this set-up machine has
# installed: the names are real, and the app's test run below is meaningful.
installed="$(dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Provides}\n' |
    awk '$1 == "ii" { for (i = 2; i <= NF; i++) print $i }' | sed 's/,$//' | sort -u)"
echo "$depends" | tr ',' '\n' | while read -r group; do
    satisfied=0
    for alternative in $(echo "$group" | sed 's/([^)]*)//g; s/|/ /g'); do
        echo "$installed" | grep -qx "$alternative" && satisfied=1
    done
    [ "$satisfied" = 1 ] || fail "dependency '$group' is not installed here"
done
# No maintainer scripts: nothing of ours runs at install or removal, so
# removing the package cannot touch anyone's home folder.
maintainer_scripts="$(dpkg-deb --ctrl-tarfile "$deb" | tar -t | sed 's|^\./||' | grep -E '^(pre|post)(inst|rm)$' || true)"
[ -z "$maintainer_scripts" ] || fail "the package has maintainer scripts: $maintainer_scripts"
# The QML is compiled into the binary, not shipped as files.
dpkg-deb --contents "$deb" | grep -q '\.qml$' && fail "the package carries loose .qml files"

step "lintian"
lintian --fail-on error --tag-display-limit 0 "$deb" | tee "$scratch/lintian.log" || fail "lintian reports errors"

step "dpkg installs it into a scratch root"
root="$scratch/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
dpkg_root=(dpkg --root="$root" --log=/dev/null --force-depends --force-not-root --force-bad-path)
# The scratch root has no other packages, so dpkg notes every dependency as
# missing (--force-depends); those were checked against this machine above.
"${dpkg_root[@]}" --install "$deb" >"$scratch/dpkg.log" 2>&1 || { cat "$scratch/dpkg.log"; fail "dpkg --install"; }
"${dpkg_root[@]}" --status nibble | grep -q "Status: install ok installed" || fail "dpkg does not list nibble as installed"

step "installed files"
for file in usr/bin/nibble usr/bin/nibble-cli \
            usr/share/applications/io.github.nibble.Nibble.desktop \
            usr/share/metainfo/io.github.nibble.Nibble.metainfo.xml \
            usr/share/icons/hicolor/scalable/apps/io.github.nibble.Nibble.svg \
            usr/share/man/man1/nibble.1.gz usr/share/man/man1/nibble-cli.1.gz \
            usr/share/doc/nibble/copyright usr/share/doc/nibble/changelog.Debian.gz; do
    [ -s "$root/$file" ] || fail "$file is not installed"
done
for size in 16 22 24 32 48 64 128 256 512; do
    png="$root/usr/share/icons/hicolor/${size}x${size}/apps/io.github.nibble.Nibble.png"
    [ "$(identify -format '%wx%h' "$png")" = "${size}x${size}" ] || fail "icon $png is not ${size}x${size}"
done
model="$root/usr/share/nibble/models/SmolLM2-135M-Instruct.Q4_1.gguf"
cmp -s "$model" "$bundled_model" || fail "the installed model is missing or differs from $bundled_model"

step "desktop entry and metainfo validate"
desktop-file-validate "$root/usr/share/applications/io.github.nibble.Nibble.desktop" || fail "desktop-file-validate"
appstreamcli validate --no-net --explain "$root/usr/share/metainfo/io.github.nibble.Nibble.metainfo.xml" ||
    fail "appstreamcli validate"

step "the installed app starts with a fresh HOME and shows its window"
home="$scratch/home"
mkdir -p "$home" "$build/screenshots"
shot="$build/screenshots/first-run.png"
rm -f "$shot"
# The app has only what the package installed.
run_under_xvfb "$home" "$0" --under-x "$root/usr/bin/nibble" "$shot" "$scratch/app.log" ||
    { cat "$scratch/app.log"; fail "the installed app did not show its window"; }
check_screenshot "$shot"

step "user data lives in HOME, and the bundled model was found where the package put it"
data="$home/.local/share/Nibble/Nibble"
[ -s "$data/nibble.db" ] || fail "no database in $data"
grep -q "registering the bundled model .*/usr/share/nibble/models/SmolLM2-135M-Instruct.Q4_1.gguf" "$data/logs/nibble.log" ||
    { cat "$data/logs/nibble.log"; fail "the app did not register the installed model"; }
# Nothing under the prefix but what the package installed: the database, logs
# and settings all went to HOME (as would variants the user makes).
unexpected="$(comm -23 <(cd "$root" && find usr \( -type f -o -type l \) | sort) \
                       <(dpkg-deb --fsys-tarfile "$deb" | tar -t | sed 's|^\./||' | sort))"
[ -z "$unexpected" ] || fail "the app wrote under the install prefix: $unexpected"

step "removing the package leaves the user's data alone"
before="$(cd "$data" && find . -type f -exec sha256sum {} + | sort)"
"${dpkg_root[@]}" --purge nibble || fail "dpkg --purge"
[ ! -e "$root/usr/bin/nibble" ] || fail "usr/bin/nibble survived removal"
[ ! -e "$root/usr/share/nibble" ] || fail "usr/share/nibble survived removal"
after="$(cd "$data" && find . -type f -exec sha256sum {} + | sort)"
[ "$before" = "$after" ] || fail "removing the package changed the user's data folder"

echo "PASS"
