#!/usr/bin/env bash
# Writes again, with gzip's best compression, the gzip copies `cargo leptos build --precompress`
# made of the site's files (target/site unless given another): its own encoder's copies are much
# larger (the main wasm module: 393 KB against 331 KB with `gzip -9`). The brotli copies are kept:
# they are already at brotli's best quality.
set -euo pipefail
site=${1:-"$(dirname "$0")/../target/site"}
find "$site" -type f -name '*.gz' -print0 | while IFS= read -r -d '' copy; do
  original=${copy%.gz}
  if [ -f "$original" ]; then
    gzip -9 --no-name --stdout "$original" > "$copy.new"
    mv "$copy.new" "$copy"
  fi
done
