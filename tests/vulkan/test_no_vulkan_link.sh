#!/bin/sh
# No program or library of the build links the Vulkan loader: the engine opens
# it at run time (engine/vulkan/loader.h), so Nibble starts without it. Checks
# the named files (which must exist) and every other ELF program and shared
# library in the build tree (but not CPack's staged copies).
#   test_no_vulkan_link.sh BUILD_DIR FILE...
set -eu
build="$1"
shift
for required in "$@"; do
    [ -f "$required" ] || { echo "FAIL: $required was not built" >&2; exit 1; }
done
list="$(mktemp)"
trap 'rm -f "$list"' EXIT
{
    printf '%s\n' "$@"
    find "$build" \( -path '*/CMakeFiles' -o -path '*/_CPack_Packages' \) -prune -o -type f \( -perm -u+x -o -name '*.so*' \) -print
} | sort -u >"$list"
checked=0
linked=0
while read -r file; do
    [ "$(head -c 4 "$file" | od -An -c | tr -d ' ')" = "177ELF" ] || continue
    checked=$((checked + 1))
    if readelf -d "$file" | grep -E 'NEEDED.*\[libvulkan\.so' >/dev/null; then
        echo "FAIL: $file links the Vulkan loader:" >&2
        readelf -d "$file" | grep NEEDED >&2
        linked=$((linked + 1))
    fi
done <"$list"
echo "checked $checked ELF files, $linked link libvulkan"
[ "$checked" -ge "$#" ] || { echo "FAIL: fewer ELF files than named" >&2; exit 1; }
[ "$linked" -eq 0 ]
