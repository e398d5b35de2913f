"""Classify one MRZ character cell (OCR-B, 9303-3 §4.2) into the 37 MRZ characters.

The MRZ locator cuts a photo's MRZ into one grayscale cell per character; this module turns
each cell into a fixed-size ink image (`normalize_cell`) and runs a small multilayer
perceptron over a batch of them (`classify`). The network is numpy only, so OCR needs no
machine-learning framework; its weights (`data/ocrb_model.npz`) are trained on synthetic OCR-B
by tools/make_ocr_model.py, deterministically from a seed.

Probabilities rather than a single answer are returned because the MRZ is self-checking: the
repair step can try the second reading of a doubtful cell against the check digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import IO

from mrtd.errors import OptionalDependencyError

try:
    import cv2
    import numpy as np
    from numpy.typing import NDArray
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise OptionalDependencyError(
        "MRZ OCR needs OpenCV and numpy: pip install 'mrtd[ocr]'"
    ) from exc

__all__ = [
    "ALPHABET",
    "CELL_SHAPE",
    "CellModel",
    "classify",
    "load_model",
    "normalize_cell",
    "top_k",
]

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<"  # 9303-3 §4.2.2; index = class id
CELL_SHAPE = (32, 24)  # (height, width): an OCR-B glyph is about 0.65 as wide as it is tall

MODEL_FILE = "data/ocrb_model.npz"
_MARGIN = 2  # blank pixels kept round the glyph, so strokes never touch the cell's edge
_WORK_HEIGHT = 96  # larger cells are shrunk first: more pixels add cost, not information
_MIN_CONTRAST = 0.06  # darkest ink below 94 % of the paper's brightness, or the cell is blank
_MIN_EXTENT = 0.2  # ink narrower and lower than this fraction of the cell is a speck
_MIN_INK = 4.0  # summed ink of a normalized cell below which classify answers "no idea"
_CENTRE = (0.25, 0.75)  # horizontal band (fraction of the width) where the cell's glyph is
_RULE = 0.25  # a component across the cell's width this flat (of the glyph's height) is a rule
_INVERTED_BORDER = 0.7  # border pixels that are "ink" above which the cell is light-on-dark


def normalize_cell(cell: NDArray[np.uint8]) -> NDArray[np.float32]:
    """One character cell (grayscale, dark ink on light paper, any size) -> a `CELL_SHAPE`
    float32 ink image in 0..1 (1 = ink), the glyph scaled to fit and centred.

    Steps, and why:
    1. Light is flattened by dividing by the paper's brightness, estimated by a grey-level
       dilation wider than a stroke: a photo lit from one side still thresholds cleanly.
    2. Ink is split from paper by Otsu's threshold on that ratio; a cell whose darkest ink is
       not clearly darker than the paper is blank (all zeros), never noise blown up to a glyph.
    3. The glyph is the connected ink component with most pixels in the middle half of the
       width; other components are kept only if they belong to it (broken strokes). Slivers of
       the neighbours at the left and right edges (segmentation off by up to ~20 % of the
       pitch) and of the lines above and below are dropped, as are specks.
    4. The glyph's bounding box is scaled, aspect ratio kept, into the cell less a margin, and
       centred: the classifier then sees the same picture at any print size and cell offset.
       The ink keeps its grey edge values (not a binary mask), which carry the shape of small
       print. Keeping the aspect ratio is what tells the narrow '0' from 'O' and '1' from 'I'.
    Light ink on dark paper (an inverted cell, most of its border "ink") is inverted first.
    """
    gray = _grayscale(cell)
    if gray is None:
        return _blank()
    ink = _ink_ratio(gray)
    if ink is None:
        return _blank()
    mask = _glyph_mask(ink)
    if mask is None:
        return _blank()
    return _fit(ink * _grow(mask), mask)


def classify(cells: NDArray[np.float32]) -> NDArray[np.float32]:
    """(N, *CELL_SHAPE) normalized cells -> (N, 37) probabilities, each row summing to 1.

    A blank cell (no ink after normalisation) gets the uniform distribution: low confidence
    for every character, which the caller can see, rather than the network's guess.
    """
    return load_model().probabilities(cells)


def top_k(probabilities: NDArray[np.float32], k: int = 3) -> list[list[tuple[str, float]]]:
    """Per cell, the k most likely characters with their probabilities, most likely first
    (ties in class order, so the result is reproducible)."""
    rows = np.asarray(probabilities, dtype=np.float32)
    if rows.ndim != 2 or rows.shape[1] != len(ALPHABET):
        raise ValueError(f"probabilities must have shape (N, {len(ALPHABET)}), not {rows.shape}")
    k = max(0, min(k, len(ALPHABET)))
    order = np.argsort(-rows, axis=1, kind="stable")[:, :k]
    return [
        [(ALPHABET[i], float(row[i])) for i in ranks]
        for row, ranks in zip(rows, order, strict=True)
    ]


@dataclass(frozen=True, slots=True)
class CellModel:
    """A multilayer perceptron: dense layers (weights, biases) with ReLU between them and a
    softmax at the end. float32 at run time; stored as float16, which costs no accuracy."""

    layers: tuple[tuple[NDArray[np.float32], NDArray[np.float32]], ...]

    def probabilities(self, cells: NDArray[np.float32]) -> NDArray[np.float32]:
        batch = np.asarray(cells, dtype=np.float32)
        if batch.shape[1:] != CELL_SHAPE:
            raise ValueError(f"cells must have shape (N, {CELL_SHAPE[0]}, {CELL_SHAPE[1]})")
        pixels = batch.reshape(len(batch), CELL_SHAPE[0] * CELL_SHAPE[1])
        x = pixels
        for index, (weights, bias) in enumerate(self.layers):
            x = x @ weights + bias
            if index < len(self.layers) - 1:
                np.maximum(x, 0.0, out=x)
        x -= x.max(axis=1, keepdims=True)
        np.exp(x, out=x)
        x /= x.sum(axis=1, keepdims=True)
        blank = pixels.sum(axis=1) < _MIN_INK
        x[blank] = 1.0 / len(ALPHABET)
        return x

    def save(self, target: IO[bytes]) -> None:
        """Write the model as an .npz archive (float16 weights). Byte for byte the same for
        the same weights: the zip entries carry a fixed date, unlike numpy's savez."""
        import io  # noqa: PLC0415 - only the training script saves
        import zipfile  # noqa: PLC0415

        arrays: dict[str, NDArray[np.generic]] = {
            "alphabet": np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8),
            "cell_shape": np.array(CELL_SHAPE, dtype=np.int32),
        }
        for index, (weights, bias) in enumerate(self.layers):
            arrays[f"w{index}"] = weights.astype(np.float16)
            arrays[f"b{index}"] = bias.astype(np.float16)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, array in arrays.items():
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.ascontiguousarray(array))
                entry = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                entry.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(entry, buffer.getvalue(), compresslevel=9)

    @classmethod
    def load(cls, source: IO[bytes]) -> CellModel:
        """Read a model written by `save`; ValueError if it was trained for another alphabet
        or cell shape (its first layer would read the pixels wrongly)."""
        with np.load(source, allow_pickle=False) as archive:
            if archive["alphabet"].tobytes() != ALPHABET.encode("ascii"):
                raise ValueError("the OCR model was trained for another alphabet")
            if tuple(int(n) for n in archive["cell_shape"]) != CELL_SHAPE:
                raise ValueError("the OCR model was trained for another cell shape")
            count = sum(1 for name in archive.files if name.startswith("w"))
            layers = tuple(
                (
                    archive[f"w{i}"].astype(np.float32),
                    archive[f"b{i}"].astype(np.float32),
                )
                for i in range(count)
            )
        return cls(layers)


@cache
def load_model() -> CellModel:
    """The model shipped with the package, read once."""
    with resources.files("mrtd.mrz.ocr").joinpath(MODEL_FILE).open("rb") as source:
        return CellModel.load(source)


# -- normalisation steps ----------------------------------------------------------------------


def _blank() -> NDArray[np.float32]:
    return np.zeros(CELL_SHAPE, dtype=np.float32)


def _grayscale(cell: NDArray[np.uint8]) -> NDArray[np.float32] | None:
    """The cell as float32 0..255, dark ink on light paper, shrunk (aspect kept) to at most
    _WORK_HEIGHT rows and four times that in columns; None if too small to hold a glyph."""
    pixels = np.asarray(cell)
    if pixels.ndim != 2:
        raise ValueError(f"a cell is a 2-D grayscale image, not shape {pixels.shape}")
    if min(pixels.shape) < 3:
        return None
    if pixels.dtype != np.uint8:
        pixels = np.clip(np.nan_to_num(pixels.astype(np.float64)), 0, 255).astype(np.uint8)
    height, width = pixels.shape
    scale = min(_WORK_HEIGHT / height, 4 * _WORK_HEIGHT / width)
    if scale < 1:
        size = (max(3, round(width * scale)), max(3, round(height * scale)))
        pixels = np.asarray(cv2.resize(pixels, size, interpolation=cv2.INTER_AREA), np.uint8)
    gray = pixels.astype(np.float32)
    if _looks_inverted(pixels):
        gray = 255.0 - gray
    return gray


def _looks_inverted(pixels: NDArray[np.uint8]) -> bool:
    """Light ink on dark paper: most of the border is on the dark side of Otsu's threshold.
    A dark-on-light cell's border is paper but for neighbour slivers, far below 70 %."""
    if int(pixels.max()) - int(pixels.min()) < 16:
        return False
    level, _ = cv2.threshold(pixels, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    border = np.concatenate([pixels[0], pixels[-1], pixels[1:-1, 0], pixels[1:-1, -1]])
    return bool(np.mean(border <= level) > _INVERTED_BORDER)


def _ink_ratio(gray: NDArray[np.float32]) -> NDArray[np.float32] | None:
    """Ink darkness relative to the local paper, stretched so solid strokes reach 1.

    The paper's brightness is a grey-level dilation (a running maximum) over a window wider
    than any stroke, smoothed: it follows a lighting gradient but not the ink. None if the
    darkest ink is within _MIN_CONTRAST of the paper (a blank or uniform cell).
    """
    height, width = gray.shape
    size = max(3, int(0.3 * min(height, width * 1.3)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    paper = cv2.dilate(cv2.blur(gray, (3, 3)), kernel)  # blurred first: noise is not paper
    paper = cv2.blur(paper, (size, size))
    paper = np.maximum(paper, gray)
    darkness = 1.0 - gray / np.maximum(paper, 1.0)
    # The darkest 3x3 average, not the darkest pixel: one pixel of noise is not ink.
    depth = float(cv2.blur(darkness, (3, 3)).max())
    if depth < _MIN_CONTRAST:
        return None
    ink: NDArray[np.float32] = np.clip(darkness / depth, 0.0, 1.0).astype(np.float32)
    return ink


def _glyph_mask(ink: NDArray[np.float32]) -> NDArray[np.bool_] | None:
    """The pixels of the cell's own glyph (step 3 of `normalize_cell`); None if only specks."""
    height, width = ink.shape
    levels = (ink * 255).astype(np.uint8)
    otsu, _ = cv2.threshold(levels, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    binary = (levels > max(otsu, 0.3 * 255)).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if count < 2:
        return None
    left, right = round(width * _CENTRE[0]), max(round(width * _CENTRE[1]), 1)
    central = np.bincount(labels[:, left:right].ravel(), minlength=count)
    central[0] = 0
    main = int(np.argmax(central))
    if central[main] == 0:
        return None
    x0, y0, w0, h0, area0 = (int(v) for v in stats[main])
    if w0 < _MIN_EXTENT * width and h0 < _MIN_EXTENT * height:
        return None
    pad = max(1, round(0.08 * height))
    keep = [main]
    for label in range(1, count):
        if label == main:
            continue
        x, y, w, h, area = (int(v) for v in stats[label])
        inside = x >= x0 and y >= y0 and x + w <= x0 + w0 and y + h <= y0 + h0
        if area < max(2, (0.02 if inside else 0.1) * area0):
            continue  # a speck; outside the glyph's box it would shift and shrink the glyph
        if x > x0 + w0 + pad or x + w < x0 - pad or y > y0 + h0 + pad or y + h < y0 - pad:
            continue
        x_inside = min(x + w, x0 + w0) - max(x, x0)
        y_inside = min(y + h, y0 + h0) - max(y, y0)
        if (x == 0 or x + w == width) and x_inside < 0.5 * w:
            continue
        if (y == 0 or y + h == height) and y_inside < 0.5 * h:
            continue
        if x == 0 and x + w == width and h < _RULE * h0:
            continue  # a rule or page edge across the whole cell, not a stroke
        keep.append(label)
    kept = np.zeros(count, dtype=bool)
    kept[keep] = True
    mask: NDArray[np.bool_] = kept[labels]
    return mask


def _grow(mask: NDArray[np.bool_]) -> NDArray[np.float32]:
    """The mask widened by a pixel, so the glyph keeps its anti-aliased edge."""
    grown = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8))
    return grown.astype(np.float32)


def _fit(ink: NDArray[np.float32], mask: NDArray[np.bool_]) -> NDArray[np.float32]:
    """The glyph's bounding box scaled into CELL_SHAPE less the margin, aspect kept, centred."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    top, bottom = max(rows[0] - 1, 0), min(rows[-1] + 2, mask.shape[0])
    left, right = max(cols[0] - 1, 0), min(cols[-1] + 2, mask.shape[1])
    glyph = ink[top:bottom, left:right]
    box_height, box_width = CELL_SHAPE[0] - 2 * _MARGIN, CELL_SHAPE[1] - 2 * _MARGIN
    scale = min(box_height / glyph.shape[0], box_width / glyph.shape[1])
    height = min(box_height, max(1, round(glyph.shape[0] * scale)))
    width = min(box_width, max(1, round(glyph.shape[1] * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(glyph, (width, height), interpolation=interpolation)
    out = _blank()
    y, x = (CELL_SHAPE[0] - height) // 2, (CELL_SHAPE[1] - width) // 2
    out[y : y + height, x : x + width] = np.clip(resized, 0.0, 1.0)
    return out
