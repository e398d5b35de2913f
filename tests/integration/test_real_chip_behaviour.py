"""Real chips the simulated chip now imitates (issue 18): a wrong key answered 6988, no card in
time, an empty data group, and a read that fails part-way, through the library and `mrtd read`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from mrtd import errors
from mrtd.access.keys import MRZKey
from mrtd.cli import chip_command, main
from mrtd.mrz import parse_mrz
from mrtd.pipeline.read_chip import read_document
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.pki import TestPKI
from mrtd.sim.profile import Profile, ProfileError

MRZ = list(Profile.default().mrz.lines)
WRONG = ("--doc-number", "X1234567", "--birth", "800101", "--expiry", "300101")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def profile_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "chip.toml"
    path.write_text(text)
    return f"sim:{path}"


def wrong_key() -> MRZKey:
    return MRZKey("X1234567", "800101", "300101")


# -- 1. a wrong key answered with the status words real chips use -----------------------------


@pytest.mark.parametrize("sw", ["6988", "6982", "6300", "63C2"])
def test_bac_wrong_key_answered_with_real_status_words_is_access_denied(sw: str) -> None:
    chip = SimulatedChip(Profile.from_dict({"chip": {"wrong_key_sw": sw}}))
    with pytest.raises(errors.BACError, match="probably wrong") as caught:
        read_document(SimulatedReader(chip), wrong_key())
    assert sw in str(caught.value).upper()


@pytest.mark.parametrize("sw", ["6988", "6300", "63C1", "6982", "6985", "6A80", "6A88"])
@pytest.mark.parametrize("access", [["pace"], ["pace", "bac"]], ids=["pace", "pace-bac"])
def test_pace_wrong_key_answered_with_real_status_words_is_a_wrong_key(
    sw: str, access: list[str]
) -> None:
    """Every status word BAC takes for a wrong key is one at PACE's last step too: 6985 and
    6A88 there fell back to BAC (a PACE-only chip then 'refused MUTUAL AUTHENTICATE')."""
    profile = Profile.from_dict({"chip": {"access": access, "wrong_key_sw": sw}})
    with pytest.raises(errors.PACEError, match="probably wrong") as caught:
        read_document(SimulatedReader(SimulatedChip(profile)), wrong_key())
    assert caught.value.wrong_key
    assert sw in str(caught.value).upper()


@pytest.mark.parametrize("access", ['["bac"]', '["pace"]'])
def test_cli_wrong_mrz_on_a_6988_chip_exits_3(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, access: str
) -> None:
    reader = profile_file(tmp_path, f'[chip]\naccess = {access}\nwrong_key_sw = "6988"\n')
    code, out, err = run(capsys, "read", "--reader", reader, *WRONG)
    assert code == 3
    assert "probably wrong" in err
    assert "read failed" not in err
    assert "DG1" not in out  # PACE: EF.CardAccess only, read before access


@pytest.mark.parametrize("sw", ["9000", "6A", "xyzw", "6282"])
def test_wrong_key_sw_must_be_an_error_status_word(sw: str) -> None:
    with pytest.raises(ProfileError, match="wrong_key_sw"):
        Profile.from_dict({"chip": {"wrong_key_sw": sw}})


# -- 2. no card in time ------------------------------------------------------------------------


def test_card_timeout_is_a_transport_error_and_not_the_builtin() -> None:
    assert issubclass(errors.CardTimeoutError, errors.TransportError)
    assert not issubclass(errors.CardTimeoutError, OSError)
    assert not hasattr(errors, "TimeoutError")


def test_cli_no_card_in_time_exits_4(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_card(name: str, **_: object) -> object:
        raise errors.CardTimeoutError(f"no card in {name!r} within 5 s")

    monkeypatch.setattr(chip_command, "open_reader", no_card)
    monkeypatch.setattr(chip_command, "check_reader", lambda _name: None)
    code, out, err = run(capsys, "read", "--reader", "pcsc", "--mrz", *MRZ)
    assert code == 4
    assert "no card" in err
    assert "invalid" not in err
    assert out == ""


def test_cli_an_oserror_opening_the_reader_is_still_usage(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "read", "--reader", f"sim:{tmp_path / 'none.toml'}", "--mrz", *MRZ)
    assert code == 2
    assert "Traceback" not in err


# -- 4. an empty data group, a read that fails part-way ----------------------------------------


def test_an_empty_data_group_is_recorded_and_the_read_goes_on() -> None:
    profile = Profile.from_dict({"chip": {"empty_data_groups": [2]}})
    key = MRZKey.from_mrz(parse_mrz(list(profile.mrz.lines)))
    document = read_document(SimulatedReader(SimulatedChip(profile)), key)
    assert set(document.files) == {"EF.COM", "EF.SOD", "DG1"}
    assert "DG2" in document.absent
    assert document.verdict.summary != "genuine"


def test_empty_data_groups_must_be_among_the_data_groups() -> None:
    with pytest.raises(ProfileError, match="empty_data_groups"):
        Profile.from_dict({"chip": {"empty_data_groups": [11]}})


def test_cli_empty_dg2_still_prints_the_document(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    reader = profile_file(tmp_path, "[chip]\nempty_data_groups = [2]\n")
    code, out, _ = run(capsys, "read", "--reader", reader, "--mrz", *MRZ, "--json")
    assert code == 1  # read, not genuine
    report = json.loads(out)
    assert "DG1" in report["files"]
    assert "DG2" in report["absent"]


STALL_DG2 = '[faults]\nhostile = "stall"\ntarget_file = "DG2"\n'


def test_cli_json_of_a_read_that_fails_part_way(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    reader = profile_file(tmp_path, STALL_DG2)
    code, out, err = run(capsys, "read", "--reader", reader, "--mrz", *MRZ, "--json")
    assert code == 4
    assert "read failed" in err
    report = json.loads(out)  # one JSON document
    assert report["error"]["exit_code"] == 4
    assert report["error"]["type"] == "CardTimeoutError"
    assert "did not answer" in report["error"]["message"]
    assert report["access"]["protocol"] == "BAC"
    assert {"EF.COM", "EF.SOD", "DG1"} <= set(report["files"])
    assert "DG2" not in report["files"]
    dg1 = report["files"]["DG1"]
    assert len(dg1["sha256"]) == 64
    assert dg1["bytes"] > 0


def test_cli_text_of_a_read_that_fails_part_way(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    reader = profile_file(tmp_path, STALL_DG2)
    code, out, err = run(capsys, "read", "--reader", reader, "--mrz", *MRZ, "--out", str(tmp_path))
    assert code == 4
    assert "read failed" in err
    dg1 = (tmp_path / "DG1.bin").read_bytes()
    assert f"DG1: {len(dg1)} bytes, sha256 {hashlib.sha256(dg1).hexdigest()}" in out
    assert "access: BAC" in out


def test_cli_json_of_a_wrong_key_is_one_document_with_exit_3(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "read", "--reader", "sim", *WRONG, "--json")
    assert code == 3
    report = json.loads(out)
    assert report["error"]["exit_code"] == 3
    assert report["files"] == {}


def test_cli_a_read_failing_part_way_reports_the_checks_that_could_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Chip Authentication ran (after DG14) and EF.SOD vouches for the files read before DG2
    stalled: the JSON says so under `verification`, and what was not read is incomplete."""
    csca = tmp_path / "csca.pem"
    csca.write_bytes(TestPKI().all_csca_pem())
    reader = profile_file(
        tmp_path,
        '[chip]\naccess = ["pace", "bac"]\nca = "ecdh-brainpoolP256r1-aes128"\n' + STALL_DG2,
    )
    code, out, _ = run(capsys, "read", "--reader", reader, "--mrz", *MRZ, "--json",
                       "--csca", str(csca), "--allow-test-pki")  # fmt: skip
    assert code == 4
    checks = json.loads(out)["verification"]
    assert checks["chip"]["status"] == "passed"
    assert checks["passive"]["status"] == "passed"
    assert checks["passive"]["data_groups"]["DG1"]["status"] == "passed"
    assert checks["completeness"]["code"] == "completeness.dg_withheld"

    code, out, _ = run(capsys, "read", "--reader", reader, "--mrz", *MRZ,
                       "--csca", str(csca), "--allow-test-pki")  # fmt: skip
    assert code == 4
    assert "check chip: passed" in out
    assert "check passive: passed" in out
