"""MRZ OCR speed on 1-2 megapixel photos, one core: mrtd and PassportEye in the same run.

The photos are synthetic scenes (`synthetic_scene.render_scene`, seeds from SCENE_SEEDS +
200,000: not those of tools/eval_ocr.py), each resized to a size drawn between 1 and 2
megapixels and written as JPEG (quality 90), so both engines decode the same files. Each
engine reads every file once after one warm-up read; wall and CPU time per image include
decoding the file. OMP_THREAD_LIMIT, OPENBLAS_NUM_THREADS and OMP_NUM_THREADS are 1 and
OpenCV has one thread: one core each. PassportEye is measured only when importable: run it
in the peers' venv (benchmarks/run_ocr.sh makes .venv-bench-ocr with mrtd editable):

    .venv-bench-ocr/bin/python benchmarks/bench_ocr_speed.py [--photos N] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

for _name in ("OMP_THREAD_LIMIT", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ[_name] = "1"

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from mrtd.errors import MRZError  # noqa: E402
from mrtd.mrz.ocr.pipeline import read_mrz_image  # noqa: E402
from mrtd.mrz.ocr.synthetic_scene import SCENE_SEEDS, render_scene  # noqa: E402

SEEDS = SCENE_SEEDS + 200_000
KINDS = ("TD1", "TD2", "TD3")


def photos(count: int, folder: Path) -> list[tuple[Path, str]]:
    made = []
    rng = np.random.default_rng(SEEDS)
    for i in range(count):
        scene = render_scene(KINDS[i % 3], seed=SEEDS + i)  # type: ignore[arg-type]
        height, width = scene.pixels.shape[:2]
        factor = math.sqrt(float(rng.uniform(1.0, 2.0)) * 1e6 / (width * height))
        interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
        pixels = cv2.resize(scene.pixels, None, fx=factor, fy=factor, interpolation=interpolation)
        path = folder / f"photo-{i:03d}.jpg"
        cv2.imwrite(str(path), pixels, [cv2.IMWRITE_JPEG_QUALITY, 90])
        made.append((path, scene.mrz.text))
    return made


def mrtd_reader(tesseract: bool) -> Callable[[Path], str]:
    def read(path: Path) -> str:
        try:
            return read_mrz_image(path, tesseract=tesseract).text
        except MRZError:
            return ""

    return read


def passporteye_reader() -> Callable[[Path], str] | None:
    try:
        from passporteye import read_mrz  # noqa: PLC0415
    except ImportError:
        return None

    def read(path: Path) -> str:
        found = read_mrz(str(path))
        return "" if found is None else "\n".join(found.to_dict()["raw_text"].split())

    return read


def measure(read: Callable[[Path], str], images: list[tuple[Path, str]]) -> dict[str, float]:
    read(images[0][0])  # warm-up: the model, imports
    walls, cpus, correct = [], [], 0
    for path, truth in images:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            text = read(path)
        except Exception:  # a peer's crash is a miss, not the end of the run
            text = ""
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        correct += text == truth
    walls.sort()
    return {
        "photos": len(images),
        "correct": correct,
        "median_ms": 1000 * statistics.median(walls),
        "p90_ms": 1000 * walls[round(0.9 * (len(walls) - 1))],
        "median_cpu_ms": 1000 * statistics.median(cpus),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    engines: dict[str, Callable[[Path], str]] = {
        "mrtd (built-in engine)": mrtd_reader(tesseract=False),
        "mrtd (with Tesseract fallback)": mrtd_reader(tesseract=True),
    }
    peer = passporteye_reader()
    if peer is not None:
        engines["PassportEye 2.2.2"] = peer
    else:
        print("PassportEye is not importable here: measuring mrtd only", file=sys.stderr)
    results = {}
    with tempfile.TemporaryDirectory(prefix="mrz-speed-") as folder:
        images = photos(args.photos, Path(folder))
        for name, read in engines.items():
            results[name] = measure(read, images)
    print(f"{args.photos} synthetic photos of 1-2 MP (JPEG), one core, seeds from {SEEDS}\n")
    print("| engine | correct | median ms | p90 ms | median CPU ms |")
    print("|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['correct']}/{r['photos']} | {r['median_ms']:.0f} | "
              f"{r['p90_ms']:.0f} | {r['median_cpu_ms']:.0f} |")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
