#!/usr/bin/env bash
# Set up (first time only) and run augment; arguments are Hydra overrides, e.g.
#   bash scripts/run.sh generator=smote seed=3
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/augment "$@"
