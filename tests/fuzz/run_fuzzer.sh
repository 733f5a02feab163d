#!/usr/bin/env bash
# run_fuzzer.sh FUZZER SECONDS SEED_DIR...
# Runs a libFuzzer target for SECONDS on a scratch copy of the seed corpora (the repository is
# never written). Exits 77 (CTest "skipped") when the fuzz build is absent. The random seed is
# fixed (FUZZ_SEED, default 1) so that a test run is reproducible; vary it to explore further.
set -euo pipefail
fuzzer=$1
seconds=$2
shift 2
if [ ! -x "$fuzzer" ]; then
  echo "SKIPPED: $fuzzer not built (scripts/test.sh builds it with clang into build-fuzz/)"
  exit 77
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for seeds in "$@"; do
  if [ -d "$seeds" ]; then cp -r "$seeds"/. "$scratch"/; elif [ -f "$seeds" ]; then cp "$seeds" "$scratch"/; fi
done
mkdir -p "$scratch/new"
cd "$scratch"
"$fuzzer" -seed="${FUZZ_SEED:-1}" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 new "$scratch"
