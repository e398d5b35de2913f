"""The terminal reads the simulated chip in process: BAC, secure messaging, every file."""

from __future__ import annotations

import dataclasses
import hashlib
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mrtd import tlv
from mrtd.access.keys import MRZKey
from mrtd.errors import BACError, DecodeError, SecureMessagingError
from mrtd.lds import LDS_FILES, DG1File, DG2File
from mrtd.lds.sod import SODFile
from mrtd.pipeline.read_chip import read_document
from mrtd.pipeline.session import Session
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.files import ChipFile, build_files, face_jpeg
from mrtd.sim.profile import Profile

DEFAULT = Profile.default()
KEY = MRZKey.from_mrz(DEFAULT.mrz)


def _profile(**chip: Any) -> Profile:
    return Profile.from_dict({"chip": chip})


def test_full_read_of_the_default_chip() -> None:
    chip = SimulatedChip(DEFAULT)
    document = read_document(SimulatedReader(chip), KEY)
    assert set(document.files) == {"EF.COM", "EF.SOD", "DG1", "DG2"}
    assert document.access_protocol == "BAC"
    assert document.mrz is not None
    assert document.mrz.lines == DEFAULT.mrz.lines
    assert [face.image for face in document.faces] == [face_jpeg()]
    assert document.faces[0].mime_type == "image/jpeg"
    assert document.sod is not None
    for name in ("DG1", "DG2"):
        number = int(name[2:])
        digest = hashlib.sha256(document.files[name]).digest()
        assert document.sod.data_group_hashes[number] == digest
    assert document.verdict.summary == "incomplete"
    assert document.verdict.expiry.status == "passed"
    assert document.problems == ()


def test_apdu_count_is_the_minimum_max_response_allows() -> None:
    chip = SimulatedChip(DEFAULT)
    document = read_document(SimulatedReader(chip), KEY, access="bac")
    reads = sum(math.ceil(len(data) / 223) for data in document.files.values())
    assert document.stats.apdus == 3 + reads  # SELECT, GET CHALLENGE, MUTUAL AUTHENTICATE
    assert chip.apdus == document.stats.apdus


def test_auto_access_costs_one_probe_of_ef_cardaccess_on_a_bac_only_chip() -> None:
    chip = SimulatedChip(DEFAULT)
    document = read_document(SimulatedReader(chip), KEY)
    reads = sum(math.ceil(len(data) / 223) for data in document.files.values())
    assert document.stats.apdus == 1 + 3 + reads  # READ BINARY EF.CardAccess -> 6A82
    assert document.access.protocol == "BAC"
    assert not document.access.downgraded
    assert document.stats.bytes_received > sum(len(d) for d in document.files.values())


@pytest.mark.parametrize("max_response", [16, 100, 223, 231, 255])
def test_any_max_response(max_response: int) -> None:
    """Down to 16 bytes per answer; fewer is a chip dripping its files (the campaign's
    "drip" case), refused after a few dozen pieces."""
    chip = SimulatedChip(_profile(max_response=max_response))
    document = read_document(SimulatedReader(chip), KEY)
    assert document.files["DG2"] == chip.files[LDS_FILES["DG2"].fid].data


def test_extended_length_reads_each_file_in_one_apdu() -> None:
    chip = SimulatedChip(_profile(extended_length=True, max_response=65536))
    document = read_document(SimulatedReader(chip), KEY)
    assert document.stats.apdus == 1 + 3 + len(document.files)  # EF.CardAccess probed first
    assert document.files["DG2"] == chip.files[LDS_FILES["DG2"].fid].data


def test_eof_answered_with_9000_or_6282() -> None:
    for status in ("9000", "6282"):
        chip = SimulatedChip(_profile(eof_status=status))
        assert read_document(SimulatedReader(chip), KEY).files.keys() >= {"DG1", "DG2"}


def test_eac_protected_groups_are_access_denied_not_errors() -> None:
    chip = SimulatedChip(_profile(data_groups=[1, 2, 3, 4]))
    document = read_document(SimulatedReader(chip), KEY)
    assert document.denied == ("DG3", "DG4")
    assert set(document.files) == {"EF.COM", "EF.SOD", "DG1", "DG2"}
    assert document.sod is not None
    assert set(document.sod.data_group_hashes) == {1, 2, 3, 4}


def test_wrong_mrz_is_access_denied() -> None:
    wrong = MRZKey("X1234567", "800101", "300101")
    with pytest.raises(BACError, match="access denied"):
        read_document(SimulatedReader(SimulatedChip(DEFAULT)), wrong)


class Tamper(SimulatedReader):
    """A transport that flips one bit in the n-th response."""

    def __init__(self, chip: SimulatedChip, at: int) -> None:
        super().__init__(chip)
        self.at, self.count = at, 0

    def transmit(self, apdu: bytes) -> bytes:
        answer = bytearray(super().transmit(apdu))
        self.count += 1
        if self.count == self.at:
            answer[len(answer) // 2] ^= 0x01
        return bytes(answer)


def test_tampered_response_mac_is_a_secure_messaging_error_and_keeps_what_was_read() -> None:
    with pytest.raises(SecureMessagingError) as caught:
        read_document(Tamper(SimulatedChip(DEFAULT), at=8), KEY)
    assert caught.value.partial is not None
    assert "EF.COM" in caught.value.partial.files  # read before the tampered answer, not lost


def _chip_with_dg11(value_size: int, **chip: Any) -> tuple[SimulatedChip, bytes]:
    profile = _profile(data_groups=[1, 2, 11], **chip)
    files = build_files(profile)
    info = LDS_FILES["DG11"]
    data = tlv.encode(info.tag or 0, bytes((i * 7 + 3) % 256 for i in range(value_size)))
    files[info.fid] = ChipFile("DG11", info.fid, info.sfi, data)
    return SimulatedChip(profile, files=files), data


SIZES = st.one_of(
    st.integers(0, 70_000),
    st.sampled_from(
        [
            0,
            1,
            127,
            128,
            218,
            219,
            220,
            221,
            222,
            223,
            224,
            446,
            447,
            32_760,
            32_762,
            32_763,
            32_764,
            32_765,
            32_766,
            32_767,
            32_768,
            65_531,
            65_535,
            69_996,
        ]
    ),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SIZES)
def test_round_trip_any_file_size(value_size: int) -> None:
    chip, data = _chip_with_dg11(value_size)
    session = Session(SimulatedReader(chip))
    session.open_bac(KEY)
    assert session.read_file(LDS_FILES["DG11"]) == data


def test_chip_claiming_a_16_mb_file_is_refused_clearly() -> None:
    profile = _profile(data_groups=[1, 2, 11])
    files = build_files(profile)
    info = LDS_FILES["DG11"]
    liar = b"\x6b\x84\x01\x00\x00\x00" + bytes(200)  # claims 16 MB
    files[info.fid] = ChipFile("DG11", info.fid, info.sfi, liar)
    session = Session(SimulatedReader(SimulatedChip(profile, files=files)))
    session.open_bac(KEY)
    with pytest.raises(DecodeError, match="exceeds the limit of 1048576 bytes"):
        session.read_file(LDS_FILES["DG11"])
    assert session.stats.apdus == 4  # SELECT, GET CHALLENGE, MUTUAL AUTHENTICATE, one read


def test_parsed_files_match_what_the_chip_built() -> None:
    chip = SimulatedChip(DEFAULT)
    document = read_document(SimulatedReader(chip), KEY)
    assert DG1File.from_bytes(document.files["DG1"]).mrz.lines == DEFAULT.mrz.lines
    assert len(DG2File.from_bytes(document.files["DG2"]).faces) == 1
    sod = SODFile.from_bytes(document.files["EF.SOD"])
    assert sod.signer_certificate is not None


def test_dg11_and_dg12_are_read_and_parsed() -> None:
    profile = Profile.from_dict(
        {"chip": {"data_groups": [1, 2, 11, 12]}, "details": {"date_of_issue": "20250101"}}
    )
    document = read_document(SimulatedReader(SimulatedChip(profile)), KEY)
    assert document.personal_details is not None
    assert document.personal_details.surname == DEFAULT.mrz.surname
    assert document.personal_details.birth_date == DEFAULT.mrz.birth_date
    assert document.document_details is not None
    assert document.document_details.issuing_authority == "UTOPIA PASSPORT OFFICE"
    assert str(document.document_details.date_of_issue) == "2025-01-01"


@pytest.mark.parametrize("answer", ["6700", "6C"])
@pytest.mark.parametrize("max_response", [100, 223])
def test_chip_refusing_a_large_le_is_read_to_the_end(answer: str, max_response: int) -> None:
    chip = SimulatedChip(_profile(le_too_large=answer, max_response=max_response))
    document = read_document(SimulatedReader(chip), KEY)
    assert document.files["DG2"] == chip.files[LDS_FILES["DG2"].fid].data  # SSC stayed in step


def test_chip_refusing_extended_length_is_read_with_short_apdus() -> None:
    chip = SimulatedChip(DEFAULT)  # extended_length = false: extended APDUs get a plain 6700
    session = Session(SimulatedReader(chip), extended_length=True)
    result = session.read_document(KEY)
    assert result.files["DG2"] == chip.files[LDS_FILES["DG2"].fid].data
    assert session.policy is not None
    assert session.policy.extended_max == 0


class EndsSMOnce(SimulatedReader):
    """A chip that answers 6988 without SM to its 10th APDU, or with at=None to every
    protected APDU (and drops its channel)."""

    def __init__(self, chip: SimulatedChip, at: int | None = 10) -> None:
        super().__init__(chip)
        self.at, self.count = at, 0

    def transmit(self, apdu: bytes) -> bytes:
        self.count += 1
        if self.count == self.at or (self.at is None and apdu[0] == 0x0C):
            self.chip.reset()
            return b"\x69\x88"
        return super().transmit(apdu)


def test_chip_ending_secure_messaging_once_is_recovered() -> None:
    chip = SimulatedChip(DEFAULT)
    session = Session(EndsSMOnce(chip))
    result = session.read_document(KEY)
    assert result.files["DG2"] == chip.files[LDS_FILES["DG2"].fid].data
    assert session.stats.reopened == 1


def test_chip_ending_secure_messaging_every_time_is_an_error() -> None:
    transport = EndsSMOnce(SimulatedChip(DEFAULT), at=None)
    with pytest.raises(SecureMessagingError, match="session ended"):
        Session(transport).read_document(KEY)
    # EF.CardAccess probe, one try, BAC again, one more try: no loop
    assert transport.count == 1 + 4 + 3 + 1


def test_a_data_group_changed_on_the_chip_fails_passive_authentication() -> None:
    chip = SimulatedChip(DEFAULT)
    fid = LDS_FILES["DG1"].fid
    original = chip.files[fid]
    chip.files[fid] = dataclasses.replace(
        original, data=original.data.replace(b"SPECIMEN", b"SPECIMAN")
    )
    document = read_document(SimulatedReader(chip), KEY)
    assert document.verdict.passive.status == "failed"
    assert "DG1 does not match its hash in EF.SOD" in document.verdict.passive.reason
    assert document.verdict.summary == "failed"


def test_an_unaltered_read_verifies_hashes_and_signature_but_is_not_genuine() -> None:
    document = read_document(SimulatedReader(SimulatedChip(DEFAULT)), KEY)
    assert document.verdict.passive.status == "not_checked"
    assert "hashes and DS signature verify" in document.verdict.passive.reason
    assert document.verdict.summary == "incomplete"
