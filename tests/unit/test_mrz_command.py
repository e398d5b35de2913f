"""`mrtd mrz` validates an MRZ as typed; `--repair` asks for a repair and reports its evidence
(issue 23: a TD1 with a wrong document-number check digit was "repaired" 8->B, valid: yes)."""

from __future__ import annotations

import json

import pytest

from mrtd.cli import main
from tests.conftest import VECTORS, with_char

TD1 = VECTORS["mrz.specimen.TD1"]["lines"]
WRONG_CHECK = with_char(TD1, 0, 14, "2")  # the document number's check digit typed 2 for 7


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_typed_mrz_is_validated_as_typed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "mrz", *WRONG_CHECK)
    assert code == 2
    assert "valid            no" in out
    assert "document number check digit failed" in err
    assert "repaired" not in out


def test_repair_asked_refuses_to_pick_among_several(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "mrz", *WRONG_CHECK, "--repair", "--json")
    assert code == 2
    report = json.loads(out)
    assert report["valid"] is False
    assert report["repairs"] == []
    assert report["repair"]["status"] == "ambiguous"
    assert report["repair"]["candidates"] >= 2
    code, out, _ = _run(capsys, "mrz", *WRONG_CHECK, "--repair")
    assert code == 2
    assert "valid            no" in out
    assert "repair: ambiguous (" in out


def test_a_valid_mrz_needs_no_repair(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "mrz", *TD1, "--repair", "--json")
    assert code == 0
    assert "repair" not in json.loads(out)
