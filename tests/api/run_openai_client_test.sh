#!/bin/bash
# Runs openai_client_test.py with the official openai package (installed into
# a venv in the build tree on first use) against api_test_server.
# Usage: run_openai_client_test.sh VENV_DIR SERVER_BINARY SCRIPT
# Exit 77 (skipped) when the package cannot be installed or the model is missing.
set -u
venv=$1 server=$2 script=$3

if ! "$venv/bin/python" -c "import openai" 2>/dev/null; then
    python3 -m venv --clear "$venv" && timeout 300 "$venv/bin/pip" install --quiet --disable-pip-version-check openai
    if ! "$venv/bin/python" -c "import openai" 2>/dev/null; then
        echo "SKIP: could not install the openai package into $venv (is PyPI reachable?)"
        exit 77
    fi
fi

work=$(mktemp -d)
trap 'exec 3>&-; wait; rm -rf "$work"' EXIT
mkfifo "$work/stdin"
"$server" <"$work/stdin" >"$work/out" 2>"$work/err" &
server_pid=$!
exec 3>"$work/stdin"   # the server runs until this closes

port=""
for _ in $(seq 1 600); do   # up to a minute for the model to register and the port to open
    port=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$work/out")
    [ -n "$port" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        wait "$server_pid"; code=$?
        cat "$work/err"
        [ "$code" = 77 ] && exit 77
        echo "FAIL: the API server exited with $code before listening"
        exit 1
    fi
    sleep 0.1
done
if [ -z "$port" ]; then
    echo "FAIL: the API server did not report its port"
    kill "$server_pid"
    exit 1
fi

key=$(sed -n 's/^KEY \(.*\)$/\1/p' "$work/out")
timeout 300 "$venv/bin/python" "$script" "http://127.0.0.1:$port/v1" "$key"
status=$?
exec 3>&-
wait "$server_pid"
exit $status
