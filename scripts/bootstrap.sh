#!/usr/bin/env bash
# Installs what building and testing need, once; every step is skipped when already done.
#   scripts/bootstrap.sh          build tools (wasm target, wasm-bindgen, wasm-opt, cargo-leptos)
#   scripts/bootstrap.sh --e2e    also Chromium and the browser-test packages
#   scripts/bootstrap.sh --postgres  also Debian's PostgreSQL server and client, for the tests
#                                    that start a cluster of their own when none answers
#   scripts/bootstrap.sh --fuzz   also a nightly toolchain and cargo-fuzz, for scripts/fuzz.sh
#   scripts/bootstrap.sh --api-check  also schemathesis (pinned, in .tools/schemathesis), which
#                                     the integration tests run against the OpenAPI document
set -euo pipefail
cd "$(dirname "$0")/.."

# The wasm-bindgen CLI must match the wasm-bindgen crate exactly (pinned with = in Cargo.toml).
WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
CARGO_LEPTOS_VERSION=0.3.10   # 0.3.11 needs a newer rustc
BINARYEN_VERSION=132          # Debian's binaryen (108) emits wasm that breaks hydration
SCHEMATHESIS_VERSION=4.32.5
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if ! wasm-opt --version 2>/dev/null | grep -q "version $BINARYEN_VERSION"; then
  say "installing wasm-opt (npm binaryen@$BINARYEN_VERSION)"
  npm install --global --no-fund --no-audit "binaryen@$BINARYEN_VERSION"
fi

if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ]; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (20-35 minutes, once per machine)"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi

flags=" $* "

if [ "${flags#* --postgres }" != "$flags" ] && ! { command -v psql >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }; then
  say "installing Debian's PostgreSQL server and client"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi

if [ "${flags#* --fuzz }" != "$flags" ]; then
  if ! rustup toolchain list | grep -q '^nightly'; then
    say "installing a nightly toolchain (the fuzzer's instrumentation needs it)"
    rustup toolchain install nightly --profile minimal
  fi
  if ! cargo fuzz --version >/dev/null 2>&1; then
    say "installing cargo-fuzz (about 3 minutes)"
    cargo install cargo-fuzz --locked
  fi
fi

if [ "${flags#* --api-check }" != "$flags" ] &&
  [ "$(.tools/schemathesis/bin/st --version 2>/dev/null | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ]; then
  say "installing schemathesis $SCHEMATHESIS_VERSION (PyPI, into .tools/schemathesis)"
  python3 -m venv .tools/schemathesis
  .tools/schemathesis/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

if [ "${flags#* --e2e }" != "$flags" ]; then
  if [ ! -x /usr/bin/chromium ]; then
    say "installing Debian's Chromium"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
  fi
  if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    say "installing the browser-test packages (no browser download)"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-fund --no-audit)
  fi
fi
