"""`mrtd ocr`: the MRZ JSON of `mrtd mrz` plus confidence and engine; exit 0, 1 or 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mrtd.cli import main
from tests.conftest import ROOT
from tests.shared_data import shared_data_path

DEMO_PAGE = ROOT / "src" / "mrtd" / "sim" / "data" / "demo-page.jpg"  # made by this project


def _photo(name: str) -> Path:
    """A photo of the PassportEye set (shared data)."""
    return shared_data_path("mrz-images", "passporteye", name)


def test_a_passport_photo_gives_the_mrz_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ocr", str(_photo("100_pass-uto.jpg")), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["results"][0]
    assert report["valid"] is True
    assert (report["surname"], report["document_number"]) == ("ERIKSSON", "L898902C3")
    assert report["engine"] in ("mrtd", "tesseract")
    assert 0.0 <= report["confidence"] <= 1.0


def test_the_demo_page_gives_the_mrz_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ocr", str(DEMO_PAGE), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["results"][0]
    assert report["valid"] is True
    assert (report["surname"], report["document_number"]) == ("SPECIMEN", "U0R45C7D3")
    assert report["engine"] in ("mrtd", "tesseract")
    assert 0.0 <= report["confidence"] <= 1.0


@pytest.mark.parametrize("image", ["tests_pacman.png", "made-here"])
def test_no_mrz_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path, image: str) -> None:
    if image == "made-here":
        cv2 = pytest.importorskip("cv2")
        np = pytest.importorskip("numpy")
        path = tmp_path / "no-mrz.png"
        rows, columns = np.mgrid[0:480, 0:640]
        assert cv2.imwrite(str(path), ((rows // 3 + columns // 5) % 256).astype(np.uint8))
    else:
        path = _photo(image)
    assert main(["ocr", str(path)]) == 1
    assert "no MRZ found" in capsys.readouterr().err


def test_junk_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"\xff\xd8\xff not really a JPEG")
    assert main(["ocr", str(junk), "--json"]) == 2
    report = json.loads(capsys.readouterr().out)["results"][0]
    assert report["valid"] is False
    assert report["errors"][0].startswith("not a usable image")
