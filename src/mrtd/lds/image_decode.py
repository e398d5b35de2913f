"""Decode and save the images of an eMRTD (face, displayed portrait, signature) with OpenCV.

OpenCV and numpy are the optional extra `mrtd[image]`, imported on first use. Image bytes come
from the chip, so the size an image declares in its header is checked before any decoding
(a small file can declare gigapixels); for a JP2 file both the 'ihdr' box and the codestream's
SIZ marker are checked, since the decoder reads the latter. OpenCV's own limit
(OPENCV_IO_MAX_IMAGE_PIXELS) is far higher and process-wide, so it is not relied on. Saving in
the stored format writes the bytes unchanged: re-encoding would alter what the issuer signed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from mrtd.errors import DecodeError, OptionalDependencyError
from mrtd.lds.image import (
    CODESTREAM,
    JP2_FILE,
    JPEG_FILE,
    header_sizes,
    image_format,
    jp2_codestream,
)

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "MAX_PIXELS",
    "MAX_SIDE",
    "EncodedImage",
    "declared_size",
    "decode_image",
    "require_opencv",
    "save_image",
]

MAX_PIXELS = 40_000_000  # a 9303 face is well under 1 megapixel
MAX_SIDE = 16_384
_NAMES = {JPEG_FILE: "JPEG", JP2_FILE: "JPEG 2000 (JP2 file)", CODESTREAM: "JPEG 2000 codestream"}
_SAME_FORMAT = {  # suffix -> the stored form written unchanged
    ".jpg": JPEG_FILE,
    ".jpeg": JPEG_FILE,
    ".jp2": JP2_FILE,
    ".j2k": CODESTREAM,
    ".j2c": CODESTREAM,
}
_REENCODE = frozenset({".png", ".bmp", ".jpg", ".jpeg", ".jp2", ".tif", ".tiff", ".webp"})


def declared_size(data: bytes) -> tuple[int, int]:
    """(width, height) the image header declares, within the limits; DecodeError otherwise."""
    kind = _format(data)
    sizes = header_sizes(data)
    checked: list[tuple[int, int]] = []
    for size in sizes:
        if size is None:
            raise DecodeError(f"{_NAMES[kind]}: no readable image size in the header")
        width, height = size
        if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
            raise DecodeError(
                f"{_NAMES[kind]}: declared size {width}x{height} is over the limit "
                f"({MAX_SIDE} per side, {MAX_PIXELS} pixels); not decoded"
            )
        checked.append(size)
    return checked[-1]  # for a JP2 file, the codestream's: what the decoder produces


def decode_image(data: bytes) -> NDArray[np.uint8]:
    """The pixels of a JPEG or JPEG 2000 image (JP2 file or bare codestream), BGR, HxWx3.

    EXIF orientation is ignored, so the shape is the stored one. DecodeError for a format
    other than these, a size over the limits, or data the decoder refuses.
    """
    data = bytes(data)
    kind = _format(data)
    declared_size(data)
    require_opencv()
    import cv2  # noqa: PLC0415 - the optional extra, checked above
    import numpy as np  # noqa: PLC0415

    flags = cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # failures raise
    try:
        pixels = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    except cv2.error:
        pixels = None
    finally:
        cv2.utils.logging.setLogLevel(level)
    if pixels is None or pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
        raise DecodeError(f"{_NAMES[kind]}: the image data cannot be decoded")
    decoded: NDArray[np.uint8] = np.ascontiguousarray(pixels)
    return decoded


def save_image(data: bytes, path: str | os.PathLike[str]) -> Path:
    """Write the image to `path` in the format its suffix names; the path written.

    The stored format (.jpg/.jpeg for JPEG, .jp2 for a JP2 file, .j2k/.j2c for a codestream)
    is written byte for byte; a JP2 file saved as .j2k gives its codestream, unchanged. Other
    suffixes (.png, .bmp, .tif, .webp, .jpg for a JPEG 2000 source...) decode and re-encode.
    ValueError for a suffix with no image format; DecodeError for data that is not an image.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in _SAME_FORMAT and suffix not in _REENCODE:
        raise ValueError(f"cannot tell an image format from the suffix {suffix or '(none)'!r}")
    data = bytes(data)
    kind = _format(data)
    if _SAME_FORMAT.get(suffix) == kind:
        target.write_bytes(data)
    elif suffix in (".j2k", ".j2c"):
        codestream = jp2_codestream(data if kind == JP2_FILE else _encode(data, ".jp2"))
        if codestream is None:
            raise DecodeError(f"{_NAMES[kind]}: the JP2 file has no codestream box")
        target.write_bytes(codestream)
    else:
        target.write_bytes(_encode(data, suffix))
    return target


def _encode(data: bytes, suffix: str) -> bytes:
    pixels = decode_image(data)
    import cv2  # noqa: PLC0415 - the optional extra, checked by decode_image

    try:
        ok, encoded = cv2.imencode(suffix, pixels)
    except cv2.error:
        ok = False
    if not ok:
        raise ValueError(f"this OpenCV build cannot write {suffix} images")
    return bytes(encoded.tobytes())


def _format(data: bytes) -> str:
    kind = image_format(data)
    if kind is None:
        raise DecodeError("image data is neither JPEG nor JPEG 2000; it is not decoded")
    return kind


def require_opencv(what: str = "decoding images", extra: str = "image") -> None:
    """OptionalDependencyError naming the extra to install when OpenCV or numpy is missing.
    OpenCV's own limits (OPENCV_IO_MAX_IMAGE_*, 2^30 pixels by default) are left as the process
    set them: other code may read large scans."""
    try:
        import cv2  # noqa: F401, PLC0415
        import numpy  # noqa: F401, PLC0415
    except ImportError as exc:
        raise OptionalDependencyError(
            f"{what} needs OpenCV and numpy: pip install 'mrtd[{extra}]'"
        ) from exc


class EncodedImage:
    """`decode()` and `save()` for an image kept as stored (`image`): faces, displayed
    portraits and signatures share them."""

    __slots__ = ()
    image: bytes

    def decode(self) -> NDArray[np.uint8]:
        """The pixels, BGR, HxWx3 (needs `mrtd[image]`; see `decode_image`)."""
        return decode_image(self.image)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the image; the stored bytes unchanged when the suffix fits (`save_image`)."""
        return save_image(self.image, path)
