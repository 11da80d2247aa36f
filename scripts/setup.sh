#!/usr/bin/env bash
# Set up a development environment in .venv: CPU PyTorch first, then lightning_ir with its dev extras, then the
# offline model cache and a writable copy of the offline ir_datasets mirror (when ../shared is present).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v -i "warning" || true
# The CPU wheel of torch must come first: a bare torch requirement would pull a multi-GB CUDA build.
.venv/bin/python -m pip install -q "torch==2.13.0" 2>&1 | grep -v -i "warning" || true
.venv/bin/python -m pip install -q -e ".[dev]" 2>&1 | grep -v -i "warning" || true
.venv/bin/python -c "import torch, lightning_ir; print(f'lightning_ir ready (torch {torch.__version__})')"

# Packaged models resolvable by hub name offline (no-op when already seeded).
.venv/bin/python scripts/seed_hf_cache.py

# ir_datasets writes caches next to its archives: use a writable, git-ignored copy of the offline mirror.
if [ -d ../shared/ir_datasets ]; then
  mkdir -p .cache/ir_datasets
  cp -rn ../shared/ir_datasets/beir .cache/ir_datasets/ 2>/dev/null || true
  chmod -R u+w .cache/ir_datasets
fi
