"""Train the MRZ character classifier (src/mrtd/mrz/ocr/data/ocrb_model.npz) on synthetic OCR-B.

    .venv/bin/python tools/make_ocr_model.py            # the shipped model, a few minutes
    .venv/bin/python tools/make_ocr_model.py --samples 20000 --epochs 3 --out /tmp/m.npz

Training cells are cut from rendered MRZ-like text the way the MRZ locator cuts them from a
photo: OCR-B and OCR-B "Sharp" with capitals 9 to 42 pixels high; the cell 1.25 to 2
character heights tall, ±10 % in size, off by up to 20 % of the pitch sideways and 10 % of
the character height vertically, sometimes resampled; the text rotated (±3°), sheared,
thinned or emboldened, blurred, unevenly lit, on a faint background pattern, gamma-shifted,
noisy, JPEG-compressed or binarized. Each cell goes through `normalize_cell` exactly as at
run time. The defaults take about 5 minutes on one core, most of it drawing the cells.

Deterministic: one seed draws every random choice (numpy's PCG64) and the model is written
with fixed zip dates, so the same seed, numpy, OpenCV and Pillow give the same bytes. The
evaluation set is drawn from another seed, so no cell of it was seen in training; accuracy
is reported for character heights of 16 pixels and more (an MRZ photographed at about
150 dpi and above) and below, with the commonest confusions.
"""

from __future__ import annotations

import argparse
import io
import itertools
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from mrtd.errors import MRZError
from mrtd.mrz.generator import generate_mrz
from mrtd.mrz.ocr.classifier import ALPHABET, CellModel, normalize_cell

ROOT = Path(__file__).resolve().parents[1]
MODEL_PATH = ROOT / "src" / "mrtd" / "mrz" / "ocr" / "data" / "ocrb_model.npz"
FONT_DIR = Path("/usr/share/fonts/opentype/ocr-b")  # Debian's fonts-ocr-b
FONTS = ("OCRB.otf", "OCRBS.otf")
CAP_HEIGHT = 0.716  # height of 'H' over the font size, for both OCR-B files
ADVANCE = 0.72297  # the fixed advance width over the font size
SMALL = 16.0  # character height (pixels) below which the report counts a cell as small
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"

Float = NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Config:
    samples: int = 400_000
    eval_samples: int = 60_000
    epochs: int = 15
    hidden: tuple[int, ...] = (192,)
    batch: int = 128
    learning_rate: float = 2e-3
    smoothing: float = 0.02  # label smoothing: keeps the probabilities honest for repair
    seed: int = 9303
    eval_seed: int = 39794
    out: Path = MODEL_PATH


@dataclass(frozen=True, slots=True)
class Dataset:
    cells: Float  # (N, *CELL_SHAPE), normalized
    labels: NDArray[np.int64]  # class ids
    heights: Float  # character height in pixels, for the report


# -- synthetic MRZ text -----------------------------------------------------------------------


def random_text(rng: np.random.Generator, length: int) -> str:
    """MRZ-like text: a window of a generated MRZ (real neighbour statistics, runs of '<')
    one time in three, else characters drawn evenly so that every class is well fed."""
    if rng.random() < 1 / 3:
        line = rng.choice(_mrz(rng).split("\n"))
        start = int(rng.integers(0, len(line) - length + 1))
        return str(line[start : start + length])
    return "".join(ALPHABET[i] for i in rng.integers(0, len(ALPHABET), length))


def _mrz(rng: np.random.Generator) -> str:
    def word(low: int, high: int, alphabet: str = LETTERS) -> str:
        return "".join(rng.choice(list(alphabet), int(rng.integers(low, high + 1))))

    while True:
        fmt = str(rng.choice(["TD1", "TD2", "TD3"]))
        code = {"TD1": "I", "TD2": "I", "TD3": "P"}[fmt] + str(rng.choice(list("<" + LETTERS)))
        try:
            return generate_mrz(
                fmt,
                document_code=code,
                issuing_state=word(3, 3),
                surname=word(2, 14) + (" " + word(2, 10) if rng.random() < 0.3 else ""),
                given_names=" ".join(word(2, 9) for _ in range(int(rng.integers(0, 3)))),
                document_number=word(6, 9, LETTERS + DIGITS),
                nationality=word(3, 3),
                birth_date=_date(rng, 1930, 2025),
                sex=str(rng.choice(["F", "M", "<"])),
                expiry_date=_date(rng, 2000, 2040),
                optional_data=word(0, 7, LETTERS + DIGITS),
            )
        except MRZError:
            continue  # the rare combination 9303 forbids (TD2 "I<" from FRA)


def _date(rng: np.random.Generator, first: int, last: int) -> date:
    return date.fromordinal(
        int(rng.integers(date(first, 1, 1).toordinal(), date(last, 12, 31).toordinal()))
    )


# -- rendering and photo degradation ----------------------------------------------------------


class Glyph(NamedTuple):
    """Where a character stands in a rendered image, in that image's pixels."""

    char: str
    x: float  # centre
    y: float
    pitch: float
    height: float  # of a capital


def render_block(
    rng: np.random.Generator, lines: Sequence[str], cap: float, font_file: str
) -> tuple[NDArray[np.uint8], list[Glyph]]:
    """Lines of OCR-B with capitals `cap` pixels high, photographed badly, and its glyphs."""
    factor = max(2, math.ceil(48 / cap))  # supersampling: capitals of 48+ pixels to draw
    big_cap = cap * factor
    size = big_cap / CAP_HEIGHT
    font = ImageFont.truetype(str(FONT_DIR / font_file), size)
    pitch = size * ADVANCE * rng.uniform(1.0, 1.15)  # the font's own pitch to 10 per inch
    line_pitch = big_cap * rng.uniform(1.6, 2.2)
    margin = 1.8 * big_cap  # room for the rotation and the tallest cells
    width = round(2 * margin + pitch * max(len(line) for line in lines))
    height = round(2 * margin + line_pitch * (len(lines) - 1) + big_cap)
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    centres: list[tuple[float, float, float]] = []
    for row, line in enumerate(lines):
        baseline = round(margin + big_cap + row * line_pitch)
        for column, char in enumerate(line):
            x = round(margin + column * pitch)
            draw.text((x, baseline), char, font=font, fill=255, anchor="ls")
            centres.append((x + size * ADVANCE / 2, baseline - big_cap / 2, 1.0))
    ink = _stroke_weight(rng, _f32(np.asarray(canvas, dtype=np.float32) / 255), big_cap)
    ink = _f32(cv2.GaussianBlur(ink, (0, 0), 0.45 * factor))  # anti-aliasing, then downscale
    matrix = _geometry(rng, factor, width, height)
    out_size = (math.ceil(width / factor), math.ceil(height / factor))
    ink = _f32(cv2.warpAffine(ink, matrix, out_size, flags=cv2.INTER_LINEAR, borderValue=0))
    if rng.random() < 0.8:  # focus
        ink = _f32(cv2.GaussianBlur(ink, (0, 0), rng.uniform(0.3, 1.0)))
    photo = _photograph(rng, np.clip(ink, 0, 1))
    if rng.random() < 0.1:  # a locator that hands over binarized cells
        block, offset = 2 * round(cap) + 1, rng.uniform(6, 16)
        photo = _u8(cv2.adaptiveThreshold(photo, 255, cv2.ADAPTIVE_THRESH_MEAN_C, 0, block, offset))
    points = np.array(centres) @ matrix.T
    x_scale, y_scale = np.hypot(matrix[0, :2], matrix[1, :2])  # column norms
    glyphs = [
        Glyph(char, float(px), float(py), pitch * float(x_scale), big_cap * float(y_scale))
        for char, (px, py) in zip("".join(lines), points, strict=True)
    ]
    return photo, glyphs


def _stroke_weight(rng: np.random.Generator, ink: Float, cap: float) -> Float:
    """Thinner or bolder strokes (a stroke is ~0.14 of the character height): blur, then cut
    at a random level; a low level spreads the ink, a high one thins it."""
    blurred = _f32(cv2.GaussianBlur(ink, (0, 0), 0.04 * cap))
    return (blurred > rng.uniform(0.2, 0.8)).astype(np.float32)


def _geometry(rng: np.random.Generator, factor: int, width: int, height: int) -> Float:
    """Downscale by the supersampling factor with a rotation (±3°), a shear (a camera a little
    off square), unequal axes and a sub-pixel shift, about the image centre."""
    angle = math.radians(rng.uniform(-3, 3))
    shear = rng.uniform(-0.08, 0.08)
    stretch = rng.uniform(0.93, 1.07)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    linear = rotation @ np.array([[1.0, shear], [0.0, stretch]]) / factor
    centre = np.array([width / 2, height / 2])
    shift = centre / factor - linear @ centre + rng.uniform(-0.5, 0.5, 2)
    return np.hstack([linear, shift[:, None]]).astype(np.float32)


def _photograph(rng: np.random.Generator, ink: Float) -> NDArray[np.uint8]:
    """Ink (0..1) printed on paper and photographed: uneven light, a faint background
    pattern, gamma, sensor noise and maybe JPEG."""
    height, width = ink.shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    extent = max(width, height)
    direction = rng.uniform(0, 2 * math.pi)
    ramp = (xs * math.cos(direction) + ys * math.sin(direction)) / extent
    light = 1 + rng.uniform(0, 0.6) * (ramp - ramp.mean())
    if rng.random() < 0.3:  # a spot of light or shadow
        cx, cy, radius = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(0.1, 0.5)
        spot = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (radius * extent) ** 2)
        light *= 1 + rng.uniform(-0.3, 0.3) * spot
    paper = rng.uniform(120, 250) * light
    if rng.random() < 0.3:  # a faint guilloche-like security background
        period, aspect = rng.uniform(4, 40), rng.uniform(0.5, 2)
        phase = rng.uniform(0, 2 * math.pi, 2)
        wave = np.sin(xs / period + phase[0]) * np.sin(ys / (period * aspect) + phase[1])
        paper *= 1 - rng.uniform(0.02, 0.12) * (0.5 + 0.5 * wave)
    contrast = rng.uniform(0.4, 0.95)  # how much darker than the paper the ink is
    image = 255 * (np.clip(paper * (1 - contrast * ink), 0, 255) / 255) ** rng.uniform(0.7, 1.4)
    image += rng.normal(0, rng.uniform(0, 10), image.shape)
    pixels = _u8(np.clip(np.round(image), 0, 255))
    if rng.random() < 0.5:
        quality = int(rng.integers(30, 96))
        ok, encoded = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise RuntimeError("OpenCV cannot write JPEG")
        pixels = _u8(cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE))
    return pixels


def cut_cell(rng: np.random.Generator, image: NDArray[np.uint8], glyph: Glyph) -> NDArray[np.uint8]:
    """The cell a segmenter would cut round `glyph`: one pitch wide by 1.25 to 2 character
    heights, scaled ±10 %, off by up to 20 % of the pitch sideways and 10 % of the character
    height vertically; one time in five resampled, as by a segmenter working at another scale."""
    scale = rng.uniform(0.9, 1.1)
    width = glyph.pitch * scale
    height = glyph.height * rng.uniform(1.25, 2.0) * scale
    x = glyph.x + rng.uniform(-0.2, 0.2) * glyph.pitch
    y = glyph.y + rng.uniform(-0.1, 0.1) * glyph.height
    left, top = round(x - width / 2), round(y - height / 2)
    right, bottom = max(left + 1, round(x + width / 2)), max(top + 1, round(y + height / 2))
    cell = image[max(top, 0) : bottom, max(left, 0) : right]
    if rng.random() < 0.2:
        factor = math.exp(rng.uniform(math.log(0.7), math.log(3.0)))
        size = (max(1, round(cell.shape[1] * factor)), max(1, round(cell.shape[0] * factor)))
        interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
        cell = _u8(cv2.resize(cell, size, interpolation=interpolation))
    return cell


def synthesize(count: int, seed: int) -> Dataset:
    """`count` normalized cells with their labels, all drawn from `seed`."""
    rng = np.random.default_rng(seed)
    cells: list[Float] = []
    labels: list[int] = []
    heights: list[float] = []
    while len(cells) < count:
        cap = math.exp(rng.uniform(math.log(9), math.log(42)))
        lengths = rng.integers(12, 31, int(rng.integers(2, 4)))
        lines = [random_text(rng, int(length)) for length in lengths]
        image, glyphs = render_block(rng, lines, cap, str(rng.choice(FONTS)))
        for glyph in glyphs:
            cells.append(normalize_cell(cut_cell(rng, image, glyph)))
            labels.append(ALPHABET.index(glyph.char))
            heights.append(glyph.height)
    return Dataset(
        np.stack(cells[:count]),
        np.array(labels[:count], dtype=np.int64),
        np.array(heights[:count], dtype=np.float32),
    )


def _f32(array: object) -> Float:
    return np.asarray(array, dtype=np.float32)


def _u8(array: object) -> NDArray[np.uint8]:
    return np.asarray(array, dtype=np.uint8)


# -- training ---------------------------------------------------------------------------------


def train(data: Dataset, config: Config, rng: np.random.Generator) -> CellModel:
    """A multilayer perceptron (ReLU) by mini-batch Adam on softmax cross-entropy with label
    smoothing, the learning rate falling on a cosine to zero.

    Pixels that no training cell ever inks (the corners, mostly) get zero weights from the
    start; they never get a gradient either, so they stay zero and compress to nothing.
    """
    inputs = data.cells.reshape(len(data.cells), -1)
    live = _f32((inputs > 0).any(axis=0))
    sizes = [inputs.shape[1], *config.hidden, len(ALPHABET)]
    weights: list[Float] = []
    biases: list[Float] = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        weights.append(rng.normal(0, math.sqrt(2 / fan_in), (fan_in, fan_out)).astype(np.float32))
        biases.append(np.zeros(fan_out, dtype=np.float32))
    weights[0] *= live[:, None]
    params = [p for pair in zip(weights, biases, strict=True) for p in pair]
    optimizer = _Adam(params, config.learning_rate, config.epochs * -(-len(inputs) // config.batch))
    targets = np.full((len(ALPHABET), len(ALPHABET)), config.smoothing / len(ALPHABET), np.float32)
    targets[np.diag_indices(len(ALPHABET))] += 1 - config.smoothing
    for epoch in range(config.epochs):
        order = rng.permutation(len(inputs))
        loss_sum = 0.0
        for start in range(0, len(inputs), config.batch):
            batch = order[start : start + config.batch]
            activations = [inputs[batch]]
            for w, b in zip(weights[:-1], biases[:-1], strict=True):
                activations.append(np.maximum(activations[-1] @ w + b, 0))
            logits = activations[-1] @ weights[-1] + biases[-1]
            logits -= logits.max(axis=1, keepdims=True)
            log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
            y = targets[data.labels[batch]]
            loss_sum += float(-(y * log_probs).sum())
            delta = (np.exp(log_probs) - y) / len(batch)
            grads: list[Float] = []
            for layer in range(len(weights) - 1, -1, -1):
                grads[:0] = [activations[layer].T @ delta, delta.sum(axis=0)]
                if layer:
                    delta = (delta @ weights[layer].T) * (activations[layer] > 0)
            optimizer.step(grads)
        print(f"epoch {epoch + 1}/{config.epochs}: loss {loss_sum / len(inputs):.4f}", flush=True)
    return CellModel(tuple(zip(weights, biases, strict=True)))


class _Adam:
    """Adam (Kingma and Ba, 2015), updating the parameters in place."""

    def __init__(self, params: list[Float], rate: float, total_steps: int) -> None:
        self.params, self.rate, self.total, self.count = params, rate, total_steps, 0
        self.moments = [np.zeros_like(p) for p in params]
        self.squares = [np.zeros_like(p) for p in params]

    def step(self, grads: list[Float], beta1: float = 0.9, beta2: float = 0.999) -> None:
        self.count += 1
        rate = self.rate * 0.5 * (1 + math.cos(math.pi * (self.count - 1) / self.total))
        rate *= math.sqrt(1 - beta2**self.count) / (1 - beta1**self.count)
        for index, grad in enumerate(grads):
            moment, square = self.moments[index], self.squares[index]
            moment *= beta1
            moment += (1 - beta1) * grad
            square *= beta2
            square += (1 - beta2) * grad * grad
            self.params[index] -= rate * moment / (np.sqrt(square) + 1e-8)


# -- report -----------------------------------------------------------------------------------


def evaluate(model: CellModel, data: Dataset) -> list[str]:
    """Accuracy per size bucket and the commonest confusions, as report lines."""
    chunks = range(0, len(data.cells), 4096)
    predicted = np.concatenate(
        [model.probabilities(data.cells[i : i + 4096]).argmax(axis=1) for i in chunks]
    )
    right = predicted == data.labels
    report = []
    for name, chosen in (
        (f"character height >= {SMALL:g} px", data.heights >= SMALL),
        (f"character height < {SMALL:g} px", data.heights < SMALL),
        ("all", np.ones(len(right), dtype=bool)),
    ):
        n = int(chosen.sum())
        if n:
            errors = n - int(right[chosen].sum())
            report.append(f"{name}: {100 * (n - errors) / n:.3f} % of {n} ({errors} errors)")
    wrong = ~right
    confusions = Counter(
        (ALPHABET[true], ALPHABET[read], bool(height >= SMALL))
        for true, read, height in zip(
            data.labels[wrong], predicted[wrong], data.heights[wrong], strict=True
        )
    )
    report.append("top confusions (true -> read, size bucket: count):")
    for (true, read, large), n in confusions.most_common(15):
        report.append(f"  {true} -> {read}  {'>=' if large else '<'}{SMALL:g} px: {n}")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    defaults = Config()
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--samples", type=int, default=defaults.samples)
    parser.add_argument("--eval-samples", type=int, default=defaults.eval_samples)
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument(
        "--hidden", type=int, nargs="+", default=list(defaults.hidden), help="hidden layer sizes"
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--eval-seed", type=int, default=defaults.eval_seed)
    parser.add_argument("--out", type=Path, default=defaults.out)
    args = parser.parse_args(argv)
    if args.seed == args.eval_seed:
        parser.error("the evaluation seed must differ from the training seed")
    config = Config(
        samples=args.samples,
        eval_samples=args.eval_samples,
        epochs=args.epochs,
        hidden=tuple(args.hidden),
        seed=args.seed,
        eval_seed=args.eval_seed,
        out=args.out,
    )
    cv2.setNumThreads(1)
    started = time.monotonic()
    data = synthesize(config.samples, config.seed)
    print(f"{len(data.cells)} training cells in {time.monotonic() - started:.0f} s", flush=True)
    model = train(data, config, np.random.default_rng(config.seed))
    buffer = io.BytesIO()
    model.save(buffer)
    config.out.parent.mkdir(parents=True, exist_ok=True)
    config.out.write_bytes(buffer.getvalue())
    elapsed = time.monotonic() - started
    print(f"wrote {config.out} ({len(buffer.getvalue())} bytes) after {elapsed:.0f} s")
    if config.eval_samples:
        shipped = CellModel.load(io.BytesIO(buffer.getvalue()))  # the float16 weights
        for line in evaluate(shipped, synthesize(config.eval_samples, config.eval_seed)):
            print(line)
    print(f"done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
