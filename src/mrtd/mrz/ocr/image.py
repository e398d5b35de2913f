"""Turn what a caller hands to MRZ OCR (file, bytes or pixels) into one 8-bit gray image.

Image files come from anywhere, so the size a header declares is read before anything is
decoded (a small PNG can declare gigapixels): images of `MAX_PIXELS` or more are refused
without calling the decoder. Formats: JPEG, PNG, BMP, TIFF, WebP, JPEG 2000. Truncated JPEG
and PNG files (no end marker), which OpenCV would decode with a gray or black remainder, are
refused too. Alpha is composited onto white paper, 16-bit samples are scaled to 8 bits, and
palette and colour images become gray. A JPEG's EXIF orientation tag (0x0112) decides how the
photo is shown, so it is applied: coordinates refer to the image as shown. Quarter turns alone
would be found by the locator anyway, but orientations 2, 4, 5 and 7 mirror the page, and a
mirrored MRZ reads as nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from mrtd.errors import DecodeError
from mrtd.lds.image import JPEG_FILE, header_sizes, image_format
from mrtd.lds.image_decode import require_opencv as require_decoder

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_PIXELS",
    "declared_size",
    "exif_orientation",
    "load_gray",
    "orient",
    "require_opencv",
]

MAX_PIXELS = 50_000_000  # 50 MP and over is refused (a 10000 x 5000 header is)
MAX_SIDE = 65_535
MAX_FILE_BYTES = 256 * 1024 * 1024
MIN_SIDE = 1

_PNG = b"\x89PNG\r\n\x1a\n"
_TIFF = (b"II*\x00", b"MM\x00*")


def load_gray(image: object) -> NDArray[np.uint8]:
    """The image as a 2-D uint8 gray array (dark ink low). DecodeError for anything that is
    not a usable image; OSError for a file that cannot be read; TypeError for other types."""
    require_opencv()
    import numpy as np  # noqa: PLC0415 - optional, checked above

    if isinstance(image, str | os.PathLike):
        return decode_gray(_read_file(Path(image)))
    if isinstance(image, bytes | bytearray | memoryview):
        return decode_gray(bytes(image))
    if isinstance(image, np.ndarray):
        return pixels_to_gray(image)
    raise TypeError(f"an image is bytes, a path or a numpy array, not {type(image).__name__}")


def _read_file(path: Path) -> bytes:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DecodeError(f"image file is {size} bytes, over the {MAX_FILE_BYTES} byte limit")
    return path.read_bytes()


def declared_size(data: bytes) -> tuple[str, int, int]:
    """(format, width, height) from the header alone; DecodeError when the format is not
    one OCR reads, the header is unreadable, or the size is over the limits."""
    if not data:
        raise DecodeError("image data is empty")
    kind, size = _header(data)
    if size is None:
        raise DecodeError(f"{kind}: no readable image size in the header")
    width, height = size
    if width < MIN_SIDE or height < MIN_SIDE:
        raise DecodeError(f"{kind}: the header declares an empty image")
    if width > MAX_SIDE or height > MAX_SIDE or width * height >= MAX_PIXELS:
        raise DecodeError(
            f"{kind}: declared size {width}x{height} is at or over the limit "
            f"({MAX_PIXELS // 1_000_000} MP, {MAX_SIDE} per side); not decoded"
        )
    return kind, width, height


def decode_gray(data: bytes) -> NDArray[np.uint8]:
    """Decode image bytes to gray, after `declared_size` has accepted the header."""
    kind, width, height = declared_size(data)
    _check_complete(kind, data)
    require_opencv()
    import cv2  # noqa: PLC0415 - optional, checked above
    import numpy as np  # noqa: PLC0415

    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # failures raise
    try:
        pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error:
        pixels = None
    finally:
        cv2.utils.logging.setLogLevel(level)
    if pixels is None or pixels.size == 0:
        raise DecodeError(f"{kind}: the image data cannot be decoded")
    if pixels.shape[:2] != (height, width) and kind not in ("JPEG 2000", "TIFF"):
        raise DecodeError(f"{kind}: decoded size differs from the header's")
    gray = pixels_to_gray(pixels)
    return orient(gray, exif_orientation(data)) if kind == "JPEG" else gray


def orient(pixels: NDArray[np.uint8], orientation: int) -> NDArray[np.uint8]:
    """Stored pixels as shown under EXIF orientation 1-8 (TIFF 6.0 tag 274; others: as
    stored): 2 mirrored left-right, 3 turned 180°, 4 mirrored top-bottom, 5 transposed,
    6 turned 90° clockwise, 7 transversed, 8 turned 90° anticlockwise."""
    import numpy as np  # noqa: PLC0415

    shown = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1, :],
        5: lambda a: a.T,
        6: lambda a: np.rot90(a, -1),
        7: lambda a: a[::-1, ::-1].T,
        8: lambda a: np.rot90(a, 1),
    }.get(orientation)
    if shown is None:
        return pixels
    out: NDArray[np.uint8] = np.ascontiguousarray(shown(pixels))
    return out


def exif_orientation(data: bytes) -> int:
    """The orientation tag (0x0112) of a JPEG's EXIF IFD0, 1 when absent or unreadable.
    Every offset is bounds-checked: the EXIF block is as untrusted as the rest."""
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker in (0xDA, 0xD9):  # the scan starts: no EXIF after it
            return 1
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker == 0xE1 and data[pos + 4 : pos + 10] == b"Exif\x00\x00":
            return _tiff_orientation(data[pos + 10 : pos + 2 + length])
        pos += 2 + length
    return 1


def _tiff_orientation(tiff: bytes) -> int:
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return 1
    order: Literal["little", "big"] = "little" if tiff[:2] == b"II" else "big"
    offset = int.from_bytes(tiff[4:8], order)
    if offset + 2 > len(tiff):
        return 1
    count = int.from_bytes(tiff[offset : offset + 2], order)
    for index in range(min(count, 512)):
        entry = offset + 2 + 12 * index
        if entry + 12 > len(tiff):
            return 1
        if int.from_bytes(tiff[entry : entry + 2], order) == 0x0112:
            value = int.from_bytes(tiff[entry + 8 : entry + 10], order)
            return value if 1 <= value <= 8 else 1
    return 1


def pixels_to_gray(pixels: NDArray[np.generic]) -> NDArray[np.uint8]:
    """Gray uint8 from 2-D gray, HxWx1, HxWx2 (gray, alpha), HxWx3 (BGR) or HxWx4 (BGRA)
    arrays of uint8, uint16, bool or float (0..1 when at most 1, else 0..255)."""
    require_opencv()
    import cv2  # noqa: PLC0415 - optional, checked above
    import numpy as np  # noqa: PLC0415

    array = np.asarray(pixels)
    if array.size == 0 or array.ndim not in (2, 3):
        raise DecodeError(f"pixels must be a non-empty 2-D or 3-D array, not shape {array.shape}")
    if array.shape[0] * array.shape[1] >= MAX_PIXELS:
        raise DecodeError(f"image of {array.shape[1]}x{array.shape[0]} is over the pixel limit")
    channels = 1 if array.ndim == 2 else array.shape[2]
    if channels not in (1, 2, 3, 4):
        raise DecodeError(f"pixels with {channels} channels are not an image OCR reads")
    if array.dtype == np.uint8 and channels in (1, 3):  # the common case, without floats
        plain = array if array.ndim == 2 else array[:, :, 0] if channels == 1 else None
        if plain is None:
            plain = cv2.cvtColor(np.ascontiguousarray(array), cv2.COLOR_BGR2GRAY)
        fast: NDArray[np.uint8] = np.ascontiguousarray(plain)
        return fast
    values = _unit_float(array)
    if values.ndim == 3:
        alpha = values[:, :, -1:] if channels in (2, 4) else None
        color = values[:, :, : channels - 1] if alpha is not None else values
        if color.shape[2] == 3:
            gray = cv2.cvtColor(np.ascontiguousarray(color), cv2.COLOR_BGR2GRAY)
        else:
            gray = color[:, :, 0]
        if alpha is not None:  # composite onto white paper
            gray = gray * alpha[:, :, 0] + (1.0 - alpha[:, :, 0])
    else:
        gray = values
    out: NDArray[np.uint8] = np.ascontiguousarray(
        np.clip(np.rint(gray * 255.0), 0, 255).astype(np.uint8)
    )
    return out


def _unit_float(array: NDArray[np.generic]) -> NDArray[np.float32]:
    """Samples scaled to 0..1 as float32. 16-bit images whose brightest sample is low (12-bit
    data in 16-bit words) are stretched to their own maximum."""
    import numpy  # noqa: PLC0415 - the caller has checked it is installed

    kind = array.dtype
    if kind == numpy.bool_:
        return array.astype(numpy.float32)
    if kind == numpy.uint8:
        return array.astype(numpy.float32) / 255.0
    if numpy.issubdtype(kind, numpy.integer):
        peak = float(array.max()) if array.size else 0.0
        scale = 65535.0 if peak > 4095 else max(peak, 255.0)
        scaled: NDArray[np.float32] = numpy.clip(array.astype(numpy.float32) / scale, 0.0, 1.0)
        return scaled
    if numpy.issubdtype(kind, numpy.floating):
        values = numpy.nan_to_num(array.astype(numpy.float32), nan=1.0, posinf=1.0, neginf=0.0)
        if values.size and float(values.max()) > 1.0:
            values = values / 255.0
        clipped: NDArray[np.float32] = numpy.clip(values, 0.0, 1.0).astype(numpy.float32)
        return clipped
    raise DecodeError(f"pixels of dtype {kind} are not an image OCR reads")


# -- headers ----------------------------------------------------------------------------------


def _header(data: bytes) -> tuple[str, tuple[int, int] | None]:
    if data.startswith(_PNG):
        return "PNG", _png_size(data)
    kind = image_format(data)
    if kind is not None:
        name = "JPEG" if kind == JPEG_FILE else "JPEG 2000"
        sizes = header_sizes(data)  # a JP2 file: 'ihdr' and the codestream's; refuse either
        if any(size is None for size in sizes):
            return name, None
        return name, max(sizes, key=lambda size: size[0] * size[1] if size else 0)
    if data.startswith(b"BM"):
        return "BMP", _bmp_size(data)
    if data.startswith(_TIFF):
        return "TIFF", _tiff_size(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP", _webp_size(data)
    raise DecodeError("not an image OCR reads (JPEG, PNG, BMP, TIFF, WebP or JPEG 2000)")


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _bmp_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 26:
        return None
    header = int.from_bytes(data[14:18], "little")
    if header == 12:  # BITMAPCOREHEADER: unsigned 16-bit sides
        return int.from_bytes(data[18:20], "little"), int.from_bytes(data[20:22], "little")
    width = int.from_bytes(data[18:22], "little", signed=True)
    height = int.from_bytes(data[22:26], "little", signed=True)
    return abs(width), abs(height)  # a negative height means top-down rows


def _tiff_size(data: bytes) -> tuple[int, int] | None:
    """ImageWidth (256) and ImageLength (257) of the first IFD (TIFF 6.0 §2)."""
    order: Literal["little", "big"] = "little" if data[:2] == b"II" else "big"
    if len(data) < 8:
        return None
    offset = int.from_bytes(data[4:8], order)
    if offset + 2 > len(data):
        return None
    count = int.from_bytes(data[offset : offset + 2], order)
    sides: dict[int, int] = {}
    for index in range(min(count, 512)):
        entry = offset + 2 + 12 * index
        if entry + 12 > len(data):
            return None
        tag = int.from_bytes(data[entry : entry + 2], order)
        kind = int.from_bytes(data[entry + 2 : entry + 4], order)
        if tag in (256, 257):
            width = 2 if kind == 3 else 4  # SHORT or LONG, stored left-justified
            sides[tag] = int.from_bytes(data[entry + 8 : entry + 8 + width], order)
    if 256 not in sides or 257 not in sides:
        return None
    return sides[256], sides[257]


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        return (
            int.from_bytes(data[26:28], "little") & 0x3FFF,
            int.from_bytes(data[28:30], "little") & 0x3FFF,
        )
    return None


def _check_complete(kind: str, data: bytes) -> None:
    """A JPEG must end its scan with EOI and a PNG hold IEND; OpenCV decodes truncated
    files without an error, filling the missing rows."""
    if kind == "JPEG":
        scan = _jpeg_scan_start(data)
        if scan is None or data.find(b"\xff\xd9", scan) < 0:
            raise DecodeError("JPEG: the data is truncated (no end of image after the scan)")
    elif kind == "PNG" and data.rfind(b"IEND") < 0:
        raise DecodeError("PNG: the data is truncated (no IEND chunk)")


def _jpeg_scan_start(data: bytes) -> int | None:
    """Offset of the first start-of-scan (SOS) segment, walking the marker segments."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker == 0xDA:
            return pos
        if marker in (0x01, *range(0xD0, 0xD8)):
            pos += 2
            continue
        if marker == 0xD9:
            return None
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return None


# -- optional dependencies --------------------------------------------------------------------


def require_opencv() -> None:
    """OptionalDependencyError unless OpenCV and numpy (the `mrtd[ocr]` extra) import."""
    require_decoder("MRZ OCR", "ocr")
