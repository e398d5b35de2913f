"""DER primitives (ITU-T X.690 §8.3, §8.19): the universal tags, OBJECT IDENTIFIERs and
non-negative INTEGERs, and reading the fields of a SEQUENCE with limits.

SecurityInfos, PACE's messages, Chip Authentication, SubjectPublicKeyInfo and the simulated
chip all build or read these; `mrtd.tlv` does the tag-length-value layer underneath.
"""

from __future__ import annotations

import re

from mrtd import tlv
from mrtd.errors import DecodeError

__all__ = [
    "BIT_STRING",
    "INTEGER",
    "MAX_OID_BYTES",
    "NULL",
    "OCTET_STRING",
    "OID",
    "SEQUENCE",
    "SET",
    "decode_integer",
    "decode_oid",
    "der",
    "encode_integer",
    "encode_oid",
    "read_integer",
    "read_oid",
    "read_primitive",
    "read_sequence",
]

INTEGER = 0x02
BIT_STRING = 0x03
OCTET_STRING = 0x04
NULL = 0x05
OID = 0x06
SEQUENCE = 0x30
SET = 0x31
_TYPE_NAMES = {
    INTEGER: "an INTEGER",
    BIT_STRING: "a BIT STRING",
    OCTET_STRING: "an OCTET STRING",
    NULL: "NULL",
    OID: "an OBJECT IDENTIFIER",
    SEQUENCE: "a SEQUENCE",
    SET: "a SET",
}
MAX_OID_BYTES = 64  # far above any real OID (the longest here has 11 bytes)
_DOTTED = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+")


def decode_oid(value: bytes) -> str:
    """The dotted form of an OBJECT IDENTIFIER's content octets; DecodeError if malformed."""
    if not value:
        raise DecodeError("empty OBJECT IDENTIFIER")
    if len(value) > MAX_OID_BYTES:
        raise DecodeError(f"OBJECT IDENTIFIER longer than {MAX_OID_BYTES} bytes")
    if value[-1] & 0x80:
        raise DecodeError("OBJECT IDENTIFIER ends inside a subidentifier")
    arcs: list[int] = []
    number = 0
    starts = True
    for byte in value:
        if starts and byte == 0x80:
            raise DecodeError("OBJECT IDENTIFIER subidentifier with a leading 0x80 byte")
        number = number << 7 | byte & 0x7F
        starts = not byte & 0x80
        if starts:
            arcs.append(number)
            number = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(map(str, (first, arcs[0] - 40 * first, *arcs[1:])))


def encode_oid(dotted: str) -> bytes:
    """The content octets of an OBJECT IDENTIFIER; ValueError if `dotted` is not one."""
    if not _DOTTED.fullmatch(dotted):
        raise ValueError(f"{dotted!r} is not a dotted OBJECT IDENTIFIER")
    first, second, *rest = (int(arc) for arc in dotted.split("."))
    if first > 2 or (first < 2 and second >= 40):
        raise ValueError(f"{dotted!r} has an impossible first or second arc")
    out = bytearray()
    for arc in (40 * first + second, *rest):
        groups = max(1, (arc.bit_length() + 6) // 7)  # base 128, high bit on all but the last
        out += bytes((arc >> 7 * i) & 0x7F | (0x80 if i else 0) for i in reversed(range(groups)))
    if len(out) > MAX_OID_BYTES:
        raise ValueError(f"{dotted!r} is longer than {MAX_OID_BYTES} bytes encoded")
    return bytes(out)


def decode_integer(value: bytes, what: str, *, max_bytes: int) -> int:
    """A non-negative INTEGER of at most `max_bytes` content octets (leading zeros tolerated)."""
    if not value:
        raise DecodeError(f"{what}: empty INTEGER")
    if value[0] & 0x80:
        raise DecodeError(f"{what}: negative INTEGER")
    if len(value.lstrip(b"\0")) > max_bytes:
        raise DecodeError(f"{what}: INTEGER longer than {max_bytes} bytes")
    return int.from_bytes(value, "big")


def encode_integer(number: int) -> bytes:
    """The minimal content octets of a non-negative INTEGER."""
    if number < 0:
        raise ValueError("only non-negative INTEGERs are encoded here")
    return number.to_bytes(number.bit_length() // 8 + 1, "big")


def read_sequence(
    item: tlv.TLV, what: str, *, min_fields: int = 0, max_fields: int = 64
) -> tuple[tlv.TLV, ...]:
    """The fields of a SEQUENCE, checking their number; DecodeError naming `what` if not."""
    if item.tag != SEQUENCE:
        raise DecodeError(f"{what} is not a SEQUENCE")
    fields = item.children()
    if not min_fields <= len(fields) <= max_fields:
        expected = str(min_fields) if min_fields == max_fields else f"{min_fields}..{max_fields}"
        raise DecodeError(f"{what} has {len(fields)} fields, expected {expected}")
    return fields


def read_primitive(item: tlv.TLV, tag: int, what: str) -> bytes:
    """The content octets of a primitive of universal type `tag` (INTEGER, OCTET STRING...)."""
    if item.tag != tag:
        raise DecodeError(f"{what} is not {_TYPE_NAMES.get(tag, f'tag {tag:X}')}")
    return item.value


def read_oid(item: tlv.TLV, what: str) -> str:
    return decode_oid(read_primitive(item, OID, what))


def read_integer(item: tlv.TLV, what: str, *, max_bytes: int = 8) -> int:
    return decode_integer(read_primitive(item, INTEGER, what), what, max_bytes=max_bytes)


def der(tag: int, *parts: bytes) -> bytes:
    """One DER data object holding `parts` back to back."""
    return tlv.encode(tag, b"".join(parts))
