#!/usr/bin/env bash
# Set up (first time only), lint with ruff, and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check augment tests scripts
exec .venv/bin/python -m pytest -q "$@"
