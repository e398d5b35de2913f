"""Read one MRZ line from a crop that holds just that line: `read_mrz_line`.

For crops made by another detector (a kiosk's own MRZ finder, a data set of line images).
A lone line carries no check digits a reader could trust alone and no partner lines that
tell the format, so the result is the most probable text, not a validated MRZ: the count of
characters is whichever of the MRZ line lengths (44, 36, 30) or the count of glyphs seen
the classifier reads most confidently.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mrtd.errors import MRZNotFoundError
from mrtd.mrz.ocr.image import load_gray, require_opencv
from mrtd.mrz.ocr.segment import Hypothesis, line_hypotheses, strip_from_crop

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["LineReading", "character_errors", "read_mrz_line"]

LINE_LENGTHS = (44, 36, 30)
_MIN_GLYPHS = 8  # a glyph count below this is no MRZ line
_MAX_GLYPHS = 60
_LOOK_ALIKE = 0.02  # the runner-up's probability that makes a look-alike a question
_NEAR = 2  # a glyph count this close to an MRZ line length is that length


@dataclass(frozen=True, slots=True)
class LineReading:
    """The most probable text of a line crop; `confidence` is the lowest probability of any
    chosen character, `char_confidence` all of them."""

    text: str
    confidence: float
    char_confidence: tuple[float, ...]
    seconds: float

    def __repr__(self) -> str:
        return (
            f"LineReading({len(self.text)} characters, confidence={self.confidence:.3f}, "
            f"seconds={self.seconds:.3f})"
        )


def read_mrz_line(image: bytes | str | os.PathLike[str] | NDArray[np.generic]) -> LineReading:
    """Read the single MRZ line in a crop (image as for `read_mrz_image`).

    Raises DecodeError for unusable image data and MRZNotFoundError when no line of glyphs
    at an MRZ's pitch is found.
    """
    import numpy as np  # noqa: PLC0415

    from mrtd.mrz.ocr import classifier as ocr_classifier  # noqa: PLC0415

    started = time.perf_counter()
    require_opencv()
    gray = load_gray(image)
    height, glyphs = _glyphs(gray)
    if height is None:
        raise MRZNotFoundError("no MRZ line found: no glyph-sized marks in the image")
    strip = strip_from_crop(gray, height)
    if strip is None:
        raise MRZNotFoundError("no MRZ line found: the image is too small or too large")
    counts = _counts(glyphs)
    best: tuple[float, Hypothesis, NDArray[np.float32]] | None = None
    for cut in line_hypotheses(strip, counts):
        cells = np.stack([ocr_classifier.normalize_cell(cell) for cell in cut.cells()[0]])
        probabilities = ocr_classifier.classify(cells)
        score = float(np.log(np.maximum(probabilities.max(axis=1), 1e-9)).mean())
        if best is None or score > best[0]:
            best = (score, cut, probabilities)
    if best is None:
        raise MRZNotFoundError("no MRZ line found: no cut at an MRZ line's pitch fits")
    _, _, probabilities = best
    chosen = _in_context(probabilities)
    text = "".join(ocr_classifier.ALPHABET[i] for i in chosen)
    confidences = tuple(float(p) for p in probabilities[np.arange(len(chosen)), chosen])
    return LineReading(text, min(confidences), confidences, time.perf_counter() - started)


def _in_context(probabilities: NDArray[np.float32]) -> NDArray[np.intp]:
    """The most probable characters, with the look-alikes OCR-B barely tells apart settled
    by their neighbours, as a reader of the line would: 'O' or '0' among digits or letters
    (two on each side), and a faint '<' read as 'C' between fillers."""
    import numpy as np  # noqa: PLC0415

    from mrtd.mrz.ocr.classifier import ALPHABET  # noqa: PLC0415

    chosen = probabilities.argmax(axis=1)
    text = [ALPHABET[i] for i in chosen]
    letter_o, zero, filler = ALPHABET.index("O"), ALPHABET.index("0"), ALPHABET.index("<")
    for i, char in enumerate(text):
        row = probabilities[i]
        if char in "O0" and min(row[letter_o], row[zero]) >= _LOOK_ALIKE:
            near = [c for c in text[max(i - 2, 0) : i] + text[i + 1 : i + 3] if c not in "O0<"]
            digits = sum(c.isdigit() for c in near)
            if digits * 2 > len(near) > 0:
                chosen[i] = zero
            elif digits * 2 < len(near):
                chosen[i] = letter_o
        elif char == "C" and row[filler] >= _LOOK_ALIKE and text[i - 1 : i + 2 : 2] == ["<"] * 2:
            chosen[i] = filler
    return np.asarray(chosen, np.intp)


def _counts(glyphs: int) -> tuple[int, ...]:
    """The character counts to try: the MRZ line length next to the glyph count, else the
    glyph count itself (a line partly cut off), else every MRZ line length."""
    near = [n for n in LINE_LENGTHS if abs(n - glyphs) <= _NEAR]
    if near:
        return (min(near, key=lambda n: abs(n - glyphs)),)
    if _MIN_GLYPHS <= glyphs <= _MAX_GLYPHS:
        return (glyphs, *LINE_LENGTHS)
    return LINE_LENGTHS


def _glyphs(gray: NDArray[np.uint8]) -> tuple[float | None, int]:
    """The text height (the taller glyphs: capitals and digits, not '<') and how many
    characters the line holds: its glyphs' span over their pitch (the median step between
    neighbouring glyphs; a broken or touching glyph moves a median little)."""
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    _, binary = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    count, _, table, _ = cv2.connectedComponentsWithStats(np.asarray(binary, np.uint8))
    stats = np.asarray(table, np.int64)[1:count]
    x, widths, heights = stats[:, 0], stats[:, 2], stats[:, 3]
    crop_height = gray.shape[0]
    marks = (heights >= 0.2 * crop_height) & (heights <= 0.98 * crop_height)
    marks &= (widths <= 2 * heights) & (widths >= 2)
    if not marks.any():
        return None, 0
    text_height = float(np.percentile(heights[marks], 80))
    glyph = marks & (heights >= 0.4 * text_height) & (heights <= 1.3 * text_height)
    if glyph.sum() < 2:
        return text_height, int(glyph.sum())
    left, right = x[glyph], (x + widths)[glyph]
    centres = np.sort((left + right) / 2.0)
    steps = np.diff(centres)
    steps = steps[(steps > 0.4 * text_height) & (steps < 1.6 * text_height)]
    if len(steps) == 0:
        return text_height, int(glyph.sum())
    pitch = float(np.median(steps))
    return text_height, round((right.max() - left.min()) / pitch + 0.34)


def character_errors(read: str, truth: str) -> int:
    """Edits (insertions, deletions, substitutions) from `read` to `truth`: the numerator of
    the character error rate OCR is measured by."""
    previous = list(range(len(truth) + 1))
    for i, got in enumerate(read, 1):
        current = [i]
        for j, want in enumerate(truth, 1):
            substitute = previous[j - 1] + (got != want)
            current.append(min(previous[j] + 1, current[j - 1] + 1, substitute))
        previous = current
    return previous[-1]
