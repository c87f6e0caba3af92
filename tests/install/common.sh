# Shared by the installer tests, which source it: step and failure reporting,
# the bundled-model precondition, and running the app under Xvfb for a
# screenshot.

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

# Builds the package of CPack generator $1 from $build into $scratch/pkg and
# prints the path of the file matching the glob $2 there.
cpack_package() {
    cpack --config "$build/CPackConfig.cmake" -G "$1" -B "$scratch/pkg" >"$scratch/cpack.log" 2>&1 ||
        { cat "$scratch/cpack.log" >&2; fail "cpack -G $1"; }
    ls "$scratch"/pkg/$2
}

# Sets bundled_model to the model the build in $1 bundles; exits 77 (skipped)
# when it is missing, or fails under CI.
require_bundled_model() {
    bundled_model="$(sed -n 's/^NIBBLE_BUNDLED_MODEL:FILEPATH=//p' "$1/CMakeCache.txt")"
    if [ ! -f "$bundled_model" ]; then
        echo "this build bundles no model ($bundled_model is missing): run scripts/fetch-test-models and configure again"
        [ "${CI:-}" = true ] && exit 1
        exit 77
    fi
}

# Inside xvfb-run: starts the app $1 (output to $3), waits for its window,
# lets the first frames (and the model list) settle, writes the screenshot $2
# and stops the app. With $4, first lists there the shared libraries the app
# mapped, so $1 must exec the app rather than run it as a child.
shoot_app_window() {
    local app="$1" shot="$2" log="$3" maps="${4:-}"
    "$app" >"$log" 2>&1 &
    local pid=$!
    for _ in $(seq 1 120); do
        if xwininfo -root -tree 2>/dev/null | grep -q '"Nibble"'; then break; fi
        kill -0 "$pid" 2>/dev/null || { echo "the app exited before showing a window" >&2; exit 1; }
        sleep 0.5
    done
    xwininfo -root -tree | grep -q '"Nibble"' || { echo "no Nibble window after 60 s" >&2; kill "$pid"; exit 1; }
    sleep 4
    [ -z "$maps" ] || awk '{ print $6 }' "/proc/$pid/maps" | grep '\.so' | sort -u >"$maps"
    import -window root "$shot"
    kill "$pid"
    wait "$pid" || true
}

# Runs the command after $1 under Xvfb in a clean environment whose HOME is
# $1: nothing points the app at the build tree, the model cache or a data
# folder.
run_under_xvfb() {
    local home="$1"
    shift
    env -i PATH=/usr/bin:/bin HOME="$home" LANG=C.UTF-8 xvfb-run -a -s "-screen 0 1280x800x24" "$@"
}

# The start of each test script, given its arguments. Run again by itself
# under Xvfb with --under-x, it shoots the app's window and exits; otherwise
# it sets build to the build directory (skipping when no model is bundled)
# and scratch to a temporary folder removed on exit.
begin_install_test() {
    if [ "${1:-}" = "--under-x" ]; then
        shoot_app_window "${@:2}"
        exit 0
    fi
    build="$(cd "$1" && pwd)"
    require_bundled_model "$build"
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
}

# Fails unless the screenshot $1 shows more than a nearly blank screen.
check_screenshot() {
    local colours
    colours="$(convert "$1" -format %k info:)"
    echo "screenshot $1: $colours distinct colours"
    [ "$colours" -ge 64 ] || fail "the screenshot is nearly blank ($colours colours)"
}
