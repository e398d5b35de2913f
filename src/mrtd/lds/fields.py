"""Pieces every LDS template parser shares: keeping what it does not read, and instance counts.

A chip may carry data objects a parser does not interpret (a newer LDS, an issuer's addition, a
repeated tag). They are kept in order as `other`, (tag, value) pairs, so that nothing the chip
sent is lost and a builder can write them back.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from mrtd import tlv
from mrtd.errors import DecodeError

__all__ = ["TAG_COUNT", "Other", "check_count", "encode_other", "open_fields", "split_known"]

TAG_COUNT = 0x02  # number of instances (9303-10: DG2-DG7, DG16, the CBEFF group template)

Other = tuple[tuple[int, bytes], ...]


def split_known(
    objects: Iterable[tlv.TLV], known: Collection[int]
) -> tuple[dict[int, bytes], Other]:
    """The first value of each known tag, and every other object in order (unknown or repeated)."""
    fields: dict[int, bytes] = {}
    other: list[tuple[int, bytes]] = []
    for item in objects:
        if item.tag in known and item.tag not in fields:
            fields[item.tag] = item.value
        else:
            other.append((item.tag, item.value))
    return fields, tuple(other)


def open_fields(
    data: bytes, tag: int, name: str, known: Collection[int]
) -> tuple[dict[int, bytes], Other]:
    """A file's known fields and the rest (`split_known`), after checking its outer tag."""
    outer = tlv.decode_one(data)
    if outer.tag != tag:
        raise DecodeError(f"{name} must have tag {tag:X}, not {outer.tag:X}")
    return split_known(outer.children(), known)


def encode_other(other: Other) -> bytes:
    """The kept objects, in order, as they would appear in the template."""
    return b"".join(tlv.encode(tag, value) for tag, value in other)


def check_count(count: tlv.TLV | None, found: int, what: str) -> None:
    """The instance count (tag 02, one byte) must be present and equal the objects found."""
    if count is None:
        raise DecodeError(f"{what}: number of instances (tag 02) missing")
    if len(count.value) != 1 or count.value[0] != found:
        raise DecodeError(f"{what}: number of instances does not match its {found} object(s)")
