"""Fuzz the decoders of image bytes: MRZ OCR (`read_mrz_image`, built-in engine only: tesseract
is a separate program) and the face/portrait decoder of the LDS (`decode_image`). OpenCV
decodes under both; it must never crash the process.

First byte: even for OCR, odd for the face decoder. The rest is the image file. Images whose
header declares more than `PIXEL_BUDGET` pixels are left out, to keep each run short: the
library takes up to 50 MP (OCR) and 40 MP (faces), and the header checks that refuse more
are fuzzed on their own in image_header.py.
"""

from __future__ import annotations

from datetime import date

from harness import fuzz, instrumented, rejecting

# atheris 2.3 traces comparisons in instrumented code and leaks the array an elementwise numpy
# comparison returns (about 1 MB per comparison of a 1000 x 1000 image; the segment stage makes
# several per input, and the run dies of "out of memory"): the pixel stages run uninstrumented.
# Coverage still guides the file and header handling in front of them.
PIXEL_STAGES = ("locate", "segment", "classifier", "decode")

with instrumented(__name__ == "__main__", exclude=[f"mrtd.mrz.ocr.{m}" for m in PIXEL_STAGES]):
    from mrtd.lds import image_decode
    from mrtd.mrz.ocr import image as ocr_image
    from mrtd.mrz.ocr.pipeline import read_mrz_image

TODAY = date(2026, 11, 21)
PIXEL_BUDGET = 640 * 480


def check_mrz_image(data: bytes) -> None:
    if not data:
        return
    body = data[1:]
    if data[0] & 1:
        width, height = image_decode.declared_size(body)
        if width * height <= PIXEL_BUDGET:
            image_decode.decode_image(body)
    else:
        _, width, height = ocr_image.declared_size(body)
        if width * height <= PIXEL_BUDGET:
            read_mrz_image(body, tesseract=False, today=TODAY)


test_one_input = rejecting(check_mrz_image)

if __name__ == "__main__":
    fuzz(test_one_input, max_len=65536, timeout=30)
