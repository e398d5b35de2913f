"""`mrtd verify` and `mrtd read --csca`: Passive Authentication from the command line."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mrtd.cli import main
from mrtd.sim.pki import TestPKI
from mrtd.sim.pki_builder import Issued, issue_crl
from mrtd.sim.profile import Profile
from tests.shared_data import shared_data_path
from tests.trust_pki import csca as make_csca

MRZ = list(Profile.default().mrz.lines)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def csca(tmp_path: Path) -> Path:
    return TestPKI().export_csca(tmp_path / "csca.pem")


@pytest.fixture
def data_only(tmp_path: Path) -> Path:
    """A policy that accepts proof of the data alone (files cannot prove their chip)."""
    path = tmp_path / "data-only.toml"
    path.write_text('clone_detection = "data_only_accepted"\n')
    return path


@pytest.fixture
def dump(tmp_path: Path, capsys: pytest.CaptureFixture[str], csca: Path) -> Path:
    """The default simulated passport read with `mrtd read --out`: exit 1 under the strict
    default policy, since that chip has no key to prove it is no copy."""
    out = tmp_path / "dump"
    args = (
        "--reader",
        "sim",
        "--mrz",
        *MRZ,
        "--out",
        str(out),
        "--csca",
        str(csca),
        "--allow-test-pki",
    )
    code, _, _ = run(capsys, "read", *args)
    assert code == 1
    return out


def passive(out: str) -> dict[str, object]:
    report: dict[str, object] = json.loads(out)["verification"]["passive"]
    return report


def test_a_dump_verifies_against_the_csca(
    capsys: pytest.CaptureFixture[str], dump: Path, csca: Path, data_only: Path
) -> None:
    code, out, _ = run(
        capsys, "verify", str(dump), "--csca", str(csca), "--allow-test-pki", "--json"
    )
    assert code == 1  # one exit contract: 0 only for genuine under the policy in force
    report = json.loads(out)
    assert report["schema_version"] == 2
    assert set(report["files"]) == {"EF.COM", "EF.SOD", "DG1", "DG2"}
    assert report["verdict"] == "incomplete"  # files alone cannot show the chip is no clone
    assert report["verdict_codes"] == ["clone.not_proven"]
    assert report["policy"]["name"] == "strict"
    result = report["verification"]["passive"]
    assert result["status"] == "passed"
    assert result["data_groups"] == {"DG1": {"status": "passed"}, "DG2": {"status": "passed"}}
    assert result["signature"]["status"] == "passed"
    assert result["chain"]["status"] == "passed"
    assert result["csca"]["country"] == "UT"
    algorithms = result["algorithms"]
    assert algorithms["data_group_hash"] == "sha256"
    assert algorithms["ds_signature"]["key"] == {
        "type": "ec", "bits": 256, "curve": "brainpoolP256r1", "explicit_parameters": False
    }  # fmt: skip
    assert algorithms["csca_signature"]["key"]["curve"] == "brainpoolP384r1"
    policy = ("--policy", str(data_only))
    code, out, _ = run(
        capsys, "verify", str(dump), "--csca", str(csca), "--allow-test-pki", *policy, "--json"
    )
    assert code == 0
    report = json.loads(out)
    assert (report["verdict"], report["verdict_codes"]) == ("genuine", [])
    assert report["policy"]["name"] == "data-only"
    assert report["verification"]["clone_detection"]["status"] == "passed"
    code, out, _ = run(
        capsys, "verify", str(dump), "--csca", str(csca), "--allow-test-pki", *policy
    )
    assert code == 0
    assert "check passive    passed" in out


def test_a_bad_policy_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], dump: Path, csca: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('clone_detection = "sometimes"\n')
    for command in (["verify", str(dump)], ["read", "--reader", "sim", "--mrz", *MRZ]):
        code, _, err = run(
            capsys, *command, "--csca", str(csca), "--allow-test-pki", "--policy", str(bad)
        )
        assert code == 2
        assert "clone_detection is one of" in err


def test_files_are_recognised_by_content_not_name(
    capsys: pytest.CaptureFixture[str], dump: Path, csca: Path, tmp_path: Path, data_only: Path
) -> None:
    renamed = []
    for n, name in enumerate(("DG1.bin", "DG2.bin", "EF.SOD.bin", "EF.COM.bin")):
        target = tmp_path / f"file{n}.dat"
        shutil.copy(dump / name, target)
        renamed.append(str(target))
    args = ("--csca", str(csca), "--allow-test-pki", "--policy", str(data_only), "--json")
    code, out, _ = run(capsys, "verify", *renamed, *args)
    assert code == 0
    assert json.loads(out)["files"]["EF.SOD"]["path"].endswith("file2.dat")


def test_without_trust_material_it_is_not_verified(
    capsys: pytest.CaptureFixture[str], dump: Path
) -> None:
    code, out, _ = run(capsys, "verify", str(dump), "--json")
    assert code == 1
    result = passive(out)
    assert result["status"] == "not_checked"
    assert result["signature"] == {"status": "passed"}
    assert "no trust store" in str(result["reason"])


def test_a_changed_data_group_fails_by_name(
    capsys: pytest.CaptureFixture[str], dump: Path, csca: Path
) -> None:
    dg2 = bytearray((dump / "DG2.bin").read_bytes())
    dg2[-10] ^= 0x01
    (dump / "DG2.bin").write_bytes(bytes(dg2))
    code, out, _ = run(
        capsys, "verify", str(dump), "--csca", str(csca), "--allow-test-pki", "--json"
    )
    assert code == 1
    result = passive(out)
    assert result["status"] == "failed"
    assert result["data_groups"]["DG2"]["status"] == "failed"  # type: ignore[index]
    assert result["data_groups"]["DG1"]["status"] == "passed"  # type: ignore[index]
    assert "DG2" in str(result["reason"])


@pytest.mark.parametrize("unknown", ["german", "made-here"])
def test_an_unknown_csca_fails_the_chain(
    capsys: pytest.CaptureFixture[str], dump: Path, tmp_path: Path, unknown: str
) -> None:
    if unknown == "german":
        other = shared_data_path("pki", "DE_ROOT_CA_CSCA07.cer")
    else:
        other = tmp_path / "other.cer"
        other.write_bytes(make_csca("an unknown CSCA").der)
    code, out, _ = run(capsys, "verify", str(dump), "--csca", str(other), "--json")
    assert code == 1
    result = passive(out)
    assert result["status"] == "failed"
    assert result["chain"]["status"] == "failed"  # type: ignore[index]


def test_a_revoked_document_signer_fails(
    capsys: pytest.CaptureFixture[str], dump: Path, csca: Path, tmp_path: Path
) -> None:
    pki = TestPKI()
    _, ds = pki.document_signer("ecdsa")
    authority = Issued(pki.csca_private_key("ecdsa"), pki.csca_certificate("ecdsa"))
    crl = issue_crl(
        authority,
        [(ds.serial_number, datetime(2026, 1, 1, tzinfo=UTC))],
        this_update=datetime(2026, 1, 1, tzinfo=UTC),
        next_update=datetime(2027, 1, 1, tzinfo=UTC),
    )
    crl_path = tmp_path / "revoked.crl"
    crl_path.write_bytes(crl.dump())
    args = (
        "verify",
        str(dump),
        "--csca",
        str(csca),
        "--allow-test-pki",
        "--csca",
        str(crl_path),
        "--json",
    )
    code, out, _ = run(capsys, *args)
    assert code == 1
    result = passive(out)
    assert result["status"] == "failed"
    assert result["revocation"]["status"] == "failed"  # type: ignore[index]


def test_the_bsi_data_sets_pass_hashes_and_signature(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    hashed = {"bsi2008": (1, 2, 3, 14), "bsi-dataset-2": (1, 2, 3, 4, 14)}
    for folder, groups in hashed.items():
        # EF.SOD and the data groups it hashes (the shared folder has more: DG15, keys)
        source, files = shared_data_path("lds", folder), tmp_path / folder
        files.mkdir()
        for name in ["EF_SOD.bin", *(f"Datagroup{n}.bin" for n in groups)]:
            shutil.copy(source / name, files / name)
        code, out, _ = run(capsys, "verify", str(files), "--json")
        result = passive(out)
        assert code == 1  # no CSCA for BSI's test Document Signers
        assert result["signature"] == {"status": "passed"}
        statuses = {c["status"] for c in result["data_groups"].values()}  # type: ignore[attr-defined]
        assert statuses == {"passed"}
        document = json.loads(out)["document"]
        assert document["faces"][0]["mime_type"] == "image/jp2"
        assert document["fingerprints"][0]["format"] == "FIR"
        assert document["security_infos"] >= 1


def test_bad_input_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], dump: Path, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a data group")
    code, _, err = run(capsys, "verify", str(junk))
    assert code == 2
    assert "not an eMRTD file" in err
    code, _, err = run(capsys, "verify", str(dump), "--csca", str(junk))
    assert code == 2
    code, _, err = run(capsys, "verify", str(tmp_path / "missing"))
    assert code == 2
    shutil.copy(dump / "DG1.bin", tmp_path / "again.bin")
    code, _, err = run(capsys, "verify", str(dump), str(tmp_path / "again.bin"))
    assert code == 2
    assert "both DG1" in err


def test_read_with_csca_is_genuine(
    capsys: pytest.CaptureFixture[str], csca: Path, data_only: Path
) -> None:
    """The default simulated chip has no key to prove it is no copy: genuine only under a
    policy that accepts data-only proof; the strict default says why not, by code."""
    args = (
        "read",
        "--reader",
        "sim",
        "--mrz",
        *MRZ,
        "--csca",
        str(csca),
        "--allow-test-pki",
        "--json",
    )
    code, out, _ = run(capsys, *args)
    assert code == 1
    assert json.loads(out)["verdict_codes"] == ["clone.no_chip_key"]
    code, out, _ = run(capsys, *args, "--policy", str(data_only))
    assert code == 0
    report = json.loads(out)
    assert report["verdict"] == "genuine"
    assert report["verification"]["passive"]["chain"]["status"] == "passed"


UPLOADS = Path(__file__).resolve().parents[2] / "fixtures" / "uploads"
FIXTURE_CHALLENGE = "4d52544420414121"  # fixtures/uploads/PROVENANCE.md


@pytest.fixture
def aa_required(tmp_path: Path) -> Path:
    path = tmp_path / "service.toml"
    path.write_text('active_authentication = "required"\n')
    return path


def test_an_upload_with_active_authentication(
    capsys: pytest.CaptureFixture[str], csca: Path, aa_required: Path
) -> None:
    trust = ("--csca", str(csca), "--allow-test-pki", "--policy", str(aa_required))
    upload = str(UPLOADS / "mrtd-aa-rsa.json")
    code, out, _ = run(capsys, "verify", upload, *trust, "--challenge", FIXTURE_CHALLENGE,
                       "--json")  # fmt: skip
    assert code == 0
    report = json.loads(out)
    assert report["schema_version"] == 2
    assert (report["verdict"], report["verdict_codes"]) == ("genuine", [])
    assert report["verification"]["active"]["status"] == "passed"
    assert report["files"]["DG15"]["path"].endswith("mrtd-aa-rsa.json#DG15")
    # the upload's own challenge serves offline; another challenge fails the signature
    code, out, _ = run(capsys, "verify", upload, *trust)
    assert code == 0
    assert "check active     passed" in out
    code, out, _ = run(capsys, "verify", upload, *trust, "--challenge", "00" * 8, "--json")
    assert code == 1
    assert "clone.proof_failed" in json.loads(out)["verdict_codes"]


def test_other_formats_and_a_signature_file(
    capsys: pytest.CaptureFixture[str], csca: Path, aa_required: Path
) -> None:
    trust = ("--csca", str(csca), "--allow-test-pki", "--policy", str(aa_required))
    jmrtd = str(UPLOADS / "jmrtd-aa-rsa.json")
    signature = "@" + str(UPLOADS / "jmrtd-aa-rsa.signature.bin")
    code, _, _ = run(capsys, "verify", jmrtd, *trust, "--challenge", FIXTURE_CHALLENGE,
                     "--aa-signature", signature)  # fmt: skip
    assert code == 0
    code, out, _ = run(capsys, "verify", jmrtd, *trust, "--json")  # no signature: incomplete
    assert code == 1
    assert json.loads(out)["verdict_codes"] == ["clone.active_required"]
    hex_signature = (UPLOADS / "jmrtd-aa-rsa.signature.bin").read_bytes().hex()
    code, _, _ = run(capsys, "verify", jmrtd, *trust, "--format", "jmrtd", "--challenge",
                     FIXTURE_CHALLENGE, "--aa-signature", hex_signature)  # fmt: skip
    assert code == 0
    nfc = str(UPLOADS / "nfcpassportreader-aa-ecdsa-ca.json")
    code, out, _ = run(capsys, "verify", nfc, *trust, "--json")
    assert code == 0
    assert json.loads(out)["verification"]["chip"]["status"] == "not_checked"


def test_files_with_an_aa_signature(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, csca: Path, aa_required: Path
) -> None:
    """Files of a folder, with the signature and challenge beside them."""
    from mrtd import parse_upload  # noqa: PLC0415

    upload = parse_upload((UPLOADS / "mrtd-aa-ecdsa.json").read_bytes())
    folder = tmp_path / "files"
    folder.mkdir()
    for name, data in upload.files.items():
        (folder / f"{name}.bin").write_bytes(data)
    assert isinstance(upload.aa_signature, bytes)
    trust = ("--csca", str(csca), "--allow-test-pki", "--policy", str(aa_required))
    code, out, _ = run(capsys, "verify", str(folder), *trust, "--challenge", FIXTURE_CHALLENGE,
                       "--aa-signature", upload.aa_signature.hex(), "--json")  # fmt: skip
    assert code == 0
    assert json.loads(out)["verification"]["active"]["status"] == "passed"
    code, _, err = run(capsys, "verify", str(folder), *trust, "--aa-signature", "00" * 64)
    assert code == 2
    assert "/active_authentication/challenge" in err


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ('{"files": {"DG1": "not base64!"}}', (), "/files/DG1: not valid base64"),
        ('{"files": {"SOD": "AAAA"}}', (), "/files/SOD"),
        ('{"files": {"DG1": "YQA="}, "x": 1}', (), "/x"),
        ("{not json", (), "not JSON"),
        ('{"sod": "77=0"}', ("--format", "zeropass"), "/sod"),
        ('{"files": {"DG1": "YQA="}}', ("--challenge", "xyz"), "--challenge is not hex"),
        ('{"files": {"DG1": "YQA="}}', ("--aa-signature", "@/nonexistent/sig.bin"), "sig.bin"),
    ],
)
def test_an_unusable_upload_is_exit_2_naming_the_field(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    content: str,
    args: tuple[str, ...],
    message: str,
) -> None:
    path = tmp_path / "upload.json"
    path.write_text(content)
    code, _, err = run(capsys, "verify", str(path), *args)
    assert code == 2
    assert err.startswith("mrtd verify: ")
    assert message in err
    assert len(err.strip().splitlines()) == 1
    code, out, _ = run(capsys, "verify", str(path), *args, "--json")
    assert code == 2
    error = json.loads(out)["error"]
    assert message in error["message"]
    assert error["exit_code"] == 2


def _status_config(tmp_path: Path, listed: bool) -> Path:
    """A --status file: a hashed list holding the default simulated passport, or not."""
    from mrtd.status.base import StatusQuery  # noqa: PLC0415
    from mrtd.status.local import ListedDocument, build_status_list  # noqa: PLC0415

    mrz = Profile.default().mrz
    key = bytes(range(32))
    query = StatusQuery.from_mrz(mrz)
    other = StatusQuery(mrz.issuing_state, mrz.document_code, "X0000000")
    row = ListedDocument(query if listed else other, "stolen", source="UTO police")
    (tmp_path / "listed.txt").write_text(build_status_list([row], key))
    (tmp_path / "list.key").write_bytes(key)
    config = tmp_path / "status.toml"
    config.write_text('[status]\nprovider = "list"\nlist = "listed.txt"\nkey_file = "list.key"\n')
    return config


def test_a_listed_document_is_not_genuine_in_verify_and_read(
    capsys: pytest.CaptureFixture[str], dump: Path, csca: Path, data_only: Path, tmp_path: Path
) -> None:
    trust = ("--csca", str(csca), "--allow-test-pki", "--policy", str(data_only))
    (tmp_path / "clean").mkdir()
    clean = ("--status", str(_status_config(tmp_path / "clean", listed=False)))
    code, out, _ = run(capsys, "verify", str(dump), *trust, *clean, "--json")
    assert code == 0
    assert json.loads(out)["verification"]["status"]["status"] == "passed"
    (tmp_path / "listed").mkdir()
    listed = ("--status", str(_status_config(tmp_path / "listed", listed=True)))
    code, out, _ = run(capsys, "verify", str(dump), *trust, *listed, "--json")
    report = json.loads(out)
    assert code == 1
    assert (report["verdict"], report["verdict_codes"]) == ("failed", ["status.listed"])
    assert "stolen by UTO police" in report["verification"]["status"]["reason"]
    code, out, _ = run(capsys, "read", "--reader", "sim", "--mrz", *MRZ, *trust, *listed, "--json")
    assert code == 1
    assert json.loads(out)["verdict_codes"] == ["status.listed"]
    (tmp_path / "listed" / "listed.txt").unlink()  # the list gone: fail closed
    code, out, _ = run(capsys, "verify", str(dump), *trust, *listed, "--json")
    assert code == 1
    assert json.loads(out)["verdict_codes"] == ["status.unavailable"]
    bad = tmp_path / "bad.toml"
    bad.write_text('[status]\nprovider = "ldap"\n')
    code, _, err = run(capsys, "verify", str(dump), *trust, "--status", str(bad))
    assert code == 2
    assert "--status" in err
