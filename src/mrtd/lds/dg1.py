"""DG1: the MRZ as stored on the chip (9303-10 §4.7.1): tag 61 holding 5F1F.

5F1F carries the MRZ lines concatenated without separators: 90 (TD1), 72 (TD2, MRV-B) or
88 (TD3, MRV-A) characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from mrtd import tlv
from mrtd.errors import DecodeError, MRZError
from mrtd.mrz import MRZ, parse_mrz

__all__ = ["DG1File", "build_dg1"]

TAG = 0x61
TAG_MRZ = 0x5F1F
LINE_WIDTHS = {90: 30, 72: 36, 88: 44}  # total characters -> characters per line


@dataclass(frozen=True, slots=True, repr=False)
class DG1File:
    """A parsed DG1. `mrz.valid` says whether its check digits hold; parsing does not raise
    for a failed check, so that the caller can report it (the SOD decides authenticity)."""

    mrz: MRZ

    @classmethod
    def from_bytes(cls, data: bytes, *, today: date | None = None) -> DG1File:
        """Parse DG1; `today` fixes the century window of the birth date (see `parse_mrz`)."""
        dg1 = tlv.decode_one(data)
        if dg1.tag != TAG:
            raise DecodeError(f"DG1 must have tag 61, not {dg1.tag:X}")
        raw = dg1.require(TAG_MRZ).value
        width = LINE_WIDTHS.get(len(raw))
        if width is None:
            raise DecodeError(f"DG1 MRZ has {len(raw)} characters; expected 90, 72 or 88")
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            raise DecodeError("DG1 MRZ contains non-ASCII bytes") from None
        lines = [text[i : i + width] for i in range(0, len(text), width)]
        try:
            mrz = parse_mrz(lines, strict=False, today=today)
        except MRZError as exc:  # its messages name positions, never values
            raise DecodeError(f"DG1 MRZ is malformed: {exc}") from exc
        return cls(mrz)

    def __repr__(self) -> str:
        return f"DG1File({self.mrz!r})"


def build_dg1(mrz_text: str) -> bytes:
    """DG1 for an MRZ given as lines (newline separated) or already concatenated.

    Check digits are not verified, so a simulated chip can carry a deliberately broken MRZ.
    """
    joined = "".join(mrz_text.split())
    if len(joined) not in LINE_WIDTHS:
        raise ValueError(f"an MRZ has 90, 72 or 88 characters, not {len(joined)}")
    if not joined.isascii() or not all(c.isdigit() or c.isupper() or c == "<" for c in joined):
        raise ValueError("an MRZ holds only A-Z, 0-9 and '<'")
    return tlv.encode(TAG, tlv.encode(TAG_MRZ, joined.encode("ascii")))
