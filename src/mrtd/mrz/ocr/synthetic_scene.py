"""Synthetic photos with the variety real ones have, for evaluating MRZ OCR (issue 23).

`render_scene(kind, seed=...)` draws a fictitious data page (`synthetic_page`) and photographs
it the way phones and kiosks do: on a cluttered desk or a textured background, sometimes as
the lower page of an open booklet, under a laminate's printed pattern, in perspective and at
any quarter turn plus skew, with shadow, glare, blur, noise, low resolution and JPEG. A few
holders have dates no calendar has or marked unknown (9303-3: dates are data).

It is an evaluation set, kept apart from anything that tunes or trains: its seeds are
`SCENE_SEEDS` and up (training uses seeds below `EVAL_SEEDS`), and nothing in the pipeline
was tuned on it. Everything is deterministic per seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mrtd.errors import MRZError
from mrtd.mrz.generator import generate_mrz
from mrtd.mrz.model import MRZ
from mrtd.mrz.ocr.synthetic_page import (
    _SANS_FONTS,
    DOCUMENT_SIZES_MM,
    EVAL_SEEDS,
    MM_PER_INCH,
    PITCH_MM,
    PageKind,
    _draw_page,
    _holder,
    _pattern,
    _require,
)
from mrtd.mrz.parser import parse_mrz

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["SCENE_SEEDS", "Scene", "render_scene"]

SCENE_SEEDS = EVAL_SEEDS + 5_000_000  # the evaluation scenes' seeds start here
_DPI = 200
_WORDS = ("INVOICE", "TOTAL", "RECEIPT", "BOARDING PASS", "GATE", "SEAT", "NOTES",
          "MEETING", "2026", "TICKET", "FLIGHT", "ROOM", "CHECK-IN", "AMOUNT", "DATE",
          "SIGNATURE")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Scene:
    """A photo (BGR), the MRZ printed in it, and how it was taken (for breakdowns)."""

    pixels: NDArray[np.uint8]
    mrz: MRZ
    pitch: float  # pixels per MRZ character in the photo
    conditions: tuple[str, ...]  # e.g. "laminate", "booklet", "clutter", "glare", "blur"


def render_scene(kind: PageKind, *, seed: int) -> Scene:
    """One photo of a fictitious `kind` page; the same seed always gives the same pixels."""
    _require()
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    conditions: list[str] = []
    text = _mrz_text(rng, kind, conditions)
    drawn = cv2.cvtColor(np.asarray(_draw_page(rng, kind, text, _DPI)), cv2.COLOR_RGB2BGR)
    page: NDArray[np.uint8] = np.asarray(drawn, np.uint8)
    if rng.random() < 0.5:
        page = _laminate(rng, page)
        conditions.append("laminate")
    if kind == "TD3" and rng.random() < 0.4:
        page = _booklet(rng, page)
        conditions.append("booklet")
    scene, mask = _on_background(rng, page, kind, conditions)
    scene, mask, scale = _photograph(rng, scene, mask, conditions)
    scene = _light_and_optics(rng, scene, mask, conditions)
    pitch = PITCH_MM * _DPI / MM_PER_INCH * scale
    return Scene(scene, parse_mrz(text, strict=False), pitch, tuple(conditions))


def _mrz_text(rng: np.random.Generator, kind: str, conditions: list[str]) -> str:
    odd = rng.random() < 0.15
    while True:
        fields = _holder(rng, kind)
        if odd:  # 9303-3 §4.6: unknown day or month; specimens print impossible dates
            year = int(rng.integers(30, 99))
            fields["birth_date"] = str(
                rng.choice(
                    [f"{year:02d}0229", f"{year:02d}07<<", f"{year:02d}0000", f"{year:02d}1131"]
                )
            )
        try:
            text = generate_mrz(kind, **fields)  # type: ignore[arg-type]
        except MRZError:
            continue
        if odd:
            conditions.append("odd date")
        return text


def _laminate(rng: np.random.Generator, page: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """A security laminate's printed pattern over the whole page, MRZ included: fine
    interference lines or rings, faint and tinted."""
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    height, width = page.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    period = float(rng.uniform(6, 30))
    if rng.random() < 0.5:
        angle = float(rng.uniform(0, math.pi))
        phase = xs * math.cos(angle) + ys * math.sin(angle)
        phase += 8 * np.sin(xs / float(rng.uniform(40, 200)))
    else:
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        phase = np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2)
    wave = (0.5 + 0.5 * np.sin(2 * math.pi * phase / period)) ** 4
    tint = rng.uniform(0.3, 1.0, 3).astype(np.float32)
    strength = float(rng.uniform(0.08, 0.3))
    shaded = page.astype(np.float32) * (1 - strength * wave[:, :, None] * tint)
    return np.asarray(cv2.convertScaleAbs(shaded), np.uint8)


def _booklet(rng: np.random.Generator, page: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The open booklet: another page above the data page (patterned, text, no MRZ)."""
    import numpy as np  # noqa: PLC0415
    from PIL import Image, ImageDraw, ImageFont  # noqa: PLC0415

    height, width = page.shape[:2]
    tint = tuple(int(v) for v in rng.integers(200, 245, 3))
    upper = Image.fromarray(_pattern(rng, (width, height), tint)[:, :, ::-1].copy(), "RGB")
    draw = ImageDraw.Draw(upper)
    font = ImageFont.truetype(str(_SANS_FONTS[0]), max(10, height // 30))
    for row in range(int(rng.integers(3, 10))):
        words = " ".join(str(w) for w in rng.choice(_WORDS, int(rng.integers(2, 6))))
        y = int(height * 0.1 + row * height * 0.08)
        draw.text((int(width * 0.08), y), words, fill=(60, 60, 80), font=font)
    gutter = np.full((max(4, height // 60), width, 3), 120, np.uint8)
    upper_bgr = np.asarray(upper)[:, :, ::-1]
    return np.ascontiguousarray(np.vstack([upper_bgr, gutter, page]))


def _on_background(
    rng: np.random.Generator, page: NDArray[np.uint8], kind: str, conditions: list[str]
) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """The page on a background: plain, textured, or a desk with papers and print."""
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    height, width = page.shape[:2]
    grow = float(rng.uniform(1.15, 1.7))
    canvas_h, canvas_w = round(height * grow), round(width * grow)
    base = rng.integers(20, 230, 3).astype(np.float32)
    canvas = np.empty((canvas_h, canvas_w, 3), np.float32)
    canvas[:] = base
    style = rng.random()
    if style < 0.35:  # wood or fabric: streaks and noise
        ys, xs = np.mgrid[0:canvas_h, 0:canvas_w].astype(np.float32)
        streaks = np.sin(
            ys / float(rng.uniform(3, 20)) + 3 * np.sin(xs / float(rng.uniform(50, 300)))
        )
        canvas += (float(rng.uniform(5, 30)) * streaks)[:, :, None]
        conditions.append("texture")
    elif style < 0.8:  # a desk with papers and print
        desk = np.clip(canvas, 0, 255).astype(np.uint8)
        _clutter(rng, desk)
        canvas = desk.astype(np.float32)
        conditions.append("clutter")
    canvas = canvas + np.asarray(rng.normal(0, 3, canvas.shape), np.float32)
    y0 = int(rng.integers(0, canvas_h - height + 1))
    x0 = int(rng.integers(0, canvas_w - width + 1))
    mask = np.zeros((canvas_h, canvas_w), np.uint8)
    radius = 0 if kind == "TD3" else round(width * 3.18 / DOCUMENT_SIZES_MM[kind][0])
    card = np.zeros((height, width), np.uint8)
    cv2.rectangle(card, (radius, 0), (width - 1 - radius, height - 1), 255, -1)
    cv2.rectangle(card, (0, radius), (width - 1, height - 1 - radius), 255, -1)
    if radius:
        right, bottom = width - 1 - radius, height - 1 - radius
        for cx, cy in ((radius, radius), (right, radius), (radius, bottom), (right, bottom)):
            cv2.circle(card, (cx, cy), radius, 255, -1)
    mask[y0 : y0 + height, x0 : x0 + width] = card
    region = canvas[y0 : y0 + height, x0 : x0 + width]
    inside = card[:, :, None] > 0
    canvas[y0 : y0 + height, x0 : x0 + width] = np.where(inside, page.astype(np.float32), region)
    return np.clip(canvas, 0, 255).astype(np.uint8), mask


def _clutter(rng: np.random.Generator, canvas: NDArray[np.uint8]) -> None:
    import cv2  # noqa: PLC0415

    height, width = canvas.shape[:2]
    for _ in range(int(rng.integers(2, 7))):  # sheets of paper with lines of print
        w, h = int(rng.uniform(0.2, 0.6) * width), int(rng.uniform(0.2, 0.6) * height)
        x, y = int(rng.integers(-w // 2, width)), int(rng.integers(-h // 2, height))
        shade = int(rng.integers(180, 250))
        cv2.rectangle(canvas, (x, y), (x + w, y + h), (shade, shade, shade - 5), -1)
        size = float(rng.uniform(0.6, 1.6))
        for row in range(int(rng.integers(2, 12))):
            words = " ".join(str(v) for v in rng.choice(_WORDS, int(rng.integers(2, 8))))
            origin = (x + 10, y + 30 + row * int(40 * size))
            cv2.putText(canvas, words, origin, cv2.FONT_HERSHEY_SIMPLEX, size, (40, 40, 40), 2)
    for _ in range(int(rng.integers(0, 6))):  # pens, cables, edges
        p0 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        p1 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        color = tuple(int(v) for v in rng.integers(0, 120, 3))
        cv2.line(canvas, p0, p1, color, int(rng.integers(2, 12)))


def _photograph(
    rng: np.random.Generator,
    scene: NDArray[np.uint8],
    mask: NDArray[np.uint8],
    conditions: list[str],
) -> tuple[NDArray[np.uint8], NDArray[np.uint8], float]:
    """Perspective, any quarter turn with skew, and the camera's resolution: the frame is
    resized to 0.4-2 MP. Returns the photo, the page mask and the overall scale."""
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    height, width = scene.shape[:2]
    megapixels = math.exp(float(rng.uniform(math.log(0.4), math.log(2.0))))
    scale = math.sqrt(megapixels * 1e6 / (width * height))
    quarter = int(rng.integers(0, 4))
    angle = 90.0 * quarter + float(rng.uniform(-15, 15))
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    tilt = float(rng.uniform(0.0, 0.08))
    if tilt > 0.05:
        conditions.append("perspective")
    moved = corners + (rng.uniform(-tilt, tilt, (4, 2)) * [width, height]).astype(np.float32)
    theta = math.radians(angle)
    rotation = np.array([[math.cos(theta), math.sin(theta)], [-math.sin(theta), math.cos(theta)]])
    placed = (moved - [width / 2, height / 2]) @ (scale * rotation).T
    placed -= placed.min(axis=0)
    out_w, out_h = (math.ceil(float(v)) + 1 for v in placed.max(axis=0))
    matrix = cv2.getPerspectiveTransform(corners, placed.astype(np.float32))
    small = scale < 1
    if small:  # shrink first with area averaging, as a sensor integrates light
        shrunk = cv2.resize(scene, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        to_small = np.diag([scale, scale, 1.0])
        matrix = matrix @ np.linalg.inv(to_small)
        scene_in, mask_in = shrunk, cv2.resize(mask, shrunk.shape[1::-1])
    else:
        scene_in, mask_in = scene, mask
    photo = cv2.warpPerspective(scene_in, matrix, (out_w, out_h), borderMode=cv2.BORDER_REFLECT)
    page = cv2.warpPerspective(mask_in, matrix, (out_w, out_h))
    if min(out_w, out_h) * 1.0 / max(out_w, out_h) < 0.3:
        conditions.append("odd frame")
    pitch_scale = scale * (1 - tilt)
    return np.asarray(photo, np.uint8), np.asarray(page, np.uint8), pitch_scale


def _light_and_optics(
    rng: np.random.Generator,
    photo: NDArray[np.uint8],
    page: NDArray[np.uint8],
    conditions: list[str],
) -> NDArray[np.uint8]:
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    image = photo.astype(np.float32)
    height, width = image.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    direction = float(rng.uniform(0, 2 * math.pi))
    ramp = (xs * math.cos(direction) + ys * math.sin(direction)) / max(width, height)
    image *= (1 + float(rng.uniform(0, 0.5)) * (ramp - float(ramp.mean())))[:, :, None]
    image *= rng.uniform(0.85, 1.15, 3).astype(np.float32)  # white balance
    if rng.random() < 0.3:  # a hand's or phone's shadow
        points = rng.uniform(0, 1, (5, 2)) * [width, height]
        shadow = np.zeros((height, width), np.float32)
        cv2.fillPoly(shadow, [points.astype(np.int32)], 1.0)
        soft = np.asarray(cv2.GaussianBlur(shadow, (0, 0), max(width, height) / 40), np.float32)
        image *= (1 - float(rng.uniform(0.3, 0.6)) * soft)[:, :, None]
        conditions.append("shadow")
    if rng.random() < 0.4:  # glare on the laminate, sometimes clipping
        cx, cy = rng.uniform(0.2, 0.8) * width, rng.uniform(0.3, 0.9) * height
        radius = float(rng.uniform(0.04, 0.15)) * min(width, height)
        blob = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * radius**2))
        image += (float(rng.uniform(60, 200)) * blob * (page > 0))[:, :, None]
        conditions.append("glare")
    if rng.random() < 0.6:
        sigma = float(rng.uniform(0.4, 1.6))
        if rng.random() < 0.3:  # motion
            length = max(3, int(sigma * 4))
            kernel = np.zeros((length, length), np.float32)
            kernel[length // 2, :] = 1.0 / length
            rotation = cv2.getRotationMatrix2D(
                (length / 2, length / 2), float(rng.uniform(0, 180)), 1
            )
            turned = np.asarray(cv2.warpAffine(kernel, rotation, (length, length)), np.float32)
            kernel_sum = max(float(turned.sum()), 1e-6)
            image = np.asarray(cv2.filter2D(image, -1, turned / kernel_sum), np.float32)
            conditions.append("motion blur")
        else:
            image = np.asarray(cv2.GaussianBlur(image, (0, 0), sigma), np.float32)
            if sigma > 1.0:
                conditions.append("blur")
    image += rng.normal(0, float(rng.uniform(1, 8)), image.shape).astype(np.float32)
    out = np.clip(np.round(image), 0, 255).astype(np.uint8)
    quality = int(rng.integers(30, 92))
    if quality < 50:
        conditions.append("low JPEG quality")
    ok, encoded = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if ok:
        out = np.asarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR), np.uint8)
    return np.ascontiguousarray(out)
