#!/usr/bin/env bash
# MRZ OCR benchmark: mrtd against PassportEye and fastmrz (docs/benchmarks.md).
#
# Uses its own venv, .venv-bench-ocr at the repo root, so the peers (and their dependencies:
# scikit-image, scikit-learn, onnxruntime, ...) never enter the project's .venv. Idempotent:
# the installs are skipped while the stamp (pyproject.toml, the C core, the peer pins) is
# current. Needs Debian's tesseract-ocr (both peers use it). Extra arguments go to bench_ocr.py.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

PYTHON=${PYTHON:-python3}
VENV=.venv-bench-ocr
PEERS="passporteye==2.2.2 fastmrz==2.1.2"
stamp="$VENV/.installed"
key="$(stat -c %Y pyproject.toml src/mrtd/crypto/*.c 2>/dev/null | tr '\n' ' ')$PEERS"

scripts/ensure-debs.sh tesseract-ocr
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$key" ]; then
    # shellcheck disable=SC2086 # the pins are words
    "$VENV/bin/python" -m pip install -q -e '.[image]' $PEERS
    printf '%s' "$key" >"$stamp"
fi

export OMP_THREAD_LIMIT=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1  # one core each (numpy BLAS too)
exec "$VENV/bin/python" benchmarks/bench_ocr.py "$@"
