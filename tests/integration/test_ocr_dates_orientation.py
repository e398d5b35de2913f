"""Issue 23: dates are data for OCR too, and a photo is read as it is shown (EXIF orientation).

A specimen whose birth date is 29 February of a common year (every check digit holds) was
refused in all eight EXIF orientations: the decoder took the impossible date as a constraint
and looked for other characters. Here a synthetic page printing such an MRZ is stored in each
of the eight orientations, with the tag that says how to show it, and must read valid with a
warning, the dates as printed. Pages with an unknown day (`<<`) and an unknown month (`00`)
read the same way.
"""

from __future__ import annotations

import io
import os

import pytest

pytest.importorskip("cv2", reason="MRZ OCR needs the mrtd[ocr] extra")
pytest.importorskip("PIL", reason="synthetic pages need Pillow")

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps

from mrtd.access.keys import MRZKey
from mrtd.mrz import MRZ, generate_mrz, parse_mrz
from mrtd.mrz.ocr.decode import ALPHABET, decode
from mrtd.mrz.ocr.image import exif_orientation, orient
from mrtd.mrz.ocr.pipeline import read_mrz_image
from mrtd.mrz.ocr.synthetic_page import EVAL_SEEDS, OCRB_FONT, render_page

if not OCRB_FONT.is_file():
    pytest.skip("synthetic pages need the OCR-B font", allow_module_level=True)

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

# stored pixels for each orientation, from the pixels as shown (the inverse of `orient`)
_STORED = {
    1: lambda a: a,
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1, :],
    5: lambda a: a.T,
    6: lambda a: np.rot90(a, 1),
    7: lambda a: a[::-1, ::-1].T,
    8: lambda a: np.rot90(a, -1),
}


def _specimen(birth: str, expiry: str, kind: str = "TD3") -> MRZ:
    text = generate_mrz(
        kind,
        document_code="P" if kind == "TD3" else "I",
        issuing_state="UTO",
        surname="SPECIMEN",
        given_names="LEAP DAY",
        document_number="L01X00T47",
        nationality="UTO",
        birth_date=birth,
        sex="F",
        expiry_date=expiry,
    )
    return parse_mrz(text)


def _jpeg_with_orientation(shown: NDArray[np.uint8], orientation: int) -> bytes:
    """A JPEG storing `shown` so that EXIF `orientation` shows it upright."""
    stored = np.ascontiguousarray(_STORED[orientation](shown))
    ok, encoded = cv2.imencode(".jpg", stored, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    jpeg = encoded.tobytes()
    entry = b"\x01\x12\x00\x03\x00\x00\x00\x01" + orientation.to_bytes(2, "big") + b"\x00\x00"
    tiff = b"MM\x00*\x00\x00\x00\x08\x00\x01" + entry + b"\x00\x00\x00\x00"
    app1 = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + (len(app1) + 2).to_bytes(2, "big") + app1 + jpeg[2:]


@pytest.fixture(scope="module")
def leap_page() -> tuple[NDArray[np.uint8], MRZ]:
    mrz = _specimen("010229", "310229")
    page, _ = render_page("TD3", seed=EVAL_SEEDS + 23, dpi=150, mrz=mrz)
    return np.asarray(cv2.cvtColor(page, cv2.COLOR_BGR2GRAY), np.uint8), mrz


def test_the_specimen_is_valid_with_warnings_and_keys_on_the_printed_dates() -> None:
    mrz = _specimen("010229", "310229")
    assert mrz.valid
    assert mrz.birth_date is None
    assert mrz.expiry_date is None
    assert "date of birth is not a calendar date (kept as printed)" in mrz.warnings
    assert MRZKey.from_mrz(mrz).mrz_information[10:16] == "010229"


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_matches_pillow(
    leap_page: tuple[NDArray[np.uint8], MRZ], orientation: int
) -> None:
    """Our reading of the tag against Pillow's `exif_transpose`: two implementations."""
    gray, _ = leap_page
    data = _jpeg_with_orientation(gray, orientation)
    assert exif_orientation(data) == orientation
    shown = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data)).convert("L")))
    stored = np.asarray(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED))
    ours = orient(stored.astype(np.uint8), orientation)
    assert shown.shape == ours.shape == gray.shape
    assert np.abs(ours.astype(int) - shown.astype(int)).mean() < 2


@pytest.mark.parametrize("orientation", range(1, 9))
def test_29_february_of_a_common_year_reads_in_every_orientation(
    leap_page: tuple[NDArray[np.uint8], MRZ], orientation: int
) -> None:
    gray, mrz = leap_page
    result = read_mrz_image(_jpeg_with_orientation(gray, orientation), tesseract=False)
    assert result.text == mrz.text
    assert result.mrz.valid
    assert result.mrz.birth_date_text == "010229"
    assert result.mrz.expiry_date_text == "310229"
    assert "date of birth is not a calendar date (kept as printed)" in result.mrz.warnings
    height, width = gray.shape  # the box is in the image as shown
    assert all(0 <= x <= width and 0 <= y <= height for x, y in result.box)


@pytest.mark.parametrize(("birth", "kind"), [("7407<<", "TD1"), ("740012", "TD2")])
def test_unknown_day_or_month_reads_as_printed(birth: str, kind: str) -> None:
    mrz = _specimen(birth, "300101", kind)
    page, _ = render_page(kind, seed=EVAL_SEEDS + 24, dpi=200, mrz=mrz)  # type: ignore[arg-type]
    result = read_mrz_image(page, tesseract=False)
    assert result.text == mrz.text
    assert result.mrz.birth_date is None
    assert result.mrz.birth_date_text == birth
    unknown = "date of birth is partly or wholly unknown"
    assert any(w.startswith(unknown) for w in result.mrz.warnings)


def test_decoder_keeps_an_impossible_date_it_sees() -> None:
    """Certain characters spelling an impossible date stay as seen (step 'argmax')."""
    mrz = _specimen("010229", "310229")
    probabilities = np.full((2, 44, len(ALPHABET)), 0.001, np.float32)
    for r, line in enumerate(mrz.lines):
        for c, char in enumerate(line):
            probabilities[r, c, ALPHABET.index(char)] = 0.96
    decoded = decode(probabilities)
    assert decoded is not None
    assert decoded.valid
    assert decoded.step == "argmax"
    assert decoded.mrz.lines == mrz.lines


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff\xe1\x00\x08Exif\x00\x00",  # truncated EXIF block
        b"\xff\xd8\xff\xe1\x00\x16Exif\x00\x00II*\x00\xff\xff\xff\x7f\x00\x00",  # wild offset
        b"\xff\xd8\xff\xda\x00\x02",  # a scan before any EXIF
        b"",
    ],
)
def test_broken_exif_is_orientation_1(data: bytes) -> None:
    assert exif_orientation(data) == 1
