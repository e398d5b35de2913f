"""Issue 23: small photos and tight crops round the MRZ ("no band reads as an MRZ").

Synthetic equivalents of the failures seen: 512x512 crops whose MRZ spans nearly the whole
width (the first and last glyphs a few pixels from the edge), a 600x834 portrait photo of a
passport page under another page, and an MRZ at 7 pixels per character. A crop that cuts
through the glyphs' margins used to be warped with its edge pixels repeated, which turns a
glyph at the edge into a bar; past the edge is now paper.
"""

from __future__ import annotations

import os

import pytest

pytest.importorskip("cv2", reason="MRZ OCR needs the mrtd[ocr] extra")
pytest.importorskip("PIL", reason="synthetic pages need Pillow")

import cv2
import numpy as np
from numpy.typing import NDArray

from mrtd.mrz import MRZ
from mrtd.mrz.ocr.pipeline import read_mrz_image
from mrtd.mrz.ocr.synthetic_page import (
    EVAL_SEEDS,
    MM_PER_INCH,
    OCRB_FONT,
    PITCH_MM,
    PageKind,
    render_page,
)

if not OCRB_FONT.is_file():
    pytest.skip("synthetic pages need the OCR-B font", allow_module_level=True)

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
DPI = 300
COUNTS = {"TD1": 30, "TD2": 36, "TD3": 44}


def _degraded(image: NDArray[np.uint8], quality: int) -> NDArray[np.uint8]:
    blurred = cv2.GaussianBlur(image, (0, 0), 0.8)
    ok, encoded = cv2.imencode(".jpg", blurred, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return np.asarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR), np.uint8)


def _tight_crop(kind: PageKind, seed: int, mrz_width: float) -> tuple[NDArray[np.uint8], MRZ]:
    """A 512x512 crop centred on the MRZ, which is `mrz_width` pixels wide (44, 36 or 30
    pitches), scaled down from a 300 dpi page."""
    page, truth = render_page(kind, seed=seed, dpi=DPI)
    factor = mrz_width / (COUNTS[kind] * PITCH_MM * DPI / MM_PER_INCH)
    small = cv2.resize(page, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    small = cv2.copyMakeBorder(small, 300, 300, 0, 0, cv2.BORDER_REPLICATE)
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    ink = np.convolve((gray < 100).sum(axis=1), np.ones(20), "same")
    lower = gray.shape[0] // 2
    centre = lower + int(np.argmax(ink[lower:]))  # the MRZ: the inkiest rows low on the page
    x0 = max(0, gray.shape[1] // 2 - 256)
    y0 = max(0, min(gray.shape[0] - 512, centre - 256))
    crop = np.ascontiguousarray(small[y0 : y0 + 512, x0 : x0 + 512], dtype=np.uint8)
    assert crop.shape[:2] == (512, 512)
    return _degraded(crop, 60), truth


@pytest.mark.parametrize(
    ("kind", "seed", "width"),
    [("TD3", 0, 511.0), ("TD2", 5, 511.0), ("TD1", 1, 510.0), ("TD3", 7, 508.0)],
)
def test_a_512_crop_tight_round_the_mrz_reads(kind: PageKind, seed: int, width: float) -> None:
    crop, truth = _tight_crop(kind, EVAL_SEEDS + 500 + seed, width)
    assert read_mrz_image(crop, tesseract=False).text == truth.text


def test_a_600_by_834_portrait_photo_reads() -> None:
    page, truth = render_page("TD3", seed=EVAL_SEEDS + 501, dpi=DPI)
    other, _ = render_page("TD3", seed=EVAL_SEEDS + 901, dpi=DPI)
    canvas = np.full((834, 600, 3), (90, 100, 120), np.uint8)
    factor = 580 / page.shape[1]
    lower = cv2.resize(page, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)[:400]
    upper = cv2.resize(other, (580, round(other.shape[0] * 580 / other.shape[1])))[:260]
    canvas[834 - 10 - lower.shape[0] : 824, 10 : 10 + lower.shape[1]] = lower
    canvas[10 : 10 + upper.shape[0], 10:590] = upper  # the booklet's other page: no MRZ
    assert read_mrz_image(_degraded(canvas, 70), tesseract=False).text == truth.text


@pytest.mark.parametrize("kind", ["TD3", "TD1"])
def test_seven_pixels_per_character_reads(kind: PageKind) -> None:
    page, truth = render_page(kind, seed=EVAL_SEEDS + 700, dpi=DPI)
    factor = 7.0 / (PITCH_MM * DPI / MM_PER_INCH)
    small = cv2.resize(page, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    assert max(small.shape) < 400
    assert read_mrz_image(small, tesseract=False).text == truth.text
