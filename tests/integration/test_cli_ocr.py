"""`mrtd ocr`: the MRZ JSON of `mrtd mrz` plus confidence and engine; exit 0, 1 or 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mrtd.cli import main
from tests.conftest import FIXTURES

IMAGES = FIXTURES / "mrz-images" / "passporteye"


def test_a_passport_photo_gives_the_mrz_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ocr", str(IMAGES / "100_pass-uto.jpg"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is True
    assert (report["surname"], report["document_number"]) == ("ERIKSSON", "L898902C3")
    assert report["engine"] in ("mrtd", "tesseract")
    assert 0.0 <= report["confidence"] <= 1.0


def test_no_mrz_exits_1_and_junk_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["ocr", str(IMAGES / "tests_pacman.png")]) == 1
    assert "no MRZ found" in capsys.readouterr().err
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"\xff\xd8\xff not really a JPEG")
    assert main(["ocr", str(junk), "--json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False
    assert report["errors"][0].startswith("not a usable image")
