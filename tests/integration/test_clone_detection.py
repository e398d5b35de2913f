"""Clone detection end to end: Active and Chip Authentication against the simulated chip, its
clone (`[faults] clone = true`: the same files, other keys), data sets with their private keys
(one made here, the BSI one of the shared data), and the fail-closed verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from mrtd.access.keys import MRZKey
from mrtd.cli import main
from mrtd.lds import LDS_FILES
from mrtd.lds.com import build_com
from mrtd.lds.sod import build_sod
from mrtd.pipeline.document import Document
from mrtd.pipeline.read_chip import read_document
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.authentication import genuine_keys
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.files import ChipFile, build_files
from mrtd.sim.pki import TestPKI
from mrtd.sim.profile import Profile
from mrtd.verify.trust import TrustStore
from tests.shared_data import shared_data_path

AA = ["rsa-1024-sha1", "rsa-1792-sha256", "ecdsa-P-256-sha256", "ecdsa-brainpoolP256r1-sha256"]
AA_EXTENDED = ["rsa-2048-sha256", "rsa-3072-sha256"]
CA = ["ecdh-brainpoolP256r1-aes128", "ecdh-P-256-aes256", "ecdh-brainpoolP256r1-3des",
      "dh-1024-3des"]  # fmt: skip
CA_EXTENDED = ["dh-2048-3des", "dh-2048-aes128"]


@pytest.fixture(scope="module")
def trust() -> TrustStore:
    store = TrustStore(allow_test_pki=True)
    store.add_bytes(TestPKI().all_csca_pem(), source="test CSCA")
    return store


def profile(chip: dict[str, Any], *, clone: bool = False) -> Profile:
    return Profile.from_dict({"chip": chip, "faults": {"clone": clone}})


def read(chip_profile: Profile, trust: TrustStore | None = None) -> Document:
    chip = SimulatedChip(chip_profile)
    return read_document(SimulatedReader(chip), MRZKey.from_mrz(chip_profile.mrz), trust=trust)


def variants() -> list[Any]:
    out = [pytest.param({"aa": s}, id=f"aa-{s}") for s in AA]
    out += [pytest.param({"aa": s, "extended_length": True}, id=f"aa-{s}") for s in AA_EXTENDED]
    out += [pytest.param({"ca": s}, id=f"ca-{s}") for s in CA]
    out += [pytest.param({"ca": s, "extended_length": True}, id=f"ca-{s}") for s in CA_EXTENDED]
    out.append(pytest.param({"aa": AA[0], "ca": CA[0]}, id="aa-and-ca"))
    return out


@pytest.mark.parametrize("chip", variants())
def test_the_genuine_chip_is_genuine(chip: dict[str, Any], trust: TrustStore) -> None:
    document = read(profile(chip), trust)
    assert document.verdict.summary == "genuine", document.verdict.reasons
    verdict = document.verdict
    if "aa" in chip:
        assert verdict.active.status == "passed"
    if "ca" in chip:
        assert verdict.chip.status == "passed"
        assert "DG14" in document.files
    assert {"DG1", "DG2", "EF.SOD"} <= set(document.files)


@pytest.mark.parametrize("chip", variants())
def test_a_clone_is_read_completely_but_not_genuine(
    chip: dict[str, Any], trust: TrustStore
) -> None:
    genuine = read(profile(chip), trust)
    document = read(profile(chip, clone=True), trust)
    assert set(document.files) == set(genuine.files)  # everything read, nothing lost
    same = {n: d for n, d in genuine.files.items() if n != "EF.SOD"}  # ECDSA: a new signature
    assert {n: d for n, d in document.files.items() if n != "EF.SOD"} == same
    assert document.verdict.passive.status == "passed"
    assert document.verdict.summary == "failed"
    failed = [name for name, check in document.verdict.checks.items() if check.status == "failed"]
    expected = [name for name, key in (("active", "aa"), ("chip", "ca")) if key in chip]
    assert failed == [*expected, "clone_detection"]
    assert "clone.proof_failed" in document.verdict.codes
    assert any(r.startswith(("active:", "chip:")) for r in document.verdict.reasons)


def test_a_clone_of_a_chip_with_chip_authentication_names_the_key(trust: TrustStore) -> None:
    document = read(profile({"ca": CA[0]}, clone=True), trust)
    assert document.verdict.chip.status == "failed"
    assert "does not hold the private key of DG14" in document.verdict.chip.reason


def test_pace_cam_authenticates_the_chip_without_a_second_protocol(trust: TrustStore) -> None:
    chip = {"access": ["pace"], "pace": {"mapping": "CAM"}}
    document = read(profile(chip), trust)
    assert document.verdict.chip.status == "passed"
    assert document.verdict.chip.reason == "PACE-CAM"
    assert document.verdict.summary == "genuine"


def test_without_a_trusted_csca_the_verdict_is_incomplete() -> None:
    document = read(profile({"aa": AA[0]}))
    assert document.verdict.active.status == "passed"
    assert document.verdict.summary == "incomplete"
    assert document.verdict.reasons[0].startswith("passive:")


def test_a_dg15_not_covered_by_ef_sod_fails(trust: TrustStore) -> None:
    chip_profile = profile({"aa": AA[0]})
    files = SimulatedChip(chip_profile).files
    key, certificate = TestPKI().document_signer("ecdsa")
    groups = {n: files[0x0100 + n].data for n in (1, 2)}  # EF.SOD leaves DG15 out
    sod = build_sod(groups, signer_key=key, signer_cert=certificate)
    files[LDS_FILES["EF.SOD"].fid] = ChipFile("EF.SOD", 0x011D, 0x1D, sod)
    chip = SimulatedChip(chip_profile, files=files)
    document = read_document(SimulatedReader(chip), MRZKey.from_mrz(chip_profile.mrz), trust=trust)
    assert document.verdict.active.status == "failed"
    assert document.verdict.active.reason == "DG15 is not covered by EF.SOD"
    assert document.verdict.summary == "failed"


def test_groups_hidden_from_ef_com_are_read_because_ef_sod_lists_them(trust: TrustStore) -> None:
    chip_profile = profile({"aa": AA[0], "ca": CA[0]})
    files = SimulatedChip(chip_profile).files
    com = LDS_FILES["EF.COM"]
    files[com.fid] = ChipFile("EF.COM", com.fid, com.sfi, build_com([1, 2]))  # unsigned: edited
    chip = SimulatedChip(chip_profile, files=files)
    document = read_document(SimulatedReader(chip), MRZKey.from_mrz(chip_profile.mrz), trust=trust)
    assert {"DG14", "DG15"} <= set(document.files)
    assert document.verdict.summary == "genuine"


def test_a_chip_that_hides_its_aa_key_fails(trust: TrustStore) -> None:
    chip_profile = profile({"aa": AA[0]})
    files = SimulatedChip(chip_profile).files
    del files[LDS_FILES["DG15"].fid]  # EF.SOD still lists DG15
    chip = SimulatedChip(chip_profile, files=files)
    document = read_document(SimulatedReader(chip), MRZKey.from_mrz(chip_profile.mrz), trust=trust)
    assert document.verdict.active.status == "failed"
    assert "EF.SOD lists DG15" in document.verdict.active.reason


def made_dataset(folder: Path) -> tuple[Path, Profile]:
    """The simulated chip's files with AA (RSA-1024) and CA (ECDH brainpoolP256r1) dumped as a
    data set like BSI's: EF_COM.bin, EF_SOD.bin, DatagroupN.bin, and the private keys as
    PKCS#8 (DG15_sk.pkcs8, DG14_sk.pkcs8). The profile the files were made from."""
    made = profile({"aa": AA[0], "ca": CA[0]})
    for file in build_files(made).values():
        names = {"EF.COM": "EF_COM.bin", "EF.SOD": "EF_SOD.bin"}
        (folder / names.get(file.name, f"Datagroup{file.name[2:]}.bin")).write_bytes(file.data)
    keys = genuine_keys(made)
    assert keys.active is not None
    assert keys.chip is not None
    ca_key = ec.derive_private_key(keys.chip.key.private, ec.BrainpoolP256R1())
    for name, key in (("DG15_sk.pkcs8", keys.active.private_key), ("DG14_sk.pkcs8", ca_key)):
        (folder / name).write_bytes(
            key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
        )
    return folder, made


def test_a_data_set_made_here_with_its_private_keys(trust: TrustStore, tmp_path: Path) -> None:
    folder, made = made_dataset(tmp_path)
    chip_profile = Profile.from_dict({"chip": {"dataset": str(folder)}})
    assert chip_profile.mrz == made.mrz  # read from its DG1
    document = read(chip_profile, trust)
    assert document.verdict.chip.reason == "ECDH brainpoolP256r1 AES-128"
    assert document.verdict.chip.status == "passed"
    assert document.verdict.active.status == "passed"  # RSA-1024, ISO/IEC 9796-2
    assert sorted(document.files) == ["DG1", "DG14", "DG15", "DG2", "EF.COM", "EF.SOD"]
    assert document.passive.chain.status == "passed"  # the test CSCA is trusted
    assert document.verdict.summary == "genuine"


def test_the_bsi_data_set_with_its_private_keys(trust: TrustStore) -> None:
    folder = shared_data_path("lds", "bsi-dataset-2")
    chip_profile = Profile.from_dict({"chip": {"dataset": str(folder)}})
    document = read(chip_profile, trust)
    assert document.verdict.chip.status == "passed"  # ECDH brainpoolP224r1, 3DES
    # EF.COM and EF.SOD leave DG15 out: the reader does not ask for it, AA is not offered
    assert document.verdict.active.status == "not_supported"
    assert "DG15" not in document.files
    assert document.denied == ("DG3", "DG4")  # EAC-protected
    passive = document.passive
    assert passive.signature.status == "passed"
    assert {n: c.status for n, c in passive.data_groups.items() if c.status != "not_checked"} == {
        "DG1": "passed", "DG2": "passed", "DG14": "passed",
    }  # fmt: skip
    assert passive.chain.status == "failed"  # BSI's test CSCA is not ours
    assert document.verdict.summary == "failed"


def test_profiles_refuse_unknown_keys_and_short_apdus_for_big_keys(tmp_path: Path) -> None:
    from mrtd.sim.profile import ProfileError  # noqa: PLC0415

    with pytest.raises(ProfileError, match="aa"):
        profile({"aa": "rsa-999-sha256"})
    with pytest.raises(ProfileError, match="ca"):
        profile({"ca": "ecdh-nocurve-aes128"})
    with pytest.raises(ProfileError, match="extended_length"):
        profile({"aa": "rsa-2048-sha256"})
    with pytest.raises(ProfileError, match="clone needs generated keys"):
        read(Profile.from_dict({"chip": {"dataset": str(made_dataset(tmp_path)[0])},
                                "faults": {"clone": True}}))  # fmt: skip


def test_the_command_line_names_the_failed_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    csca = TestPKI().export_csca(tmp_path / "csca.pem")
    clone = tmp_path / "clone.toml"
    chip = '[chip]\naa = "rsa-1024-sha256"\nca = "dh-1024-3des"\n'
    clone.write_text(chip + "[faults]\nclone = true\n")
    assert main(["sim", "--profile", str(clone)]) == 0
    assert "a CLONE" in capsys.readouterr().out
    mrz = list(Profile.load(clone).mrz.lines)
    args = [
        "read",
        "--reader",
        f"sim:{clone}",
        "--mrz",
        *mrz,
        "--csca",
        str(csca),
        "--allow-test-pki",
        "--json",
    ]
    assert main(args) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "failed"
    assert report["verification"]["active"]["status"] == "failed"
    assert report["verification"]["chip"]["status"] == "failed"
    assert report["verification"]["passive"]["status"] == "passed"
    genuine = tmp_path / "genuine.toml"
    genuine.write_text(clone.read_text().replace("true", "false"))
    args[2] = f"sim:{genuine}"
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "genuine"
