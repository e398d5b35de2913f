"""`mrtd face CAPTURE --document DIR | --portrait FILE [--json]`: exit 0 match, 1 no match,
2 bad input, with the reason in the JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.shared_data import shared_data_path
from tests.sim_files import sim_files

pytest.importorskip("dlib", reason="needs the face extra (mrtd[face])")
cv2 = pytest.importorskip("cv2")
np = pytest.importorskip("numpy")

from mrtd.cli.app import main  # noqa: E402
from mrtd.face.degrade import adjust_light, encode_jp2, encode_jpeg, icao_size  # noqa: E402
from mrtd.lds.dg2 import DG2File  # noqa: E402


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    folder = tmp_path / "dump"
    folder.mkdir()
    for name, data in sim_files().items():
        (folder / f"{name}.bin").write_bytes(data)
    return folder


@pytest.fixture
def capture(tmp_path: Path) -> Path:
    [face] = DG2File.from_bytes(sim_files()["DG2"]).faces
    pixels = cv2.imdecode(np.frombuffer(face.image, np.uint8), cv2.IMREAD_COLOR)
    path = tmp_path / "capture.jpg"
    path.write_bytes(encode_jpeg(adjust_light(pixels, offset=30)))
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code = main(["face", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_match_against_a_dump_is_exit_0(
    capsys: pytest.CaptureFixture[str], dump: Path, capture: Path
) -> None:
    code, out = _run(capsys, str(capture), "--document", str(dump))
    assert code == 0
    assert out["face"]["decision"] == "match"
    assert main(["face", str(capture), "--document", str(dump)]) == 0
    assert capsys.readouterr().out.startswith("match: distance")


def test_a_jpeg_2000_portrait_file(
    capsys: pytest.CaptureFixture[str], capture: Path, tmp_path: Path
) -> None:
    pixels = cv2.imread(str(capture))
    portrait = tmp_path / "face.jp2"
    portrait.write_bytes(encode_jp2(icao_size(pixels, 240, 320), 12_000))
    code, out = _run(capsys, str(capture), "--portrait", str(portrait))
    assert (code, out["face"]["decision"]) == (0, "match")


def test_bad_input_is_exit_2_with_the_reason(
    capsys: pytest.CaptureFixture[str], dump: Path, tmp_path: Path
) -> None:
    blank = tmp_path / "blank.jpg"
    blank.write_bytes(encode_jpeg(np.full((480, 640, 3), 90, np.uint8)))
    code, out = _run(capsys, str(blank), "--document", str(dump))
    assert code == 2
    assert (out["error"]["reason"], out["error"]["image"]) == ("no_face", "capture")
    (dump / "DG2.bin").unlink()
    code, out = _run(capsys, str(blank), "--document", str(dump))
    assert (code, out["error"]["reason"]) == (2, "no_portrait")
    code, out = _run(capsys, str(tmp_path / "absent.jpg"), "--portrait", str(blank))
    assert (code, out["error"]["reason"]) == (2, "image_unreadable")


def test_usage_needs_one_portrait_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["face", "capture.jpg"]) == 2
    assert main(["face", "c.jpg", "--document", "d", "--portrait", "p.jpg"]) == 2
    capsys.readouterr()


def test_another_person_is_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    portraits = sorted(shared_data_path("faces", "portraits").glob("*.jpg"))
    code, out = _run(capsys, str(portraits[0]), "--portrait", str(portraits[1]))
    assert code == 1
    assert out["face"]["decision"] == "no_match"
