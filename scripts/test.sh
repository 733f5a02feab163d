#!/usr/bin/env bash
# Installs what is missing, builds everything (the product with g++, the fuzz targets with
# clang + libFuzzer) and runs every test through CTest: unit tests, integration tests against
# the real binary on loopback, conformance suites and short fuzz runs.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
# Warnings are errors in the g++ build above; the clang fuzz build only reports them.
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DMLSERVING_FUZZ=ON -DMLSERVING_WERROR=OFF >/dev/null
ninja -C build-fuzz
cd build
ctest --output-on-failure --timeout 900 "$@"
