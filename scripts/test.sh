#!/usr/bin/env bash
# Runs every check and test: formatting, clippy (server and browser builds), unit and integration
# tests against real SQLite and a real server, then browser tests in Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --e2e
export PATH="$HOME/.cargo/bin:$PATH"
# The same flags as cargo-leptos's debug build, so tests reuse its compiled dependencies.
export RUSTFLAGS="--cfg erase_components"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "build (server and wasm)"
cargo leptos build

step "clippy"
cargo clippy --features ssr --all-targets -- -D warnings
cargo clippy --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings

step "unit and integration tests"
cargo test --features ssr

step "browser tests"
(cd end2end && npx playwright test)
