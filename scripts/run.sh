#!/usr/bin/env bash
# Builds and serves Feedback Webhooks on http://127.0.0.1:3000 with SQLite in ./data (no setup).
# Flags after the script name go to the server, e.g. scripts/run.sh --allow-private-targets 127.0.0.1/32
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-release.sh
server=target/release/feedback-webhooks
export LEPTOS_SITE_ROOT=target/site LEPTOS_ENV=PROD
exec "$server" "$@"
