#!/bin/sh
# Makes an rmcp crate deployable to Azure Functions (Flex Consumption), the way this
# repository deploys its own server (docs/host-your-own.md):
#
#   scripts/scaffold.sh PATH [--force] [--bin NAME]
#
# Runs crates/rmcp-functions-scaffold, which cargo builds on first use. POSIX sh.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
command -v cargo >/dev/null 2>&1 || {
  echo "scaffold.sh: error: cargo is required: install Rust from https://rustup.rs" >&2
  exit 2
}
exec cargo run --quiet --locked --manifest-path "$root/crates/rmcp-functions-scaffold/Cargo.toml" -- "$@"
