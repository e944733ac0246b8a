#!/usr/bin/env bash
# Runs every check and test: formatting, clippy (server and browser builds), unit tests, the
# integration suite twice (SQLite, then PostgreSQL: each test on a fresh database of its own,
# all of them dropped at the end, after a failure too), then the browser tests in Debian's
# Chromium, on each backend (the first-load size check among them), and a short run of each
# fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --e2e --postgres --fuzz --api-check
export PATH="$HOME/.cargo/bin:$PATH"
# The flags of every build (see scripts/build-release.sh), so tests reuse the compiled
# dependencies and the server renders what the bundle hydrates.
export RUSTFLAGS="--cfg erase_components"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "build (the server, and the site as it ships)"
cargo leptos build --server-only
# The browser tests run on the release bundle (split by page, precompressed), the one whose
# first-load size they check, built as scripts/build-release.sh builds it.
cargo leptos build --release --frontend-only --split --precompress
scripts/gzip-site.sh

step "clippy"
cargo clippy --features ssr --all-targets -- -D warnings
cargo clippy --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings

step "unit tests, integration tests on SQLite"
cargo test --features ssr

step "integration tests on PostgreSQL"
# The server given (TEST_POSTGRES_URL), else the one on 127.0.0.1:5432 when it answers, else a
# throwaway cluster of our own on a free port, stopped and removed at the end.
cluster=""
prefix="fw_it_$$_"
cleanup() {
  if [ -n "${pg_url:-}" ]; then
    psql "$pg_url" -qtAc "SELECT datname FROM pg_database WHERE datname LIKE '${prefix}%'" 2>/dev/null |
      while read -r db; do psql "$pg_url" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true; done
  fi
  if [ -n "$cluster" ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$cluster/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$cluster"
  fi
}
trap cleanup EXIT
if [ -n "${TEST_POSTGRES_URL:-}" ]; then
  pg_url=$TEST_POSTGRES_URL
elif pg_isready -q -h 127.0.0.1 -p 5432 && psql postgres://postgres@127.0.0.1:5432/postgres -qtAc 'SELECT 1' >/dev/null 2>&1; then
  pg_url=postgres://postgres@127.0.0.1:5432/postgres
else
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  cluster=$(mktemp -d)
  chown postgres "$cluster"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  runuser -u postgres -- "$pg_bin/initdb" -D "$cluster/data" -U postgres -A trust >/dev/null
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$cluster/data" -l "$cluster/log" -w \
    -o "-p $port -k $cluster -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  pg_url=postgres://postgres@127.0.0.1:$port/postgres
fi
TEST_DATABASE_URL=$pg_url TEST_DATABASE_PREFIX=$prefix cargo test --features ssr --test it

step "browser tests on SQLite"
(cd end2end && npx playwright test)

step "browser tests on PostgreSQL"
e2e_db="${prefix}e2e"
psql "$pg_url" -qc "CREATE DATABASE \"$e2e_db\""
e2e_url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$pg_url" "$e2e_db")
(cd end2end && FW_E2E_DATABASE_URL=$e2e_url npx playwright test)

step "fuzz targets (30 s each)"
FUZZ_SECONDS=30 scripts/fuzz.sh
