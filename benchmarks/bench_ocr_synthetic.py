"""MRZ OCR on the synthetic evaluation pages: per-character accuracy by resolution.

Pages come from `render_page` with evaluation seeds (>= EVAL_SEEDS, never used in training),
TD1, TD2 and TD3, clean and photographed badly (`augment=True`: quarter turns, skew,
perspective, uneven light, glare, blur, noise, JPEG), at each resolution asked. A page the
reader refuses counts every character as wrong (it gave none of them); a page read valid
but different counts its differing characters. Built-in engine only (`tesseract=False`),
one core.

    .venv/bin/python benchmarks/bench_ocr_synthetic.py [--pages N] [--dpi 150 200 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

# one core: Tesseract (OpenMP) and numpy's BLAS, whose threads only wait on small matrices
for _name in ("OMP_THREAD_LIMIT", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ[_name] = "1"

import cv2  # noqa: E402

from mrtd.errors import MRZNotFoundError  # noqa: E402
from mrtd.mrz.ocr.pipeline import read_mrz_image  # noqa: E402
from mrtd.mrz.ocr.synthetic_page import EVAL_SEEDS, render_page  # noqa: E402

KINDS = ("TD1", "TD2", "TD3")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=20, help="pages per kind, dpi and style")
    parser.add_argument("--dpi", type=int, nargs="+", default=[150, 200, 300])
    args = parser.parse_args()
    cv2.setNumThreads(1)
    print(f"{args.pages} pages per format, resolution and style; seeds from {EVAL_SEEDS}")
    print(
        "| dpi | style | pages | exact | refused | wrong | per character, pages read "
        "| per character, refusals as errors | median ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for dpi in args.dpi:
        for augment in (False, True):
            exact = refused = wrong = characters = errors = read_characters = read_errors = 0
            times = []
            for kind in KINDS:
                for i in range(args.pages):
                    seed = EVAL_SEEDS + 10_000 * dpi + 1_000 * augment + i
                    pixels, truth = render_page(kind, seed=seed, dpi=dpi, augment=augment)  # type: ignore[arg-type]
                    text = truth.text.replace("\n", "")
                    characters += len(text)
                    started = time.perf_counter()
                    try:
                        read = read_mrz_image(pixels, tesseract=False).text.replace("\n", "")
                    except MRZNotFoundError:
                        read = ""
                    times.append(time.perf_counter() - started)
                    if not read:
                        refused += 1
                        errors += len(text)
                        print(f"  refused: {kind} seed {seed}", file=sys.stderr)
                        continue
                    differ = sum(a != b for a, b in zip(read, text, strict=True))
                    exact += differ == 0
                    wrong += differ > 0
                    errors += differ
                    read_characters += len(text)
                    read_errors += differ
            pages = len(KINDS) * args.pages
            style = "photographed" if augment else "clean"
            print(
                f"| {dpi} | {style} | {pages} | {exact} | {refused} | {wrong} "
                f"| {100 * (1 - read_errors / max(read_characters, 1)):.3f} % "
                f"| {100 * (1 - errors / characters):.3f} % "
                f"| {1000 * statistics.median(times):.0f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
