"""Shared test helpers: the ICAO vectors and a fixed 'today' so date rules are reproducible."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

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
