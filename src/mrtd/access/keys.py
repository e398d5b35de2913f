"""The secret that opens the chip: MRZ data (BAC and PACE) or the CAN (PACE).

Both are built from what the user has in hand: a parsed MRZ, or the three fields typed by hand
when the camera fails. Their repr never shows the values.

Each key keeps its secret in a bytearray that `wipe()` (or leaving a `with` block) zeroes;
a wiped key raises `AccessKeyError` when used. What Python cannot wipe: the strings the key was
built from (the MRZ, typed input), and the `bytes` that `password` and `key_seed` return.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from types import TracebackType
from typing import TYPE_CHECKING, Self

from mrtd.crypto import wipe
from mrtd.errors import AccessKeyError, MRZError
from mrtd.mrz.checkdigit import check_digit

if TYPE_CHECKING:
    from mrtd.mrz.model import MRZ

_MRZ_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")
MAX_DOCUMENT_NUMBER = 22  # TD1: 9 + the 13 overflow positions that leave room for the check


class _WipeableKey:
    """The secret in a bytearray, zeroed by `wipe()`; comparisons in constant time."""

    __slots__ = ("_secret",)

    _secret: bytearray

    def _value(self) -> bytearray:
        if not self._secret:
            raise AccessKeyError(f"this {type(self).__name__} was wiped")
        return self._secret

    def wipe(self) -> None:
        """Zero the secret; the key cannot be used afterwards."""
        wipe(self._secret)
        self._secret.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.wipe()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _WipeableKey) or type(other) is not type(self):
            return False
        return hmac.compare_digest(self._secret, other._secret)

    def __hash__(self) -> int:
        return hash((type(self).__name__, hashlib.sha256(self._secret).digest()))

    def __repr__(self) -> str:
        state = "<redacted>" if self._secret else "<wiped>"
        return f"{type(self).__name__}({state})"


class MRZKey(_WipeableKey):
    """Document number, date of birth and date of expiry: the BAC / PACE-MRZ password."""

    __slots__ = ()

    def __init__(
        self,
        document_number: str,
        birth_date: date | str,
        expiry_date: date | str,
        *,
        dates_as_printed: bool = False,
    ):
        number = "".join(document_number.split()).upper().rstrip("<")
        if not number:
            raise MRZError("document number is empty")
        if len(number) > MAX_DOCUMENT_NUMBER or not set(number) <= _MRZ_CHARS:
            raise MRZError("document number must be up to 22 characters A-Z, 0-9")
        birth = _date_field(birth_date, "date of birth", dates_as_printed)
        expiry = _date_field(expiry_date, "date of expiry", dates_as_printed)
        number = number.ljust(9, "<")
        self._secret = bytearray(
            (
                number
                + check_digit(number)
                + birth
                + check_digit(birth)
                + expiry
                + check_digit(expiry)
            ).encode("ascii")
        )

    @classmethod
    def from_mrz(cls, mrz: MRZ) -> MRZKey:
        """The key of a parsed MRZ (its full document number, even when it overflows), from
        the dates as printed: an unknown or impossible date is part of the key all the same."""
        return cls(
            mrz.document_number, mrz.birth_date_text, mrz.expiry_date_text, dates_as_printed=True
        )

    @property
    def mrz_information(self) -> str:
        """Number (at least 9 positions), dates, each with its check digit (9303-11 §9.7.1)."""
        return self._value().decode("ascii")

    @property
    def password(self) -> bytes:
        """SHA-1 of the MRZ information: the PACE password K for the MRZ (9303-11 §9.7.3)."""
        return hashlib.sha1(self._value()).digest()  # noqa: S324 - mandated by 9303-11

    @property
    def key_seed(self) -> bytes:
        """K_seed for BAC: the first 16 bytes of the password."""
        return self.password[:16]


class CANKey(_WipeableKey):
    """The Card Access Number printed on the document (PACE only)."""

    __slots__ = ()

    def __init__(self, can: str):
        value = "".join(can.split())
        if len(value) != 6 or not value.isascii() or not value.isdigit():
            raise AccessKeyError("CAN must be 6 digits")
        self._secret = bytearray(value.encode("ascii"))

    @property
    def password(self) -> bytes:
        return bytes(self._value())


AccessKey = MRZKey | CANKey


def _date_field(value: date | str, label: str, as_printed: bool) -> str:
    """YYMMDD from a date, 'YYMMDD' or 'YYYY-MM-DD' ('<' allowed for unknown parts). A typed
    YYMMDD must be a calendar date (a typo check); `as_printed` takes six MRZ digits as they
    are (an MRZ may print a date no calendar has, 9303-3 §4.6)."""
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
    if text.isdigit() and not as_printed:
        try:
            date(2000 + int(text[:2]), int(text[2:4]), int(text[4:]))
        except ValueError:
            raise MRZError(f"{label} is not a calendar date") from None
    return text
