"""Chips without short file identifier support (issue 18, item 3): a READ BINARY with
P1 = 80 | SFI is refused, so files are read after SELECT by file ID; the session learns it once.
And a chip whose EF.COM is unreadable and EF.SOD missing still gives DG1 and DG2."""

from __future__ import annotations

from typing import Any

import pytest

from mrtd.access.keys import CANKey, MRZKey
from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.errors import BACError
from mrtd.lds import LDS_FILES
from mrtd.pipeline.document import Document
from mrtd.pipeline.read_chip import read_document
from mrtd.pipeline.session import AccessMode, Session
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


# -- how other chips refuse an SFI read, and how they take SELECT ------------------------------


class RefusingChip(SimulatedChip):
    """A chip as real ones differ from the simulated one: it answers every READ BINARY by SFI
    with `sfi_sw`, or only those of `no_sfi` (files it gave no SFI) with 6A82; and takes SELECT
    by file ID with `select_p2` only (04 or 00: answering with its FCP or FCI)."""

    def __init__(
        self,
        profile: Profile,
        *,
        sfi_sw: int | None = None,
        no_sfi: tuple[str, ...] = (),
        select_p2: int | None = None,
    ) -> None:
        super().__init__(profile)
        self.sfi_sw, self.no_sfi, self.select_p2 = sfi_sw, no_sfi, select_p2

    def _read_binary(self, command: CommandAPDU) -> ResponseAPDU:
        if command.ins == 0xB0 and command.p1 & 0x80:
            if self.sfi_sw is not None:
                return ResponseAPDU(b"", self.sfi_sw)
            chip_file = self._by_sfi(command.p1 & 0x1F)
            if chip_file is not None and chip_file.name in self.no_sfi:
                return ResponseAPDU(b"", 0x6A82)
        return super()._read_binary(command)

    def _select(self, command: CommandAPDU) -> ResponseAPDU:
        if command.p1 != 0x02 or self.select_p2 is None:
            return super()._select(command)
        if command.p2 != self.select_p2:
            return ResponseAPDU(b"", 0x6A86)
        answer = super()._select(command)
        fcp = bytes.fromhex("620A8002005A8202010183020101")
        return ResponseAPDU(fcp, answer.sw) if answer.ok else answer


def read_refusing(settings: dict[str, Any], trust: TrustStore, **how: Any) -> Document:
    return read(RefusingChip(Profile.from_dict({"chip": settings}), **how), trust)


@pytest.mark.parametrize("sw", [0x6982, 0x6A81, 0x6A82, 0x6986, 0x6B00], ids="{:04X}".format)
@pytest.mark.parametrize("settings", [BAC, PACE], ids=["bac", "pace"])
def test_any_refusal_real_chips_give_an_sfi_read_falls_back_to_select(
    settings: dict[str, Any], sw: int, trust: TrustStore
) -> None:
    """6982 (security status not satisfied) and 6A81 (function not supported) too: a chip
    answering an SFI read so had every file listed as denied, or no file read at all."""
    expected = read(SimulatedChip(Profile.from_dict({"chip": settings})), trust)
    got = read_refusing(settings, trust, sfi_sw=sw)
    assert sorted(got.files) == sorted(expected.files)
    assert got.denied == got.absent == ()
    assert got.access.protocol == expected.access.protocol
    assert not got.access.downgraded
    assert got.verdict.passive.status == "passed"


def test_a_data_group_without_an_sfi_is_read_after_select(trust: TrustStore) -> None:
    """A chip that gives SFIs to some files only: DG11, listed and hashed, answers 6A82 by SFI
    and is read after SELECT, not recorded as absent."""
    got = read_refusing(BAC | {"data_groups": [1, 2, 11]}, trust, no_sfi=("DG11",))
    assert "DG11" in got.files
    assert got.absent == ()


@pytest.mark.parametrize("p2", [0x04, 0x00])
@pytest.mark.parametrize("settings", [BAC, PACE], ids=["bac", "pace"])
def test_a_chip_taking_select_with_another_p2_is_read_whole(
    settings: dict[str, Any], p2: int, trust: TrustStore
) -> None:
    expected = read(SimulatedChip(Profile.from_dict({"chip": settings})), trust)
    chip = RefusingChip(Profile.from_dict({"chip": {**settings, "sfi": False}}), select_p2=p2)
    got = read(chip, trust)
    assert sorted(got.files) == sorted(expected.files)
    assert got.verdict.passive.status == "passed"


PACE_ONLY: dict[str, Any] = {"access": ["pace"], "data_groups": [1, 2]}


CAM: dict[str, Any] = {"access": ["pace", "bac"], "pace": [{"mapping": "CAM"}]}


@pytest.mark.parametrize(
    "settings", [PACE_ONLY, PACE, CAM], ids=["pace-only", "pace-and-bac", "pace-cam-and-bac"]
)
def test_ef_cardaccess_without_an_sfi_still_gives_pace(
    settings: dict[str, Any], trust: TrustStore
) -> None:
    """EF.CardAccess 'not found' by SFI (a PACE chip without SFI support, or one that gave
    EF.CardAccess none) was taken as no PACE: a PACE-only chip then refused BAC and the read
    ended 'access denied: the MRZ is probably wrong' with the right MRZ; a PACE and BAC chip
    was read with BAC and reported downgraded (verdict failed). EF.CardAccess is looked for by
    its file ID when BAC is refused, or when the signed DG14 lists PACE."""
    expected = read(SimulatedChip(Profile.from_dict({"chip": settings})), trust)
    got = read_refusing(settings, trust, no_sfi=("EF.CardAccess",))
    assert got.access.protocol == "PACE"
    assert not got.access.downgraded
    assert sorted(got.files) == sorted(expected.files)
    assert got.verdict.summary == expected.verdict.summary
    assert got.verdict.checks["access"].status == "passed"


@pytest.mark.parametrize("access", ["pace", "auto"])
def test_a_can_on_a_chip_whose_ef_cardaccess_has_no_sfi(access: AccessMode) -> None:
    profile = Profile.from_dict({"chip": {**PACE_ONLY, "can": "123456"}})
    chip = RefusingChip(profile, no_sfi=("EF.CardAccess",))
    document = read_document(SimulatedReader(chip), CANKey("123456"), access=access)
    assert document.access.protocol == "PACE"


def test_a_wrong_mrz_on_a_bac_chip_costs_two_apdus_more_and_is_still_a_wrong_key() -> None:
    """The look for EF.CardAccess by file ID after BAC is refused: SELECT MF, SELECT 011C."""
    chip = SimulatedChip(Profile.from_dict({"chip": BAC}))
    with pytest.raises(BACError, match="probably wrong"):
        read_document(SimulatedReader(chip), MRZKey("X1234567", "800101", "300101"))
    assert chip.apdus == 1 + 3 + 2  # EF.CardAccess by SFI, SELECT, GET CHALLENGE, MUTUAL AUTH


class RefusingPACE(RefusingChip):
    """EF.CardAccess without an SFI, and MSE:Set AT refused: PACE offered but not run."""

    def _manage_security_environment(self, command: CommandAPDU) -> ResponseAPDU:
        if command.p1 == 0xC1:
            return ResponseAPDU(b"", 0x6A80)
        return super()._manage_security_environment(command)


def test_pace_refused_after_dg14_named_it_is_read_with_bac_as_downgraded(
    trust: TrustStore,
) -> None:
    chip = RefusingPACE(Profile.from_dict({"chip": PACE}), no_sfi=("EF.CardAccess",))
    got = read(chip, trust)
    assert got.access.protocol == "BAC"
    assert got.access.downgraded
    assert "PACE failed" in got.access.reason
    assert {"EF.COM", "EF.SOD", "DG1", "DG2", "DG11", "DG14"} <= set(got.files)
    assert got.verdict.passive.status == "passed"


def test_no_ef_cardaccess_at_all_on_a_chip_whose_dg14_lists_pace(trust: TrustStore) -> None:
    """Looking for EF.CardAccess by its file ID after DG14 dropped BAC's channel: when it is not
    there either, BAC is opened again and the read goes on, reported downgraded (it went on
    without a channel: DG1 and DG2 unread; fixed in ddd69f9, found by the campaign)."""
    chip = RefusingChip(Profile.from_dict({"chip": PACE}))
    card_access = LDS_FILES["EF.CardAccess"].fid
    del chip.master_files[card_access]
    got = read(chip, trust)
    assert got.access.protocol == "BAC"
    assert got.access.downgraded
    assert {"EF.COM", "EF.SOD", "DG1", "DG2", "DG11", "DG14"} <= set(got.files)
    assert got.verdict.passive.status == "passed"
    assert got.verdict.chip.status == "passed"
