"""Fictitious document data pages with an MRZ, drawn at true physical size (OCR tests, training).

`render_page` draws a TD1, TD2 or TD3 page: a tinted, patterned background, printed labels and
values, a face box, and the MRZ in OCR-B at 9303-3's geometry (character pitch 2.54 mm,
10 per inch; line pitch 4.23 mm, 6 per inch; OCR-B capitals then stand about 2.5 mm high).
The holder is invented from a seeded random generator and made-up names: nothing is a real
person. `augment=True` photographs the page badly (any quarter turn plus up to 10 degrees of
skew, perspective, scale, uneven light, glare, low contrast, blur, noise, JPEG).

Everything is deterministic per seed. By convention training uses seeds below `EVAL_SEEDS`
and evaluation seeds at or above it, so no evaluation page was seen in training.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from mrtd.errors import MRZError, OptionalDependencyError
from mrtd.mrz.generator import generate_mrz
from mrtd.mrz.model import MRZ
from mrtd.mrz.parser import parse_mrz

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from PIL import Image, ImageFont

__all__ = ["DOCUMENT_SIZES_MM", "EVAL_SEEDS", "OCRB_FONT", "PageKind", "render_page"]

PageKind = Literal["TD1", "TD2", "TD3"]

EVAL_SEEDS = 1_000_000  # seeds >= this are for evaluation only
OCRB_FONT = Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf")  # Debian's fonts-ocr-b
_SANS_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
)
MM_PER_INCH = 25.4
PITCH_MM = 2.54  # 9303-3: ten characters per inch
LINE_PITCH_MM = 4.23  # six lines per inch
OCRB_ADVANCE = 0.723  # OCR-B's fixed advance over the font size: the size giving the pitch
_OCRB_CAP = 0.716  # OCR-B capital height over the font size
DOCUMENT_SIZES_MM: dict[str, tuple[float, float]] = {  # ISO/IEC 7810 ID-1, ID-2, ID-3
    "TD1": (85.6, 53.98),
    "TD2": (105.0, 74.0),
    "TD3": (125.0, 88.0),
}
_LINES = {"TD1": 3, "TD2": 2, "TD3": 2}
_WIDTHS = {"TD1": 30, "TD2": 36, "TD3": 44}
_CODES = {"TD1": ("I<", "ID", "AC", "IR", "C<"), "TD2": ("I<", "ID", "AC"), "TD3": ("P<", "PD")}
_STATES = ("UTO", "D", "NLD", "AUT", "CHE", "ZAF", "QAT", "JPN", "BRA", "MEX", "IRL", "KOR",
           "XXA", "FIN", "GRC", "VNM", "YEM", "WSM", "EST", "KAZ")  # fmt: skip
# Invented names (syllables are added to reach every letter); none is meant to be anyone.
_SURNAMES = ("QUARNELLI", "VESTRANDO", "OKOLAVINE", "MIRANDOLE", "ZABRIKOVA", "HULVERTON",
             "JENTARRO", "WYSKELIN", "PELMARQUE", "FORNISTAD", "GAXTOVIC", "TRELLWYN",
             "BONAVEZKI", "DUMERACQ", "YXELBERG", "KORVALEN")  # fmt: skip
_GIVEN = ("ELVARA", "TOMIK", "ZUNIA", "QUILLAN", "MAREVO", "JOSKA", "BRENNIX", "ISOLDA",
          "FAUSTEL", "WENDRA", "OXANEL", "LUVIK", "PERRINE", "GUSTAVEL", "YARELIA",
          "DANIKO")  # fmt: skip
_SYLLABLES = ("KA", "ZU", "VE", "QUI", "JO", "XA", "WY", "LEN", "MOR", "BRA", "DIX", "FEL",
              "GHO", "PAN", "TRI", "SOV", "HEJ", "NUR", "CYL")  # fmt: skip
_PLACES = ("NORTH HARBOUR", "VALMERE", "OSTRAVEL", "KINDLEFORD", "ZEPHYR BAY", "LUMIA CITY")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_TITLES = {"TD1": "IDENTITY CARD", "TD2": "IDENTITY CARD", "TD3": "PASSPORT"}

Color = tuple[int, int, int]


def render_page(
    kind: PageKind,
    *,
    seed: int,
    dpi: int = 300,
    augment: bool = False,
    mrz: MRZ | None = None,
) -> tuple[NDArray[np.uint8], MRZ]:
    """A fictitious data page (BGR, HxWx3) and the MRZ printed on it (valid, parsed).

    The page lies on a plain surface with a margin round it. `dpi` fixes the physical scale
    (150 dpi gives a 15-pixel character pitch); `augment` photographs it badly (see the
    module docstring). `mrz` prints a given MRZ of the page's format (a simulated chip's,
    say) instead of an invented one. The same arguments always give the same pixels.
    """
    if kind not in DOCUMENT_SIZES_MM:
        raise ValueError(f"kind must be TD1, TD2 or TD3, not {kind!r}")
    if mrz is not None and mrz.format.value != kind:
        raise ValueError(f"the MRZ is {mrz.format.value}, the page {kind}")
    if not 50 <= dpi <= 1200:
        raise ValueError("dpi must be between 50 and 1200")
    _require()
    import numpy as np  # noqa: PLC0415 - optional extras, checked above

    rng = np.random.default_rng(seed)
    text = _mrz_text(rng, kind) if mrz is None else mrz.text
    page = _draw_page(rng, kind, text, dpi)
    surface = _surface_color(rng)
    pixels = _on_surface(rng, page, kind, surface)
    if augment:
        pixels = _augment(rng, pixels, surface, dpi)
    return pixels, parse_mrz(text) if mrz is None else mrz


def _require() -> None:
    try:
        import cv2  # noqa: F401, PLC0415
        import numpy  # noqa: F401, PLC0415
        import PIL  # noqa: F401, PLC0415
    except ImportError as exc:
        raise OptionalDependencyError(
            "synthetic pages need OpenCV, numpy and Pillow: pip install 'mrtd[ocr]' pillow"
        ) from exc
    if not OCRB_FONT.is_file():
        raise OptionalDependencyError(f"synthetic pages need the OCR-B font {OCRB_FONT}")


# -- the holder -------------------------------------------------------------------------------


def _mrz_text(rng: np.random.Generator, kind: str) -> str:
    """The MRZ of an invented holder (retried on the rare combinations 9303 forbids)."""
    while True:
        fields = _holder(rng, kind)
        try:
            return generate_mrz(kind, **fields)  # type: ignore[arg-type]
        except MRZError:
            continue


def _holder(rng: np.random.Generator, kind: str) -> dict[str, object]:
    surname = _name(rng, _SURNAMES, 2 if rng.random() < 0.2 else 1)
    given = _name(rng, _GIVEN, int(rng.integers(0, 3)))
    long_number = kind != "TD3" and rng.random() < 0.15
    number = _token(rng, int(rng.integers(10, 13)) if long_number else int(rng.integers(6, 10)))
    optional = _token(rng, int(rng.integers(0, 12 if kind == "TD3" else 6)))
    fields: dict[str, object] = {
        "document_code": str(rng.choice(_CODES[kind])).rstrip("<"),
        "issuing_state": str(rng.choice(_STATES)),
        "surname": surname,
        "given_names": given,
        "document_number": number,
        "nationality": str(rng.choice(_STATES)),
        "birth_date": _day(rng, date(1935, 1, 1), date(2015, 12, 31)),
        "sex": str(rng.choice(["F", "M", "X", "<"], p=[0.47, 0.47, 0.03, 0.03])),
        "expiry_date": _day(rng, date(2019, 1, 1), date(2045, 12, 31)),
        "optional_data": optional,
    }
    if kind == "TD1" and rng.random() < 0.4:
        fields["optional_data_2"] = _token(rng, int(rng.integers(1, 12)))
    return fields


def _name(rng: np.random.Generator, names: tuple[str, ...], count: int) -> str:
    words = []
    for _ in range(count):
        if rng.random() < 0.5:
            words.append(str(rng.choice(names)))
        else:
            words.append("".join(rng.choice(_SYLLABLES, int(rng.integers(2, 5)))))
    return " ".join(words)


def _token(rng: np.random.Generator, length: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    digits_only = rng.random() < 0.4
    pool = alphabet[26:] if digits_only else alphabet
    return "".join(pool[int(i)] for i in rng.integers(0, len(pool), length))


def _day(rng: np.random.Generator, first: date, last: date) -> date:
    return first + timedelta(days=int(rng.integers(0, (last - first).days + 1)))


# -- the page ---------------------------------------------------------------------------------


class _Pen:
    """Millimetre coordinates on a page drawn at `dpi`."""

    def __init__(self, image: Image.Image, dpi: int) -> None:
        from PIL import ImageDraw  # noqa: PLC0415

        self.image = image
        self.draw = ImageDraw.Draw(image)
        self.scale = dpi / MM_PER_INCH

    def px(self, mm: float) -> int:
        return round(mm * self.scale)

    def font(self, path: Path, cap_mm: float, cap_ratio: float) -> ImageFont.FreeTypeFont:
        from PIL import ImageFont  # noqa: PLC0415

        size = max(4, round(cap_mm * self.scale / cap_ratio))
        if path.is_file():
            return ImageFont.truetype(str(path), size)
        return ImageFont.load_default(size)  # type: ignore[return-value]

    def text(
        self, x_mm: float, y_mm: float, text: str, font: ImageFont.FreeTypeFont, fill: Color
    ) -> None:
        """`text` with its left baseline at (x_mm, y_mm)."""
        self.draw.text((self.px(x_mm), self.px(y_mm)), text, font=font, fill=fill, anchor="ls")


def _draw_page(rng: np.random.Generator, kind: str, mrz_text: str, dpi: int) -> Image.Image:
    from PIL import Image  # noqa: PLC0415

    width_mm, height_mm = DOCUMENT_SIZES_MM[kind]
    scale = dpi / MM_PER_INCH
    size = (round(width_mm * scale), round(height_mm * scale))
    tint = tuple(int(v) for v in rng.integers(212, 250, 3))
    background = _pattern(rng, size, tint)
    image = Image.fromarray(background, "RGB")
    pen = _Pen(image, dpi)
    lines = mrz_text.split("\n")
    bottom_mm = float(rng.uniform(4.0, 6.5))
    mrz_top_mm = height_mm - bottom_mm - (len(lines) - 1) * LINE_PITCH_MM - 2.5
    if rng.random() < 0.5:  # a clear zone behind the MRZ, as 9303-3 asks of most designs
        pen.draw.rectangle(
            (0, pen.px(mrz_top_mm - 1.5), size[0], size[1]),
            fill=tuple(min(255, v + 8) for v in tint),
        )
    _draw_content(rng, pen, kind, lines, mrz_top_mm - 2.0)
    _draw_mrz(rng, pen, lines, width_mm, height_mm - bottom_mm)
    return image


def _pattern(
    rng: np.random.Generator, size: tuple[int, int], tint: tuple[int, ...]
) -> NDArray[np.uint8]:
    """A tinted background with guilloche-like waves and a rosette, in darker tints."""
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    width, height = size
    pixels = np.empty((height, width, 3), np.uint8)
    pixels[:] = tint
    xs = np.arange(0, width, 2, dtype=np.float64)
    for _ in range(int(rng.integers(6, 16))):
        shade = tuple(max(0, v - int(rng.integers(10, 40))) for v in tint)
        amplitude = rng.uniform(0.02, 0.12) * height
        period = rng.uniform(0.1, 0.5) * width
        phase = rng.uniform(0, 2 * math.pi)
        base = rng.uniform(0, height)
        ys = base + amplitude * np.sin(2 * math.pi * xs / period + phase)
        points = np.stack([xs, ys], axis=1).round().astype(np.int32)
        cv2.polylines(pixels, [points], False, shade, 1, cv2.LINE_AA)
    centre = (int(rng.uniform(0.3, 0.8) * width), int(rng.uniform(0.2, 0.6) * height))
    shade = tuple(int(max(0, v - 25)) for v in tint)
    for step in range(int(rng.integers(4, 12))):
        axes = (int((0.05 + 0.03 * step) * width), int((0.04 + 0.025 * step) * height))
        cv2.ellipse(pixels, centre, axes, float(rng.uniform(0, 180)), 0, 360, shade, 1, cv2.LINE_AA)
    return pixels


def _draw_content(
    rng: np.random.Generator, pen: _Pen, kind: str, mrz_lines: list[str], bottom_mm: float
) -> None:
    """Header, face box and labelled values above the MRZ (never below `bottom_mm`)."""
    width_mm, _ = DOCUMENT_SIZES_MM[kind]
    dark: Color = tuple(int(v) for v in rng.integers(0, 50, 3))  # type: ignore[assignment]
    label_color: Color = tuple(int(v) for v in rng.integers(60, 140, 3))  # type: ignore[assignment]
    sans, bold = _SANS_FONTS
    header = pen.font(bold, 2.6 if kind == "TD3" else 2.1, 0.73)
    label = pen.font(sans, 1.0, 0.73)
    value = pen.font(bold, 1.7, 0.73)
    pen.text(4.0, 6.0, "REPUBLIC OF UTOPIA", header, dark)
    pen.text(width_mm * 0.55, 6.0, _TITLES[kind], header, dark)

    face_w = {"TD1": 20.0, "TD2": 24.0, "TD3": 32.0}[kind]
    face_h = min(face_w * 1.28, bottom_mm - 10.0)
    _draw_face(rng, pen, (4.0, 9.0, face_w, face_h))
    x0 = 4.0 + face_w + 4.0
    rows = _visible_values(rng, mrz_lines)
    y = 11.0
    column_width = (width_mm - x0 - 3.0) / 2
    for index, (name, full) in enumerate(rows):
        x = x0 + (index % 2) * column_width
        if y + 3.2 > bottom_mm:
            break
        pen.text(x, y, name, label, label_color)
        text = full
        while text and value.getlength(text) > pen.px(column_width - 1.5):
            text = text[:-1]
        pen.text(x, y + 2.6, text, value, dark)
        if index % 2:
            y += 4.6
    if rng.random() < 0.6:  # a document number in OCR-B top right, as many pages print it
        number = mrz_lines[0][5:14] if kind == "TD1" else mrz_lines[1][:9]
        pen.text(
            width_mm - 28.0,
            10.0,
            number.replace("<", ""),
            pen.font(OCRB_FONT, 2.0, _OCRB_CAP),
            dark,
        )


def _visible_values(rng: np.random.Generator, mrz_lines: list[str]) -> list[tuple[str, str]]:
    mrz = parse_mrz(mrz_lines)
    return [
        ("Surname / Nom", mrz.surname or "-"),
        ("Given names / Prenoms", mrz.given_names or "-"),
        ("Nationality", mrz.nationality),
        ("Date of birth", _printed(mrz.birth_date)),
        ("Sex", mrz.sex.replace("<", "-")),
        ("Place of birth", str(rng.choice(_PLACES))),
        ("Date of expiry", _printed(mrz.expiry_date)),
        ("Document no.", mrz.document_number),
        ("Authority", "MINISTRY OF TRAVEL"),
        ("Date of issue", _printed(mrz.expiry_date and mrz.expiry_date - timedelta(days=3650))),
    ]


def _printed(day: date | None) -> str:
    return "-" if day is None else f"{day.day:02d} {_MONTHS[day.month - 1]} {day.year}"


def _draw_face(
    rng: np.random.Generator, pen: _Pen, box_mm: tuple[float, float, float, float]
) -> None:
    """A gray photo box (x, y, width, height in mm) holding a drawn face: shoulders, head,
    hair, eyes, nose and mouth."""
    from PIL import Image  # noqa: PLC0415

    x, y, width, height = box_mm
    box = _Pen(Image.new("RGB", (pen.px(width), pen.px(height)), (0, 0, 0)), 1)
    box.scale = pen.scale
    draw, px = box.draw, box.px
    back = int(rng.integers(170, 225))
    draw.rectangle((0, 0, px(width), px(height)), fill=(back, back, back))
    skin = int(rng.integers(120, 190))
    hair = int(rng.integers(30, 110))
    cx, head_w, head_h = width / 2, width * 0.42, height * 0.42
    top = height * 0.16
    draw.ellipse(
        (px(cx - width * 0.45), px(height * 0.72), px(cx + width * 0.45), px(height * 1.3)),
        fill=(hair + 30, hair + 30, hair + 40),
    )
    draw.ellipse(
        (px(cx - head_w / 2), px(top), px(cx + head_w / 2), px(top + head_h * 1.3)),
        fill=(skin,) * 3,
    )
    draw.chord(
        (px(cx - head_w / 2), px(top - head_h * 0.1), px(cx + head_w / 2), px(top + head_h * 0.7)),
        180, 360, fill=(hair,) * 3,
    )  # fmt: skip
    eye_y = top + head_h * 0.62
    for side in (-1, 1):
        ex = cx + side * head_w * 0.2
        draw.ellipse(
            (px(ex - 0.8), px(eye_y - 0.5), px(ex + 0.8), px(eye_y + 0.5)), fill=(40, 40, 40)
        )
    draw.line(
        (px(cx), px(eye_y + 1), px(cx - 0.5), px(eye_y + 3.5)), fill=(skin - 40,) * 3, width=2
    )
    mouth_y = top + head_h * 1.05
    draw.arc(
        (px(cx - 2.5), px(mouth_y - 1.5), px(cx + 2.5), px(mouth_y + 1)),
        20,
        160,
        fill=(90, 40, 40),
        width=2,
    )
    pen.image.paste(box.image, (pen.px(x), pen.px(y)))


def _draw_mrz(
    rng: np.random.Generator, pen: _Pen, lines: list[str], width_mm: float, baseline_mm: float
) -> None:
    """The MRZ lines in OCR-B, every character placed on the 2.54 mm grid (9303-3 §4)."""
    font = pen.font(OCRB_FONT, PITCH_MM / OCRB_ADVANCE * _OCRB_CAP, _OCRB_CAP)
    count = len(lines[0])
    left_mm = (width_mm - count * PITCH_MM) / 2 + float(rng.uniform(-0.8, 0.8))
    ink: Color = tuple(int(v) for v in rng.integers(0, 45, 3))  # type: ignore[assignment]
    first = baseline_mm - (len(lines) - 1) * LINE_PITCH_MM
    for row, line in enumerate(lines):
        for column, char in enumerate(line):
            pen.text(left_mm + column * PITCH_MM, first + row * LINE_PITCH_MM, char, font, ink)


# -- on a surface, and photographed -----------------------------------------------------------


def _surface_color(rng: np.random.Generator) -> Color:
    shade = int(rng.integers(30, 200))
    r, g, b = (max(0, min(255, shade + int(d))) for d in rng.integers(-25, 26, 3))
    return (b, g, r)


def _on_surface(
    rng: np.random.Generator, page: Image.Image, kind: str, surface: Color
) -> NDArray[np.uint8]:
    """The page (rounded corners for cards) on a plain surface, BGR."""
    import numpy as np  # noqa: PLC0415
    from PIL import Image, ImageDraw  # noqa: PLC0415

    width, height = page.size
    margin_x = round(width * float(rng.uniform(0.05, 0.15)))
    margin_y = round(height * float(rng.uniform(0.05, 0.15)))
    canvas = Image.new("RGB", (width + 2 * margin_x, height + 2 * margin_y), surface[::-1])
    mask = Image.new("L", page.size, 0)
    radius = round(width * (3.18 / DOCUMENT_SIZES_MM[kind][0])) if kind != "TD3" else 2
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, width - 1, height - 1), radius, fill=255)
    canvas.paste(page, (margin_x, margin_y), mask)
    rgb = np.asarray(canvas, dtype=np.uint8)
    bgr: NDArray[np.uint8] = np.ascontiguousarray(rgb[:, :, ::-1])
    return bgr


def _augment(
    rng: np.random.Generator, pixels: NDArray[np.uint8], surface: Color, dpi: int
) -> NDArray[np.uint8]:
    """A hand-held photo of the page: geometry first, then light, optics, sensor and JPEG."""
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    scale = float(rng.uniform(0.8, 1.2))
    angle = 90.0 * int(rng.integers(0, 4)) + float(rng.uniform(-10, 10))
    warped = _warp(rng, pixels, surface, scale, angle)
    image = warped.astype(np.float32)
    height, width = image.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    direction = float(rng.uniform(0, 2 * math.pi))
    ramp = (xs * math.cos(direction) + ys * math.sin(direction)) / max(width, height)
    image *= (1 + float(rng.uniform(0, 0.35)) * (ramp - float(ramp.mean())))[:, :, None]
    if rng.random() < 0.3:  # low contrast: washed-out print or a grey scan
        level = float(rng.uniform(100, 200))
        image = level + (image - level) * float(rng.uniform(0.4, 0.75))
    if rng.random() < 0.4:  # glare: a bright blob from a lamp on the laminate
        cx, cy = rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height
        radius = float(rng.uniform(0.05, 0.2)) * min(width, height)
        blob = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * radius**2))
        image += (float(rng.uniform(50, 140)) * blob)[:, :, None]
    pitch = PITCH_MM * dpi / MM_PER_INCH * scale
    if rng.random() < 0.7:
        sigma = float(rng.uniform(0.02, 0.07)) * pitch
        image = np.asarray(cv2.GaussianBlur(image, (0, 0), sigma), np.float32)
    if rng.random() < 0.7:
        image += rng.normal(0, float(rng.uniform(2, 9)), image.shape).astype(np.float32)
    out = np.clip(np.round(image), 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        quality = int(rng.integers(35, 93))
        ok, encoded = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            out = np.asarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR), np.uint8)
    result: NDArray[np.uint8] = np.ascontiguousarray(out)
    return result


def _warp(
    rng: np.random.Generator, pixels: NDArray[np.uint8], surface: Color, scale: float, angle: float
) -> NDArray[np.uint8]:
    """Perspective (corners moved up to 4 % of the size), then rotation and scale; the output
    is sized to hold the whole warped canvas."""
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    height, width = pixels.shape[:2]
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    jitter = rng.uniform(-0.04, 0.04, (4, 2)) * np.array([width, height])
    moved = corners + jitter.astype(np.float32)
    theta = math.radians(angle)
    rotation = np.array([[math.cos(theta), math.sin(theta)], [-math.sin(theta), math.cos(theta)]])
    placed = (moved - np.array([width / 2, height / 2])) @ (scale * rotation).T
    placed -= placed.min(axis=0)
    out_w, out_h = (math.ceil(float(v)) + 1 for v in placed.max(axis=0))
    matrix = cv2.getPerspectiveTransform(corners, placed.astype(np.float32))
    warped = cv2.warpPerspective(
        pixels, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR, borderValue=surface
    )
    result: NDArray[np.uint8] = np.asarray(warped, dtype=np.uint8)
    return result
