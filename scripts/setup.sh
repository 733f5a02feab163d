#!/usr/bin/env bash
# Installs the Debian 12 (bookworm) packages that building, serving and testing need.
# Idempotent: packages already present are skipped, and nothing is installed when all are.
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build g++ pkg-config
  # libraries the product links
  libboost1.81-dev libsimdjson-dev nlohmann-json3-dev libprotobuf-dev protobuf-compiler libonnx-dev
  libspdlog-dev libfmt-dev libcli11-dev libpugixml-dev libdnnl-dev
  # dnnl-config.cmake looks for OpenCL (Debian builds oneDNN with its GPU runtime); a Recommends we must name
  ocl-icd-opencl-dev
  # tests: unit, integration (real binary on loopback), fuzzing, ONNX backend conformance data
  libgtest-dev libgmock-dev libbenchmark-dev python3 python3-pytest python3-requests python3-numpy
  clang libclang-rt-14-dev clang-format libonnx-testdata curl
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
