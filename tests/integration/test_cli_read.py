"""`mrtd read`, `mrtd demo` and `mrtd sim` against the simulated chip."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from mrtd.cli import main
from mrtd.errors import OptionalDependencyError
from mrtd.mrz.ocr import pipeline as ocr
from mrtd.sim.files import face_jpeg
from mrtd.sim.pki import TestPKI
from mrtd.sim.profile import Profile

MRZ = list(Profile.default().mrz.lines)
READ_KEYS = {"document", "access", "files", "verification", "verdict", "stats"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def csca(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The simulated chip's test CSCA and a data-only policy, for reads of chips without a
    clone-detection key that should end genuine (exit 0): `--csca PATH --policy PATH`."""
    folder = tmp_path_factory.mktemp("pki")
    (folder / "data-only.toml").write_text('clone_detection = "data_only_accepted"\n')
    return str(TestPKI().export_csca(folder / "csca.pem"))


def trusted(csca: str) -> tuple[str, ...]:
    """`--csca` and the data-only policy beside it (see the `csca` fixture)."""
    policy = str(Path(csca).with_name("data-only.toml"))
    return ("--csca", csca, "--allow-test-pki", "--policy", policy)


def test_read_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "read", "--reader", "sim", "--mrz", *MRZ, "--json")
    assert code == 1  # read, but not genuine: no CSCA to trust
    report = json.loads(out)
    assert set(report) >= READ_KEYS
    assert report["access"]["protocol"] == "BAC"
    assert report["document"]["birth_date"] == "1988-05-17"
    assert report["document"]["faces"][0]["mime_type"] == "image/jpeg"
    assert set(report["files"]) == {"EF.COM", "EF.SOD", "DG1", "DG2"}
    assert {k: v["status"] for k, v in report["verification"].items()} == {
        "passive": "not_checked",
        "completeness": "passed",
        "expiry": "passed",
        "access": "passed",
        "binding": "passed",
        "active": "not_supported",
        "chip": "not_supported",
        "issuer": "not_checked",
        "algorithms": "passed",
        "revocation": "not_checked",
        "clone_detection": "not_checked",
        "status": "passed",  # no status provider, and the strict policy needs none
    }
    assert report["verdict"] == "incomplete"
    assert report["verdict_codes"][-1] == "clone.no_chip_key"
    assert report["verdict_reasons"][0].startswith("passive: data group hashes and DS")
    assert set(report["stats"]) >= {"apdus", "bytes_sent", "bytes_received", "seconds"}


def test_read_with_typed_key_writes_files_and_face(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    profile = Profile.default().mrz
    code, out, _ = run(
        capsys,
        "read",
        "--reader",
        "sim",
        "--doc-number",
        profile.document_number.lower(),
        "--birth",
        profile.birth_date_text,
        "--expiry",
        profile.expiry_date_text,
        "--out",
        str(tmp_path),
        "--no-progress",
    )
    assert code == 1
    assert "verdict          incomplete" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "DG1.bin",
        "DG2.bin",
        "EF.COM.bin",
        "EF.SOD.bin",
        "face-1.jpg",
        "face-1.png",
    ]
    assert (tmp_path / "face-1.jpg").read_bytes() == face_jpeg()
    png = (tmp_path / "face-1.png").read_bytes()
    pixels = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert png.startswith(b"\x89PNG")
    assert pixels is not None
    assert pixels.shape == (640, 480, 3)


def test_wrong_mrz_exits_3_access_denied_without_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(
        capsys, "read", "--reader", "sim", "--doc-number", "X1234567", "--birth", "800101",
        "--expiry", "300101",
    )  # fmt: skip
    assert code == 3
    assert out == ""
    assert "access denied" in err
    assert "Traceback" not in err


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(capsys, "read", "--reader", "sim", "--doc-number", "X1")[0] == 2
    assert run(capsys, "read", "--reader", "bogus", "--mrz", *MRZ)[0] == 2
    bad = tmp_path / "bad.toml"
    bad.write_text("[chip]\nmax_response = 'many'\n")
    code, _, err = run(capsys, "read", "--reader", f"sim:{bad}", "--mrz", *MRZ)
    assert code == 2
    assert "max_response has the wrong type" in err


def test_profile_file_is_used(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, csca: str
) -> None:
    profile = tmp_path / "card.toml"
    profile.write_text(
        '[document]\nformat = "TD1"\ndocument_code = "ID"\nsurname = "Card"\n'
        "[chip]\nmax_response = 100\ndata_groups = [1, 2, 3]\n"
        "[link]\nbitrate = 106000\n"
    )
    code, out, _ = run(capsys, "sim", "--profile", str(profile))
    assert code == 0
    lines = [line.strip() for line in out.splitlines() if line.startswith("  ")]
    assert [len(line) for line in lines] == [30, 30, 30]
    args = ("--reader", f"sim:{profile}", "--mrz", *lines, "--json", *trusted(csca))
    code, out, _ = run(capsys, "read", *args)
    report = json.loads(out)
    assert code == 0
    assert report["document"]["format"] == "TD1"
    assert report["denied"] == ["DG3"]


def test_demo(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "demo")
    assert code == 0
    assert "1. The data page photo (demo-page.jpg, taken at an angle) read by OCR" in out
    assert "every check digit holds; the MRZ matches the printed one" in out
    assert "PACE (CAM, brainpoolP256r1, AES-128), chip authentication passed" in out
    assert "  chain          passed" in out
    assert "verdict          genuine" in out
    code, out, _ = run(capsys, "demo", "--json")
    report = json.loads(out)
    assert code == 0
    assert report["verification"]["passive"]["status"] == "passed"
    assert report["verification"]["passive"]["chain"]["status"] == "passed"
    assert report["verdict"] == "genuine"
    assert report["demo"]["mrz_from"] == "photo"
    assert report["demo"]["ocr"]["matches_printed_mrz"] is True
    assert report["demo"]["ocr"]["engine"] == "mrtd"
    assert report["stats"]["modeled_seconds"] > 0


def test_demo_without_opencv_takes_the_mrz_as_typed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(*_: object, **__: object) -> None:
        raise OptionalDependencyError("MRZ OCR needs OpenCV: pip install 'mrtd[image]'")

    monkeypatch.setattr(ocr, "read_mrz_image", missing)
    code, out, _ = run(capsys, "demo")
    assert code == 0
    assert "1. The MRZ as typed (no OCR here: MRZ OCR needs OpenCV" in out
    assert "verdict          genuine" in out


def test_sim_exports_the_test_csca(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "csca.pem"
    code, _, _ = run(capsys, "sim", "--export-csca", str(target))
    assert code == 0
    assert target.read_bytes().count(b"-----BEGIN CERTIFICATE-----") == 2


PACE_PROFILE = """
[chip]
access = ["pace", "bac"]
can = "123456"
[chip.pace]
mapping = "IM"
domain = "brainpoolP256r1"
cipher = "AES-256"
"""


@pytest.mark.parametrize("key", [["--can", "123456"], ["--mrz", *MRZ]])
def test_read_with_pace_reports_the_variant(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, key: list[str], csca: str
) -> None:
    profile = tmp_path / "pace.toml"
    profile.write_text(PACE_PROFILE)
    args = ("--reader", f"sim:{profile}", *key, "--json", *trusted(csca))
    code, out, _ = run(capsys, "read", *args)
    assert code == 0
    access = json.loads(out)["access"]
    assert access == {
        "protocol": "PACE",
        "downgraded": False,
        "pace": {"mapping": "IM", "domain": "brainpoolP256r1", "cipher": "AES-256",
                 "key_agreement": "ECDH"},
    }  # fmt: skip
    code, out, _ = run(capsys, "read", "--reader", f"sim:{profile}", *key, *trusted(csca))
    assert code == 0
    assert "access           PACE (IM, brainpoolP256r1, AES-256)" in out


def test_read_with_wrong_can_exits_3(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    profile = tmp_path / "pace.toml"
    profile.write_text(PACE_PROFILE)
    code, _, err = run(capsys, "read", "--reader", f"sim:{profile}", "--can", "654321")
    assert code == 3
    assert "refused the password" in err
    assert "654321" not in err


def test_read_access_bac_on_a_pace_chip_and_can_misuse(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, csca: str
) -> None:
    profile = tmp_path / "pace.toml"
    profile.write_text(PACE_PROFILE)
    args = ("--reader", f"sim:{profile}", "--mrz", *MRZ, "--access", "bac", "--json")
    code, out, _ = run(capsys, "read", *args, *trusted(csca))
    # BAC chosen by the caller still reads BAC, but the chip's signed DG14 lists PACE: a
    # forced BAC on a PACE chip is a downgrade and never genuine (issue 17, finding 5)
    assert code == 1
    report = json.loads(out)
    assert report["access"]["protocol"] == "BAC"
    assert report["access"]["downgraded"] is True
    assert "access.downgraded" in report["verdict_codes"]
    code, _, err = run(capsys, "read", "--reader", "sim", "--can", "123456")
    assert code == 3
    assert "PACE only" in err
    code, _, err = run(capsys, "read", "--reader", "sim", "--can", "12345")
    assert code == 2
    assert "6 digits" in err


def test_read_reports_a_downgrade(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    profile = tmp_path / "hostile.toml"
    profile.write_text(PACE_PROFILE + '[faults]\npace_public = "off-curve"\n')
    code, out, _ = run(capsys, "read", "--reader", f"sim:{profile}", "--mrz", *MRZ)
    assert code == 1
    assert "DOWNGRADED from PACE" in out
    assert "check access     failed (downgraded from PACE to BAC" in out
    assert "verdict          failed" in out
    code, _, err = run(
        capsys, "read", "--reader", f"sim:{profile}", "--mrz", *MRZ, "--access", "pace"
    )
    assert code == 3
    assert "invalid public value" in err


def test_sim_shows_the_pace_variants(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    profile = tmp_path / "pace.toml"
    profile.write_text(PACE_PROFILE)
    code, out, _ = run(capsys, "sim", "--profile", str(profile))
    assert code == 0
    assert "PACE IM brainpoolP256r1 AES-256" in out
    assert "CAN 123456" in out


def test_read_says_why_the_test_csca_was_not_trusted(
    capsys: pytest.CaptureFixture[str], csca: str
) -> None:
    """Without --allow-test-pki the exported test CSCA is refused; the user is told so, not
    left with 'the trust store holds no CSCA certificate'."""
    code, out, err = run(capsys, "read", "--reader", "sim", "--mrz", *MRZ, "--csca", csca)
    assert code == 1
    assert "--allow-test-pki" in err
    assert err.count("mrtd: --csca: skipped") == 2  # the RSA and the ECDSA test CSCA
    assert "incomplete" in out
