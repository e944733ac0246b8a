#!/usr/bin/env bash
# Builds the release server and site (what scripts/run.sh serves), when a source changed since.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export PATH="$HOME/.cargo/bin:$PATH"
# Components erased to one view type: the bundle is 12% smaller (462 KB gzip for the main module
# against 522 KB), and the server, built alike, renders exactly what the bundle hydrates.
export RUSTFLAGS="--cfg erase_components"
server=target/release/feedback-webhooks
# Written last by the site's build: the bundle's content-hashed file names.
site=target/site/hash.txt
# cargo-leptos re-optimizes the wasm and its page chunks on every release build (about three
# minutes): build only when a source changed.
if [ ! -x "$server" ] || [ ! -f "$site" ] ||
  [ -n "$(find src style public migrations Cargo.toml Cargo.lock -newer "$site" -print -quit)" ] ||
  [ -n "$(find src migrations Cargo.toml Cargo.lock -newer "$server" -print -quit)" ]; then
  # --split: each lazy island in wasm chunks of its own (src/ui); --precompress:
  # brotli and gzip copies of the site's files, served as they are (the gzip ones written again
  # at gzip's best).
  cargo leptos build --release --split --precompress
  scripts/gzip-site.sh
fi
