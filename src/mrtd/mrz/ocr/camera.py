"""Read the MRZ from a live camera (a kiosk's) or a recorded video: `read_mrz_camera`.

Frames come from OpenCV's `VideoCapture` (a camera index or a video file). Each frame is read
by the built-in engine alone (Tesseract is too slow for a live picture), and the call returns
when `agree` consecutive frames read the same valid MRZ: one frame's valid reading may still
be a misread in a name, which no check digit covers; the same text from independent frames is
far less likely to be wrong. A frame that reads nothing, or something else, starts the count
again. Progress goes to a callback (the CLI prints it on stderr).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from mrtd.errors import DecodeError, MRZNotFoundError
from mrtd.mrz.ocr.image import require_opencv
from mrtd.mrz.ocr.pipeline import OCRResult, read_mrz_image

__all__ = ["CameraProgress", "read_mrz_camera"]

DEFAULT_AGREE = 3


@dataclass(frozen=True, slots=True)
class CameraProgress:
    """After each frame: how many were read, and how many in a row agree on a valid MRZ."""

    frames: int
    agreeing: int
    needed: int
    seconds: float
    read: bool  # whether this frame gave a valid MRZ


def read_mrz_camera(
    source: int | str | Path,
    *,
    agree: int = DEFAULT_AGREE,
    timeout: float | None = 60.0,
    max_frames: int | None = None,
    progress: Callable[[CameraProgress], None] | None = None,
    today: date | None = None,
) -> OCRResult:
    """Read frames from `source` (a camera index, or a video file) until `agree` consecutive
    frames read the same valid MRZ; that reading is returned (of the last frame).

    Raises MRZNotFoundError when the video ends, `timeout` seconds or `max_frames` frames
    pass first (the closest reading, if any, in `best_guess`); DecodeError when the source
    cannot be opened; OptionalDependencyError without OpenCV.
    """
    if agree < 1:
        raise ValueError("agree must be at least 1")
    require_opencv()
    import cv2  # noqa: PLC0415

    capture = cv2.VideoCapture(source if isinstance(source, int) else str(source))
    if not capture.isOpened():
        raise DecodeError(f"cannot open the video source {source!r}")
    started = time.monotonic()
    frames = streak = 0
    last: OCRResult | None = None
    try:
        while max_frames is None or frames < max_frames:
            if timeout is not None and time.monotonic() - started > timeout:
                break
            ok, frame = capture.read()
            if not ok or frame is None:
                break
            frames += 1
            try:
                result: OCRResult | None = read_mrz_image(frame, tesseract=False, today=today)
            except (MRZNotFoundError, DecodeError):
                result = None
            if result is None:
                streak = 0
            elif last is not None and streak and result.text == last.text:
                streak += 1
            else:
                streak = 1
            last = result if result is not None else last
            if progress is not None:
                elapsed = time.monotonic() - started
                progress(CameraProgress(frames, streak, agree, elapsed, result is not None))
            if result is not None and streak >= agree:
                return result
    finally:
        capture.release()
    why = f"no MRZ read alike in {agree} frames in a row ({frames} frames read)"
    raise MRZNotFoundError(f"no MRZ found: {why}", best_guess=last.text if last else "")
