#!/usr/bin/env bash
# Run the C-core unit tests under valgrind memcheck: the cores as the .venv built them (-O2,
# the code users run), checked for invalid reads and writes, uses of uninitialised memory and
# definite leaks. A twin of scripts/sanitize-test.sh that needs no rebuild and also sees
# uninitialised memory, which ASan does not.
#
# PYTHONMALLOC=malloc sends Python's allocations through memcheck. The interpreter and other
# extensions report noise of their own (scripts/valgrind.supp quiets the known kinds), so the
# verdict is taken from valgrind's XML: the run fails on any report with a frame in _core or
# _ec (the error's stack or its allocation stack), and on failing tests.
#
# Usage: scripts/valgrind-test.sh [pytest args...]   (default: the three C-core test files)
# Needs: valgrind, the project's .venv with the dev extras. Takes several minutes.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

PYTHON=${PYTHON:-$root/.venv/bin/python}
out=$root/build/valgrind

if ! command -v valgrind >/dev/null; then
    echo "valgrind-test: valgrind is not installed" >&2
    exit 2
fi
if [ ! -x "$PYTHON" ]; then
    echo "valgrind-test: no $PYTHON; run 'make setup-dev' first" >&2
    exit 2
fi
if [ "$#" -eq 0 ]; then
    set -- tests/unit/test_crypto_core.py tests/unit/test_crypto_ec.py tests/unit/test_crypto_sm.py
fi

rm -rf "$out"
mkdir -p "$out"
status=0
env PYTHONMALLOC=malloc PYTHONDONTWRITEBYTECODE=1 MRTD_REQUIRE_NATIVE=1 \
    valgrind --tool=memcheck --num-callers=40 --suppressions=scripts/valgrind.supp \
    --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
    --xml=yes --xml-file="$out/memcheck-%p.xml" --log-file="$out/valgrind-%p.log" \
    "$PYTHON" -m pytest -q -p no:cacheprovider "$@" || status=$?

verdict=0
"$PYTHON" - "$out" <<'PY' || verdict=$?
"""Reports with a frame in mrtd's C cores, from every memcheck XML file in the folder."""
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

OURS = ("/_core.cpython", "/_ec.cpython")
found = total = 0
for path in sorted(Path(sys.argv[1]).glob("memcheck-*.xml")):
    for error in ET.parse(path).getroot().iter("error"):
        total += 1
        frames = [(f.findtext("fn") or "?", f.findtext("obj") or "?") for f in error.iter("frame")]
        if not any(marker in obj for _, obj in frames for marker in OURS):
            continue
        found += 1
        what = error.findtext("what") or error.findtext("xwhat/text") or ""
        print(f"{error.findtext('kind')}: {what}", file=sys.stderr)
        for fn, obj in frames[:20]:
            print(f"    {fn} ({obj.rsplit('/', 1)[-1]})", file=sys.stderr)
print(f"valgrind-test: {found} report(s) in mrtd's C cores, {total - found} elsewhere (ignored)")
sys.exit(1 if found else 0)
PY
if [ "$status" -ne 0 ]; then
    echo "valgrind-test: tests failed under valgrind (exit $status)" >&2
    exit "$status"
fi
exit "$verdict"
