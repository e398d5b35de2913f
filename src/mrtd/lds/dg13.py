"""DG13: optional details, defined by the issuer (9303-10 §4.7.13); kept as opaque bytes.

Its content has no common layout (it need not even be BER-TLV), so only the outer tag and
length are checked (`lds.opaque`).
"""

from __future__ import annotations

from dataclasses import dataclass

from mrtd import tlv
from mrtd.lds.opaque import read_opaque

__all__ = ["DG13File", "build_dg13"]

TAG = 0x6D


@dataclass(frozen=True, slots=True, repr=False)
class DG13File:
    """A DG13: the content of tag 6D as stored. The repr shows its size only."""

    content: bytes

    @classmethod
    def from_bytes(cls, data: bytes) -> DG13File:
        return cls(read_opaque(data, TAG, "DG13"))

    def __repr__(self) -> str:
        return f"DG13File({len(self.content)} bytes)"


def build_dg13(content: bytes) -> bytes:
    """DG13 around issuer-defined `content`."""
    return tlv.encode(TAG, content)
