"""Data groups kept as opaque bytes: DG8-DG10 (reserved for security features, 9303-10 §4.7.8-10)
and the content of DG13. Only the outer tag and length are checked: the content has no common
layout and need not even be BER-TLV.
"""

from __future__ import annotations

from dataclasses import dataclass

from mrtd import tlv
from mrtd.errors import DecodeError
from mrtd.lds.files import LDS_FILES

__all__ = ["OpaqueDataGroup", "build_opaque", "read_opaque"]


@dataclass(frozen=True, slots=True, repr=False)
class OpaqueDataGroup:
    """A data group this library does not interpret: its number and content as stored."""

    number: int
    content: bytes

    @classmethod
    def from_bytes(cls, data: bytes, number: int) -> OpaqueDataGroup:
        """Check the outer tag of DG`number` and keep its content."""
        return cls(number, read_opaque(data, _tag(number), f"DG{number}"))

    def __repr__(self) -> str:
        return f"OpaqueDataGroup(DG{self.number}, {len(self.content)} bytes)"


def read_opaque(data: bytes, tag: int, name: str) -> bytes:
    """The value of a file that is one TLV with `tag`, its content unparsed."""
    data = bytes(data)
    header = tlv.header(data)
    if header is None:
        raise DecodeError(f"{name}: {len(data)} byte(s) are too few for a TLV header")
    found, header_length, length = header
    if found != tag:
        raise DecodeError(f"{name} must have tag {tag:X}, not {found:X}")
    end = header_length + length
    if end != len(data):
        problem = "is truncated" if end > len(data) else f"has {len(data) - end} trailing byte(s)"
        raise DecodeError(f"{name} {problem}: its length says {length} bytes")
    return data[header_length:]


def build_opaque(number: int, content: bytes) -> bytes:
    """DG`number` around `content` (e.g. a DG8 for a simulated chip)."""
    return tlv.encode(_tag(number), content)


def _tag(number: int) -> int:
    info = LDS_FILES.get(f"DG{number}")
    if info is None or info.tag is None:
        raise ValueError(f"there is no data group {number}")
    return info.tag
