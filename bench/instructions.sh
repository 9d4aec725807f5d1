#!/usr/bin/env bash
# User-space instructions per request, counted by valgrind's callgrind: a figure that
# machine noise does not move. Not part of the test suite (it measures cost).
#
#   bench/instructions.sh             N=1000 and N+1000 requests per case (EXTRA=1000), 3 times (REPEAT)
#   N=200 EXTRA=200 REPEAT=1 bench/instructions.sh      a quick look
#
# Cases: ping, tools/list and tools/call get_alerts on the deployed binary (the static
# musl build that scripts/package.sh puts in the zip: release, mimalloc); tools/list on
# the floor, examples/floor.rs (a bare hyper server answering the same bytes); ping and
# tools/list on rmcp alone, examples/rmcp_floor.rs (the same handler behind rmcp's
# stateless service, without the hosting layer). See bench/instructions.py for the method.
#
# Also builds the same code with symbols (release profile, strip off, line tables; its
# own target dir, target/instructions) for per-function profiles of ping and tools/list,
# and of ping on rmcp alone: bench/results/instructions-*-profile.txt. Symbols do not
# change the code: their counts must match the deployed binary's (instructions.json has
# both).
#
# Needs valgrind (Debian's, installed with apt when root). Writes
# bench/results/instructions.json. Every process binds 127.0.0.1 and is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "error: $*" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || fail "python3 is required"
if ! command -v valgrind >/dev/null 2>&1 || ! command -v callgrind_annotate >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
  else
    fail "valgrind is required: apt-get install valgrind"
  fi
fi

target=x86_64-unknown-linux-musl
cargo build --locked --release --example nws_stub
scripts/package.sh
handler=target/package/$target/release/handler
[ -x "$handler" ] || fail "scripts/package.sh did not leave $handler"

# The floor and the symbols build: the deployment profile, only not stripped. The C
# compiler for musl is the one scripts/package.sh found or installed.
CARGO_TARGET_DIR="$PWD/target/instructions" \
  CARGO_PROFILE_RELEASE_STRIP=false CARGO_PROFILE_RELEASE_DEBUG=line-tables-only \
  CC_x86_64_unknown_linux_musl="${CC_x86_64_unknown_linux_musl:-musl-gcc}" \
  cargo build --locked --release --target "$target" --bin handler --example floor \
  --example rmcp_floor
built=target/instructions/$target/release

exec python3 bench/instructions.py --handler "$handler" --floor "$built/examples/floor" \
  --rmcp "$built/examples/rmcp_floor" --profile-handler "$built/handler" \
  --profile-rmcp "$built/examples/rmcp_floor" --stub target/release/examples/nws_stub "$@"
