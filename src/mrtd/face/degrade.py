"""What a portrait goes through on its way to a chip (and a capture through a camera), to test
and calibrate face comparison on same-photo pairs: ICAO sizes, JPEG 2000 at chip bitrates,
crops, light. Internal: tools/calibrate_faces.py, the tests and the benchmark use it.

Every function takes and gives BGR pixels (HxWx3 uint8); `encode_jp2` gives bytes, as a chip's
DG2 holds them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Pixels = NDArray[np.uint8]

__all__ = ["DEGRADATIONS", "adjust_light", "crop", "encode_jp2", "encode_jpeg", "icao_size"]

CHIP_JP2_BYTES = 12_000  # a typical DG2 JPEG 2000 portrait: 10-20 KB


def icao_size(pixels: Pixels, width: int, height: int) -> Pixels:
    """Cropped to the aspect `width`:`height` around the centre, then resized to it."""
    import cv2  # noqa: PLC0415

    h, w = pixels.shape[:2]
    if w * height > h * width:  # too wide: crop the sides
        keep = h * width // height
        pixels = pixels[:, (w - keep) // 2 : (w - keep) // 2 + keep]
    else:
        keep = w * height // width
        pixels = pixels[(h - keep) // 2 : (h - keep) // 2 + keep]
    interpolation = cv2.INTER_AREA if pixels.shape[1] > width else cv2.INTER_CUBIC
    resized: Any = cv2.resize(pixels, (width, height), interpolation=interpolation)
    return resized  # type: ignore[no-any-return]


def crop(pixels: Pixels, fraction: float) -> Pixels:
    """`fraction` of the width and height cut away, evenly from every side."""
    h, w = pixels.shape[:2]
    dy, dx = round(h * fraction / 2), round(w * fraction / 2)
    cropped: Pixels = pixels[dy : h - dy, dx : w - dx].copy()
    return cropped


def adjust_light(pixels: Pixels, gamma: float = 1.0, offset: int = 0) -> Pixels:
    """Gamma (over 1 darker, under 1 lighter), then a brightness offset, clipped."""
    import numpy as np  # noqa: PLC0415

    values = 255.0 * (pixels / 255.0) ** gamma + offset
    adjusted: Pixels = np.clip(values, 0, 255).astype(np.uint8)
    return adjusted


def encode_jpeg(pixels: Pixels, quality: int = 90) -> bytes:
    import cv2  # noqa: PLC0415

    ok, data = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return bytes(data.tobytes())


def encode_jp2(pixels: Pixels, target_bytes: int = CHIP_JP2_BYTES) -> bytes:
    """A JP2 file of at most about `target_bytes` (the largest rate that fits), as a chip's."""
    import cv2  # noqa: PLC0415

    low, high, best = 1, 1000, b""
    while low <= high:  # bisect OpenCV's rate (x1000) for the size
        rate = (low + high) // 2
        ok, data = cv2.imencode(".jp2", pixels, [cv2.IMWRITE_JPEG2000_COMPRESSION_X1000, rate])
        assert ok
        if len(data) <= target_bytes:
            best, low = bytes(data.tobytes()), rate + 1
        else:
            high = rate - 1
    if not best:  # the target is below what the lowest rate gives
        ok, data = cv2.imencode(".jp2", pixels, [cv2.IMWRITE_JPEG2000_COMPRESSION_X1000, 1])
        best = bytes(data.tobytes())
    return best


def _chip(width: int, height: int, size: int) -> Callable[[Pixels], bytes]:
    return lambda pixels: encode_jp2(icao_size(pixels, width, height), size)


def _jpeg(change: Callable[[Pixels], Pixels], quality: int = 90) -> Callable[[Pixels], bytes]:
    return lambda pixels: encode_jpeg(change(pixels), quality)


DEGRADATIONS: dict[str, Callable[[Pixels], bytes]] = {
    "ICAO 240x320, JPEG": _jpeg(lambda p: icao_size(p, 240, 320)),
    "ICAO 413x531, JPEG": _jpeg(lambda p: icao_size(p, 413, 531)),
    "chip: 240x320, JPEG 2000, 12 KB": _chip(240, 320, 12_000),
    "chip: 240x320, JPEG 2000, 6 KB": _chip(240, 320, 6_000),
    "chip: 413x531, JPEG 2000, 18 KB": _chip(413, 531, 18_000),
    "JPEG quality 30": _jpeg(lambda p: p, 30),
    "crop 15 %": _jpeg(lambda p: crop(p, 0.15)),
    "darker (gamma 1.8)": _jpeg(lambda p: adjust_light(p, gamma=1.8)),
    "lighter (gamma 0.55)": _jpeg(lambda p: adjust_light(p, gamma=0.55)),
    "brightness -50": _jpeg(lambda p: adjust_light(p, offset=-50)),
    "brightness +50": _jpeg(lambda p: adjust_light(p, offset=50)),
}
"""Each turns a portrait's pixels into the encoded image compared with the original."""
