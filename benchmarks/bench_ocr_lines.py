"""MRZ line crops: character error rate and line accuracy, mrtd against Tesseract.

The data set is DoubangoTelecom's 1,500 MRZ line crops with ground truth (mrz-lines/doubango
of the shared test data, tests/shared_data.py: $MRTD_SHARED_DATA or ../shared/data; without it
and without --lines the run is skipped; 1,180 synthetic `font_generate_*` lines and 320 cut
from photos and scans), reported apart because they differ so much. Tesseract (Debian's `eng`
model, one line: `--psm 7`, restricted to the MRZ alphabet) is the peer: the other open MRZ
readers (PassportEye, fastmrz) need a whole MRZ, not a line. One core for both
(OMP_THREAD_LIMIT=1, OpenCV with one thread).

CER = edits (insertions, deletions, substitutions) / ground-truth characters; line accuracy
= lines read exactly.

    .venv/bin/python benchmarks/bench_ocr_lines.py [--lines DIR] [--every N] [--no-tesseract]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# one core: Tesseract (OpenMP) and numpy's BLAS, whose threads only wait on small matrices
for _name in ("OMP_THREAD_LIMIT", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ[_name] = "1"

import cv2  # noqa: E402
import pytesseract  # type: ignore[import-untyped]  # noqa: E402

from mrtd.errors import MRZNotFoundError  # noqa: E402
from mrtd.mrz.ocr.line import character_errors, read_mrz_line  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))
from tests.shared_data import shared_data_file  # noqa: E402 - the tests' lookup of shared data

TESSERACT_CONFIG = "--psm 7 -c tessedit_char_whitelist=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"


@dataclass
class Tally:
    errors: int = 0
    characters: int = 0
    exact: int = 0
    lines: int = 0
    seconds: list[float] = field(default_factory=list)

    def add(self, read: str, truth: str, seconds: float, errors: int) -> None:
        self.errors += errors
        self.characters += len(truth)
        self.exact += read == truth
        self.lines += 1
        self.seconds.append(seconds)


def mrtd_reader() -> Callable[[Path], str]:
    def read(path: Path) -> str:
        try:
            return read_mrz_line(path).text
        except MRZNotFoundError:
            return ""

    return read


def tesseract_reader() -> Callable[[Path], str]:
    def read(path: Path) -> str:
        image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        text: str = pytesseract.image_to_string(image, lang="eng", config=TESSERACT_CONFIG)
        return "".join(text.split())

    return read


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=Path, help="default: the shared doubango crops")
    parser.add_argument("--every", type=int, default=1, help="read every Nth crop")
    parser.add_argument("--no-tesseract", action="store_true")
    args = parser.parse_args()

    lines = args.lines or shared_data_file("mrz-lines", "doubango")
    if lines is None:
        print("shared data absent, skipping the MRZ line benchmark (or give --lines DIR)")
        return 0
    cv2.setNumThreads(1)
    crops = sorted(lines.glob("*.tif"))[:: args.every]
    if not crops:
        print(f"no .tif line crops in {lines}", file=sys.stderr)
        return 2
    engines = {"mrtd": mrtd_reader()}
    if not args.no_tesseract:
        engines["tesseract eng --psm 7"] = tesseract_reader()
    tallies: dict[tuple[str, str], Tally] = {}
    for crop in crops:
        truth = crop.with_suffix(".gt.txt").read_text().strip()
        kind = "synthetic" if crop.name.startswith("font_generate") else "photos/scans"
        for name, read in engines.items():
            started = time.perf_counter()
            text = read(crop)
            seconds = time.perf_counter() - started
            errors = character_errors(text, truth)
            for group in (kind, "all"):
                tallies.setdefault((name, group), Tally()).add(text, truth, seconds, errors)

    print(f"{len(crops)} line crops from {lines}")
    print("| engine | lines | CER | line accuracy | median ms | p95 ms |")
    print("|---|---|---|---|---|---|")
    for (name, group), tally in sorted(tallies.items()):
        times = sorted(tally.seconds)
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(
            f"| {name} | {group}: {tally.lines} | {100 * tally.errors / tally.characters:.2f} % "
            f"| {tally.exact}/{tally.lines} ({100 * tally.exact / tally.lines:.1f} %) "
            f"| {1000 * statistics.median(times):.0f} | {1000 * p95:.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
