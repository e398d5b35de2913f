"""Face image records inside DG2: ISO/IEC 19794-5:2005 (binary) and ISO/IEC 39794-5 (ASN.1).

9303-10 allows both in the biometric data block: the binary 'FAC' record of 19794-5 (in 5F2E)
and, since 2021, the DER-encoded FaceImageDataBlock of 39794-5 (in 7F2E). Both are parsed
for the image, its type and its size; the rest (feature points, pose, quality) is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mrtd import tlv
from mrtd.errors import DecodeError
from mrtd.lds.image import JPEG, JPEG2000, image_size, image_type
from mrtd.lds.image_decode import EncodedImage

if TYPE_CHECKING:
    pass

__all__ = [
    "ISO_19794_5",
    "ISO_39794_5",
    "FaceImage",
    "build_face_record",
    "parse_face_data_block",
    "parse_face_record",
]

ISO_19794_5 = "ISO/IEC 19794-5"
ISO_39794_5 = "ISO/IEC 39794-5"

# ISO/IEC 19794-5:2005 §5.4-5.7: general header, facial record header, feature point, image info
_FORMAT_ID = b"FAC\x00"
_VERSION = b"010\x00"
_GENERAL_HEADER = 14
_FACIAL_HEADER = 20
_FEATURE_POINT = 8
_IMAGE_INFO = 12
_DATA_TYPE = {JPEG: 0, JPEG2000: 1}
_MAX_IMAGE_SIDE = 0xFFFF

# ISO/IEC 39794-5 (ASN.1 module, implicit tags): FaceImageDataBlock ::= [APPLICATION 5] ...
_FACE_IMAGE_DATA_BLOCK = 0x65
_DG2_WRAPPER = 0xA1  # DG2 carries the block inside a [1] wrapper
_MAX_DEPTH = 32  # 39794-5 nests up to ~12 levels below the block


@dataclass(frozen=True, slots=True, repr=False)
class FaceImage(EncodedImage):
    """One facial image: the encoded image as stored, its type and its declared size.

    `width`/`height` come from the image header (what a decoder will show), else from the
    record, else None; specimen records are known to declare other sizes than their images
    carry. The repr leaves out the image: it is personal data.
    """

    image: bytes
    mime_type: str  # "image/jpeg" or "image/jp2"
    width: int | None
    height: int | None
    standard: str = ISO_19794_5  # the record format it came from

    def __repr__(self) -> str:
        size = f"{self.width}x{self.height}" if self.width and self.height else "size unknown"
        return f"FaceImage({self.mime_type}, {size}, {len(self.image)} bytes, {self.standard})"


def parse_face_record(data: bytes) -> tuple[FaceImage, ...]:
    """The images of a 19794-5:2005 facial record ('FAC\\0', version '010\\0').

    Facial record blocks must fill the record exactly. The record length field is not
    trusted (issuers are known to get it wrong); the block lengths are what bound the parse.
    """
    if len(data) < _GENERAL_HEADER:
        raise DecodeError("19794-5 record shorter than its 14-byte header")
    if data[:4] != _FORMAT_ID:
        raise DecodeError("not a 19794-5 record: format identifier is not 'FAC'")
    if data[4:8] != _VERSION:
        raise DecodeError("unsupported 19794-5 version (only '010', the 2005 edition, is used)")
    count = int.from_bytes(data[12:14], "big")
    if count == 0:
        raise DecodeError("19794-5 record holds no facial image")
    faces = []
    pos = _GENERAL_HEADER
    for number in range(1, count + 1):
        face, pos = _facial_block(data, pos, number)
        faces.append(face)
    if pos != len(data):
        raise DecodeError(f"{len(data) - pos} byte(s) after the last 19794-5 facial block")
    return tuple(faces)


def _facial_block(data: bytes, pos: int, number: int) -> tuple[FaceImage, int]:
    """The facial record block at `pos` and where the next one starts."""
    if pos + _FACIAL_HEADER + _IMAGE_INFO > len(data):
        raise DecodeError(f"19794-5 facial block {number} at offset {pos} is truncated")
    length = int.from_bytes(data[pos : pos + 4], "big")
    points = int.from_bytes(data[pos + 4 : pos + 6], "big")
    info = pos + _FACIAL_HEADER + points * _FEATURE_POINT
    if length < info + _IMAGE_INFO - pos:
        raise DecodeError(f"19794-5 facial block {number} is shorter than its headers")
    end = pos + length
    if end > len(data):
        raise DecodeError(f"19794-5 facial block {number} runs past the end of the record")
    width = int.from_bytes(data[info + 2 : info + 4], "big")
    height = int.from_bytes(data[info + 4 : info + 6], "big")
    image = data[info + _IMAGE_INFO : end]
    return _face(image, width, height, ISO_19794_5, f"19794-5 facial block {number}"), end


def parse_face_data_block(data: bytes) -> tuple[FaceImage, ...]:
    """The images of a 39794-5 FaceImageDataBlock (DER), bare or in DG2's [1] wrapper."""
    block = tlv.decode_one(data, max_depth=_MAX_DEPTH)
    if block.tag == _DG2_WRAPPER:
        block = block.require(_FACE_IMAGE_DATA_BLOCK)
    if block.tag != _FACE_IMAGE_DATA_BLOCK:
        raise DecodeError(f"not a 39794-5 FaceImageDataBlock (tag {block.tag:X})")
    representations = block.require(0xA1).find_all(0x30)
    if not representations:
        raise DecodeError("39794-5 block holds no representation")
    return tuple(_representation(rep, n) for n, rep in enumerate(representations, 1))


def _representation(rep: tlv.TLV, number: int) -> FaceImage:
    """RepresentationBlock > imageRepresentation [1] > base [0] > ImageRepresentation2DBlock."""
    where = f"39794-5 representation {number}"
    base = rep.require(0xA1).find(0xA0)
    if base is None:
        raise DecodeError(f"{where}: only the base 2D image representation is supported")
    block_2d = base.require(0xA0)
    image = block_2d.require(0x80).value
    info = block_2d.require(0xA1)  # ImageInformation2DBlock
    info.require(0xA0)  # imageDataFormat is mandatory; the image's own header is trusted
    width = height = 0
    size = info.find(0xA7)  # imageSizeBlock
    if size is not None:
        width = _uint(size.require(0x80).value, where)
        height = _uint(size.require(0x81).value, where)
    return _face(image, width, height, ISO_39794_5, where)


def _face(image: bytes, width: int, height: int, standard: str, where: str) -> FaceImage:
    mime_type = image_type(image)
    if mime_type is None:
        raise DecodeError(f"{where}: image data is neither JPEG nor JPEG 2000")
    width, height = image_size(image) or (width, height)
    return FaceImage(image, mime_type, width or None, height or None, standard)


def _uint(value: bytes, where: str) -> int:
    """A non-negative DER INTEGER of at most 4 bytes."""
    if not 1 <= len(value) <= 4 or value[0] & 0x80:
        raise DecodeError(f"{where}: integer out of range")
    return int.from_bytes(value, "big")


def build_face_record(image: bytes, width: int, height: int) -> bytes:
    """A 19794-5:2005 record with one full-frontal JPEG or JPEG 2000 image, no feature points."""
    mime_type = image_type(image)
    if mime_type is None:
        raise ValueError("image must be JPEG or JPEG 2000")
    if not (0 < width <= _MAX_IMAGE_SIDE and 0 < height <= _MAX_IMAGE_SIDE):
        raise ValueError("width and height must be 1..65535")
    block_length = _FACIAL_HEADER + _IMAGE_INFO + len(image)
    facial_header = block_length.to_bytes(4, "big") + bytes(16)  # no points, all unspecified
    image_info = (
        bytes([1, _DATA_TYPE[mime_type]])  # full frontal (5.7.1), JPEG/JPEG 2000 (5.7.2)
        + width.to_bytes(2, "big")
        + height.to_bytes(2, "big")
        + bytes([1, 0])  # 24-bit RGB colour space, unspecified source type
        + bytes(4)  # device type and quality unspecified
    )
    record_length = _GENERAL_HEADER + block_length
    general_header = _FORMAT_ID + _VERSION + record_length.to_bytes(4, "big") + b"\x00\x01"
    return general_header + facial_header + image_info + image
