"""Issue 17's findings on the document as a whole: withheld data groups (6) and an access key
that is not DG1's (10) never read genuine, whatever else passed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mrtd import MRZKey, Policy, ReadResult, TrustStore, read_document
from mrtd.cli import main
from mrtd.pipeline.document import Document
from mrtd.sim.pki import TestPKI
from mrtd.sim.profile import Profile

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
