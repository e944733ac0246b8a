#!/usr/bin/env bash
# Builds and serves Feedback Webhooks on http://127.0.0.1:3000 with SQLite in ./data (no setup).
# Flags after the script name go to the server, e.g. scripts/run.sh --allow-private-targets 127.0.0.1/32
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export PATH="$HOME/.cargo/bin:$PATH"
server=target/release/feedback-webhooks
wasm=target/site/pkg/feedback-webhooks.wasm
# cargo-leptos re-optimizes the wasm on every release build (~20 s): build only when a source changed.
if [ ! -x "$server" ] || [ ! -f "$wasm" ] ||
  [ -n "$(find src style public migrations Cargo.toml Cargo.lock -newer "$wasm" -print -quit)" ] ||
  [ -n "$(find src migrations Cargo.toml Cargo.lock -newer "$server" -print -quit)" ]; then
  cargo leptos build --release
fi
export LEPTOS_SITE_ROOT=target/site LEPTOS_ENV=PROD
exec "$server" "$@"
