"""Where each field and check digit sits, per format (ICAO 9303-4 §4.2, -5 §4.2, -6 §4.2, -7 §4).

This table is the single source of positions for the parser, the generator and repair.
Spans are (line, start, end) with 0-based, end-exclusive columns.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class MRZFormat(enum.Enum):
    """The five machine readable zones of ICAO 9303."""

    TD1 = "TD1"  # ID card, 3 x 30
    TD2 = "TD2"  # ID card / official travel document, 2 x 36
    TD3 = "TD3"  # passport, 2 x 44
    MRVA = "MRV-A"  # visa, 2 x 44
    MRVB = "MRV-B"  # visa, 2 x 36


class Chars(enum.Enum):
    """The grammar of a position: what characters it may hold."""

    ALPHA = "A"  # letters or filler
    DIGIT = "9"  # digits (dates; a check digit may also be '<', see the parser)
    ALNUM = "X"  # letters, digits or filler
    SEX = "S"  # F, M, X or '<'
    CODE = "C"  # document code: a letter, then the issuer's choice (9303-5 note: "C1" exists)


Span = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    span: Span
    chars: Chars

    @property
    def width(self) -> int:
        return self.span[2] - self.span[1]


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """A check digit at `at` over the concatenation of `covers`."""

    name: str
    covers: tuple[Span, ...]
    at: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Layout:
    format: MRZFormat
    line_count: int
    width: int
    fields: dict[str, Field]
    checks: tuple[CheckSpec, ...]
    long_document_number: bool  # TD1/TD2: overflow into the optional data (9303-5 §4.2.4)


def _fields(*items: tuple[str, Span, Chars]) -> dict[str, Field]:
    return {name: Field(name, span, chars) for name, span, chars in items}


A, D, X, S, C = Chars.ALPHA, Chars.DIGIT, Chars.ALNUM, Chars.SEX, Chars.CODE


def _two_line(fmt: MRZFormat, width: int) -> Layout:
    """TD2, TD3, MRV-A and MRV-B share one shape; they differ in width and the last columns."""
    visa = fmt in (MRZFormat.MRVA, MRZFormat.MRVB)
    td3 = fmt is MRZFormat.TD3
    if visa:
        optional_end = width
    elif td3:
        optional_end = 42
    else:
        optional_end = width - 1
    items: list[tuple[str, Span, Chars]] = [
        ("document_code", (0, 0, 2), C),
        ("issuing_state", (0, 2, 5), A),
        ("name", (0, 5, width), A),
        ("document_number", (1, 0, 9), X),
        ("document_number_check", (1, 9, 10), D),
        ("nationality", (1, 10, 13), A),
        ("birth_date", (1, 13, 19), D),
        ("birth_date_check", (1, 19, 20), D),
        ("sex", (1, 20, 21), S),
        ("expiry_date", (1, 21, 27), D),
        ("expiry_date_check", (1, 27, 28), D),
        ("optional_data", (1, 28, optional_end), X),
    ]
    checks = [
        CheckSpec("document_number", ((1, 0, 9),), (1, 9)),
        CheckSpec("birth_date", ((1, 13, 19),), (1, 19)),
        CheckSpec("expiry_date", ((1, 21, 27),), (1, 27)),
    ]
    if td3:
        items.append(("optional_data_check", (1, 42, 43), D))
        checks.append(CheckSpec("optional_data", ((1, 28, 42),), (1, 42)))
    if not visa:
        items.append(("composite_check", (1, width - 1, width), D))
        checks.append(
            CheckSpec(
                "composite",
                ((1, 0, 10), (1, 13, 20), (1, 21, width - 1)),
                (1, width - 1),
            )
        )
    return Layout(fmt, 2, width, _fields(*items), tuple(checks), fmt is MRZFormat.TD2)


def _td1() -> Layout:
    items: list[tuple[str, Span, Chars]] = [
        ("document_code", (0, 0, 2), C),
        ("issuing_state", (0, 2, 5), A),
        ("document_number", (0, 5, 14), X),
        ("document_number_check", (0, 14, 15), D),
        ("optional_data", (0, 15, 30), X),
        ("birth_date", (1, 0, 6), D),
        ("birth_date_check", (1, 6, 7), D),
        ("sex", (1, 7, 8), S),
        ("expiry_date", (1, 8, 14), D),
        ("expiry_date_check", (1, 14, 15), D),
        ("nationality", (1, 15, 18), A),
        ("optional_data_2", (1, 18, 29), X),
        ("composite_check", (1, 29, 30), D),
        ("name", (2, 0, 30), A),
    ]
    checks = (
        CheckSpec("document_number", ((0, 5, 14),), (0, 14)),
        CheckSpec("birth_date", ((1, 0, 6),), (1, 6)),
        CheckSpec("expiry_date", ((1, 8, 14),), (1, 14)),
        CheckSpec("composite", ((0, 5, 30), (1, 0, 7), (1, 8, 15), (1, 18, 29)), (1, 29)),
    )
    return Layout(MRZFormat.TD1, 3, 30, _fields(*items), checks, True)


LAYOUTS: dict[MRZFormat, Layout] = {
    MRZFormat.TD1: _td1(),
    MRZFormat.TD2: _two_line(MRZFormat.TD2, 36),
    MRZFormat.TD3: _two_line(MRZFormat.TD3, 44),
    MRZFormat.MRVA: _two_line(MRZFormat.MRVA, 44),
    MRZFormat.MRVB: _two_line(MRZFormat.MRVB, 36),
}

# Shapes: (line count, width) -> (format for other documents, format for visas 'V').
SHAPES: dict[tuple[int, int], tuple[MRZFormat, MRZFormat | None]] = {
    (3, 30): (MRZFormat.TD1, None),
    (2, 36): (MRZFormat.TD2, MRZFormat.MRVB),
    (2, 44): (MRZFormat.TD3, MRZFormat.MRVA),
}

# The first letter of the document code each format expects (9303-4/-5/-6/-7).
EXPECTED_CODES: dict[MRZFormat, str] = {
    MRZFormat.TD1: "ACI",
    MRZFormat.TD2: "ACI",
    MRZFormat.TD3: "P",
    MRZFormat.MRVA: "V",
    MRZFormat.MRVB: "V",
}


def layout_for(lines: tuple[str, ...]) -> Layout | None:
    """The layout these lines' shape and document code select, or None for no MRZ shape."""
    if not lines or is_french_national_id(lines):
        return None
    shape = SHAPES.get((len(lines), len(lines[0])))
    if shape is None or any(len(line) != len(lines[0]) for line in lines):
        return None
    general, visa = shape
    fmt = visa if visa is not None and lines[0][:1] == "V" else general
    return LAYOUTS[fmt]


def is_french_national_id(lines: tuple[str, ...]) -> bool:
    """The French ID card of 1988-2021: 2 x 36 like TD2, but not ICAO 9303's layout."""
    return len(lines) == 2 and len(lines[0]) == 36 and lines[0].startswith("IDFRA")


def position_chars(layout: Layout) -> list[list[Chars]]:
    """The grammar of every position, line by line (used by repair)."""
    grid = [[Chars.ALNUM] * layout.width for _ in range(layout.line_count)]
    for f in layout.fields.values():
        line, start, end = f.span
        for col in range(start, end):
            grid[line][col] = f.chars
        if f.chars is Chars.CODE:
            grid[line][start : start + 2] = [Chars.ALPHA, Chars.ALNUM]
    return grid
