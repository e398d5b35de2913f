"""The MRZ character classifier: the shipped model reads OCR-B lines it never saw (rendered
here, not by the training script), probabilities and top-k are well formed, odd cells do
not crash it, and it is deterministic, as is the script that trains it."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from mrtd.mrz import generate_mrz

pytest.importorskip("cv2", reason="the mrtd[ocr] extra is not installed")
pytest.importorskip("PIL", reason="Pillow (a dev dependency) renders the test lines")

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from mrtd.mrz.ocr.classifier import (
    ALPHABET,
    CELL_SHAPE,
    CellModel,
    classify,
    load_model,
    normalize_cell,
    top_k,
)

Cell = NDArray[np.uint8]
FONTS = Path("/usr/share/fonts/opentype/ocr-b")
needs_font = pytest.mark.skipif(
    not (FONTS / "OCRB.otf").exists(), reason="the OCR-B font (fonts-ocr-b) is not installed"
)

MRZ = generate_mrz(
    "TD3",
    document_code="P",
    issuing_state="UTO",
    surname="Eriksson",
    given_names="Anna Maria",
    document_number="L898902C3",
    nationality="UTO",
    birth_date=date(1974, 8, 12),
    sex="F",
    expiry_date=date(2032, 4, 15),
    optional_data="ZE184226B",
)
TD1 = generate_mrz(
    "TD1",
    document_code="ID",
    issuing_state="D",
    surname="Mustermann",
    given_names="Erika",
    document_number="T22000129",
    nationality="D",
    birth_date=date(1964, 8, 12),
    sex="F",
    expiry_date=date(2030, 10, 31),
)


def render_cells(
    text: str,
    cap: float,
    *,
    font: str = "OCRB.otf",
    offset: float = 0.0,
    blur: float = 0.0,
    gradient: float = 0.0,
    noise: float = 0.0,
) -> list[Cell]:
    """One line of OCR-B with capitals `cap` pixels high, cut into one cell per character
    at the font's pitch, shifted sideways by `offset` pitches."""
    size = cap / 0.716
    typeface = ImageFont.truetype(str(FONTS / font), size)
    pitch = typeface.getlength("0")
    width, height = round(pitch * (len(text) + 2)), round(cap * 3)
    image = Image.new("L", (width, height), 235)
    baseline = round(2 * cap)
    ImageDraw.Draw(image).text((round(pitch), baseline), text, font=typeface, fill=25, anchor="ls")
    pixels = np.asarray(image, dtype=np.float32)
    pixels *= np.linspace(1 - gradient, 1, width, dtype=np.float32)[None, :]
    if blur:
        pixels = np.asarray(cv2.GaussianBlur(pixels, (0, 0), blur), np.float32)
    if noise:
        pixels += np.random.default_rng(20240229).normal(0, noise, pixels.shape)
    line = _u8(np.clip(np.round(pixels), 0, 255))
    top, bottom = round(baseline - 1.45 * cap), round(baseline + 0.3 * cap)
    cells = []
    for i in range(len(text)):
        left = round(pitch * (1 + i + offset))
        cells.append(line[top:bottom, left : round(left + pitch)])
    return cells


def read(cells: list[Cell]) -> str:
    probabilities = classify(np.stack([normalize_cell(c) for c in cells]))
    return "".join(ALPHABET[i] for i in probabilities.argmax(axis=1))


def test_the_shipped_model_loads() -> None:
    model = load_model()
    assert model is load_model()  # read once
    assert model.layers[0][0].shape[0] == CELL_SHAPE[0] * CELL_SHAPE[1]
    assert model.layers[-1][0].shape[1] == len(ALPHABET) == 37
    assert all(w.dtype == np.float32 for w, _ in model.layers)


@needs_font
@pytest.mark.parametrize(
    ("cap", "font", "options"),
    [
        (24, "OCRB.otf", {}),
        (18, "OCRBS.otf", {"blur": 0.7, "noise": 4.0}),
        (32, "OCRB.otf", {"offset": 0.15, "gradient": 0.5}),
        (16, "OCRB.otf", {"offset": -0.12, "blur": 0.5}),
    ],
)
def test_reads_a_fresh_mrz(cap: float, font: str, options: dict[str, float]) -> None:
    for line in MRZ.split("\n") + TD1.split("\n"):
        assert read(render_cells(line, cap, font=font, **options)) == line


def test_probabilities_are_softmax_rows() -> None:
    cells = np.stack([normalize_cell(c) for c in _glyph_cells()])
    probabilities = classify(np.concatenate([cells, np.zeros((1, *CELL_SHAPE), np.float32)]))
    assert probabilities.shape == (len(cells) + 1, 37)
    assert probabilities.dtype == np.float32
    assert np.all(probabilities >= 0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert classify(np.zeros((0, *CELL_SHAPE), np.float32)).shape == (0, 37)


def test_a_blank_cell_gets_no_confident_answer() -> None:
    probabilities = classify(normalize_cell(np.full((30, 22), 200, np.uint8))[None])
    np.testing.assert_allclose(probabilities, 1 / 37, rtol=1e-6)
    assert top_k(probabilities, 1)[0][0][1] == pytest.approx(1 / 37)


def test_top_k_is_ordered() -> None:
    probabilities = classify(np.stack([normalize_cell(c) for c in _glyph_cells()]))
    ranked = top_k(probabilities, k=5)
    assert len(ranked) == len(probabilities)
    for row, choices in zip(probabilities, ranked, strict=True):
        assert len(choices) == 5
        values = [p for _, p in choices]
        assert values == sorted(values, reverse=True)
        assert choices[0][0] == ALPHABET[int(row.argmax())]
        assert all(row[ALPHABET.index(c)] == pytest.approx(p) for c, p in choices)
    assert [len(r) for r in top_k(probabilities, k=99)] == [37] * len(probabilities)
    assert top_k(probabilities[:1], k=0) == [[]]
    with pytest.raises(ValueError, match="shape"):
        top_k(np.ones((2, 5), np.float32))


@pytest.mark.parametrize(
    "cell",
    [
        np.zeros((0, 0), np.uint8),
        np.zeros((0, 12), np.uint8),
        np.zeros((1, 1), np.uint8),
        np.full((2, 2), 255, np.uint8),
        np.full((40, 30), 255, np.uint8),  # uniform paper
        np.zeros((40, 30), np.uint8),  # uniform ink
        np.random.default_rng(1).integers(0, 256, (40, 30), dtype=np.uint8),  # noise
        np.full((3000, 2000), 240, np.uint8),  # huge and blank
        np.tile(np.array([0, 255], np.uint8), (30, 15)),  # stripes
        np.full((1, 500), 0, np.uint8),  # a line
    ],
    ids=["0x0", "0x12", "1x1", "2x2", "paper", "ink", "noise", "huge", "stripes", "1x500"],
)
def test_odd_cells_do_not_crash(cell: Cell) -> None:
    normalized = normalize_cell(cell)
    assert normalized.shape == CELL_SHAPE
    assert normalized.dtype == np.float32
    assert 0 <= normalized.min() <= normalized.max() <= 1
    np.testing.assert_allclose(classify(normalized[None]).sum(), 1.0, rtol=1e-5)


def test_only_2d_cells() -> None:
    with pytest.raises(ValueError, match="2-D"):
        normalize_cell(np.zeros((20, 20, 3), np.uint8))


@needs_font
def test_scale_and_inversion() -> None:
    cells = render_cells("K<C4O0", 20)
    huge = [_u8(cv2.resize(c, None, fx=12, fy=12, interpolation=cv2.INTER_CUBIC)) for c in cells]
    assert huge[0].shape[0] > 400
    assert read(huge) == "K<C4O0"
    assert read([255 - c for c in cells]) == "K<C4O0"  # light ink on dark paper
    tiny = [_u8(cv2.resize(c, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)) for c in cells]
    assert all(normalize_cell(c).shape == CELL_SHAPE for c in tiny)


@needs_font
@pytest.mark.parametrize("gap", [2, 3, 4])
def test_a_rule_across_the_cell_is_not_part_of_the_glyph(gap: int) -> None:
    """A page edge or printed rule just above a line crosses every cell of it (measured on a
    photo: 'JANE' read 'JXNE' before such rules were dropped)."""
    ruled = []
    for glyph in render_cells("JANE", 24):
        top = int(np.flatnonzero((glyph < 128).any(axis=1))[0])
        cell = np.vstack([np.full((8, glyph.shape[1]), 230, np.uint8), glyph])
        row = top + 8 - gap - 2
        cell[row : row + 2] = 40  # a thin dark line over the cell's whole width
        ruled.append(cell)
    assert read(ruled) == "JANE"


@needs_font
def test_the_filler_is_not_k_c_or_4() -> None:
    cells = render_cells("<K<C<4<", 14, blur=0.6)
    probabilities = classify(np.stack([normalize_cell(c) for c in cells]))
    assert read(cells) == "<K<C<4<"
    assert probabilities[::2, ALPHABET.index("<")].min() > 0.9


def test_deterministic() -> None:
    cells = _glyph_cells()
    first = np.stack([normalize_cell(c) for c in cells])
    second = np.stack([normalize_cell(c.copy()) for c in cells])
    assert first.tobytes() == second.tobytes()
    assert classify(first).tobytes() == classify(second).tobytes()


def test_model_round_trip_is_exact() -> None:
    model = load_model()
    buffer = io.BytesIO()
    model.save(buffer)
    again = CellModel.load(io.BytesIO(buffer.getvalue()))
    for (w1, b1), (w2, b2) in zip(model.layers, again.layers, strict=True):
        assert w1.tobytes() == w2.tobytes()
        assert b1.tobytes() == b2.tobytes()
    other = io.BytesIO()
    again.save(other)
    assert other.getvalue() == buffer.getvalue()  # fixed zip dates: the same bytes


@needs_font
def test_training_script_is_deterministic(tmp_path: Path) -> None:
    from tools import make_ocr_model  # noqa: PLC0415 - only this test needs the script

    outputs = []
    for run in ("a", "b"):
        out = tmp_path / f"{run}.npz"
        args = ["--samples", "500", "--eval-samples", "0", "--epochs", "1", "--out", str(out)]
        assert make_ocr_model.main(args) == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert len(CellModel.load(io.BytesIO(outputs[0])).layers) == 2


def _glyph_cells() -> list[Cell]:
    """Synthetic cells without the font: bars, rings and crosses at a few sizes."""
    cells = []
    for height, width in ((30, 22), (14, 11), (60, 44)):
        for shape in range(4):
            cell = np.full((height, width), 230, np.uint8)
            h, w, t = height, width, max(2, height // 10)
            if shape == 0:
                cell[h // 6 : -h // 6, w // 2 - t // 2 : w // 2 + t] = 20
            elif shape == 1:
                cv2.ellipse(cell, (w // 2, h // 2), (w // 3, h // 3), 0, 0, 360, 20, t)
            elif shape == 2:
                cv2.line(cell, (w // 5, h // 6), (4 * w // 5, 5 * h // 6), 20, t)
                cv2.line(cell, (4 * w // 5, h // 6), (w // 5, 5 * h // 6), 20, t)
            else:
                cv2.line(cell, (4 * w // 5, h // 6), (w // 5, h // 2), 20, t)
                cv2.line(cell, (w // 5, h // 2), (4 * w // 5, 5 * h // 6), 20, t)
            cells.append(cell)
    return cells


def _u8(array: object) -> Cell:
    return np.asarray(array, dtype=np.uint8)
