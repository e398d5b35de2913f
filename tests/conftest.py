"""Shared test helpers: the ICAO vectors and a fixed 'today' so date rules are reproducible."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
TODAY = date(2026, 11, 21)


def load_vectors() -> dict[str, dict[str, Any]]:
    data = json.loads((FIXTURES / "vectors" / "icao9303.json").read_text())
    return {v["id"]: v["values"] for v in data["vectors"]}


VECTORS = load_vectors()


@pytest.fixture
def vectors() -> dict[str, dict[str, Any]]:
    return VECTORS
