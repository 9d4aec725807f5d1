#!/usr/bin/env bash
# What large request bodies cost in memory, against the request-body budget
# (MCP_BODY_BUDGET_BYTES, crates/rmcp-functions/src/budget.rs). Not part of the test suite.
#
#   bench/memory.sh                                  250 in flight, 15 s per workload
#   MCP_BODY_BUDGET_BYTES=1073741824 bench/memory.sh  the same with the budget out of the way
#
# Two workloads of bench/concurrency.py, at 250 calls in flight (the default
# HTTP_CONCURRENCY), each connection sending one call after another:
#   big-calls          tools/call save_snippet with a 3.9 MB body (answered isError: over
#                      the 1 MiB snippet limit). Target: every call answered, peak RSS
#                      at most 128 MiB.
#   snippets-save-1mb  tools/call save_snippet of 1,000,000 bytes against Azurite.
#                      Target: every call succeeds.
# Knobs: LEVELS, SECS, WORKLOADS, MCP_BODY_BUDGET_BYTES, MCP_BODY_BUDGET_WAIT_SECONDS.
# Writes bench/results/memory.json (or --out).
set -euo pipefail
cd "$(dirname "$0")/.."
export LEVELS=${LEVELS:-250} SECS=${SECS:-15} WORKLOADS=${WORKLOADS:-big-calls,snippets-save-1mb}
exec bench/concurrency.sh --out bench/results/memory.json "$@"
