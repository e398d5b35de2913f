"""Issue 17's findings on the document as a whole: withheld data groups (6) and an access key
that is not DG1's (10) never read genuine, whatever else passed: from files, and from a hostile
simulated chip (`withhold-6a82`, `withhold-6982`, `other-holder`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mrtd import MRZKey, Policy, ReadResult, TrustStore, read_document
from mrtd.cli import main
from mrtd.pipeline.document import Document
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.pki import TestPKI
from mrtd.sim.profile import Profile, ProfileError

MRZ = Profile.default().mrz
KEY = MRZKey.from_mrz(MRZ)
DATA_ONLY = Policy(name="data-only", clone_detection="data_only_accepted")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def trust() -> TrustStore:
    store = TrustStore(allow_test_pki=True)
    store.add_bytes(TestPKI().csca_pem(), "the test CSCAs and their CRLs")
    return store


@pytest.fixture(scope="module")
def genuine(trust: TrustStore) -> Document:
    return read_document("sim", KEY, trust=trust, policy=DATA_ONLY)


def test_the_default_chip_is_genuine_under_a_data_only_policy(genuine: Document) -> None:
    assert genuine.verdict.genuine, genuine.verdict.reasons
    assert genuine.verdict.checks["binding"].status == "passed"
    assert genuine.verdict.checks["completeness"].status == "passed"


@pytest.mark.parametrize("withheld", ["DG2", "DG1"])
def test_a_withheld_data_group_is_never_genuine(
    genuine: Document, trust: TrustStore, withheld: str
) -> None:
    """EF.SOD lists the group, the chip answered 6A82 / 6982 for it: the rest verifies, the
    document is not whole (finding 6)."""
    files = {name: data for name, data in genuine.files.items() if name != withheld}
    read = ReadResult(files=files, denied=[withheld])
    document = Document.from_read(read, trust=trust, policy=DATA_ONLY, key=KEY)
    assert document.passive.outcome.status == "passed"  # what was read verifies
    assert document.passive.data_groups[withheld].code == "passive.dg_not_read"
    assert document.verdict.checks["completeness"].code == "completeness.dg_withheld"
    assert withheld in document.verdict.checks["completeness"].reason
    assert not document.verdict.genuine


def test_mrtd_verify_of_a_dump_without_dg2_is_not_genuine(
    genuine: Document, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It exited 0 at 17dbb10, even under the strict policy."""
    for name, data in genuine.files.items():
        if name != "DG2":
            (tmp_path / f"{name}.bin").write_bytes(data)
    csca = TestPKI().export_csca(tmp_path.parent / f"{tmp_path.name}-csca.pem")
    policy = tmp_path.parent / f"{tmp_path.name}-data-only.toml"
    policy.write_text('clone_detection = "data_only_accepted"\n')
    args = [
        "verify",
        str(tmp_path),
        "--csca",
        str(csca),
        "--allow-test-pki",
        "--policy",
        str(policy),
        "--json",
    ]
    assert main(args) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "incomplete"
    assert "completeness.dg_withheld" in report["verdict_codes"]


def test_a_chip_opened_with_another_mrz_fails(genuine: Document, trust: TrustStore) -> None:
    """A chip opened with A's MRZ that serves B's signed files (finding 10): everything B's
    verifies, but the key is not DG1's."""
    other = MRZKey("X" + MRZ.document_number[1:], MRZ.birth_date_text, MRZ.expiry_date_text)
    read = ReadResult(files=dict(genuine.files), access=genuine.access)
    document = Document.from_read(read, trust=trust, policy=DATA_ONLY, key=other)
    assert document.passive.outcome.status == "passed"
    assert document.verdict.checks["binding"].code == "binding.key_mismatch"
    assert document.verdict.summary == "failed"
    same = Document.from_read(read, trust=trust, policy=DATA_ONLY, key=KEY)
    assert same.verdict.genuine


# -- the same findings from a hostile chip ([faults], the malicious-chip campaign) ------------

CHIP_WITH_KEYS = 'aa = "ecdsa-brainpoolP256r1-sha256"\nca = "ecdh-brainpoolP256r1-aes128"'


def read_sim(tmp_path: Path, trust: TrustStore, chip: str, faults: str) -> Document:
    path = tmp_path / "chip.toml"
    path.write_text(f"[chip]\n{chip}\n[faults]\n{faults}\n", encoding="utf-8")
    return read_document(f"sim:{path}", KEY, trust=trust)


@pytest.mark.parametrize("status", ["6a82", "6982"])
@pytest.mark.parametrize("group", ["DG1", "DG2", "DG11"])
def test_a_chip_that_withholds_a_signed_group_is_not_genuine(
    tmp_path: Path, trust: TrustStore, status: str, group: str
) -> None:
    """`withhold-6a82` / `withhold-6982`: EF.COM lists the group, EF.SOD hashes it, the chip
    answers not found or security status not satisfied (finding 6, from the chip)."""
    chip = f"{CHIP_WITH_KEYS}\ndata_groups = [1, 2, 11]"
    faults = f'hostile = "withhold-{status}"\ntarget_file = "{group}"'
    document = read_sim(tmp_path, trust, chip, faults)
    assert group in (*document.denied, *document.absent)
    completeness = document.verdict.checks["completeness"]
    assert completeness.code == "completeness.dg_withheld"
    assert group in completeness.reason
    assert not document.verdict.genuine
    whole = read_sim(tmp_path, trust, chip, "")
    assert whole.verdict.genuine, whole.verdict.reasons


def test_dg3_behind_eac_may_stay_unread(tmp_path: Path, trust: TrustStore) -> None:
    chip = f"{CHIP_WITH_KEYS}\ndata_groups = [1, 2, 3]"
    document = read_sim(tmp_path, trust, chip, 'hostile = "withhold-6a82"\ntarget_file = "DG3"')
    assert document.verdict.genuine, document.verdict.reasons


def test_a_chip_with_another_holders_files_fails(tmp_path: Path, trust: TrustStore) -> None:
    """`other-holder`: the chip opens with this MRZ, its files (signed, with their own AA and
    CA keys, which the chip holds) are another holder's (finding 10, from the chip)."""
    document = read_sim(tmp_path, trust, CHIP_WITH_KEYS, 'hostile = "other-holder"')
    assert document.passive.outcome.status == "passed"
    assert document.verdict.chip.code == "chip.passed"
    assert document.verdict.active.code == "active.passed"
    assert document.mrz is not None
    assert document.mrz.document_number != MRZ.document_number
    assert document.verdict.checks["binding"].code == "binding.key_mismatch"
    assert document.verdict.summary == "failed"


@pytest.mark.parametrize(
    ("faults", "message"),
    [
        ({"hostile": "withhold-6982"}, "withholds a file: give target_file only"),
        ({"hostile": "withhold-6a82", "target_file": "DG2", "at_apdu": 3}, "target_file only"),
        ({"hostile": "other-holder", "target_file": "DG1"}, "other-holder takes no target_file"),
    ],
)
def test_bad_withhold_and_holder_faults_are_refused(
    faults: dict[str, object], message: str
) -> None:
    with pytest.raises(ProfileError, match=message):
        Profile.from_dict({"faults": faults})


def test_a_withheld_file_must_be_on_the_chip() -> None:
    profile = Profile.from_dict({"faults": {"hostile": "withhold-6982", "target_file": "DG11"}})
    with pytest.raises(ProfileError, match="the chip has no such file"):
        SimulatedChip(profile)
