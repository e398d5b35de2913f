"""Shared pieces of DG11 and DG12: text and date fields (ICAO 9303-10 §4.7.11, §4.7.12).

Dates are YYYYMMDD as 8 ASCII digits; some issuers store them as 4 BCD bytes instead (a known
real-world quirk, accepted). Text is UTF-8; older issuers used ISO/IEC 8859-1, accepted when the
bytes are not UTF-8.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from mrtd import tlv
from mrtd.errors import DecodeError

TAG_LIST = 0x5C


def text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def lines(value: bytes) -> tuple[str, ...]:
    """A field whose parts are separated by '<' (place of birth, address)."""
    return tuple(part for part in text(value).split("<") if part)


def date_text(value: bytes, field: str) -> str:
    """YYYYMMDD as text, from 8 ASCII digits or 4 BCD bytes."""
    if len(value) == 8 and value.isdigit():
        return value.decode("ascii")
    bcd = all(b >> 4 < 10 and b & 0x0F < 10 for b in value)
    if len(value) == 4 and bcd and value[0] in (0x19, 0x20):  # 4 ASCII digits are BCD too
        return value.hex()
    raise DecodeError(f"{field} is neither YYYYMMDD nor 4 BCD bytes")


def to_date(yyyymmdd: str) -> date | None:
    """The date, or None when the issuer marked parts unknown (e.g. day 00)."""
    try:
        return date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None


def encode_fields(tag: int, fields: Iterable[tuple[int, bytes]]) -> bytes:
    """The file: tag list first, then each present field, in the order given."""
    present = [(t, v) for t, v in fields if v]
    tag_list = b"".join(tlv.encode_tag(t) for t, _ in present)
    body = tlv.encode(TAG_LIST, tag_list) + b"".join(tlv.encode(t, v) for t, v in present)
    return tlv.encode(tag, body)


def join_lines(parts: Iterable[str]) -> bytes:
    return "<".join(parts).encode("utf-8")


def date_bytes(value: date | None) -> bytes:
    return value.strftime("%Y%m%d").encode("ascii") if value is not None else b""
