"""`read_mrz_camera` and `mrtd ocr --camera`: a recorded video stands in for the kiosk's camera.

The video is written in the test (cv2.VideoWriter, MJPG): a few frames of an empty desk, then
the synthetic page coming into view, moving a little from frame to frame.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytest.importorskip("cv2", reason="MRZ OCR needs the mrtd[ocr] extra")
pytest.importorskip("PIL", reason="synthetic pages need Pillow")

import cv2
import numpy as np

from mrtd.cli import main
from mrtd.errors import DecodeError, MRZNotFoundError
from mrtd.mrz import MRZ
from mrtd.mrz.ocr import CameraProgress, read_mrz_camera
from mrtd.mrz.ocr.synthetic_page import EVAL_SEEDS, OCRB_FONT, render_page

if not OCRB_FONT.is_file():
    pytest.skip("synthetic pages need the OCR-B font", allow_module_level=True)

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
SIZE = (960, 720)  # width, height of the frames


def _video(path: Path, page_frames: int, empty_frames: int = 3) -> MRZ:
    page, truth = render_page("TD3", seed=EVAL_SEEDS + 66, dpi=150)
    scale = 0.9 * SIZE[0] / page.shape[1]
    page = np.asarray(cv2.resize(page, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))
    fourcc = cv2.VideoWriter.fourcc(*"MJPG")
    writer = cv2.VideoWriter(str(path), fourcc, 10, SIZE)
    assert writer.isOpened()
    desk = np.full((SIZE[1], SIZE[0], 3), (70, 90, 110), np.uint8)
    for _ in range(empty_frames):
        writer.write(desk)
    for i in range(page_frames):
        frame = desk.copy()
        x, y = 20 + 3 * i, 40 + 2 * i
        h, w = min(page.shape[0], SIZE[1] - y), min(page.shape[1], SIZE[0] - x)
        frame[y : y + h, x : x + w] = page[:h, :w]
        writer.write(frame)
    writer.release()
    return truth


def test_consecutive_frames_must_agree(tmp_path: Path) -> None:
    video = tmp_path / "kiosk.avi"
    truth = _video(video, page_frames=6)
    steps: list[CameraProgress] = []
    result = read_mrz_camera(video, agree=3, progress=steps.append)
    assert result.text == truth.text
    assert result.mrz.valid
    assert [s.read for s in steps[:3]] == [False, False, False]  # the empty desk
    assert steps[-1].agreeing == 3
    assert steps[-1].frames == 6  # three empty, then three that agree: no more read


def test_a_video_that_ends_first_is_no_mrz(tmp_path: Path) -> None:
    video = tmp_path / "short.avi"
    truth = _video(video, page_frames=2)
    with pytest.raises(MRZNotFoundError, match="in 3 frames in a row") as caught:
        read_mrz_camera(video, agree=3)
    assert caught.value.best_guess == truth.text
    assert "<<" not in str(caught.value)


def test_a_source_that_cannot_be_opened(tmp_path: Path) -> None:
    with pytest.raises(DecodeError):
        read_mrz_camera(tmp_path / "missing.avi")


def test_cli_camera_reads_the_video(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    video = tmp_path / "kiosk.avi"
    truth = _video(video, page_frames=4)
    code = main(["ocr", "--camera", str(video), "--agree", "2", "--json"])
    out, err = capsys.readouterr()
    assert code == 0
    report = json.loads(out)
    assert report["results"][0]["valid"] is True
    assert report["results"][0]["document_number"] == truth.document_number
    assert "frame 5, 2/2 agree" in err  # progress on stderr
    assert main(["ocr", "--camera", str(video), "page.jpg"]) == 2  # images or a camera
