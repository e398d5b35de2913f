"""Redacted display of personal data and keys, for logs, reprs and screens.

Every function takes the real value and returns a form that identifies its kind and shape but
not its content: enough to tell two documents apart at a glance on a screen, too little to
open the chip (the BAC / PACE key is the document number with both dates) or to identify the
holder. Only the explicit data APIs (`MRZ` attributes, `Document.files`, `--json`) give values.

    document_number("L898902C3")    'L8•••••••'
    name("ANNA MARIA")              'A••• M•••'
    date(date(1974, 8, 12))         '••••-••-••'
    mrz_lines(("P<UTOERIKSSON<<ANNA<<<", "L898902C36UTO7408122F1204159<<<<"))
                                    ('P<UTO•••••••••••••••••', '••••••••••••••••••••••••••••••••')
    key(b"...16 bytes...")          '<redacted 16-byte key>'
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date as _date

MASK = "•"
SHOWN_NUMBER_CHARACTERS = 2
MRZ_PUBLIC_PREFIX = 5  # document code (2) and issuing state (3): the same on every such document

__all__ = ["MASK", "date", "document_number", "key", "mrz_lines", "name", "text"]


def document_number(value: str) -> str:
    """The first two characters, then one mask per hidden character (at least three)."""
    value = value.strip().rstrip("<")
    if not value:
        return ""
    shown = value[:SHOWN_NUMBER_CHARACTERS] if len(value) > SHOWN_NUMBER_CHARACTERS + 2 else ""
    return shown + MASK * max(3, len(value) - len(shown))


def name(value: str) -> str:
    """Each name's initial and three masks, whatever its length: 'A••• M•••'."""
    return " ".join(part[0] + MASK * 3 for part in value.replace("<", " ").split())


def date(value: _date | str | None) -> str:
    """Every digit masked: '••••-••-••' for a date or 'YYYY-MM-DD', '••••••' for 'YYMMDD'."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, _date) else value.strip()
    return "".join(MASK if c.isalnum() else c for c in text)


def mrz_lines(lines: Iterable[str]) -> tuple[str, ...]:
    """The first line keeps its document code and issuing state; everything else is masked,
    line lengths kept (they give the format, which `MRZ.format` says anyway)."""
    out = []
    for number, line in enumerate(lines):
        keep = MRZ_PUBLIC_PREFIX if number == 0 else 0
        out.append(line[:keep] + MASK * max(0, len(line) - keep))
    return tuple(out)


def key(value: bytes | bytearray | memoryview | None, kind: str = "key") -> str:
    """'<redacted 16-byte key>': the size of key material, never its bytes."""
    if value is None:
        return f"<no {kind}>"
    return f"<redacted {len(value)}-byte {kind}>"


def text(value: str) -> str:
    """Any other personal text (place of birth, address): its length only."""
    return f"<redacted {len(value)} characters>" if value else ""
