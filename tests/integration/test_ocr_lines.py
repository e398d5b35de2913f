"""MRZ line crops with ground truth (mrz-lines/doubango of the shared data, tests/shared_data.py;
without it these tests are skipped): `read_mrz_line`.

The selection is 160 of the 1,500 crops: the 101 cut from photos and scans of specimen
documents (every line of each image whose ground truth names a specimen person) plus every
20th of the 1,180 synthetic `font_generate_*` lines, 59. Measured 2026-11 on it: synthetic
59/59 exact; photos/scans CER 1.58 %, 78/101 lines exact. On the whole 1,500-crop set
(benchmarks/bench_ocr_lines.py): CER 0.80 %, 92.6 % of lines exact, against Tesseract's
16.7 % and 17.5 %. The bounds below leave a margin; tighten them when the reader improves.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from tests.shared_data import shared_data_params, shared_data_path

pytest.importorskip("cv2", reason="MRZ OCR needs the mrtd[ocr] extra")

import numpy as np

from mrtd.errors import DecodeError, MRZNotFoundError
from mrtd.mrz.ocr.line import LineReading, character_errors, read_mrz_line

LINES = ("mrz-lines", "doubango")
# the ground truths of specimen documents name one of these (the other photos may show people)
SPECIMEN_NAMES = ("SPECIMEN", "MUSTERMANN", "MUSTERFRAU", "SAMPLE", "TRAVELER", "SANTA<<CLAUS")
SYNTHETIC_STEP = 20
_CROP = re.compile(r"(?P<image>.+)-\d+\.tif")
REAL_CER_BOUND = 0.025  # measured 0.0158
REAL_EXACT_FLOOR = 72  # of 101; measured 78


@cache
def selection(folder: Path) -> dict[bool, list[Path]]:
    """The crops tested, by synthetic or not: every SYNTHETIC_STEP-th synthetic line (in name
    order), and every line of each image that is a specimen document."""
    found = sorted(folder.glob("*.tif"))
    images: dict[str, list[Path]] = {}
    for path in found:
        if not path.name.startswith("font_generate"):
            match = _CROP.fullmatch(path.name)
            assert match is not None, f"unexpected crop name {path.name}"
            images.setdefault(match["image"], []).append(path)
    specimens = [
        path
        for paths in images.values()
        if any(name in truth(p) for p in paths for name in SPECIMEN_NAMES)
        for path in paths
    ]
    synthetic = [p for p in found if p.name.startswith("font_generate")][::SYNTHETIC_STEP]
    return {True: synthetic, False: sorted(specimens)}


def crops(synthetic: bool) -> list[Path]:
    return selection(shared_data_path(*LINES))[synthetic]


@cache
def reading(path: Path) -> str:
    try:
        return read_mrz_line(path).text
    except MRZNotFoundError:
        return ""


def truth(path: Path) -> str:
    return path.with_suffix(".gt.txt").read_text().strip()


def test_selection_holds_what_provenance_says() -> None:
    assert (len(crops(synthetic=False)), len(crops(synthetic=True))) == (101, 59)


@pytest.mark.parametrize(
    "path",
    shared_data_params(*LINES, pick=lambda folder: selection(folder)[True], ids=lambda p: p.stem),
)
def test_synthetic_lines_read_exactly(path: Path) -> None:
    assert reading(path) == truth(path)


def test_photo_lines_error_rate_and_line_accuracy() -> None:
    paths = crops(synthetic=False)
    errors = sum(character_errors(reading(p), truth(p)) for p in paths)
    characters = sum(len(truth(p)) for p in paths)
    exact = sum(reading(p) == truth(p) for p in paths)
    assert errors / characters <= REAL_CER_BOUND
    assert exact >= REAL_EXACT_FLOOR


def test_reading_reports_per_character_confidence() -> None:
    path = crops(synthetic=True)[0]
    result = read_mrz_line(path)
    assert isinstance(result, LineReading)
    assert len(result.char_confidence) == len(result.text)
    assert result.confidence == min(result.char_confidence)
    assert 0.0 < result.confidence <= 1.0
    assert result.text not in repr(result)  # the text is data, not for logs


@pytest.mark.parametrize(
    ("read", "want", "expected"),
    [("", "", 0), ("ABC", "ABC", 0), ("ABC", "AXC", 1), ("AC", "ABC", 1), ("", "<<<", 3)],
)
def test_character_errors(read: str, want: str, expected: int) -> None:
    assert character_errors(read, want) == expected
    assert character_errors(want, read) == expected


def test_blank_crop_has_no_line() -> None:
    with pytest.raises(MRZNotFoundError):
        read_mrz_line(np.full((60, 900), 255, np.uint8))


def test_corrupt_crop_is_a_decode_error() -> None:
    with pytest.raises(DecodeError):
        read_mrz_line(b"II*\x00" + b"\x00" * 40)
