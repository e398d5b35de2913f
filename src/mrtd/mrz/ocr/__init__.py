"""MRZ OCR: read the machine readable zone from a photo or scan (`read_mrz_image`), from one
cropped line (`read_mrz_line`), or from a camera or video (`read_mrz_camera`). The steps have
a module each: `image` (load, refuse oversized or broken images), `locate`, `segment`,
`classifier` (the built-in OCR-B model in `data/`), `decode`, `tesseract` (the second
engine); `pipeline` runs them; `synthetic_page` renders OCR-B pages for training, tests and
benchmarks, `synthetic_scene` photos of them with real photos' variety for evaluation.

The names below are resolved on first use (PEP 562), so importing one step does not load the
pipeline, and nothing here loads OpenCV until an image is read.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mrtd.mrz.ocr.camera import CameraProgress, read_mrz_camera
    from mrtd.mrz.ocr.line import LineReading, read_mrz_line
    from mrtd.mrz.ocr.pipeline import OCRResult, read_mrz_image

__all__ = [
    "CameraProgress",
    "LineReading",
    "OCRResult",
    "read_mrz_camera",
    "read_mrz_image",
    "read_mrz_line",
]

_HOMES = {
    "OCRResult": "mrtd.mrz.ocr.pipeline",
    "read_mrz_image": "mrtd.mrz.ocr.pipeline",
    "LineReading": "mrtd.mrz.ocr.line",
    "CameraProgress": "mrtd.mrz.ocr.camera",
    "read_mrz_camera": "mrtd.mrz.ocr.camera",
    "read_mrz_line": "mrtd.mrz.ocr.line",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
