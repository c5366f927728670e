#!/usr/bin/env bash
# Set up, then answer the sample question over the sample articles (building the library
# in ./library on first run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export HF_HUB_OFFLINE=1
exec .venv/bin/python -m rag ask "${1:-what joint drills happened?}"
