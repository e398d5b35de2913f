"""The secret that opens the chip: MRZ data (BAC and PACE) or the CAN (PACE).

Both are built from what the user has in hand: a parsed MRZ, or the three fields typed by hand
when the camera fails. Their repr never shows the values.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import TYPE_CHECKING

from mrtd.errors import AccessKeyError, MRZError
from mrtd.mrz.checkdigit import check_digit

if TYPE_CHECKING:
    from mrtd.mrz.model import MRZ

_MRZ_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")
MAX_DOCUMENT_NUMBER = 22  # TD1: 9 + the 13 overflow positions that leave room for the check


class MRZKey:
    """Document number, date of birth and date of expiry: the BAC / PACE-MRZ password."""

    __slots__ = ("_birth", "_expiry", "_number")

    def __init__(self, document_number: str, birth_date: date | str, expiry_date: date | str):
        number = "".join(document_number.split()).upper().rstrip("<")
        if not number:
            raise MRZError("document number is empty")
        if len(number) > MAX_DOCUMENT_NUMBER or not set(number) <= _MRZ_CHARS:
            raise MRZError("document number must be up to 22 characters A-Z, 0-9")
        self._number = number
        self._birth = _date_field(birth_date, "date of birth")
        self._expiry = _date_field(expiry_date, "date of expiry")

    @classmethod
    def from_mrz(cls, mrz: MRZ) -> MRZKey:
        """The key of a parsed MRZ (its full document number, even when it overflows)."""
        return cls(mrz.document_number, mrz.birth_date_text, mrz.expiry_date_text)

    @property
    def mrz_information(self) -> str:
        """Number (at least 9 positions), dates, each with its check digit (9303-11 §9.7.1)."""
        number = self._number.ljust(9, "<")
        return (
            number
            + check_digit(number)
            + self._birth
            + check_digit(self._birth)
            + self._expiry
            + check_digit(self._expiry)
        )

    @property
    def password(self) -> bytes:
        """SHA-1 of the MRZ information: the PACE password K for the MRZ (9303-11 §9.7.3)."""
        mrz_information = self.mrz_information.encode("ascii")
        return hashlib.sha1(mrz_information).digest()  # noqa: S324 - mandated by 9303-11

    @property
    def key_seed(self) -> bytes:
        """K_seed for BAC: the first 16 bytes of the password."""
        return self.password[:16]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MRZKey) and self.mrz_information == other.mrz_information

    def __hash__(self) -> int:
        return hash(self.mrz_information)

    def __repr__(self) -> str:
        return "MRZKey(<redacted>)"


class CANKey:
    """The Card Access Number printed on the document (PACE only)."""

    __slots__ = ("_can",)

    def __init__(self, can: str):
        value = "".join(can.split())
        if len(value) != 6 or not value.isascii() or not value.isdigit():
            raise AccessKeyError("CAN must be 6 digits")
        self._can = value

    @property
    def password(self) -> bytes:
        return self._can.encode("ascii")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CANKey) and self._can == other._can

    def __hash__(self) -> int:
        return hash(self._can)

    def __repr__(self) -> str:
        return "CANKey(<redacted>)"


AccessKey = MRZKey | CANKey


def _date_field(value: date | str, label: str) -> str:
    """YYMMDD from a date, 'YYMMDD' or 'YYYY-MM-DD' ('<' allowed for unknown parts)."""
    if isinstance(value, date):
        return value.strftime("%y%m%d")
    text = value.strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return date.fromisoformat(text).strftime("%y%m%d")
        except ValueError:
            raise MRZError(f"{label} is not a calendar date") from None
    if len(text) != 6 or not all(c in "0123456789<" for c in text):
        raise MRZError(f"{label} must be YYMMDD or YYYY-MM-DD")
    if text.isdigit():
        try:
            date(2000 + int(text[:2]), int(text[2:4]), int(text[4:]))
        except ValueError:
            raise MRZError(f"{label} is not a calendar date") from None
    return text
