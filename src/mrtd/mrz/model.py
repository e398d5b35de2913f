"""The parsed MRZ. Its repr is redacted: it carries personal data."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from mrtd import redact
from mrtd.mrz.layout import MRZFormat


class Check(enum.StrEnum):
    """The result of one check digit: "ok" or "failed" (`MRZ.checks`)."""

    OK = "ok"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Repair:
    """One character changed by `repair` (1-based line and column, as printed)."""

    line: int
    column: int
    was: str
    now: str
    reason: str  # "grammar" (the position cannot hold `was`) or "check digit"

    def __str__(self) -> str:
        where = f"line {self.line} column {self.column}"
        return f"{where}: {self.was!r} -> {self.now!r} ({self.reason})"


@dataclass(frozen=True, slots=True, repr=False)
class MRZ:
    """A machine readable zone, parsed and validated.

    Text fields have fillers removed (`surname` "VAN DER BERG", `document_code` "P").
    `birth_date` / `expiry_date` are None only when the MRZ marks them unknown with fillers;
    the printed six characters stay in `birth_date_text` / `expiry_date_text` because they, not
    the dates, form the access key.
    """

    format: MRZFormat
    lines: tuple[str, ...]
    document_code: str
    issuing_state: str
    surname: str
    given_names: str
    name_truncated: bool
    document_number: str
    nationality: str
    birth_date: date | None
    birth_date_text: str
    sex: str
    expiry_date: date | None
    expiry_date_text: str
    optional_data: str
    optional_data_2: str
    checks: Mapping[str, Check] = field(hash=False)
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    repairs: tuple[Repair, ...] = ()

    @property
    def valid(self) -> bool:
        """Every check digit matches and every field is well formed."""
        return not self.errors

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def __repr__(self) -> str:
        """Format, document code, issuing state and validity; every personal value redacted
        (`mrtd.redact`). The attributes, `text` and `to_dict()` give the values."""
        state = "valid" if self.valid else "invalid"
        return (
            f"MRZ({self.format.value} {self.document_code or '?'} "
            f"{self.issuing_state or '?'}, {state}, "
            f"number {redact.document_number(self.document_number) or '?'}, "
            f"name {redact.name(self.surname) or '?'}, {redact.name(self.given_names) or '?'}, "
            f"born {redact.date(self.birth_date or self.birth_date_text)}, "
            f"expires {redact.date(self.expiry_date or self.expiry_date_text)})"
        )

    __str__ = __repr__

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of `mrtd mrz --json` (dates as ISO strings)."""
        return {
            "format": self.format.value,
            "document_code": self.document_code,
            "issuing_state": self.issuing_state,
            "surname": self.surname,
            "given_names": self.given_names,
            "name_truncated": self.name_truncated,
            "document_number": self.document_number,
            "nationality": self.nationality,
            "birth_date": _iso(self.birth_date),
            "sex": self.sex,
            "expiry_date": _iso(self.expiry_date),
            "optional_data": self.optional_data,
            "optional_data_2": self.optional_data_2,
            "valid": self.valid,
            "checks": {name: str(result) for name, result in self.checks.items()},
            "warnings": list(self.warnings),
            "errors": list(self.errors),
            "repairs": [
                {"line": r.line, "column": r.column, "was": r.was, "now": r.now, "reason": r.reason}
                for r in self.repairs
            ],
        }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None
