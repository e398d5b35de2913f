"""DG2: the encoded face (9303-10 §4.7.2), a CBEFF biometric information group template.

75 DG2
  7F61 biometric information group template
    02   number of instances
    7F60 biometric information template (one per instance)
      A1   biometric header template (BHT)
      5F2E biometric data block: ISO/IEC 19794-5 record
      7F2E biometric data block: ISO/IEC 39794-5 FaceImageDataBlock
"""

from __future__ import annotations

from dataclasses import dataclass

from mrtd import tlv
from mrtd.errors import DecodeError
from mrtd.lds.face import FaceImage, build_face_record, parse_face_data_block, parse_face_record

__all__ = ["DG2File", "build_dg2"]

TAG = 0x75
TAG_GROUP = 0x7F61
TAG_COUNT = 0x02
TAG_TEMPLATE = 0x7F60
TAG_HEADER = 0xA1
TAG_DATA = 0x5F2E
TAG_DATA_CONSTRUCTED = 0x7F2E
_MAX_DEPTH = 32  # 39794-5 blocks nest deeper than the default 16
# BHT for a 19794-5 face (9303-10; ISO/IEC 7816-11): type facial features (02), no subtype,
# format owner ISO/IEC JTC 1/SC 37 (0101), format type face image (0008).
_HEADER_19794_5 = (
    tlv.encode(0x81, b"\x02")
    + tlv.encode(0x82, b"\x00")
    + tlv.encode(0x87, b"\x01\x01")
    + tlv.encode(0x88, b"\x00\x08")
)


@dataclass(frozen=True, slots=True, repr=False)
class DG2File:
    """A parsed DG2: every face image it holds, in order."""

    faces: tuple[FaceImage, ...]

    @classmethod
    def from_bytes(cls, data: bytes) -> DG2File:
        """Parse DG2 with 19794-5 or 39794-5 records (recognised by content, not BHT)."""
        dg2 = tlv.decode_one(data, max_depth=_MAX_DEPTH)
        if dg2.tag != TAG:
            raise DecodeError(f"DG2 must have tag 75, not {dg2.tag:X}")
        group = dg2.require(TAG_GROUP)
        templates = group.find_all(TAG_TEMPLATE)
        count = group.require(TAG_COUNT).value
        if len(count) != 1 or count[0] != len(templates) or not templates:
            raise DecodeError(f"DG2 instance count does not match its {len(templates)} template(s)")
        faces: list[FaceImage] = []
        for number, template in enumerate(templates, 1):
            faces.extend(_faces(template, number))
        return cls(tuple(faces))

    def __repr__(self) -> str:
        return f"DG2File({len(self.faces)} face(s))"


def _faces(template: tlv.TLV, number: int) -> tuple[FaceImage, ...]:
    template.require(TAG_HEADER)
    block = template.find(TAG_DATA) or template.find(TAG_DATA_CONSTRUCTED)
    if block is None:
        raise DecodeError(f"DG2 template {number} has no biometric data block (5F2E or 7F2E)")
    if block.value.startswith(b"FAC\x00"):
        return parse_face_record(block.value)
    return parse_face_data_block(block.value)


def build_dg2(jpeg: bytes, width: int, height: int) -> bytes:
    """DG2 with one 19794-5 face (JPEG, or JPEG 2000 recognised by its signature)."""
    template = tlv.encode(
        TAG_TEMPLATE,
        tlv.encode(TAG_HEADER, _HEADER_19794_5)
        + tlv.encode(TAG_DATA, build_face_record(jpeg, width, height)),
    )
    return tlv.encode(TAG, tlv.encode(TAG_GROUP, tlv.encode(TAG_COUNT, b"\x01") + template))
