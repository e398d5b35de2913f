"""Cut a candidate MRZ band into character cells (9303-3 §4: fixed pitch, fixed line count).

1. The band is warped to an upright strip at a fixed text height (`TEXT_HEIGHT` pixels), so
   every later step works in the same units whatever the photo's resolution. The strip
   reaches a whole line's length past the band either way: glare or a frame may have hidden
   part of a line from the locator.
2. Ink is measured against the local paper brightness (a grey-level closing), which flattens
   shadows and tinted backgrounds, then against the strongest ink nearby (at most twofold),
   so print under glare counts like the rest. The strip is deskewed to the angle that makes
   its row profile sharpest.
3. Text lines are the runs of rows holding glyph-sized marks; a line's extent is where its
   glyph-like components start and end (frames, borders, rules and faint background print
   are not glyph-like). Two or three consecutive lines alike in height, evenly stacked and
   of matching extent are an MRZ hypothesis; they share one extent, as MRZ lines do. Each
   line is straightened along its own centre line (perspective makes lines converge).
4. For each count the line count allows (30; or 44 and 36), the pitch follows from the
   extent, and the cuts between characters are placed by a dynamic programme that crosses
   the least ink with steps of the pitch ±15 % (perspective makes it drift). The cell
   between two cuts, widened a little and 1.5 text heights tall, is one character.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import TYPE_CHECKING

from mrtd.mrz.ocr.locate import Band

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "CELL_PAD",
    "TEXT_HEIGHT",
    "Hypothesis",
    "Strip",
    "hypotheses",
    "line_hypotheses",
    "rectify",
    "strip_from_crop",
]

TEXT_HEIGHT = 28.0  # pixels of a character's height in the rectified strip
_COUNTS = {3: (30,), 2: (44, 36)}
_LEFT_BEARING = 0.17  # OCR-B: a glyph's ink starts about this fraction of the pitch into it
_INK_SPAN = 0.66  # ... and spans this fraction of it: a line's ink is (count - 0.34) pitches
_CELL_HEIGHT = 1.5  # cell height over the text height
CELL_PAD = 0.1  # cells reach this fraction of the pitch past each cut
_PITCH_RATIO = (0.7, 1.35)  # plausible pitch over the measured line height
_GLARE_GAP = 8.0  # line heights of lost glyphs an extent may bridge
_STRAY = 4.0  # cost of a step 100 % off the pitch, in units of the line's mean column ink


@dataclass(frozen=True, slots=True)
class Strip:
    """The band warped upright: `image` (gray) and `ink` (0..1), and `matrix`, the 2x3
    affine map from input-image to strip coordinates."""

    image: NDArray[np.uint8]
    ink: NDArray[np.float32]
    matrix: NDArray[np.float64]
    core: tuple[int, int] | None = None  # the band's own columns (a little wider), if known


@dataclass(frozen=True, slots=True)
class Hypothesis:
    """One way to cut a band: `count` characters on each line, between `cuts` (count + 1
    columns per line) of the straightened `lines`. `turned` reads it the other way up (the
    band turned 180°). `corners` of the cut MRZ are in input-image coordinates, in reading
    order; `fit` is how much ink the cuts crossed (lower is better)."""

    count: int
    lines: tuple[_Line, ...]
    cuts: tuple[NDArray[np.float64], ...]
    height: float
    corners: NDArray[np.float32]
    fit: float
    turned: bool = False

    def cells(self, pad: float = CELL_PAD) -> tuple[tuple[NDArray[np.uint8], ...], ...]:
        """Gray cells (dark on light), line by line in reading order, each reaching `pad`
        of the pitch past its cuts."""
        cells = tuple(
            _cells(line, cuts, self.height, pad)
            for line, cuts in zip(self.lines, self.cuts, strict=True)
        )
        if not self.turned:
            return cells
        return tuple(tuple(cell[::-1, ::-1] for cell in reversed(line)) for line in cells[::-1])

    def turn(self) -> Hypothesis:
        """The same cut read the other way up."""
        corners = self.corners[[2, 3, 0, 1]]
        return replace(self, corners=corners, turned=not self.turned)


def rectify(gray: NDArray[np.uint8], band: Band) -> Strip | None:
    """The band and a margin round it (room for a missed line) warped upright, deskewed."""
    import numpy as np  # noqa: PLC0415

    matrix, size = _band_matrix(band)
    if size[0] * size[1] > 6_000_000 or min(size) < 8:
        return None
    strip = _deskewed(_warp(gray, matrix, size), matrix)
    # where the band itself lies: text rows are found there, so print beside the MRZ
    # (a desk's papers, the page's labels) cannot merge with its lines
    xs = (np.hstack([band.corners.astype(np.float64), np.ones((4, 1))]) @ strip.matrix.T)[:, 0]
    reach = 0.03 * float(xs.max() - xs.min())
    core = (max(0, int(xs.min() - reach)), min(size[0], int(xs.max() + reach) + 1))
    return replace(strip, core=core) if core[1] - core[0] >= 8 else strip


def _deskewed(image: NDArray[np.uint8], matrix: NDArray[np.float64]) -> Strip:
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    size = (image.shape[1], image.shape[0])
    ink = _ink(image)
    angle = _skew(ink)
    if angle:  # turn the strip (and its ink) rather than warp and measure again
        centre = np.array([size[0] / 2, size[1] / 2])
        c, s = math.cos(angle), math.sin(angle)
        turn = np.array([[c, s], [-s, c]])
        rotation = np.hstack([turn, (centre - turn @ centre)[:, None]])
        matrix = rotation @ np.vstack([matrix, [0, 0, 1]])
        turned = cv2.warpAffine(
            image, rotation, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        image = np.asarray(turned, np.uint8)
        ink = np.asarray(cv2.warpAffine(ink, rotation, size, flags=cv2.INTER_LINEAR), np.float32)
    return Strip(image, ink, matrix)


def hypotheses(strip: Strip) -> list[Hypothesis]:
    """Every plausible cut of the strip, best grid fit first. Text rows are judged across
    the whole strip; when that finds no MRZ-like group (print beside the MRZ merged with
    its lines), across the band's own columns."""
    found = _hypotheses(strip, None)
    if not found and strip.core is not None:
        found = _hypotheses(strip, strip.core)
    return found


def _hypotheses(strip: Strip, core: tuple[int, int] | None) -> list[Hypothesis]:
    runs = _line_runs(strip.ink, core)
    found: list[Hypothesis] = []
    for group in _line_groups(runs):
        lines = [_straighten(strip, run) for run in group]
        if any(line is None for line in lines):
            continue
        ready = [line for line in lines if line is not None]
        for count in _COUNTS[len(group)]:
            hypothesis = _cut(strip, ready, count)
            if hypothesis is not None:
                found.append(hypothesis)
    return sorted(found, key=lambda h: h.fit)


def strip_from_crop(gray: NDArray[np.uint8], text_height: float) -> Strip | None:
    """A crop holding one text line, scaled to `TEXT_HEIGHT`, padded with its own paper
    tone (not replicated edges: a glyph touching the edge would smear into a bar), deskewed."""
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    f = TEXT_HEIGHT / max(text_height, 2.0)
    size = (max(1, round(gray.shape[1] * f)), max(1, round(gray.shape[0] * f)))
    if size[0] * size[1] > 6_000_000 or min(size) < 8:
        return None
    interpolation = cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR
    scaled = np.asarray(cv2.resize(gray, size, interpolation=interpolation), np.uint8)
    paper = int(np.percentile(scaled, 90))
    margin = round(2 * TEXT_HEIGHT)
    m = margin
    padded = cv2.copyMakeBorder(scaled, m, m, m, m, cv2.BORDER_CONSTANT, value=paper)
    image = np.asarray(padded, np.uint8)
    matrix = np.array([[f, 0.0, margin], [0.0, f, margin]])
    return _deskewed(image, matrix)


def line_hypotheses(strip: Strip, counts: tuple[int, ...]) -> list[Hypothesis]:
    """Cuts of the strip's longest text line, one per character count in `counts` that fits
    its length (a lone line: no partner lines tell the format)."""
    runs = _line_runs(strip.ink)
    if not runs:
        return []
    line = _straighten(strip, max(runs, key=lambda run: run.end - run.start))
    if line is None:
        return []
    found = (_cut(strip, [line], count) for count in dict.fromkeys(counts))
    return [hypothesis for hypothesis in found if hypothesis is not None]


# -- rectification ----------------------------------------------------------------------------


def _band_matrix(band: Band) -> tuple[NDArray[np.float64], tuple[int, int]]:
    import numpy as np  # noqa: PLC0415

    c0, c1, _, c3 = (band.corners[i].astype(np.float64) for i in range(4))
    length = float(np.linalg.norm(c1 - c0))
    u = (c1 - c0) / max(length, 1e-6)
    n = np.array([-u[1], u[0]])
    if float(np.dot(c3 - c0, n)) < 0:
        n = -n
    depth = float(np.dot(c3 - c0, n))
    h = max(band.line_height, 2.0)
    # glare or a frame may hide part of a line from the locator: leave room for a whole
    # line of the longest format the line count allows (30 or 44 characters of about h)
    whole = {3: 32.0, 2: 46.0}.get(band.lines, 48.0) * h
    along = max(0.08 * length + 2.0 * h, whole - length)
    across = (4.2 if band.lines == 1 else 2.7) * h  # a lone line may be a TD1's first or last
    f = TEXT_HEIGHT / h
    origin = c0 - along * u - across * n
    linear = f * np.vstack([u, n])
    matrix = np.hstack([linear, (-linear @ origin)[:, None]])
    size = (round(f * (length + 2 * along)), round(f * (depth + 2 * across)))
    return matrix, size


def _warp(
    gray: NDArray[np.uint8], matrix: NDArray[np.float64], size: tuple[int, int]
) -> NDArray[np.uint8]:
    """warpAffine, shrinking the source region with area averaging first when the map
    shrinks (bilinear sampling alone would alias small print)."""
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    scale = math.sqrt(abs(float(np.linalg.det(matrix[:, :2]))))
    inverse = cv2.invertAffineTransform(matrix)
    w, h = size
    corners = np.array([[0, 0, 1], [w, 0, 1], [w, h, 1], [0, h, 1]], np.float64) @ inverse.T
    x0, y0 = np.floor(corners.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + 2
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, gray.shape[1]), min(y1, gray.shape[0])
    if x1 - x0 < 2 or y1 - y0 < 2:
        return np.full((size[1], size[0]), 255, np.uint8)
    roi = gray[y0:y1, x0:x1]
    # past the image's edge is paper, not the edge's pixels repeated: a crop tight round the
    # MRZ cuts through the first and last glyphs' margins, and a repeated glyph is a bar
    sample = roi[:: max(1, roi.shape[0] // 64), :: max(1, roi.shape[1] // 256)]
    paper = int(np.percentile(sample, 90))
    if scale < 0.7:
        small = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
        shrunk = np.asarray(cv2.resize(roi, small, interpolation=cv2.INTER_AREA), np.uint8)
        sx, sy = small[0] / (x1 - x0), small[1] / (y1 - y0)
        to_small = np.array([[sx, 0, -sx * x0], [0, sy, -sy * y0], [0, 0, 1]])
        matrix = (np.vstack([matrix, [0, 0, 1]]) @ np.linalg.inv(to_small))[:2]
        gray = shrunk
    warped = cv2.warpAffine(
        gray, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
        borderValue=paper,
    )  # fmt: skip
    return np.asarray(warped, np.uint8)


def _ink(image: NDArray[np.uint8]) -> NDArray[np.float32]:
    """How much darker than the local paper each pixel is (0..1), relative to the strongest
    ink nearby (module docstring, step 2)."""
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    k = round(0.7 * TEXT_HEIGHT) | 1
    paper = cv2.morphologyEx(image, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    paper = cv2.blur(paper, (k, k)).astype(np.float32)
    paper = np.maximum(paper, image.astype(np.float32))
    ink = np.maximum(paper - image - 6.0, 0.0) / np.maximum(paper, 24.0)  # noise: few levels
    # contrast varies along a line (glare, shadow): scale by the strongest ink nearby, so a
    # glyph under glare counts like the others; blank paper (weak maximum) is not amplified
    quarter = (max(1, ink.shape[1] // 4), max(1, ink.shape[0] // 4))  # at a quarter size
    small = cv2.resize(ink, quarter, interpolation=cv2.INTER_AREA)
    window = np.ones((round(1.5 * TEXT_HEIGHT / 4) | 1, round(3 * TEXT_HEIGHT / 4) | 1), np.uint8)
    strongest = cv2.blur(cv2.dilate(small, window), window.shape[::-1])
    strongest = cv2.resize(strongest, ink.shape[::-1], interpolation=cv2.INTER_LINEAR)
    floor = max(0.35, 0.5 * float(np.percentile(ink[::3, ::3], 99.5)))  # at most twofold
    out: NDArray[np.float32] = np.clip(ink / np.maximum(strongest, floor), 0.0, 1.0).astype(
        np.float32
    )
    return out


def _binary(ink: NDArray[np.float32]) -> NDArray[np.bool_]:
    import cv2  # noqa: PLC0415

    levels = (ink * 255).astype("uint8")
    otsu, _ = cv2.threshold(levels, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    out: NDArray[np.bool_] = ink > max(otsu / 255.0, 0.12)
    return out


def _skew(ink: NDArray[np.float32]) -> float:
    """The small rotation (radians, ±3°) that makes the row profile of the ink sharpest:
    half-degree steps, then tenths round the best."""
    import numpy as np  # noqa: PLC0415

    ys, xs = np.nonzero(_binary(ink))
    if len(xs) < 50:
        return 0.0
    if len(xs) > 20_000:
        pick = np.linspace(0, len(xs) - 1, 20_000).astype(int)
        ys, xs = ys[pick], xs[pick]
    xs = xs - ink.shape[1] / 2

    def sharpness(degrees: float) -> float:
        rows = np.round(ys - xs * math.tan(math.radians(degrees))).astype(int)
        return float(np.square(np.bincount(rows - rows.min()).astype(np.float64)).sum())

    coarse = max(np.arange(-3.0, 3.01, 0.5), key=sharpness)
    fine = max(np.arange(coarse - 0.4, coarse + 0.41, 0.1), key=sharpness)
    return math.radians(float(fine))


# -- lines ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Run:
    top: int
    bottom: int
    start: int  # ink extent along the line
    end: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def centre(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass(frozen=True, slots=True)
class _Line:
    image: NDArray[np.uint8]  # the straightened line, gray; text centred vertically
    ink: NDArray[np.float32]
    centre_row: NDArray[np.float64]  # strip row of the line's centre, per strip column
    height: float
    start: int
    end: int


def _line_runs(ink: NDArray[np.float32], core: tuple[int, int] | None = None) -> list[_Run]:
    """Runs of rows holding a line of text, each with the extent of its glyphs; with `core`,
    both are judged on those columns only."""
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    binary = _binary(ink)
    count, found, table, _ = cv2.connectedComponentsWithStats(
        binary.astype(np.uint8), connectivity=8
    )
    labels, stats = np.asarray(found, np.int32), np.asarray(table, np.int32)
    strength = _strengths(ink, labels, count)
    # the row profile counts glyph-sized marks only: not frames, page edges or rules
    widths, heights = stats[:, 2], stats[:, 3]
    glyph_like = (heights <= 2.2 * TEXT_HEIGHT) & (heights >= 0.2 * TEXT_HEIGHT)
    glyph_like &= ~((heights < 0.3 * TEXT_HEIGHT) & (widths > 2 * TEXT_HEIGHT))
    glyph_like[0] = False
    columns = labels if core is None else labels[:, core[0] : core[1]]
    profile = glyph_like[columns].sum(axis=1).astype(np.float64)
    if profile.max() <= 0:
        return []
    smooth = np.convolve(profile, np.ones(3) / 3, mode="same")
    # an MRZ line inks a good share of the strip's columns; each run is then trimmed to
    # the rows holding a fifth of its own peak (textured areas elsewhere may peak higher)
    rows = smooth > max(0.05 * columns.shape[1], 0.05 * smooth.max())
    runs: list[_Run] = []
    y = 0
    while y < len(rows):
        if not rows[y]:
            y += 1
            continue
        top = y
        while y < len(rows) and rows[y]:
            y += 1
        inside = np.flatnonzero(smooth[top:y] >= 0.2 * smooth[top:y].max())
        first, last = top + int(inside[0]), top + int(inside[-1]) + 1
        if last - first >= 0.35 * TEXT_HEIGHT:
            extent = _extent(stats, strength, first, last, core)
            if extent is not None:
                runs.append(_Run(first, last, *extent))
    return runs


def _strengths(
    ink: NDArray[np.float32], labels: NDArray[np.int32], count: int
) -> NDArray[np.float64]:
    """Mean ink of each connected component."""
    import numpy as np  # noqa: PLC0415

    sums = np.bincount(labels.ravel(), weights=ink.ravel(), minlength=count)
    sizes = np.bincount(labels.ravel(), minlength=count)
    out: NDArray[np.float64] = sums / np.maximum(sizes, 1)
    return out


def _extent(
    stats: NDArray[np.int32],
    strength: NDArray[np.float64],
    top: int,
    bottom: int,
    core: tuple[int, int] | None = None,
) -> tuple[int, int] | None:
    """Where the line's glyphs start and end: the longest stretch of glyph-like components
    (inside the line's rows, at least 0.4 of its height, not much fainter than its typical
    glyph) whose gaps are under 1.5 line heights, joined across wider gaps to clusters of
    three glyphs or more (glare). Borders, frames and faint background print next to an MRZ
    are not glyph-like."""
    import numpy as np  # noqa: PLC0415

    height = bottom - top
    x, y, w, h = stats[1:, 0], stats[1:, 1], stats[1:, 2], stats[1:, 3]
    inside = (y >= top - 0.35 * height) & (y + h <= bottom + 0.35 * height)
    glyph = inside & (h >= 0.4 * height) & (h <= 1.5 * height)
    if core is not None:  # only the band's own columns: print beside it is not the line
        glyph &= (x >= core[0]) & (x + w <= core[1])
    if not glyph.any():
        return None
    ink = strength[1:]
    glyph &= ink >= 0.45 * float(np.median(ink[glyph]))
    order = np.argsort(x[glyph])
    starts, ends = x[glyph][order], (x + w)[glyph][order]
    reach = np.maximum.accumulate(ends)
    breaks = np.flatnonzero(starts[1:] - reach[:-1] > 1.5 * height)
    first = np.concatenate([[0], breaks + 1])
    last = np.concatenate([breaks, [len(starts) - 1]])
    spans = reach[last] - starts[first]
    best = int(np.argmax(spans))
    left, right = best, best
    # glare can wipe a few glyphs out: bridge a gap of up to _GLARE_GAP heights to a
    # cluster of at least three glyphs, while the whole stays as long as an MRZ line can be
    limit = 48 * height
    while True:
        grown = False
        if left > 0 and last[left - 1] - first[left - 1] >= 2:
            gap = starts[first[left]] - reach[last[left - 1]]
            if gap <= _GLARE_GAP * height and reach[last[right]] - starts[first[left - 1]] <= limit:
                left, grown = left - 1, True
        if right < len(first) - 1 and last[right + 1] - first[right + 1] >= 2:
            gap = starts[first[right + 1]] - reach[last[right]]
            if gap <= _GLARE_GAP * height and reach[last[right + 1]] - starts[first[left]] <= limit:
                right, grown = right + 1, True
        if not grown:
            return int(starts[first[left]]), int(reach[last[right]])


def _line_groups(runs: list[_Run]) -> list[list[_Run]]:
    """Consecutive runs of 3 or 2 lines that could be an MRZ: alike in height, evenly
    stacked, with matching ink extents."""
    groups: list[list[_Run]] = []
    for size in (3, 2):
        for i in range(len(runs) - size + 1):
            group = runs[i : i + size]
            if _alike(group):
                groups.append(group)
    return groups


def _alike(group: list[_Run]) -> bool:
    heights = [run.height for run in group]
    mean = sum(heights) / len(heights)
    if max(heights) > 1.6 * min(heights) or mean > 2.2 * TEXT_HEIGHT:
        return False
    for a, b in pairwise(group):
        if not 1.15 * mean < b.centre - a.centre < 2.8 * mean:
            return False
    lengths = [run.end - run.start for run in group]
    if min(lengths) < 20 * mean * 0.6 or max(lengths) > 1.5 * min(lengths):
        return False
    return all(abs(run.start - group[0].start) < 3 * mean for run in group)


def _straighten(strip: Strip, run: _Run) -> _Line | None:
    """The line resampled along its own centre line (fitted to the ink's row centroids in
    slices of the line), `_CELL_HEIGHT` text heights tall plus a margin."""
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    ink = strip.ink
    pad = round(0.5 * run.height)
    top, bottom = max(run.top - pad, 0), min(run.bottom + pad, ink.shape[0])
    window = ink[top:bottom, run.start : run.end]
    rows = np.arange(top, bottom, dtype=np.float64)[:, None]
    xs, ys = [], []
    for piece in np.array_split(np.arange(window.shape[1]), 12):
        if len(piece) == 0:
            continue
        weight = window[:, piece]
        total = float(weight.sum())
        if total > 1.0:
            xs.append(run.start + float(piece.mean()))
            ys.append(float((weight * rows).sum()) / total)
    if len(xs) < 3:
        return None
    slope, offset = np.polyfit(xs, ys, 1)
    width = ink.shape[1]
    columns = np.arange(width, dtype=np.float64)
    centre_row = offset + slope * columns
    height = float(run.height)
    half = round(0.5 * _CELL_HEIGHT * max(height, 0.6 * TEXT_HEIGHT) + 2)
    offsets = np.arange(-half, half + 1, dtype=np.float32)
    map_y = (centre_row[None, :] + offsets[:, None]).astype(np.float32)
    map_x = np.broadcast_to(columns[None, :].astype(np.float32), map_y.shape).copy()
    image = cv2.remap(strip.image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    line_ink = cv2.remap(strip.ink, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return _Line(
        np.asarray(image, np.uint8),
        np.asarray(line_ink, np.float32),
        centre_row,
        height,
        run.start,
        run.end,
    )


# -- the character grid -----------------------------------------------------------------------


def _cut(strip: Strip, lines: list[_Line], count: int) -> Hypothesis | None:
    """Cut every line into `count` cells. MRZ lines start and end in the same columns, so
    the lines share one extent: where they all have glyphs, or where any has, whichever
    the grid fits better (one line may run into print beside the MRZ, or lose an end)."""
    import numpy as np  # noqa: PLC0415

    height = sum(line.height for line in lines) / len(lines)
    inner = (max(line.start for line in lines), min(line.end for line in lines))
    outer = (min(line.start for line in lines), max(line.end for line in lines))
    extents = [inner] if np.allclose(inner, outer, atol=0.2 * height) else [inner, outer]
    best: tuple[float, list[NDArray[np.float64]]] | None = None
    for start, end in extents:
        pitch = (end - start) / (count - 1 + _INK_SPAN)
        if not _PITCH_RATIO[0] * height < pitch < _PITCH_RATIO[1] * height:
            continue  # OCR-B's pitch is about its capital height (0.78-1.16 measured)
        fitted = [_grid(line, count, start, end, pitch) for line in lines]
        if any(f is None for f in fitted):
            continue
        fits = [f for f in fitted if f is not None]
        score = float(np.mean([fit for _, fit in fits]))
        if best is None or score < best[0]:
            best = (score, [cuts for cuts, _ in fits])
    if best is None:
        return None
    score, all_cuts = best
    corners = _corners(strip, lines, all_cuts, height)
    return Hypothesis(count, tuple(lines), tuple(all_cuts), height, corners, score)


def _profile(line: _Line) -> NDArray[np.float64]:
    import numpy as np  # noqa: PLC0415

    middle = line.ink.shape[0] // 2
    half = max(1, round(0.45 * line.height))
    column = line.ink[middle - half : middle + half + 1].sum(axis=0).astype(np.float64)
    kernel = np.array([0.25, 0.5, 0.25])
    out: NDArray[np.float64] = np.convolve(column, kernel, mode="same")
    return out


def _grid(
    line: _Line, count: int, first: int, last: int, pitch: float
) -> tuple[NDArray[np.float64], float] | None:
    """Cut positions (count + 1) crossing the least ink, and that ink relative to the
    line's mean column ink (lower is better).

    A dynamic programme over pixel columns: the first and last cut lie within a third of a
    pitch of where the extent puts them, and each step is the pitch ±15 % (perspective makes
    it drift along the line), with a small cost for straying from it. The cut count is fixed,
    so a character can be neither added nor lost.
    """
    import numpy as np  # noqa: PLC0415

    profile = _profile(line)
    mean = float(profile[first:last].mean()) if last > first else 0.0
    if mean <= 0:
        return None
    steps = np.arange(max(2, math.floor(0.85 * pitch)), math.ceil(1.15 * pitch) + 1)
    stray = _STRAY * ((steps - pitch) / pitch) ** 2
    slack = round(pitch / 3)
    begin = round(first - _LEFT_BEARING * pitch)
    end = round(last + (1 - _LEFT_BEARING - _INK_SPAN) * pitch)
    offset = max(begin - slack, 0)  # the programme runs over the line's own columns only
    cost_at = profile[offset : min(end + slack + 1, len(profile))] / mean
    width, big = len(cost_at), steps[-1]
    if width <= big or begin + slack + 1 - offset <= 0:
        return None
    total = np.full(width, np.inf)
    total[: begin + slack + 1 - offset] = cost_at[: begin + slack + 1 - offset]
    back = np.zeros((count, width), dtype=np.int32)
    for k in range(count):
        padded = np.concatenate([np.full(big, np.inf), total])
        # candidates[i, x]: arriving at x by steps[i] from x - steps[i]
        candidates = np.stack([padded[big - step : big - step + width] for step in steps])
        candidates += stray[:, None]
        choice = candidates.argmin(axis=0)
        total = candidates[choice, np.arange(width)] + cost_at
        back[k] = steps[choice]
    lo = max(end - slack - offset, 0)
    if lo >= width or not np.isfinite(total[lo:]).any():
        return None
    x = lo + int(np.argmin(total[lo:]))
    cuts = [x]
    for k in range(count - 1, -1, -1):
        x -= int(back[k, x])
        cuts.append(x)
    chosen = np.array(cuts[::-1], dtype=np.float64)
    fit = float(cost_at[chosen.astype(int)].mean())
    return chosen + offset, fit


def _cells(
    line: _Line, cuts: NDArray[np.float64], height: float, pad: float
) -> tuple[NDArray[np.uint8], ...]:
    middle = line.image.shape[0] // 2
    half = round(0.5 * _CELL_HEIGHT * height)
    top, bottom = max(middle - half, 0), min(middle + half + 1, line.image.shape[0])
    width = line.image.shape[1]
    cells = []
    for left, right in pairwise(cuts):
        reach = pad * (right - left)  # a cut hugging a glyph may clip it; slivers of the
        x0 = min(max(round(left - reach), 0), width - 1)  # neighbours are dropped by the
        x1 = min(max(round(right + reach), x0 + 1), width)  # classifier's normalisation
        cells.append(line.image[top:bottom, x0:x1])
    return tuple(cells)


def _corners(
    strip: Strip, lines: list[_Line], cuts: list[NDArray[np.float64]], height: float
) -> NDArray[np.float32]:
    """The cut MRZ's corners mapped back to the input image."""
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    first, last = lines[0], lines[-1]

    def at(line: _Line, x: float, dy: float) -> list[float]:
        column = min(max(round(x), 0), len(line.centre_row) - 1)
        return [x, float(line.centre_row[column]) + dy]

    half = 0.5 * height
    points = np.array(
        [
            at(first, cuts[0][0], -half),
            at(first, cuts[0][-1], -half),
            at(last, cuts[-1][-1], half),
            at(last, cuts[-1][0], half),
        ],
        np.float64,
    )
    inverse = cv2.invertAffineTransform(strip.matrix)
    mapped = np.hstack([points, np.ones((4, 1))]) @ inverse.T
    return mapped.astype(np.float32)
