"""Recognise the image formats 9303-10 allows for the face (JPEG, JPEG 2000) and read their size.

Only headers are read (ISO/IEC 10918-1 SOFn; ISO/IEC 15444-1 Annex I 'ihdr' box and the SIZ
marker of a bare codestream), with bounded loops; nothing is decoded. Malformed headers give
None, never an exception: the image bytes are the caller's to decode.
"""

from __future__ import annotations

__all__ = [
    "CODESTREAM",
    "JP2_FILE",
    "JPEG",
    "JPEG2000",
    "JPEG_FILE",
    "header_sizes",
    "image_format",
    "image_size",
    "image_type",
    "jp2_codestream",
]

JPEG = "image/jpeg"
JPEG2000 = "image/jp2"
# The stored form, where the MIME type does not say it: JPEG 2000 comes as a JP2 file or bare.
JPEG_FILE = "jpeg"
JP2_FILE = "jp2"
CODESTREAM = "j2k"

_JPEG_MAGIC = b"\xff\xd8\xff"
_JP2_MAGIC = bytes.fromhex("0000000C6A5020200D0A870A")  # JP2 signature box
_J2K_MAGIC = bytes.fromhex("FF4FFF51")  # codestream SOC + SIZ
# SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
_MAX_BOXES = 64


def image_type(data: bytes) -> str | None:
    """ "image/jpeg", "image/jp2" (JP2 file or bare JPEG 2000 codestream) or None."""
    if data.startswith(_JPEG_MAGIC):
        return JPEG
    if data.startswith((_JP2_MAGIC, _J2K_MAGIC)):
        return JPEG2000
    return None


def image_format(data: bytes) -> str | None:
    """ "jpeg", "jp2" (JP2 file), "j2k" (bare JPEG 2000 codestream) or None, by signature."""
    if data.startswith(_JPEG_MAGIC):
        return JPEG_FILE
    if data.startswith(_JP2_MAGIC):
        return JP2_FILE
    if data.startswith(_J2K_MAGIC):
        return CODESTREAM
    return None


def jp2_codestream(data: bytes) -> bytes | None:
    """The first contiguous codestream box ('jp2c') of a JP2 file, or None (15444-1 I.5.4).

    This is what a decoder decodes, so its SIZ size is the one to check, not only 'ihdr'.
    """
    if not data.startswith(_JP2_MAGIC):
        return None
    box = _box(data, 0, len(data), b"jp2c")
    return data[box[0] : box[1]] if box is not None else None


def header_sizes(data: bytes) -> tuple[tuple[int, int] | None, ...]:
    """Every size the headers declare: a JP2 file's 'ihdr' and its codestream's SIZ (what a
    decoder produces; a hostile file can make them differ), else the one header size. A
    decoding limit must hold for all of them."""
    if not data.startswith(_JP2_MAGIC):
        return (image_size(data),)
    codestream = jp2_codestream(data)
    return image_size(data), image_size(codestream) if codestream is not None else None


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the image header, or None if unknown or malformed."""
    if data.startswith(_JPEG_MAGIC):
        return _jpeg_size(data)
    if data.startswith(_JP2_MAGIC):
        return _jp2_size(data)
    if data.startswith(_J2K_MAGIC):
        return _siz_size(data, 4)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 4 <= len(data):  # each step moves forward: linear
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _JPEG_STANDALONE:
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image or start of scan before any frame header
            return None
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if length < 2:
            return None
        if marker in _JPEG_SOF:
            if pos + 9 > len(data) or length < 7:
                return None
            height = int.from_bytes(data[pos + 5 : pos + 7], "big")
            width = int.from_bytes(data[pos + 7 : pos + 9], "big")
            return (width, height) if width and height else None
        pos += 2 + length
    return None


def _jp2_size(data: bytes) -> tuple[int, int] | None:
    header = _box(data, 0, len(data), b"jp2h")
    if header is None:
        return None
    ihdr = _box(data, header[0], header[1], b"ihdr")
    if ihdr is None or ihdr[1] - ihdr[0] < 8:
        return None
    start = ihdr[0]
    height = int.from_bytes(data[start : start + 4], "big")
    width = int.from_bytes(data[start + 4 : start + 8], "big")
    return (width, height) if width and height else None


def _box(data: bytes, pos: int, end: int, kind: bytes) -> tuple[int, int] | None:
    """(content start, content end) of the first box of `kind` in data[pos:end]."""
    for _ in range(_MAX_BOXES):
        if pos + 8 > end:
            return None
        length = int.from_bytes(data[pos : pos + 4], "big")
        header = 8
        if length == 1:  # 64-bit XLBox
            if pos + 16 > end:
                return None
            length = int.from_bytes(data[pos + 8 : pos + 16], "big")
            header = 16
        elif length == 0:  # box runs to the end
            length = end - pos
        if length < header or pos + length > end:
            return None
        if data[pos + 4 : pos + 8] == kind:
            return pos + header, pos + length
        pos += length
    return None


def _siz_size(data: bytes, pos: int) -> tuple[int, int] | None:
    """Width and height from a SIZ segment body at `pos` (15444-1 A.5.1)."""
    if pos + 20 > len(data):
        return None
    x, y, x0, y0 = (
        int.from_bytes(data[pos + 4 + 4 * i : pos + 8 + 4 * i], "big") for i in range(4)
    )
    width, height = x - x0, y - y0
    return (width, height) if width > 0 and height > 0 else None
