"""Fuzz the image header readers that stand between hostile image bytes and the decoder.

`mrtd.lds.image` (JPEG SOFn, JP2 boxes, the SIZ marker) promises never to raise: malformed
headers give None, and every size it gives is positive. The two `declared_size` gates (LDS
faces, MRZ OCR input, the latter also PNG, BMP, TIFF and WebP) may refuse with DecodeError,
and what they accept is within their limits.
"""

from __future__ import annotations

from harness import InvariantBrokenError, fuzz, instrumented, rejecting

with instrumented(__name__ == "__main__"):
    from mrtd.errors import MRTDError
    from mrtd.lds import image, image_decode
    from mrtd.mrz.ocr import image as ocr_image


def check_image_header(data: bytes) -> None:
    try:
        _check_never_raises(data)
    except MRTDError as exc:
        raise InvariantBrokenError(f"mrtd.lds.image raised {exc!r}") from exc
    _check_declared_size(data)


def _check_never_raises(data: bytes) -> None:
    sizes = image.header_sizes(data)
    if len(sizes) not in (1, 2) or image.image_size(data) != sizes[0]:
        raise InvariantBrokenError(f"header_sizes gave {sizes!r}")
    for size in sizes:
        if size is not None and not (size[0] > 0 and size[1] > 0):
            raise InvariantBrokenError(f"a declared size is not positive: {size!r}")
    if (image.image_type(data) is None) != (image.image_format(data) is None):
        raise InvariantBrokenError("image_type and image_format disagree")
    codestream = image.jp2_codestream(data)
    if codestream is not None and codestream not in data:
        raise InvariantBrokenError("the JP2 codestream is not part of the file")


def _check_declared_size(data: bytes) -> None:
    try:
        width, height = image_decode.declared_size(data)
    except MRTDError:
        pass
    else:
        if width * height > image_decode.MAX_PIXELS or max(width, height) > image_decode.MAX_SIDE:
            raise InvariantBrokenError(f"face size {width}x{height} passed the limits")
    _, width, height = ocr_image.declared_size(data)
    if width * height >= ocr_image.MAX_PIXELS or max(width, height) > ocr_image.MAX_SIDE:
        raise InvariantBrokenError(f"OCR size {width}x{height} passed the limits")


test_one_input = rejecting(check_image_header)

if __name__ == "__main__":
    fuzz(test_one_input, max_len=4096, dictionary="images")
