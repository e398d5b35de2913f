"""The machine readable zone: parse, validate, generate and repair (ICAO 9303 Parts 3-7)."""

from __future__ import annotations

from mrtd.mrz.checkdigit import check_digit
from mrtd.mrz.generator import generate_mrz
from mrtd.mrz.layout import MRZFormat
from mrtd.mrz.model import MRZ, Check, Repair
from mrtd.mrz.parser import parse_mrz
from mrtd.mrz.repair import RepairResult, RepairStatus, repair_mrz

__all__ = [
    "MRZ",
    "Check",
    "MRZFormat",
    "Repair",
    "RepairResult",
    "RepairStatus",
    "check_digit",
    "generate_mrz",
    "parse_mrz",
    "repair_mrz",
]
