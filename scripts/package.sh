#!/bin/sh
# Builds the deployment package for Azure Functions: build/mcp-app.zip, holding
#   host.json   at the root
#   the binary  at the path host.json names (customHandler.description.defaultExecutablePath),
#               built from the crate's binary of that name as a static x86_64 Linux (musl)
#               executable, stored with Unix mode 0755
# and nothing else: that is all the Functions host needs at run time.
#
# azd runs it before packaging (azure.yaml, prepackage hook) and uploads the zip as-is.
# scripts/test.sh runs it too, and tests/api/deploy.rs checks the zip. The same script
# packages any rmcp server that scripts/scaffold.sh has made deployable.
#
# Needs: cargo (rustup, for the musl target), python3 (reads host.json, writes the zip),
# and a C compiler for musl when a dependency has C parts, as aws-lc-sys (the TLS crypto
# of rustls, used by reqwest and object_store) does: Debian/Ubuntu `musl-tools`
# (musl-gcc). Run as root with apt, it installs that itself; otherwise it stops and says
# what to install. Linux x86_64 only (on Windows, use WSL). POSIX sh, so it runs under sh,
# dash and bash alike.
set -eu
cd "$(dirname "$0")/.."

target=x86_64-unknown-linux-musl
zip_path=build/mcp-app.zip
# A target directory of its own: the release build never waits for (or invalidates) the
# debug builds in target/ that tests and rust-analyzer keep locked.
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target/package}"
export CARGO_TARGET_DIR

fail() {
  echo "package.sh: error: $*" >&2
  exit 1
}

command -v cargo >/dev/null 2>&1 || fail "cargo is required: install Rust from https://rustup.rs"
command -v python3 >/dev/null 2>&1 || fail "python3 is required (it reads host.json and writes the zip)"
[ "$(uname -s)" = Linux ] || fail "build on Linux x86_64 (on Windows: WSL; on macOS: a Linux container)"

# The binary to build: the one host.json tells the Functions host to start, so its name is
# written in one place.
bin=$(python3 -c 'import json, posixpath; print(posixpath.basename(json.load(open("host.json", encoding="utf-8"))["customHandler"]["description"]["defaultExecutablePath"]))') ||
  fail "host.json must name the binary in customHandler.description.defaultExecutablePath"

# The lockfile's versions when there is one (a crate fresh from `cargo new` gets it from
# its first build); it sits at the root of the crate's workspace.
locked=
workspace_manifest=$(cargo locate-project --workspace --message-format plain) ||
  fail "no Cargo.toml here or above: run this script from a crate"
if [ -f "$(dirname "$workspace_manifest")/Cargo.lock" ]; then
  locked=--locked
fi

# Rust's bundled linker links the static binary, so no musl cross-linker is needed (C
# parts still need musl-gcc, below).
CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER="${CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER:-rust-lld}"
export CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER

if command -v rustup >/dev/null 2>&1; then
  rustup target list --installed | grep -qx "$target" || rustup target add "$target"
fi

# The C compiler cc-rs uses for the musl target.
if [ -z "${CC_x86_64_unknown_linux_musl:-}" ]; then
  if ! command -v musl-gcc >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "==> installing musl-tools (apt), for the C parts of aws-lc-sys"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends musl-tools >/dev/null ||
        { apt-get update -qq >/dev/null &&
          DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends musl-tools >/dev/null; }
    fi
    command -v musl-gcc >/dev/null 2>&1 ||
      fail "musl-gcc is required to compile aws-lc-sys for $target: install musl-tools (sudo apt-get install musl-tools), or set CC_x86_64_unknown_linux_musl to a musl C compiler"
  fi
  CC_x86_64_unknown_linux_musl=musl-gcc
fi
export CC_x86_64_unknown_linux_musl

echo "==> cargo build --release --target $target --bin $bin (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
# $locked unquoted: empty, it is no argument at all.
# shellcheck disable=SC2086
cargo build $locked --release --target "$target" --bin "$bin"

echo "==> writing $zip_path"
mkdir -p "$(dirname "$zip_path")"
python3 - "$CARGO_TARGET_DIR/$target/release/$bin" "$zip_path" <<'PY'
import json, os, posixpath, sys, zipfile

binary, zip_path = sys.argv[1], sys.argv[2]
with open("host.json", encoding="utf-8") as f:
    exe = json.load(f)["customHandler"]["description"]["defaultExecutablePath"]
arcname = posixpath.normpath(exe)
if posixpath.isabs(arcname) or arcname.startswith(".."):
    sys.exit(f"package.sh: error: host.json's defaultExecutablePath {exe!r} must be a path inside the package")

def add(archive, source, name, mode):
    # Fixed timestamp (reproducible zips) and explicit Unix mode bits (create_system 3 =
    # Unix), so the mode never depends on the umask or the file system of this checkout.
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.create_system = 3
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    with open(source, "rb") as f:
        archive.writestr(info, f.read())

partial = zip_path + ".partial"
with zipfile.ZipFile(partial, "w") as archive:
    add(archive, "host.json", "host.json", 0o644)
    add(archive, binary, arcname, 0o755)
os.replace(partial, zip_path)
print(f"{zip_path}: host.json, {arcname} (0755), {os.path.getsize(zip_path)} bytes")
PY
