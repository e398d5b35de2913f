#!/usr/bin/env bash
# MRZ parse+validate benchmark: mrtd against the `mrz` package from PyPI (docs/benchmarks.md).
#
# Uses its own venv, .venv-bench at the repo root, so that the comparison package `mrz` is
# never installed into the project's .venv. Idempotent: the installs are skipped while the
# stamp (keyed on pyproject.toml, the C core and the pinned mrz version) is current.
# Extra arguments go to bench_mrz.py, e.g. `benchmarks/run.sh --json out/bench.json`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

PYTHON=${PYTHON:-python3}
VENV=.venv-bench
MRZ_PIN="mrz==0.6.2"
stamp="$VENV/.installed"
key="$(stat -c %Y pyproject.toml src/mrtd/crypto/*.c 2>/dev/null | tr '\n' ' ')$MRZ_PIN"

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
fi

if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$key" ]; then
    "$VENV/bin/python" -m pip install -q -e . "$MRZ_PIN"
    printf '%s' "$key" >"$stamp"
fi

exec "$VENV/bin/python" benchmarks/bench_mrz.py "$@"
