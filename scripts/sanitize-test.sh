#!/usr/bin/env bash
# Run the crypto tests against the C cores (_core: secure messaging, _ec: elliptic curves) built
# with AddressSanitizer + UndefinedBehaviorSanitizer.
#
# The cores are compiled straight with gcc (no setuptools) into build/sanitize/, next to a fresh
# copy of src/mrtd (scripts/build-sanitized-cores.sh, shared with scripts/fuzz.sh --sanitize),
# and that tree goes first on PYTHONPATH, so the project's .venv and its normal build are left
# alone. Python itself is not instrumented: libasan is preloaded, leak detection is off (the
# interpreter leaks by design), and PYTHONMALLOC=malloc sends Python's small allocations (our
# PyMem buffers, bytes objects) through ASan's allocator so their bounds are checked too. Any
# sanitizer report fails the run.
#
# Idempotent (rebuilds from scratch each time, about a second); takes well under a minute.
# Usage: scripts/sanitize-test.sh [pytest args...]   (default: the crypto tests, and the
# fuzz harnesses of the C cores over their seeds and mutations)
# Needs: gcc with libasan/libubsan, libssl-dev, the project's .venv with the dev extras.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

PYTHON=${PYTHON:-$root/.venv/bin/python}
CC=${CC:-gcc}
out=$root/build/sanitize
log=$out/pytest.log

libasan=$(PYTHON="$PYTHON" CC="$CC" "$root/scripts/build-sanitized-cores.sh")

if [ "$#" -eq 0 ]; then
    set -- tests/unit/test_crypto_sm.py tests/property/test_crypto_sm_properties.py \
        tests/unit/test_crypto_core.py tests/unit/test_crypto_ec.py \
        tests/property/test_ec_properties.py \
        "tests/fuzz/test_fuzz_smoke.py::test_harness_accepts_its_corpus_and_mutations[sm_unwrap]" \
        "tests/fuzz/test_fuzz_smoke.py::test_harness_accepts_its_corpus_and_mutations[ec_points]"
fi

# Reports go to files: pytest captures stderr, and a halted process never prints it back.
asan_options=detect_leaks=0:halt_on_error=1:strict_string_checks=1
asan_options=$asan_options:detect_stack_use_after_return=1:log_path=$out/report-asan
run() {
    env LD_PRELOAD="$libasan" ASAN_OPTIONS="$asan_options" \
        UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$out/report-ubsan" \
        PYTHONMALLOC=malloc PYTHONPATH="$out" PYTHONDONTWRITEBYTECODE=1 MRTD_REQUIRE_NATIVE=1 \
        "$PYTHON" "$@"
}

# The tests must load the instrumented cores, not the .venv's ones.
run -c 'import sys; from mrtd.crypto import _core, _ec, backend, ec
assert backend() == "native", backend()
assert ec.ec_backend() == "native", ec.ec_backend()
for core in (_core, _ec):
    assert core.__file__.startswith(sys.argv[1]), core.__file__' "$out"

status=0
run -m pytest -q -p no:cacheprovider "$@" 2>&1 | tee "$log" || status=$?
reports=$(find "$out" -maxdepth 1 -name 'report-*' -print)
if [ -n "$reports" ] || grep -qE 'ERROR: AddressSanitizer|runtime error:' "$log"; then
    for report in $reports; do cat "$report" >&2; done
    echo "sanitize-test: sanitizer report(s): ${reports:-see $log}" >&2
    exit 1
fi
if [ "$status" -ne 0 ]; then
    echo "sanitize-test: tests failed under the sanitizers (exit $status)" >&2
    exit "$status"
fi
echo "sanitize-test: clean (ASan + UBSan, $("$PYTHON" -c 'import sys; print(sys.version.split()[0])'))"
