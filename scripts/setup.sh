#!/usr/bin/env bash
# Create .venv with augment and everything its tests and benchmarks need (idempotent).
# torch is installed first and pinned to the CPU build that lies on disk: letting pip pick
# a newer torch pulls a multi-GB CUDA build. The library itself only asks torch>=2.3.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
STAMP=.venv/.augment-installed
if [[ -f $STAMP && $STAMP -nt pyproject.toml ]]; then
  exit 0
fi
[[ -x .venv/bin/python ]] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev,bench,ebm,forest]"
touch "$STAMP"
