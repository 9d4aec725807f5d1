#!/bin/sh
# Checks a deployed MCP endpoint step by step (crates/rmcp-functions-smoke; README, "After `azd up`").
#
#   scripts/smoke.sh                      the azd environment's deployment (what the
#                                         postdeploy hook in azure.yaml runs)
#   scripts/smoke.sh [options]            the same, with extra options (e.g. --wait 300)
#   scripts/smoke.sh URL [options]        any URL; see `scripts/smoke.sh URL --help`
#
# Without a URL it reads the deployment from the azd environment (the environment azd
# gives its hooks, else `azd env get-value`): MCP_URL, MCP_AUTH_MODE, the resource group,
# app and Application Insights names, and the app's Entra ID scope. With MCP_AUTH_MODE=key
# it fetches the function key with the Azure CLI, with entra a token for that scope (or
# set MCP_FUNCTION_KEY / MCP_BEARER_TOKEN). Keys and tokens are never printed.
#
# Runs the `smoke` binary of crates/rmcp-functions-smoke (cargo builds it on first use; SMOKE_BIN names a
# prebuilt one). POSIX sh: Linux, macOS, WSL.
set -eu
cd "$(dirname "$0")/.."

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

if [ -n "${SMOKE_BIN:-}" ]; then
  exec "$SMOKE_BIN" "$@"
fi
command -v cargo >/dev/null 2>&1 || fail "cargo is required to build the check: install Rust from https://rustup.rs"
echo "==> building the smoke check (cargo build -p rmcp-functions-smoke)" >&2
exec cargo run --quiet --locked -p rmcp-functions-smoke --bin smoke -- "$@"
