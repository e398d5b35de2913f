"""ICAO 9303-3 §4.9 check digits: weights 7-3-1, '<' = 0, A..Z = 10..35."""

from __future__ import annotations

from operator import mul
from string import ascii_uppercase, digits

from mrtd.errors import MRZError

VALUES: dict[str, int] = {c: i for i, c in enumerate(digits + ascii_uppercase)} | {"<": 0}
_WEIGHTS = (7, 3, 1) * 32  # longer than any checked span (TD3 composite: 39 characters)
_value = VALUES.__getitem__


def check_digit(text: str) -> str:
    """Return the check digit ('0'..'9') of `text`."""
    if len(text) > len(_WEIGHTS):
        raise MRZError(f"check digit span too long ({len(text)} characters)")
    try:
        return str(sum(map(mul, map(_value, text), _WEIGHTS)) % 10)
    except KeyError:
        raise MRZError("character not allowed in an MRZ field") from None
