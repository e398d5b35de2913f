"""Tesseract as the second OCR engine, for a band the built-in classifier could not read.

Tesseract gets the upright band with the paper flattened (dark ink on white), one block of
uniform text (psm 6), the MRZ alphabet only and no dictionaries. Its lines are matched to the
MRZ shapes: a line a few characters too short or long is assumed to have miscounted the
longest run of fillers (the usual tesseract slip on '<<<<'), which the check digits then
judge like any other reading. Missing pytesseract or tesseract is not an error: the engine is
skipped. OMP_THREAD_LIMIT=1 is set for the call (tesseract's OpenMP threads only contend
with the caller's).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from itertools import product
from typing import TYPE_CHECKING

from mrtd.errors import MRZError
from mrtd.mrz.model import MRZ
from mrtd.mrz.parser import parse_mrz
from mrtd.mrz.repair import RepairStatus, repair_mrz

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["TesseractReading", "read_band"]

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<"
_CONFIG = f"--psm 6 -c tessedit_char_whitelist={ALPHABET} -c load_system_dawg=0 -c load_freq_dawg=0"
_WIDTHS = {30: 3, 36: 2, 44: 2}  # characters per line -> lines
_SLACK = 3  # characters a line may be off by
_TIMEOUT = 10  # seconds
_K_RUN = re.compile("K{3,}")
_K_BETWEEN = re.compile("(?<=<)K(?=<)")


@dataclass(frozen=True, slots=True)
class TesseractReading:
    mrz: MRZ  # valid
    char_confidence: tuple[tuple[float, ...], ...]


def read_band(image: NDArray[np.uint8], *, today: date | None = None) -> TesseractReading | None:
    """A valid MRZ read by tesseract from an upright band image, or None."""
    words = _words(image)
    if not words:
        return None
    lines = _lines(words)
    for width, count in _WIDTHS.items():
        fitted = [
            fit
            for fit in (
                [option for variant in _fillers(text) for option in _fit(variant, conf, width)]
                for text, conf in lines
            )
            if fit
        ]
        for start in range(len(fitted) - count + 1):
            group = fitted[start : start + count]
            for texts in product(*[[v for v, _ in options] for options in group]):
                mrz = _valid(texts, today)
                if mrz is not None:
                    confidence = tuple(
                        next(c for v, c in options if v == text)
                        for options, text in zip(group, texts, strict=True)
                    )
                    return TesseractReading(mrz, confidence)
    return None


@contextmanager
def _thread_limit() -> Iterator[None]:
    previous = os.environ.get("OMP_THREAD_LIMIT")
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("OMP_THREAD_LIMIT", None)
        else:
            os.environ["OMP_THREAD_LIMIT"] = previous


def _words(image: NDArray[np.uint8]) -> list[tuple[tuple[int, int, int], str, float]]:
    """(block, paragraph, line), text, confidence 0..1 of every word tesseract reads."""
    try:
        import pytesseract  # type: ignore[import-untyped]  # noqa: PLC0415 - optional engine
    except ImportError:
        return []
    import numpy as np  # noqa: PLC0415

    padded = np.pad(image, 20, constant_values=255)
    try:
        with _thread_limit():
            data = pytesseract.image_to_data(
                padded, config=_CONFIG, output_type=pytesseract.Output.DICT, timeout=_TIMEOUT
            )
    except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError, RuntimeError, OSError):
        return []
    words = []
    for i, found in enumerate(data.get("text", [])):
        text = "".join(ch for ch in str(found).upper() if ch in ALPHABET)
        if not text:
            continue
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        confidence = max(0.0, min(1.0, float(data["conf"][i]) / 100.0))
        words.append((key, text, confidence))
    return words


def _lines(
    words: list[tuple[tuple[int, int, int], str, float]],
) -> list[tuple[str, tuple[float, ...]]]:
    """Words joined into lines (an MRZ has no spaces), with a confidence per character."""
    lines: dict[tuple[int, int, int], tuple[str, tuple[float, ...]]] = {}
    for key, text, confidence in words:
        before, scores = lines.get(key, ("", ()))
        lines[key] = (before + text, scores + (confidence,) * len(text))
    return [lines[key] for key in sorted(lines)]


def _fit(
    text: str, confidence: tuple[float, ...], width: int
) -> list[tuple[str, tuple[float, ...]]]:
    """`text` made `width` long: as is, or with its longest filler run grown or shrunk."""
    if len(text) == width:
        return [(text, confidence)]
    if abs(len(text) - width) > _SLACK:
        return []
    start, length = _longest_fillers(text)
    if length == 0:
        return []
    change = width - len(text)
    if length + change < 1:
        return []
    end = start + length
    fitted = text[:start] + "<" * (length + change) + text[end:]
    fill = min(confidence[start:end]) if end > start else 0.0
    scores = confidence[:start] + (fill,) * (length + change) + confidence[end:]
    return [(fitted, scores)]


def _fillers(text: str) -> list[str]:
    """The line as read and, if different, with tesseract's usual readings of '<' undone:
    runs of three or more 'K' and a 'K' between fillers (no name has either)."""
    fixed = _K_RUN.sub(lambda m: "<" * len(m.group()), text)
    fixed = _K_BETWEEN.sub("<", fixed)
    return [text] if fixed == text else [text, fixed]


def _longest_fillers(text: str) -> tuple[int, int]:
    best = (0, 0)
    i = 0
    while i < len(text):
        if text[i] != "<":
            i += 1
            continue
        j = i
        while j < len(text) and text[j] == "<":
            j += 1
        if j - i > best[1]:
            best = (i, j - i)
        i = j
    return best


def _valid(lines: tuple[str, ...], today: date | None) -> MRZ | None:
    try:
        mrz = parse_mrz(lines, strict=False, today=today)
        if mrz.valid:
            return mrz
        repaired = repair_mrz(lines, today=today)
    except MRZError:
        return None
    return repaired.mrz if repaired.status is RepairStatus.REPAIRED else None
