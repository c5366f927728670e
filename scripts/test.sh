#!/usr/bin/env bash
# Set everything up, then run every test (unit, real-model, UI and browser).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
export HF_HUB_OFFLINE=1
exec .venv/bin/python -m pytest "$@"
