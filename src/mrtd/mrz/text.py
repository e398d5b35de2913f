"""Turn caller input into MRZ lines, refusing anything that cannot be an MRZ early and cheaply."""

from __future__ import annotations

import re
from collections.abc import Iterable

from mrtd.errors import MRZError
from mrtd.mrz.layout import is_french_national_id

MAX_INPUT = 400  # characters incl. whitespace; an MRZ has at most 90
_LEGAL = re.compile(r"[A-Z0-9<]*")
_SINGLE_LINE_SHAPES = {90: 30, 72: 36, 88: 44}

MRZInput = str | bytes | Iterable[str]


def split_lines(value: MRZInput) -> tuple[str, ...]:
    """Lines of an MRZ from a string (newline separated or all in one) or an iterable of lines.

    Whitespace around lines is dropped; inside a line nothing is changed or guessed.
    """
    if isinstance(value, bytes | bytearray):
        if len(value) > MAX_INPUT:
            raise MRZError(f"input too long ({len(value)} bytes; an MRZ has at most 90 characters)")
        try:
            value = bytes(value).decode("ascii")
        except UnicodeDecodeError:
            raise MRZError("MRZ contains non-ASCII bytes") from None
    if isinstance(value, str):
        if len(value) > MAX_INPUT:
            raise MRZError(
                f"input too long ({len(value)} characters; an MRZ has at most 90 characters)"
            )
        raw = value.splitlines()
    elif isinstance(value, Iterable):
        raw = []
        total = 0
        for item in value:
            if not isinstance(item, str):
                raise MRZError(f"MRZ lines must be str, not {type(item).__name__}")
            total += len(item)
            if total > MAX_INPUT or len(raw) > 8:
                raise MRZError("input too long (an MRZ has at most 3 lines of 44 characters)")
            raw.extend(item.splitlines() or [""])
    else:
        raise MRZError(f"MRZ must be text or lines, not {type(value).__name__}")

    lines = tuple(line.strip() for line in raw if line.strip())
    if not lines:
        raise MRZError("MRZ is empty")
    if len(lines) == 1 and len(lines[0]) in _SINGLE_LINE_SHAPES:
        width = _SINGLE_LINE_SHAPES[len(lines[0])]
        lines = tuple(lines[0][i : i + width] for i in range(0, len(lines[0]), width))
    return lines


def check_characters(lines: tuple[str, ...]) -> None:
    """Raise for any character outside A-Z, 0-9 and '<' (naming where, not what was there)."""
    for number, line in enumerate(lines, 1):
        if _LEGAL.fullmatch(line) is None:
            column = next(i for i, c in enumerate(line, 1) if not _LEGAL.fullmatch(c))
            bad = line[column - 1]
            hint = " (lower case; MRZs are upper case)" if bad.islower() else ""
            raise MRZError(
                f"line {number} column {column}: character not allowed in an MRZ{hint}; "
                "only A-Z, 0-9 and '<' are"
            )


def describe_shape(lines: tuple[str, ...]) -> str:
    if is_french_national_id(lines):
        return (
            "this is a French national ID card of the 1988-2021 model, whose 2 x 36 zone does "
            "not follow ICAO 9303; it is not supported"
        )
    lengths = ", ".join(str(len(line)) for line in lines)
    return (
        f"got {len(lines)} line(s) of {lengths} characters; an MRZ is 2 lines of 44 (TD3, MRV-A) "
        "or 36 (TD2, MRV-B), or 3 lines of 30 (TD1)"
    )
