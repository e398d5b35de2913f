"""MRZ OCR on real images: mrtd against PassportEye and fastmrz, same images, same run.

Run it through `benchmarks/run_ocr.sh`, which makes `.venv-bench-ocr` with mrtd (editable) and
the two peers; they are never dependencies of mrtd. Every engine runs on one core
(OMP_THREAD_LIMIT=1, OpenCV with one thread). For each image and engine: the MRZ text it
returns, whether that text is a fully valid MRZ (every check digit, judged by mrtd's parser for
all engines alike) and the wall time. The images carry no ground truth, so a valid reading
counts as *correct* when every engine that read the image valid agrees on the text (a valid
reading that another engine contradicts is counted valid but not correct). Negatives (images
without an MRZ) must be rejected.

fastmrz needs a Tesseract model named `mrz` that it does not ship (it lives in its source
repository, which this machine cannot reach); it runs with Tesseract's `eng` model installed
under that name, and the table says so.

    benchmarks/run_ocr.sh [--images DIR] [--truth JSON] [--json PATH]

The images are by default the shared test data's mrz-images/passporteye (tests/shared_data.py:
$MRTD_SHARED_DATA or ../shared/data); without it and without --images the run is skipped. The
ground truth of that set is the project's own, fixtures/mrz-images/passporteye-truth.json; for
another folder DIR, DIR-truth.json beside it if there is one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ["OMP_THREAD_LIMIT"] = "1"

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))
from tests.shared_data import shared_data_file  # noqa: E402 - the tests' lookup of shared data

TRUTH = ROOT / "fixtures" / "mrz-images" / "passporteye-truth.json"  # of the passporteye set
NEGATIVES = {
    "tests_pacman.jpg",
    "tests_pacman.png",
    "tests_tesseract-test1.jpg",
    "tests_tesseract-test2.png",
}  # the set's images without an MRZ
EXTENSIONS = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp"}


@dataclass
class Reading:
    text: str = ""
    valid: bool = False
    seconds: float = 0.0
    error: str = ""


@dataclass
class Engine:
    name: str
    read: Callable[[Path], str]
    readings: dict[str, Reading] = field(default_factory=dict)


def mrtd_engine() -> Engine:
    import cv2  # noqa: PLC0415

    from mrtd.errors import MRZError  # noqa: PLC0415
    from mrtd.mrz.ocr.pipeline import read_mrz_image  # noqa: PLC0415

    cv2.setNumThreads(1)

    def read(path: Path) -> str:
        try:
            return read_mrz_image(path).text
        except MRZError:
            return ""

    return Engine("mrtd", read)


def passporteye_engine() -> Engine | None:
    try:
        from passporteye import read_mrz  # noqa: PLC0415
    except ImportError:
        return None

    def read(path: Path) -> str:
        found = read_mrz(str(path))
        return "" if found is None else "\n".join(found.to_dict()["raw_text"].split())

    return Engine("PassportEye", read)


def fastmrz_engine() -> Engine | None:
    try:
        from fastmrz import FastMRZ  # noqa: PLC0415
    except ImportError:
        return None
    tessdata = Path(tempfile.mkdtemp(prefix="tessdata-"))
    eng = next(Path("/usr/share/tesseract-ocr").glob("*/tessdata/eng.traineddata"), None)
    if eng is None:
        return None
    (tessdata / "mrz.traineddata").symlink_to(eng)
    engine = FastMRZ(tessdata_path=str(tessdata))

    def read(path: Path) -> str:
        raw = engine.get_details(str(path), ignore_parse=True)
        return "\n".join(str(raw).split()) if isinstance(raw, str) else ""

    return Engine("fastmrz (eng model)", read)


def valid(text: str) -> bool:
    from mrtd.errors import MRZError  # noqa: PLC0415
    from mrtd.mrz import parse_mrz  # noqa: PLC0415

    if not text:
        return False
    try:
        return parse_mrz(text, strict=False).valid
    except MRZError:
        return False


def run(engine: Engine, images: list[Path]) -> None:
    for path in images:
        started = time.perf_counter()
        try:
            text = engine.read(path)
            error = ""
        except Exception as exc:
            text, error = "", f"{type(exc).__name__}: {exc}"[:120]
        seconds = time.perf_counter() - started
        engine.readings[path.name] = Reading(text, valid(text), seconds, error)


def correct_names(
    engines: list[Engine], name: str, truth: dict[str, list[str]] | None
) -> dict[str, bool]:
    """Per engine: valid and equal to the ground truth; without a truth file, valid and
    agreed on by every engine that read this image valid."""
    if truth is not None:
        lines = truth.get(name)
        return {e.name: e.readings[name].valid and e.readings[name].text.split("\n") == lines
                for e in engines}  # fmt: skip
    valid_texts = {e.readings[name].text for e in engines if e.readings[name].valid}
    agreed = len(valid_texts) == 1
    return {e.name: e.readings[name].valid and agreed for e in engines}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=Path, help="default: the shared passporteye set")
    parser.add_argument("--truth", type=Path, help="ground truth JSON: file name -> MRZ lines")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    folder = args.images or shared_data_file("mrz-images", "passporteye")
    if folder is None:
        print("shared data absent, skipping the MRZ OCR benchmark (or give --images DIR)")
        return 0
    images = sorted(p for p in folder.iterdir() if p.suffix.lower() in EXTENSIONS)
    truth_file = args.truth or folder.parent / f"{folder.name}-truth.json"
    if args.truth is None and not truth_file.is_file() and folder.name == "passporteye":
        truth_file = TRUTH
    truth = json.loads(truth_file.read_text()) if truth_file.is_file() else None
    engines = [e for e in (mrtd_engine(), passporteye_engine(), fastmrz_engine()) if e]
    for engine in engines:
        run(engine, images)
    positives = [p.name for p in images if p.name not in NEGATIVES]
    negatives = [p.name for p in images if p.name in NEGATIVES]
    print(f"{len(positives)} images with an MRZ, {len(negatives)} without; one core each\n")
    print(f"{'engine':<22} {'valid':>7} {'correct':>8} {'negatives':>10} {'median ms':>10} "
          f"{'p95 ms':>8}")  # fmt: skip
    summary = {}
    for engine in engines:
        readings = engine.readings
        valid_count = sum(readings[n].valid for n in positives)
        correct = sum(correct_names(engines, n, truth)[engine.name] for n in positives)
        rejected = sum(not readings[n].valid for n in negatives)
        times = sorted(r.seconds * 1000 for r in readings.values())
        median = statistics.median(times)
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        total, negative = len(positives), len(negatives)
        print(f"{engine.name:<22} {valid_count:>4}/{total:<2} {correct:>5}/{total:<2} "
              f"{rejected:>7}/{negative:<2} {median:>10.0f} {p95:>8.0f}")  # fmt: skip
        summary[engine.name] = {
            "valid": valid_count, "correct": correct, "negatives_rejected": rejected,
            "median_ms": median, "p95_ms": p95,
            "readings": {n: vars(r) for n, r in readings.items()},
        }  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
