#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and serves the bundled Titanic survival model
# on http://localhost:8080 (Ctrl-C stops it). PORT=9000 ./scripts/demo.sh picks another port.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh mlserving
PORT=${PORT:-8080}
cat <<TXT

The Titanic survival model is starting on http://localhost:${PORT}. In another terminal try:

  curl -s http://localhost:${PORT}/describe
  curl -s -X POST http://localhost:${PORT}/eval -H 'Content-Type: application/json' \\
       -d '{"fare":7.25,"sex":"male","embarked":"S","pclass":"3","age":22}'
  curl -s -X POST http://localhost:${PORT}/eval -H 'Content-Type: application/json' \\
       -d '{"fare":[[7],[71.3]],"sex":[["male"],["female"]],"embarked":[["Q"],["C"]],"pclass":[["3"],["1"]],"age":[[27],[38]]}'

TXT
exec ./build/src/mlserving serve fixtures/titanic/titanic.onnx --port "$PORT"
