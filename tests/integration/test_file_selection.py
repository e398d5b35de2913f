"""Chips without short file identifier support (issue 18, item 3): a READ BINARY with
P1 = 80 | SFI is refused, so files are read after SELECT by file ID; the session learns it once.
And a chip whose EF.COM is unreadable and EF.SOD missing still gives DG1 and DG2."""

from __future__ import annotations

from typing import Any

import pytest

from mrtd.access.keys import MRZKey
from mrtd.lds import LDS_FILES
from mrtd.pipeline.document import Document
from mrtd.pipeline.read_chip import read_document
from mrtd.pipeline.session import Session
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.files import build_files
from mrtd.sim.pki import TestPKI
from mrtd.sim.profile import Profile
from mrtd.verify.trust import TrustStore

BAC: dict[str, Any] = {"access": ["bac"], "aa": "ecdsa-brainpoolP256r1-sha256"}
PACE: dict[str, Any] = {"access": ["pace", "bac"], "ca": "ecdh-brainpoolP256r1-aes128",
                        "data_groups": [1, 2, 11]}  # fmt: skip


class CountingChip(SimulatedChip):
    """Records each command's INS and P1 (the header stays plain under secure messaging)."""

    def __init__(self, profile: Profile) -> None:
        super().__init__(profile)
        self.headers: list[tuple[int, int]] = []

    def transmit(self, raw: bytes) -> bytes:
        self.headers.append((raw[1], raw[2]))
        return super().transmit(raw)

    def sfi_reads(self) -> int:
        return sum(1 for ins, p1 in self.headers if ins == 0xB0 and p1 & 0x80)

    def selects_by_fid(self) -> int:
        return sum(1 for ins, p1 in self.headers if ins == 0xA4 and p1 == 0x02)


@pytest.fixture(scope="module")
def trust() -> TrustStore:
    store = TrustStore(allow_test_pki=True)
    store.add_bytes(TestPKI().all_csca_pem(), source="test CSCA")
    return store


def read(chip: SimulatedChip, trust: TrustStore | None = None) -> Document:
    return read_document(SimulatedReader(chip), MRZKey.from_mrz(chip.profile.mrz), trust=trust)


def chip_bytes(chip: SimulatedChip) -> dict[str, bytes]:
    return {f.name: f.data for f in (*chip.files.values(), *chip.master_files.values())}


@pytest.mark.parametrize("settings", [BAC, PACE], ids=["bac", "pace"])
def test_a_chip_without_sfi_is_read_whole_after_select_by_file_id(
    settings: dict[str, Any], trust: TrustStore
) -> None:
    with_sfi = CountingChip(Profile.from_dict({"chip": settings}))
    without = CountingChip(Profile.from_dict({"chip": {**settings, "sfi": False}}))
    expected, got = read(with_sfi, trust), read(without, trust)

    assert sorted(got.files) == sorted(expected.files)
    assert {"EF.COM", "EF.SOD", "DG1", "DG2"} <= set(got.files)
    assert got.absent == expected.absent == ()
    own = chip_bytes(without)
    for name, data in got.files.items():
        assert data == own[name], name
    assert got.access.protocol == expected.access.protocol
    assert got.verdict.passive.status == expected.verdict.passive.status == "passed"
    assert got.verdict.chip.status == expected.verdict.chip.status
    assert got.verdict.active.status == expected.verdict.active.status
    assert got.problems == expected.problems


@pytest.mark.parametrize("settings", [BAC, PACE], ids=["bac", "pace"])
def test_the_switch_to_select_happens_once(settings: dict[str, Any]) -> None:
    with_sfi = CountingChip(Profile.from_dict({"chip": settings}))
    without = CountingChip(Profile.from_dict({"chip": {**settings, "sfi": False}}))
    expected, got = read(with_sfi), read(without)

    # A BAC chip has no EF.CardAccess: its refused SFI read teaches nothing (the SELECT that
    # follows finds no file either), EF.COM's does. A PACE chip's EF.CardAccess does.
    tried = 2 if "EF.CardAccess" not in got.files else 1
    assert without.sfi_reads() == tried  # refused until a file read after SELECT, then no more
    last_sfi = max(i for i, (ins, p1) in enumerate(without.headers) if ins == 0xB0 and p1 & 0x80)
    assert without.headers[last_sfi + 1] == (0xA4, 0x02)
    assert with_sfi.selects_by_fid() == 0
    # Every file read is selected once by its FID (and a BAC chip's absent EF.CardAccess); the
    # file that taught the session also cost the refused read.
    assert without.selects_by_fid() == len(got.files) + tried - 1
    assert without.apdus == with_sfi.apdus + without.selects_by_fid() + 1
    assert sorted(got.files) == sorted(expected.files)


def test_the_session_records_that_the_chip_takes_no_sfi() -> None:
    for sfi in (True, False):
        profile = Profile.from_dict({"chip": {"sfi": sfi}})
        session = Session(SimulatedReader(SimulatedChip(profile)))
        result = session.read_document(MRZKey.from_mrz(profile.mrz), authenticate=False)
        assert session.select_by_fid is not sfi
        assert {"EF.COM", "EF.SOD", "DG1", "DG2"} <= set(result.files)


@pytest.mark.parametrize("sfi", [True, False], ids=["sfi", "no-sfi"])
@pytest.mark.parametrize("com", ["missing", "garbled"])
def test_unreadable_com_and_missing_sod_still_read_dg1_and_dg2(sfi: bool, com: str) -> None:
    profile = Profile.from_dict({"chip": {"sfi": sfi}})
    files = build_files(profile)
    del files[LDS_FILES["EF.SOD"].fid]
    com_fid = LDS_FILES["EF.COM"].fid
    if com == "missing":
        del files[com_fid]
    else:
        files[com_fid] = type(files[com_fid])("EF.COM", com_fid, 0x1E, b"\x60\x03\x01\x02\x03")
    chip = SimulatedChip(profile, files=files)
    document = read(chip)

    assert document.files["DG1"] == files[LDS_FILES["DG1"].fid].data
    assert document.files["DG2"] == files[LDS_FILES["DG2"].fid].data
    assert "EF.SOD" in document.absent
    assert document.mrz == profile.mrz
