"""Shared test helpers: the ICAO vectors, a fixed 'today' so date rules are reproducible, and
the one-line notice of the tests that need the shared data (tests/shared_data.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.shared_data import (
    ENV,
    MARKER,
    REQUIRE_ENV,
    SKIP_REASON,
    shared_data_dir,
    shared_data_path,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
TODAY = date(2026, 11, 21)


def load_vectors() -> dict[str, dict[str, Any]]:
    data = json.loads((FIXTURES / "vectors" / "icao9303.json").read_text())
    return {v["id"]: v["values"] for v in data["vectors"]}


VECTORS = load_vectors()


def with_char(lines: list[str], line: int, column: int, char: str) -> list[str]:
    """A copy of `lines` with one character replaced (0-based line and column)."""
    out = list(lines)
    out[line] = out[line][:column] + char + out[line][column + 1 :]
    return out


# -- the shared data (tests/shared_data.py): one notice for the tests that could not run ---------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(path): a parameter standing for an absent shared data folder"
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    marker = item.get_closest_marker(MARKER)
    if marker is not None:
        shared_data_path(str(marker.args[0]))  # absolute: skips, or fails if it is required


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> Iterator[None]:
    """After the short test summary: one line for the tests the shared data would have run."""
    yield
    counts = {
        outcome: sum(
            SKIP_REASON in _report_text(r) for r in terminalreporter.stats.get(outcome, [])
        )
        for outcome in ("skipped", "failed", "error")
    }
    skipped = counts["skipped"]
    failed = counts["failed"] + counts["error"]
    if not skipped and not failed:
        return None
    where = shared_data_dir()
    state = "is absent" if not where.is_dir() else "lacks some files"
    what = f"{skipped} tests skipped" if skipped else f"{failed} tests failed"
    how = f"set {ENV}" if not failed else f"{REQUIRE_ENV}=1"
    terminalreporter.write_line(f"shared data: {what}, {where} {state} ({how})", yellow=True)
    return None


def _report_text(report: object) -> str:
    longrepr = getattr(report, "longrepr", None)
    if isinstance(longrepr, tuple):  # a skip: (path, line, reason)
        return str(longrepr[2])
    return str(longrepr or "")
