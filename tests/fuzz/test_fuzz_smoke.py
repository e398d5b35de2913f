"""Every fuzz harness over its seed corpus and a few thousand mutations of it, without
libFuzzer: the same rule (only MRTDError, no broken invariant) on the same inputs every run, so
`make test` catches a regression the fuzzers would find. scripts/fuzz.sh does the real,
coverage-guided fuzzing.
"""

from __future__ import annotations

import importlib.util
import os
import random
import subprocess
import sys
import time

import pytest

from mrtd.crypto import ec
from mrtd.crypto import native as native_sm
from tests.fuzz import harnesses

# Mutated inputs per harness: OCR reads a whole image per input, the EC twins run a Python
# ladder; the rest are cheap.
MUTATIONS = {"mrz_image": 16, "ec_points": 600, "sod": 1000, "trust_store": 1000}
DEFAULT_MUTATIONS = 2500
INTERESTING = (0x00, 0x01, 0x7F, 0x80, 0x81, 0x82, 0x83, 0x84, 0xFF)


def mutate(rng: random.Random, data: bytes, others: tuple[bytes, ...]) -> bytes:
    """One to four byte-level edits, as libFuzzer's mutators make: flips, interesting bytes,
    small length changes, inserted, erased, duplicated and spliced runs."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        size = len(out)
        at = rng.randrange(size) if size else 0
        kind = rng.randrange(8)
        if kind == 0 and size:
            out[at] ^= 1 << rng.randrange(8)
        elif kind == 1 and size:
            out[at] = rng.choice(INTERESTING)
        elif kind == 2 and size:
            out[at] = (out[at] + rng.choice((-2, -1, 1, 2))) % 256
        elif kind == 3:
            out[at:at] = rng.randbytes(rng.randint(1, 8))
        elif kind == 4 and size > 1:
            del out[at : at + rng.randint(1, min(32, size - at))]
        elif kind == 5 and size:
            chunk = out[at : at + rng.randint(1, 16)]
            out[rng.randrange(size) : 0] = chunk
        elif kind == 6 and others:
            other = rng.choice(others)
            start = rng.randrange(len(other)) if other else 0
            out[at:] = other[start : start + rng.randint(1, 64)]
        elif size:
            del out[rng.randrange(size) :]
    return bytes(out)


@pytest.mark.parametrize("name", harnesses.NAMES)
def test_harness_accepts_its_corpus_and_mutations(name: str) -> None:
    run = harnesses.test_one_input(name)
    corpus = harnesses.seeds(name)
    assert corpus, f"{name} has no seeds"
    rng = random.Random(f"mrtd-fuzz-smoke-{name}")
    inputs = list(corpus)
    inputs += [
        mutate(rng, rng.choice(corpus), corpus)
        for _ in range(MUTATIONS.get(name, DEFAULT_MUTATIONS))
    ]
    for number, data in enumerate(inputs):
        try:
            run(data)
        except Exception as exc:
            pytest.fail(
                f"fuzz/{name}.py input {number} ({len(data)} bytes) raised "
                f"{type(exc).__name__}: {exc}\ninput: {data[:256].hex()}",
                pytrace=True,
            )


def test_twins_are_compared() -> None:
    """sm_unwrap and ec_points compare the C core with its twin; without the core they
    compare the twin with itself."""
    if native_sm is not None and ec.native is not None:
        return
    if os.environ.get("MRTD_REQUIRE_NATIVE") == "1":
        pytest.fail("the C core is not built (MRTD_REQUIRE_NATIVE=1)", pytrace=False)
    pytest.skip("the C core is not built: the fuzz harnesses compare the twin with itself")


def test_harness_runs_under_libfuzzer() -> None:
    """The libFuzzer entry point works (one harness, a short random run)."""
    if importlib.util.find_spec("atheris") is None:
        if os.environ.get("MRTD_REQUIRE_NATIVE") == "1":
            pytest.fail("atheris is not installed (MRTD_REQUIRE_NATIVE=1)", pytrace=False)
        pytest.skip("atheris is not installed")
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(harnesses.FUZZ_DIR / "tlv.py"), "-runs=300", "-seed=1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Done 300 runs" in result.stderr
    assert time.perf_counter() - started < 60
