"""Find where an MRZ may be in a gray image: candidate bands, best first (classical CV).

An MRZ is 2 or 3 lines of 30-44 evenly pitched OCR-B characters (9303-3 §4), each line
30-44 times longer than it is high, stacked at a line pitch of about 1.7 character heights,
all equally long. That shape is what is searched for, at several scales since the MRZ may fill
a scan or a sixth of a photo:

1. For each scale (the image resized so that an MRZ of the assumed pitch has about
   `_LEVEL_PITCH` pixels per character) and for text running across and up the image:
   a black-hat transform keeps dark marks smaller than a character on a lighter ground
   (print, not photos or dark backgrounds); a closing wider than the gap between characters,
   and a little taller than their skew, joins a line's characters (but not two lines, whose
   gap is larger); an opening removes rules thinner than a character and specks.
2. The remaining blobs whose rotated rectangle is long and thin enough are text lines.
3. Lines that are parallel, of similar length and stacked at the MRZ's line pitch are
   grouped; each group (and, as a fall-back, each long line alone) becomes a band.

Whether a band really holds an MRZ, and which way up, is decided by reading it (check digits),
not here. Quarter turns are covered by the two directions, skew (±25°) by rotated rectangles.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["Band", "band_levels", "find_bands", "repeats"]

_LEVEL_PITCH = 8.0  # pixels per character pitch at which each scale is searched
_MAX_LEVEL_SIDE = 1600  # never search a scale larger than this
_MIN_LINE_CHARS = 12  # a detected line is at least this many pitches long
_MAX_BANDS = 12


@dataclass(frozen=True, slots=True)
class Band:
    """A region that may hold an MRZ, in input-image pixels.

    `corners` run left-top, right-top, right-bottom, left-bottom for text read along the
    band's long axis one way (the 180° turn is the other reading). `line_height` is the
    height of one text line (about a character's height), `lines` how many lines were
    grouped (1 when a line had no partner).
    """

    corners: NDArray[np.float32]
    line_height: float
    lines: int
    score: float

    @property
    def length(self) -> float:
        import numpy as np  # noqa: PLC0415

        return float(np.linalg.norm(self.corners[1] - self.corners[0]))


@dataclass(frozen=True, slots=True)
class _Line:
    centre: tuple[float, float]
    angle: float  # radians, the direction of the long side, in (-pi/2, pi/2]
    length: float
    height: float
    fill: float


def find_bands(gray: NDArray[np.uint8]) -> list[Band]:
    """Candidate MRZ bands in `gray`, most MRZ-like first (at most _MAX_BANDS)."""
    return _best([band for level in band_levels(gray) for band in level])


def band_levels(gray: NDArray[np.uint8]) -> Iterator[list[Band]]:
    """The candidate bands scale by scale, the largest MRZ (the cheapest, smallest level)
    first, each level's best first: a reader can stop at the first level that reads, and
    the largest level (an MRZ of about 6 pixels per character, often upscaled) is searched
    only when nothing coarser read."""
    import cv2  # noqa: PLC0415 - the caller has checked the optional extra
    import numpy as np  # noqa: PLC0415

    height, width = gray.shape
    levels: list[tuple[float, NDArray[np.uint8]]] = []
    source, source_scale = gray, 1.0  # a smaller level is shrunk from the next larger one
    scales = sorted(_scales(width, height), reverse=True)
    for scale in scales:  # build from large to small (each shrunk from the previous) lazily
        levels.append((scale, source))
        if scale <= 1:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            if scale != source_scale:
                shrunk = cv2.resize(source, size, interpolation=cv2.INTER_AREA)
                source, source_scale = np.asarray(shrunk, np.uint8), scale
            levels[-1] = (scale, source)
    for scale, shrunk_level in reversed(levels):
        level = shrunk_level
        if scale > 1:  # enlarged from the image itself, never a source for smaller levels
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            level = np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_LINEAR), np.uint8)
        bands: list[Band] = []
        for transposed in (False, True):
            image = np.ascontiguousarray(level.T) if transposed else level
            for group in _groups(_lines(image)):
                bands.append(_band(group, scale, transposed))
        yield _best(bands)


def _scales(width: int, height: int) -> list[float]:
    """Scales at which an MRZ of pitch p becomes about _LEVEL_PITCH pixels per character:
    from an MRZ as wide as the image (p = side / 32) down by halves to p = 5 pixels."""
    side = max(width, height)
    pitch = side / 32
    scales: list[float] = []
    while True:
        scale = min(_LEVEL_PITCH / pitch, 2.0)
        scale = min(scale, _MAX_LEVEL_SIDE / side)
        if not scales or scale > scales[-1] * 1.3:
            scales.append(scale)
        if pitch <= 6:
            break
        pitch /= 2
    return scales


def _lines(image: NDArray[np.uint8]) -> list[_Line]:
    """Long thin blobs of dark print running along the x axis (±25°)."""
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    p = _LEVEL_PITCH
    if min(image.shape) < 2 * p:
        return []
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (round(1.6 * p), round(1.2 * p)))
    blackhat = cv2.morphologyEx(image, cv2.MORPH_BLACKHAT, kernel)
    level, _ = cv2.threshold(blackhat, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    _, mask = cv2.threshold(blackhat, max(level, 18), 255, cv2.THRESH_BINARY)
    mask = cv2.morphologyEx(
        mask, cv2.MORPH_CLOSE, np.ones((round(0.4 * p), round(1.2 * p)), np.uint8)
    )
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((round(0.45 * p), 1), np.uint8))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((1, round(1.5 * p)), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    lines = []
    for contour in contours:
        if len(contour) < 4:
            continue
        (cx, cy), (w, h), angle = cv2.minAreaRect(contour)
        if w < h:
            w, h, angle = h, w, angle + 90
        if w < _MIN_LINE_CHARS * 0.6 * p or h < 0.35 * p or h > 3.5 * p or w < 8 * h:
            continue
        theta = math.radians(angle)
        theta = math.atan2(math.sin(theta), math.cos(theta))
        if theta > math.pi / 2:
            theta -= math.pi
        elif theta <= -math.pi / 2:
            theta += math.pi
        if abs(theta) > math.radians(25):
            continue
        fill = float(cv2.contourArea(contour)) / max(w * h, 1.0)
        if fill < 0.45:
            continue
        lines.append(_Line((cx, cy), theta, w, h, fill))
    return lines


def _groups(lines: list[_Line]) -> list[list[_Line]]:
    """Runs of 2-3 lines stacked like an MRZ's, and every long line alone as a fall-back."""
    ordered = sorted(lines, key=lambda line: line.centre[1])
    links: dict[int, list[int]] = {i: [] for i in range(len(ordered))}
    for i, a in enumerate(ordered):
        for j in range(i + 1, len(ordered)):
            if _stacked(a, ordered[j]):
                links[i].append(j)
    groups: list[list[_Line]] = []
    for i in range(len(ordered)):
        for j in links[i]:
            groups.append([ordered[i], ordered[j]])
            groups.extend([ordered[i], ordered[j], ordered[k]] for k in links[j])
    groups.extend([line] for line in ordered if line.length >= 20 * line.height)
    return groups


def _stacked(a: _Line, b: _Line) -> bool:
    """b lies under a as the next MRZ line would: parallel, as long, one line pitch away."""
    if abs(a.angle - b.angle) > math.radians(4):
        return False
    if not 0.8 < a.length / b.length < 1.25 or not 0.6 < a.height / b.height < 1.6:
        return False
    direction = (a.angle + b.angle) / 2
    ux, uy = math.cos(direction), math.sin(direction)
    dx, dy = b.centre[0] - a.centre[0], b.centre[1] - a.centre[1]
    along = dx * ux + dy * uy
    across = -dx * uy + dy * ux
    mean_height = (a.height + b.height) / 2
    # one line may be found shorter than it is (glare, a frame touching it): the ends may
    # disagree by a quarter of the length; the reader finds the real extent
    return 1.1 * mean_height < abs(across) < 3.0 * mean_height and abs(along) < 0.25 * max(
        a.length, b.length
    )


def _band(group: list[_Line], scale: float, transposed: bool) -> Band:
    """The rotated rectangle round a group of lines, in input-image coordinates."""
    import numpy as np  # noqa: PLC0415

    angle = sum(line.angle for line in group) / len(group)
    u = np.array([math.cos(angle), math.sin(angle)])
    n = np.array([-math.sin(angle), math.cos(angle)])
    points = []
    for line in group:
        c = np.array(line.centre)
        lu = np.array([math.cos(line.angle), math.sin(line.angle)])
        ln = np.array([-math.sin(line.angle), math.cos(line.angle)])
        for su in (-0.5, 0.5):
            for sn in (-0.5, 0.5):
                points.append(c + su * line.length * lu + sn * line.height * ln)
    stack = np.array(points)
    along, across = stack @ u, stack @ n
    a0, a1, n0, n1 = along.min(), along.max(), across.min(), across.max()
    corners = np.array([a0 * u + n0 * n, a1 * u + n0 * n, a1 * u + n1 * n, a0 * u + n1 * n])
    if transposed:
        corners = corners[:, ::-1]  # (x, y) of the transposed image is (y, x) here
        corners = corners[[3, 2, 1, 0]]  # transposing mirrors: restore the turn
    corners = corners / scale
    height = sum(line.height for line in group) / len(group) / scale
    lengths = [line.length for line in group]
    ratio = sum(lengths) / len(lengths) / (height * scale)
    score = len(group) * 10 + min(ratio, 45) / 5 - abs(ratio - 36) / 20 + min(lengths) / 1e4
    return Band(corners.astype(np.float32), height, len(group), score)


def _best(bands: list[Band]) -> list[Band]:
    """Best first, dropping bands that repeat a better one (same place, other scale)."""
    chosen: list[Band] = []
    for band in sorted(bands, key=lambda b: -b.score):
        if not repeats(band, chosen):
            chosen.append(band)
        if len(chosen) >= _MAX_BANDS:
            break
    return chosen


def repeats(band: Band, kept: list[Band]) -> bool:
    """Whether `band` is one of `kept` found again: as many lines, the same place (within
    half a line height) and about as long."""
    import numpy as np  # noqa: PLC0415

    centre = band.corners.mean(axis=0)
    for other in kept:
        if other.lines != band.lines:
            continue
        distance = float(np.linalg.norm(other.corners.mean(axis=0) - centre))
        if distance < 0.5 * other.line_height and 0.8 < band.length / other.length < 1.25:
            return True
    return False
