#!/bin/sh
# Checks a deployed MCP server step by step with rmcp-functions-smoke (`--help` lists the
# steps; rust-mcp-functions' docs/deploy.md, "After `azd up`", explains each diagnosis).
# The same file serves any crate deployed this way: nothing in it names one server.
#
#   scripts/smoke.sh                      the azd environment's deployment (what the
#                                         postdeploy hook in azure.yaml runs)
#   scripts/smoke.sh [options]            the same, with extra options (e.g. --wait 300)
#   scripts/smoke.sh URL [options]        any URL; see `scripts/smoke.sh URL --help`
#
# Without a URL it reads the deployment from the azd environment (the environment azd
# gives its hooks, else `azd env get-value`): MCP_URL, MCP_AUTH_MODE, the resource group,
# app and Application Insights names, and the app's Entra ID scope (outputs of infra/).
# With MCP_AUTH_MODE=key it fetches the function key with the Azure CLI, with entra a
# token for that scope (or set MCP_FUNCTION_KEY / MCP_BEARER_TOKEN). Keys and tokens are
# never printed.
#
# The binary, first found: SMOKE_BIN; the package rmcp-functions-smoke of this cargo
# workspace (cargo run, so the check matches the checkout); rmcp-functions-smoke on PATH
# (cargo install rmcp-functions-smoke, or --path <checkout>/crates/rmcp-functions-smoke);
# a copy this script installed under target/; else it installs one there, from the
# rust-mcp-functions checkout below when it is there, else from crates.io.
# POSIX sh: Linux, macOS, WSL.
set -eu
cd "$(dirname "$0")/.."

# The check's crate in a rust-mcp-functions checkout. In this repository, its own; in a
# crate made deployable by scripts/scaffold.sh, the checkout the scaffold ran from.
smoke_crate=crates/rmcp-functions-smoke

fail() {
  echo "smoke.sh: error: $*" >&2
  exit 2
}

# A value of the azd environment: from the process environment (azd hands its values to
# hooks), else from `azd env get-value`; empty when neither has it.
azd_value() {
  eval "found=\${$1:-}"
  if [ -z "$found" ] && command -v azd >/dev/null 2>&1; then
    found=$(azd env get-value "$1" 2>/dev/null) || found=
  fi
  printf '%s' "$found"
}

if [ $# -eq 0 ] || [ "${1#-}" != "$1" ]; then
  url=$(azd_value MCP_URL)
  [ -n "$url" ] ||
    fail "no URL given and MCP_URL is not in the azd environment: run azd up first, or give the URL (scripts/smoke.sh https://<app>.azurewebsites.net/mcp)"
  mode=$(azd_value MCP_AUTH_MODE)
  group=$(azd_value AZURE_RESOURCE_GROUP)
  app=$(azd_value SERVICE_MCP_NAME)
  insights=$(azd_value APPLICATIONINSIGHTS_NAME)
  identifier=$(azd_value ENTRA_IDENTIFIER_URI)
  # The options from azd go first, the caller's after them (the last of a repeated
  # option wins): append the azd ones, then rotate the caller's $n words to the end.
  n=$#
  set -- "$@" "$url" --auth "${mode:-entra}"
  if [ -n "$group" ]; then set -- "$@" --resource-group "$group"; fi
  if [ -n "$app" ]; then set -- "$@" --app "$app"; fi
  if [ -n "$insights" ]; then set -- "$@" --app-insights "$insights"; fi
  if [ -n "$identifier" ]; then set -- "$@" --scope "$identifier/user_impersonation"; fi
  while [ "$n" -gt 0 ]; do
    set -- "$@" "$1"
    shift
    n=$((n - 1))
  done
fi

smoke=rmcp-functions-smoke
# The version `cargo install` fetches when nothing else is found.
smoke_version=0.1
installed="target/$smoke/bin/$smoke"

if [ -n "${SMOKE_BIN:-}" ]; then
  exec "$SMOKE_BIN" "$@"
fi
if command -v cargo >/dev/null 2>&1 &&
  cargo metadata --no-deps --offline --format-version 1 2>/dev/null | grep -q "\"name\":\"$smoke\""; then
  echo "==> building the smoke check (cargo run -p $smoke)" >&2
  exec cargo run --quiet --locked -p "$smoke" -- "$@"
fi
if command -v "$smoke" >/dev/null 2>&1; then
  exec "$smoke" "$@"
fi
if [ -x "$installed" ]; then
  exec "$installed" "$@"
fi
command -v cargo >/dev/null 2>&1 ||
  fail "$smoke is not installed and cargo is not there to install it: install Rust from https://rustup.rs, or put $smoke on PATH (or name it in SMOKE_BIN)"
if [ -f "$smoke_crate/Cargo.toml" ]; then
  echo "==> installing the smoke check (cargo install --path $smoke_crate --root target/$smoke)" >&2
  cargo install --quiet --locked --path "$smoke_crate" --root "target/$smoke" ||
    fail "cannot install $smoke from $smoke_crate: name a built one in SMOKE_BIN"
  exec "$installed" "$@"
fi
echo "==> installing the smoke check (cargo install $smoke@$smoke_version --root target/$smoke)" >&2
cargo install --quiet --locked --root "target/$smoke" "$smoke@$smoke_version" ||
  fail "cannot install $smoke from crates.io: install it from a rust-mcp-functions checkout (cargo install --path <checkout>/crates/$smoke), or name a built one in SMOKE_BIN"
exec "$installed" "$@"
