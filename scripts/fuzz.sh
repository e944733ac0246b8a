#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets) for FUZZ_SECONDS each (default 30; give 600 or
# more for a real session), starting from the small seed corpora kept in fuzz/corpus. Inputs
# the fuzzer finds go to fuzz/target/corpus, a crash to fuzz/artifacts; the seeds stay as they
# are. The product's code is safe Rust: no sanitizer, but debug assertions (overflow checks) on.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --fuzz
export PATH="$HOME/.cargo/bin:$PATH"
# The fuzz build is its own (nightly, instrumented, in fuzz/target): the test command's flags
# for sharing cargo-leptos's build do not apply to it.
unset RUSTFLAGS
cd fuzz
seconds=${FUZZ_SECONDS:-30}
for target in ${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}; do
  printf '\n\033[1m== fuzz %s (%ss)\033[0m\n' "$target" "$seconds"
  mkdir -p "target/corpus/$target"
  cargo +nightly fuzz run --sanitizer none --debug-assertions "$target" \
    "target/corpus/$target" "corpus/$target" -- -max_total_time="$seconds" -max_len=16384 \
    -print_final_stats=1 2>&1 | grep -E "^(Done|stat::number_of_executed_units|INFO: seed corpus|==|SUMMARY|thread|panicked)" || {
      echo "fuzz target $target failed: see fuzz/artifacts/$target"
      exit 1
    }
done
