"""The fuzz harnesses (fuzz/<name>.py) as the tests import them: uninstrumented, no atheris."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType

FUZZ_DIR = Path(__file__).resolve().parents[2] / "fuzz"
if str(FUZZ_DIR) not in sys.path:  # the harnesses import their shared module as `harness`
    sys.path.append(str(FUZZ_DIR))

NAMES = tuple(
    sorted(p.stem for p in FUZZ_DIR.glob("*.py") if p.stem not in ("harness", "seed_corpora"))
)


@cache
def module(name: str) -> ModuleType:
    return importlib.import_module(name)


def test_one_input(name: str) -> Callable[[bytes], None]:
    function: Callable[[bytes], None] = module(name).test_one_input
    return function


@cache
def seeds(name: str) -> tuple[bytes, ...]:
    """The harness's seed corpus, as fuzz/seed_corpora.py writes it."""
    return tuple(module("seed_corpora").SEEDS[name]())
