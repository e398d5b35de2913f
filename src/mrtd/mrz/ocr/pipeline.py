"""Read the MRZ from a photo or scan of a document: `read_mrz_image`.

The pipeline (each step in its own module of `mrtd.mrz.ocr`):
- `image`: file, bytes or pixels -> 8-bit gray, refusing oversized or broken images
  before decoding;
- `locate`: candidate MRZ bands (text lines shaped and stacked like an MRZ's), at
  several scales, across and up the image;
- `segment`: each band warped upright, deskewed, split into lines and cut into
  character cells at the pitch the line length implies for 30, 36 or 44 characters;
- `classifier`: the built-in character classifier (probabilities per cell);
- `decode`: the most probable reading the check digits and field grammar accept;
- `tesseract`: tesseract as a second engine when the first finds a band it cannot read.

Which way up the band reads (0/180°) is judged by the classifier's confidence on a sample of
cells; quarter turns are separate bands. Only an MRZ whose every check digit holds is
returned: anything else raises `MRZNotFoundError`, whose message names what failed (never the
MRZ's text; that is in its `best_guess`).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal

from mrtd.errors import MRZNotFoundError
from mrtd.mrz.model import MRZ
from mrtd.mrz.ocr.decode import Decoded, decode
from mrtd.mrz.ocr.image import load_gray, require_opencv
from mrtd.mrz.ocr.locate import Band, band_levels, repeats
from mrtd.mrz.ocr.segment import Hypothesis, Strip, hypotheses, rectify
from mrtd.mrz.ocr.tesseract import TesseractReading

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["MRZNotFoundError", "OCRResult", "read_mrz_image"]

Engine = Literal["mrtd", "tesseract"]
Point = tuple[float, float]

MIN_SIDE = 16  # pixels; a smaller image cannot hold a legible MRZ
_BANDS_READ = 16  # candidate bands read at most
_BANDS_PER_LEVEL = 10  # ... and at most this many found at one scale
_HYPOTHESES_READ = 2  # cuts (character counts, line groups) read per band
_SAMPLE = 6  # cells per line classified both ways up to pick the reading direction
_SECOND_LOOK = -0.3  # an invalid reading this confident (mean log probability) is re-cut
_SECOND_PADS = (0.0, 0.2)  # cell paddings (fractions of the pitch) of the second look
_SURE = 0.9  # a built-in reading this probable overrules tesseract
_TESSERACT_SURE = 0.8  # tesseract's own word confidence needed when nothing can overrule it
_K_BY_FILLER = re.compile("K(?=<)|(?<=<)K")


@dataclass(frozen=True, slots=True)
class OCRResult:
    """A valid MRZ read from an image.

    `confidence` is the lowest probability the engine gave any chosen character (0..1);
    `char_confidence` holds them all, line by line. `repairs` lists the characters changed
    from the engine's first reading (grammar or check-digit evidence). `box` holds the MRZ's
    corners in the input image's pixels (as shown: a JPEG's EXIF orientation applied): left-top,
    right-top, right-bottom, left-bottom as the MRZ reads.
    """

    mrz: MRZ
    text: str
    confidence: float
    char_confidence: tuple[tuple[float, ...], ...]
    engine: Engine
    repairs: tuple[str, ...]
    seconds: float
    box: tuple[Point, Point, Point, Point]

    def __repr__(self) -> str:
        return (
            f"OCRResult({self.mrz!r}, engine={self.engine!r}, "
            f"confidence={self.confidence:.3f}, seconds={self.seconds:.3f})"
        )


def read_mrz_image(
    image: bytes | str | os.PathLike[str] | NDArray[np.generic],
    *,
    tesseract: bool = True,
    today: date | None = None,
) -> OCRResult:
    """Find, read and validate the MRZ in an image.

    `image` is encoded image bytes, a path to an image file, or pixels (2-D gray, or BGR /
    BGRA as OpenCV holds them; uint8, uint16, bool or float). `tesseract=False` skips the
    second engine. `today` fixes the century window of birth dates (see `parse_mrz`).

    Raises DecodeError for data that is not a usable image (empty, corrupt, truncated, not
    an image format read here, or 50 megapixels or more, refused from the header before
    decoding); OSError for a file that cannot be read; MRZNotFoundError when no MRZ reads
    valid; OptionalDependencyError without OpenCV and numpy. A result from tesseract has
    the whole band it read as its `box`, not the MRZ's exact corners.
    """
    started = time.perf_counter()
    require_opencv()
    gray = load_gray(image)
    if min(gray.shape) < MIN_SIDE:
        raise MRZNotFoundError(f"no MRZ found: the image is smaller than {MIN_SIDE} pixels")
    bands: list[Band] = []
    best: _Attempt | None = None
    best_strip: Strip | None = None
    strips: list[Strip] = []
    for strip in candidate_strips(gray, bands):
        strips.append(strip)
        for cut in hypotheses(strip)[:_HYPOTHESES_READ]:
            for attempt in _read(cut, today):
                if attempt.decoded.valid:
                    return _result(attempt, "mrtd", started)
                if best is None or attempt.score > best.score:
                    best, best_strip = attempt, strip
    if tesseract and strips:
        found = _tesseract(best_strip or strips[0], best, today, started)
        if found is not None:
            return found
    raise _not_found(bands, best)


def candidate_strips(gray: NDArray[np.uint8], bands: list[Band]) -> Iterator[Strip]:
    """The bands worth reading, rectified, in the order they are read: scale by scale, the
    largest MRZ first, at most `_BANDS_PER_LEVEL` new bands of a scale and `_BANDS_READ` in
    all. A band inside a strip read before is read again: that strip may have failed for its
    own band's reasons (a partial line, print beside it). Every band found is appended to
    `bands` (for the error message)."""
    count = 0
    for level in band_levels(gray):  # the largest MRZ first: the caller stops when one reads
        fresh = [band for band in level if not repeats(band, bands)]
        bands.extend(fresh)
        for band in fresh[:_BANDS_PER_LEVEL]:
            if count >= _BANDS_READ:
                return
            strip = rectify(gray, band)
            if strip is not None:
                count += 1
                yield strip


# -- the built-in engine ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Attempt:
    decoded: Decoded
    cut: Hypothesis  # as read (turned already if `turned`)
    turned: bool
    score: float  # mean log probability of the chosen characters


def _read(cut: Hypothesis, today: date | None) -> list[_Attempt]:
    """Read the cut both ways up, the likelier way first, stopping when one is valid; a
    confident but invalid reading gets a second look (`_second_look`)."""
    import numpy as np  # noqa: PLC0415

    from mrtd.mrz.ocr import classifier as ocr_classifier  # noqa: PLC0415 - loads the model on first use

    cells = cut.cells()
    picks = [
        (r, c) for r, line in enumerate(cells) for c in range(0, len(line), len(line) // _SAMPLE)
    ]
    sample = np.stack([ocr_classifier.normalize_cell(cells[r][c]) for r, c in picks])
    # a normalized cell turned 180° is near enough the normalization of the turned cell to
    # tell which way up reads better (not to read it: the turned way is normalized afresh)
    both = ocr_classifier.classify(np.concatenate([sample, sample[:, ::-1, ::-1]]))
    confidence = np.log(np.maximum(both.max(axis=1), 1e-9))
    turned_first = bool(confidence[len(picks) :].mean() > confidence[: len(picks)].mean())
    attempts: list[_Attempt] = []
    upright = {(r, c): cell for (r, c), cell in zip(picks, sample, strict=True)}
    for turned in (turned_first, not turned_first):
        way = cut.turn() if turned else cut
        probabilities = _classify(way.cells(), {} if turned else upright)
        decoded = decode(probabilities, today=today)
        if decoded is None:
            continue
        attempt = _Attempt(decoded, way, turned, _mean_log(decoded))
        attempts.append(attempt)
        if decoded.valid:
            return attempts
        if attempt.score >= _SECOND_LOOK:
            second = _second_look(way, probabilities, today)
            if second is not None:
                attempts.append(second)
                return attempts
    return attempts


def _second_look(
    way: Hypothesis, first: NDArray[np.float32], today: date | None
) -> _Attempt | None:
    """Cells cut a little tighter and a little wider, read alone and averaged with the
    first reading: a glyph the classifier was torn about may tip with the cut."""
    import numpy as np  # noqa: PLC0415

    readings = [first]
    for pad in _SECOND_PADS:
        readings.append(_classify(way.cells(pad), {}))
        candidates = [readings[-1], np.mean(readings, axis=0).astype(np.float32)]
        for probabilities in candidates:
            decoded = decode(probabilities, today=today)
            if decoded is not None and decoded.valid:
                return _Attempt(decoded, way, way.turned, _mean_log(decoded))
    return None


def _classify(
    cells: tuple[tuple[NDArray[np.uint8], ...], ...],
    known: dict[tuple[int, int], NDArray[np.float32]],
) -> NDArray[np.float32]:
    """(lines, count, 37) probabilities; `known` holds cells already normalized."""
    import numpy as np  # noqa: PLC0415

    from mrtd.mrz.ocr import classifier as ocr_classifier  # noqa: PLC0415

    flat = [
        known[(r, c)] if (r, c) in known else ocr_classifier.normalize_cell(cell)
        for r, line in enumerate(cells)
        for c, cell in enumerate(line)
    ]
    probabilities = ocr_classifier.classify(np.stack(flat))
    shaped: NDArray[np.float32] = probabilities.reshape(len(cells), len(cells[0]), -1)
    return shaped


def _mean_log(decoded: Decoded) -> float:
    import math  # noqa: PLC0415

    values = [math.log(max(p, 1e-9)) for line in decoded.char_confidence for p in line]
    return sum(values) / len(values)


# -- results and failures ---------------------------------------------------------------------


def _result(attempt: _Attempt, engine: Engine, started: float) -> OCRResult:
    decoded = attempt.decoded
    return _make(decoded.mrz, decoded.char_confidence, engine, attempt.cut.corners, started)


def _make(
    mrz: MRZ,
    char_confidence: tuple[tuple[float, ...], ...],
    engine: Engine,
    corners: NDArray[np.float32],
    started: float,
) -> OCRResult:
    points = tuple((float(x), float(y)) for x, y in corners)
    return OCRResult(
        mrz=mrz,
        text=mrz.text,
        confidence=min(min(line) for line in char_confidence),
        char_confidence=char_confidence,
        engine=engine,
        repairs=tuple(str(r) for r in mrz.repairs),
        seconds=time.perf_counter() - started,
        box=(points[0], points[1], points[2], points[3]),
    )


def _tesseract(
    strip: Strip, best: _Attempt | None, today: date | None, started: float
) -> OCRResult | None:
    """The second engine on the most promising band, the likelier way up first; its reading
    counts only if corroborated (`_corroborated`)."""
    import numpy as np  # noqa: PLC0415

    from mrtd.mrz.ocr.tesseract import read_band  # noqa: PLC0415

    upright = (255 * (1 - np.clip(strip.ink * 1.5, 0, 1))).astype(np.uint8)
    turned_first = best is not None and best.turned
    for turned in (turned_first, not turned_first):
        image = upright[::-1, ::-1] if turned else upright
        reading = read_band(np.ascontiguousarray(image), today=today)
        if reading is not None and _corroborated(reading, best, turned):
            corners = _strip_corners(strip, turned)
            return _make(reading.mrz, reading.char_confidence, "tesseract", corners, started)
    return None


def _corroborated(reading: TesseractReading, best: _Attempt | None, turned: bool) -> bool:
    """Whether a tesseract reading may stand. Its usual slip, '<' read as 'K', is invisible
    to every check digit (both count 0 modulo 10), and names have none: so the reading must
    match the built-in engine wherever that one was sure (`_SURE`), and a 'K' beside a filler
    must be one the built-in engine saw too. Without a built-in reading of the same band,
    shape and direction, tesseract must be confident throughout and show no such 'K'."""
    lines = reading.mrz.lines
    if best is None or best.turned != turned or len(best.decoded.mrz.lines) != len(lines):
        confident = min(min(line) for line in reading.char_confidence) >= _TESSERACT_SURE
        return confident and not any(_K_BY_FILLER.search(line) for line in lines)
    primary, sure = best.decoded.mrz.lines, best.decoded.char_confidence
    if any(len(a) != len(b) for a, b in zip(lines, primary, strict=True)):
        return False
    for r, line in enumerate(lines):
        for match in _K_BY_FILLER.finditer(line):
            if primary[r][match.start()] != "K":
                return False
        for c, char in enumerate(line):
            if sure[r][c] >= _SURE and char != primary[r][c]:
                return False
    return True


def _strip_corners(strip: Strip, turned: bool) -> NDArray[np.float32]:
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    h, w = strip.image.shape
    points = np.array([[0, 0, 1], [w, 0, 1], [w, h, 1], [0, h, 1]], np.float64)
    mapped = points @ cv2.invertAffineTransform(strip.matrix).T
    if turned:
        mapped = mapped[[2, 3, 0, 1]]
    out: NDArray[np.float32] = mapped.astype(np.float32)
    return out


def _not_found(bands: list[Band], best: _Attempt | None) -> MRZNotFoundError:
    if best is None:
        where = "no MRZ-shaped text found" if not bands else "no band reads as an MRZ"
        return MRZNotFoundError(f"no MRZ found: {where}")
    mrz = best.decoded.mrz
    problems = "; ".join(mrz.errors) or "not valid"
    return MRZNotFoundError(
        f"no valid MRZ found; the best reading ({mrz.format.value}) fails: {problems}",
        best_guess=mrz.text,
    )
