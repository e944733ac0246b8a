#!/usr/bin/env bash
# The first-load benchmark: the release server and site, the sign-in page and the settings
# screen loaded in Chromium with the cache empty on an emulated slow connection (1.6 Mbit/s
# down, 150 ms latency, through the DevTools protocol); prints what each downloads, gzip, and
# how long each takes to become interactive. FW_BENCH_ROUNDS loads of each (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --e2e
scripts/build-release.sh
cd end2end
exec npx playwright test --config first-load.config.ts --reporter line
