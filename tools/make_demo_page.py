"""Render the photo `mrtd demo` starts from (src/mrtd/sim/data/demo-page.jpg).

    .venv/bin/python tools/make_demo_page.py [--out PATH]

The demo chip's fictitious passport (the simulated chip's default document) printed on a
synthetic TD3 data page at 200 dpi and photographed badly by `render_page(augment=True)`
(seed 4: skew, perspective, uneven light), saved as a JPEG a phone would make. The script
checks that the OCR reads the photo back to the chip's MRZ before it writes anything, so the
demo can never ship a page it cannot read. Same Pillow, OpenCV and font: same bytes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2

from mrtd.mrz.ocr.pipeline import read_mrz_image
from mrtd.mrz.ocr.synthetic_page import render_page
from mrtd.sim.profile import Profile

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "mrtd" / "sim" / "data" / "demo-page.jpg"
SEED = 4
DPI = 200
JPEG_QUALITY = 88


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    mrz = Profile.default().mrz
    pixels, _ = render_page("TD3", seed=SEED, dpi=DPI, augment=True, mrz=mrz)
    ok, encoded = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        print("make_demo_page: JPEG encoding failed", file=sys.stderr)
        return 1
    data = encoded.tobytes()
    result = read_mrz_image(data, tesseract=False)
    if result.mrz.lines != mrz.lines:
        print("make_demo_page: the OCR misreads this page; choose another seed", file=sys.stderr)
        return 1
    args.out.write_bytes(data)
    print(f"{args.out}: {pixels.shape[1]}x{pixels.shape[0]}, {len(data)} bytes, reads back")
    return 0


if __name__ == "__main__":
    sys.exit(main())
