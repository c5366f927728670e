#!/usr/bin/env bash
# Set up, then start the UI on http://127.0.0.1:8501 over ./library (or $RAG_LIBRARY).
# On first start the sample articles are ingested, with a progress bar in the page.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export HF_HUB_OFFLINE=1
echo "Open http://127.0.0.1:${PORT:-8501} in your browser."
exec .venv/bin/streamlit run app.py --server.address 127.0.0.1 --server.port "${PORT:-8501}" \
  --server.headless true --browser.gatherUsageStats false \
  --server.maxUploadSize "${RAG_MAX_UPLOAD_MB:-20}"
