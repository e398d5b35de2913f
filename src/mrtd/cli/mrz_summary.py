"""A readable MRZ summary for a terminal, shown only when the caller asked to see the data."""

from __future__ import annotations

from typing import TextIO

from mrtd.mrz.model import MRZ


def print_mrz(mrz: MRZ, out: TextIO) -> None:
    """A readable summary of an MRZ for a terminal (the caller asked to see the data)."""
    rows = [
        ("format", mrz.format.value),
        ("document code", mrz.document_code),
        ("issuing state", mrz.issuing_state),
        ("surname", mrz.surname + (" (may be truncated)" if mrz.name_truncated else "")),
        ("given names", mrz.given_names),
        ("document number", mrz.document_number),
        ("nationality", mrz.nationality),
        ("date of birth", str(mrz.birth_date or mrz.birth_date_text)),
        ("sex", mrz.sex),
        ("date of expiry", str(mrz.expiry_date or mrz.expiry_date_text)),
        ("optional data", mrz.optional_data),
    ]
    if mrz.optional_data_2:
        rows.append(("optional data 2", mrz.optional_data_2))
    rows.append(("checks", ", ".join(f"{k} {v}" for k, v in mrz.checks.items())))
    rows.append(("valid", "yes" if mrz.valid else "no"))
    for label, value in rows:
        print(f"  {label:<16} {value}", file=out)
    for warning in mrz.warnings:
        print(f"  warning: {warning}", file=out)
    for repair in mrz.repairs:
        print(f"  repaired: {repair}", file=out)
