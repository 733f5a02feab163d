#!/usr/bin/env bash
# Installs what the fixture generators (tools/) and the peer benchmarks (bench/) need on Debian 12
# (bookworm): a JRE (sklearn2pmml converts through Java; pypmml and jpmml-evaluator score on the
# JVM), python3-venv, and the virtual environments tools/.venv and tools/.venv-pmml.
# Not part of building or testing: the tests use the committed fixtures.
# Idempotent: Debian packages already present are skipped, and pip leaves satisfied pins alone.
#
#   tools/setup_tools.sh            # from the repository root (or anywhere)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

PACKAGES=(python3 python3-venv python3-pip default-jre-headless)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup_tools: all ${#PACKAGES[@]} Debian packages present"
else
  echo "setup_tools: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# tools/.venv: tools/requirements.txt (ONNX fixtures, bench/compare_onnxruntime.py).
# tools/.venv-pmml: tools/requirements-pmml.txt (PMML fixtures, bench/compare_pmml.py), a venv of its
# own because sklearn2pmml supports an older scikit-learn than the ONNX tools pin.
for pair in ".venv:requirements.txt" ".venv-pmml:requirements-pmml.txt"; do
  venv="$REPO_ROOT/tools/${pair%%:*}"
  requirements="$REPO_ROOT/tools/${pair#*:}"
  if [ ! -x "$venv/bin/python" ]; then
    echo "setup_tools: creating $venv"
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install -q -r "$requirements"
  echo "setup_tools: $venv ready ($("$venv/bin/python" --version), ${requirements#"$REPO_ROOT"/})"
done
java -version 2>&1 | head -n 1
