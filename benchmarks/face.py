"""Face comparison speed on one core: detection, alignment and embedding of a 640x480 capture,
and the whole `compare_faces` call (the capture and a 240x320 JPEG 2000 chip portrait).

    .venv/bin/python benchmarks/face.py [--repeats 20] [--json PATH]

The process is pinned to one CPU (sched_setaffinity) with one OpenMP/OpenCV thread. Captures:
the simulated chip's portrait, and when the shared data is there (tests/shared_data.py) the
first shared portraits, each placed at 640x480 as a kiosk camera frames a face. Figures are
medians and 95th percentiles over `--repeats` runs after one warm-up; docs/benchmarks.md has
them. Only file names are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

os.environ["OMP_NUM_THREADS"] = "1"
ROOT = Path(__file__).resolve().parents[1]
for entry in (ROOT, ROOT / "src"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import cv2  # noqa: E402
import dlib  # noqa: E402
import numpy as np  # noqa: E402

from mrtd.face.compare import _analyse, compare_faces, decode_capture  # noqa: E402
from mrtd.face.degrade import encode_jp2, encode_jpeg, icao_size  # noqa: E402
from mrtd.face.models import load_models  # noqa: E402
from mrtd.lds.face import FaceImage  # noqa: E402
from mrtd.lds.image_decode import decode_image  # noqa: E402
from tests.shared_data import shared_data_root  # noqa: E402

SIM_FACE = ROOT / "src" / "mrtd" / "sim" / "data" / "face.jpg"


def frame(pixels: Any, width: int = 640, height: int = 480) -> Any:
    """The portrait scaled to the frame's height and centred on a grey 640x480 background."""
    scale = height * 0.9 / pixels.shape[0]
    face = cv2.resize(pixels, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.full((height, width, 3), 120, np.uint8)
    top, left = (height - face.shape[0]) // 2, (width - face.shape[1]) // 2
    canvas[top : top + face.shape[0], left : left + face.shape[1]] = face
    return canvas


def timed(run: Callable[[], object], repeats: int) -> list[float]:
    run()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    cv2.setNumThreads(1)
    sources = {"sim face.jpg": SIM_FACE.read_bytes()}
    root = shared_data_root()
    if root is not None:
        for path in sorted((root / "faces" / "portraits").glob("*.jpg"))[:3]:
            sources[path.name] = path.read_bytes()
    models = load_models()
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name, data in sources.items():
        pixels = decode_image(data)
        capture = encode_jpeg(frame(pixels), 90)
        portrait = FaceImage(encode_jp2(icao_size(pixels, 240, 320), 12_000), "image/jp2", 240, 320)
        decoded = decode_capture(capture)
        reference = _analyse(models, decode_image(portrait.image), "portrait", grey=False,
                             as_grey=False).embedding  # fmt: skip

        def per_capture(capture: bytes = capture, reference: Any = reference) -> float:
            face = _analyse(models, decode_capture(capture), "capture", grey=False, as_grey=False)
            return float(np.linalg.norm(face.embedding - reference))

        rgb = np.ascontiguousarray(decoded[:, :, ::-1])
        box = models.detector(rgb, 0)[0]
        shape = models.landmarks(rgb, box)
        chip = dlib.get_face_chip(rgb, shape, size=150, padding=0.25)
        stages: dict[str, Callable[[], object]] = {
            "decode 640x480 JPEG": partial(decode_capture, capture),
            "detect (HOG)": partial(models.detector, rgb, 0),
            "landmarks (5 points)": partial(models.landmarks, rgb, box),
            "align (face chip 150x150)": partial(dlib.get_face_chip, rgb, shape, 150, 0.25),
            "embed (ResNet)": partial(models.embedder.compute_face_descriptor, chip),
            "per capture: decode, detect, align, embed, compare": per_capture,
            "compare_faces (capture and JPEG 2000 portrait)":
                partial(compare_faces, capture, portrait),
        }  # fmt: skip
        results[name] = {label: summary(timed(run, args.repeats)) for label, run in stages.items()}
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"one core, {args.repeats} repeats; median / 95th percentile in ms\n")  # fmt: skip
    labels = list(next(iter(results.values())))
    print("| step | " + " | ".join(results) + " |")
    print("|---|" + "---|" * len(results))
    for label in labels:
        cells = [f"{r[label]['median_ms']} / {r[label]['p95_ms']}" for r in results.values()]
        print(f"| {label} | " + " | ".join(cells) + " |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
