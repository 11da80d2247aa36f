#!/usr/bin/env bash
# The README's main job: index BEIR SciFact with sentence-transformers/all-MiniLM-L6-v2, search it for the 300 test
# queries and print nDCG@10 / R@100 with the times. Run scripts/setup.sh first (it creates .venv).
#
#   bash scripts/setup.sh && bash scripts/scifact_demo.sh
#
# Writes indexes/beir-scifact/all-MiniLM-L6-v2 (the index), runs/all-MiniLM-L6-v2/beir__scifact__test.run (the run)
# and runs/all-MiniLM-L6-v2/report/ (report.md, report.csv and PNG plots of nDCG@k and R@k by cut-off).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/lightning-ir ]; then
  echo "scifact_demo.sh: .venv/bin/lightning-ir not found; run 'bash scripts/setup.sh' first" >&2
  exit 1
fi
export PATH="$PWD/.venv/bin:$PATH"
export TRANSFORMERS_VERBOSITY=${TRANSFORMERS_VERBOSITY:-error}

# Use the model from the local Hugging Face cache when it is there (no network needed); else download it.
if python -c "
from huggingface_hub import snapshot_download
snapshot_download('sentence-transformers/all-MiniLM-L6-v2', local_files_only=True)
" >/dev/null 2>&1; then
  export HF_HUB_OFFLINE=1
fi
# A local (writable) copy of the ir_datasets mirror, made by setup.sh; elsewhere ir_datasets downloads SciFact.
if [ -d .cache/ir_datasets ] && [ -z "${IR_DATASETS_HOME:-}" ]; then
  export IR_DATASETS_HOME="$PWD/.cache/ir_datasets"
fi

start=$(date +%s)
echo "== lightning-ir index --config configs/index-scifact.yaml"
lightning-ir index --config configs/index-scifact.yaml "$@"
indexed=$(date +%s)
echo "== lightning-ir search --config configs/search-scifact.yaml"
lightning-ir search --config configs/search-scifact.yaml "$@"
end=$(date +%s)
echo "== SciFact demo: index $((indexed - start)) s, search $((end - indexed)) s, total $((end - start)) s" \
  "(wall clock, model loading included)"
echo "== report: runs/all-MiniLM-L6-v2/report/report.md, plots:" runs/all-MiniLM-L6-v2/report/*.png
