#!/usr/bin/env bash
# Run the atheris/libFuzzer harnesses in fuzz/, one after another (never two at once).
#
#   scripts/fuzz.sh [--sanitize] [NAME ...]        (default: every fuzz/<name>.py harness)
#   FUZZ_SECONDS=600 (each harness), FUZZ_ARGS="-seed=1 ..." (extra libFuzzer flags)
#
# Seeds the corpora first (fuzz/seed_corpora.py); the corpus of each harness grows in
# build/fuzz/corpus/<name>/ from run to run. Crash, timeout and out-of-memory inputs land in
# build/fuzz/crashes/<name>/, logs in build/fuzz/logs/<name>.log; a summary table ends the
# run. Exits 1 if any harness found anything.
#
# --sanitize runs the harnesses of the C cores (default: sm_unwrap, ec_points) against cores
# built with ASan + UBSan (scripts/build-sanitized-cores.sh), libasan preloaded as in
# scripts/sanitize-test.sh; a sanitizer report is a crash. gcc's preloaded libasan takes over
# the coverage hooks, so these runs get no coverage feedback: they replay the corpus the
# ordinary (coverage-guided) runs grew and mutate it blindly. Run those first.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

PYTHON=${PYTHON:-$root/.venv/bin/python}
FUZZ_SECONDS=${FUZZ_SECONDS:-600}
read -r -a extra <<<"${FUZZ_ARGS:-}"
out=$root/build/fuzz

sanitize=0
if [ "${1:-}" = "--sanitize" ]; then
    sanitize=1
    shift
fi
if [ "$#" -eq 0 ]; then
    if [ "$sanitize" -eq 1 ]; then
        set -- sm_unwrap ec_points
    else
        mapfile -t harnesses < <(cd fuzz && for f in *.py; do
            case $f in harness.py | seed_corpora.py) ;; *) echo "${f%.py}" ;; esac
        done)
        set -- "${harnesses[@]}"
    fi
fi
for name in "$@"; do
    if [ ! -f "fuzz/$name.py" ]; then
        echo "fuzz: no harness fuzz/$name.py" >&2
        exit 2
    fi
done
if ! "$PYTHON" -c 'import atheris' 2>/dev/null; then
    echo "fuzz: atheris is not installed in $PYTHON (pip install -e '.[dev]')" >&2
    exit 2
fi

"$PYTHON" fuzz/seed_corpora.py "$@"

environment=()
if [ "$sanitize" -eq 1 ]; then
    libasan=$(PYTHON="$PYTHON" "$root/scripts/build-sanitized-cores.sh")
    reports=$out/sanitizer-reports
    rm -rf "$reports"
    mkdir -p "$reports"
    environment=(
        LD_PRELOAD="$libasan" PYTHONMALLOC=malloc PYTHONPATH="$root/build/sanitize"
        ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:strict_string_checks=1:log_path=$reports/asan"
        UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"
    )
    # The harnesses must load the instrumented cores, not the .venv's ones.
    env "${environment[@]}" "$PYTHON" -c 'import sys; from mrtd.crypto import _core, _ec
for core in (_core, _ec):
    assert core.__file__.startswith(sys.argv[1]), core.__file__' "$root/build/sanitize"
fi

mkdir -p "$out/logs"
mode=""
[ "$sanitize" -eq 0 ] || mode=-sanitize
summary=()
found=0
for name in "$@"; do
    corpus=$out/corpus/$name
    crashes=$out/crashes/$name
    log=$out/logs/$name$mode.log
    mkdir -p "$corpus" "$crashes"
    before=$(find "$crashes" -type f | wc -l)
    echo "fuzz: $name for ${FUZZ_SECONDS}s (log: ${log#"$root"/})"
    status=0
    started=$SECONDS
    env "${environment[@]}" PYTHONDONTWRITEBYTECODE=1 "$PYTHON" "fuzz/$name.py" \
        -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 \
        -artifact_prefix="$crashes/" "${extra[@]}" "$corpus" >"$log" 2>&1 || status=$?
    seconds=$((SECONDS - started))
    new=$(($(find "$crashes" -type f | wc -l) - before))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ "$status" -ne 0 ] || [ "$new" -gt 0 ]; then
        found=1
        tail -n 30 "$log" >&2
    fi
    summary+=("$(printf '%-20s %8s %10s %8s %8s %6s' "$name$mode" "$seconds" "${runs:-?}" \
        "$(find "$corpus" -type f | wc -l)" "$new" "$status")")
done

if [ "$sanitize" -eq 1 ] && [ -n "$(find "$out/sanitizer-reports" -type f)" ]; then
    cat "$out"/sanitizer-reports/* >&2
    found=1
fi
printf '%-20s %8s %10s %8s %8s %6s\n' harness seconds executions corpus crashes exit
printf '%s\n' "${summary[@]}"
if [ "$found" -ne 0 ]; then
    echo "fuzz: findings above; inputs in ${out#"$root"/}/crashes/" >&2
    exit 1
fi
echo "fuzz: no crashes"
