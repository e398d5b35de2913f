"""The file table of 9303-10 and recognising a dumped file by its tag."""

from __future__ import annotations

import pytest

from mrtd import tlv
from mrtd.errors import DecodeError
from mrtd.lds import EMRTD_AID, LDS_FILES, LDS_TAGS, file_for_tag, lds_tag_of
from tests.shared_data import shared_data_path
from tests.sim_files import sim_files


def test_table_of_9303_10() -> None:
    com, sod = LDS_FILES["EF.COM"], LDS_FILES["EF.SOD"]
    assert (com.fid, com.sfi, com.tag, com.in_master_file) == (0x011E, 0x1E, 0x60, False)
    assert (sod.fid, sod.sfi, sod.tag) == (0x011D, 0x1D, 0x77)
    access, security = LDS_FILES["EF.CardAccess"], LDS_FILES["EF.CardSecurity"]
    assert (access.fid, access.sfi, access.tag, access.in_master_file) == (0x011C, 0x1C, None, True)
    assert (security.fid, security.sfi, security.in_master_file) == (0x011D, 0x1D, True)
    for n in range(1, 17):
        dg = LDS_FILES[f"DG{n}"]
        assert (dg.fid, dg.sfi, dg.dg_number, dg.in_master_file) == (0x0100 + n, n, n, False)
    assert com.dg_number is None
    assert EMRTD_AID.hex().upper() == "A0000002471001"


def test_tags() -> None:
    assert LDS_TAGS[0x60] == "EF.COM"
    assert LDS_TAGS[0x77] == "EF.SOD"
    expected = [0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68]
    expected += [0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70]
    assert [LDS_FILES[f"DG{n}"].tag for n in range(1, 17)] == expected
    assert len(LDS_TAGS) == 18
    assert file_for_tag(0x75) is LDS_FILES["DG2"]
    with pytest.raises(DecodeError, match="tag 30 is not an LDS file tag"):
        file_for_tag(0x30)


def test_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        LDS_FILES["DG1"] = LDS_FILES["DG2"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("name", "tag"),
    [("EF_COM.bin", 0x60), ("Datagroup1.bin", 0x61), ("Datagroup2.bin", 0x75)],
)
def test_recognise_dumped_files(name: str, tag: int) -> None:
    data = shared_data_path("lds", "bsi2008", name).read_bytes()
    assert lds_tag_of(data) == tag
    assert lds_tag_of(data[:4]) == tag  # the first bytes are enough


def test_recognise_the_simulated_chips_files() -> None:
    for name, data in sim_files().items():
        assert file_for_tag(lds_tag_of(data)).name == name
        assert lds_tag_of(data[:4]) == lds_tag_of(data)  # the first bytes are enough


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "too few"),
        (b"\x75\x82\x01", "too few"),
        (b"\x30\x03\x02\x01\x00", "tag 30 is not an LDS file tag"),
        (b"\x00\x00", "invalid tag byte"),
        (bytes.fromhex("75 84 7FFFFFFF"), "exceeds the limit"),
    ],
)
def test_lds_tag_of_refuses(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        lds_tag_of(data)


def test_sod_tag_is_recognised() -> None:
    assert lds_tag_of(tlv.encode(0x77, tlv.encode(0x30, b""))) == 0x77
