"""EF.COM: the BSI specimens, the builder, and malformed files."""

from __future__ import annotations

import pytest

from mrtd import tlv
from mrtd.errors import DecodeError
from mrtd.lds import COMFile, build_com
from tests.shared_data import shared_data_path


@pytest.mark.parametrize(
    ("folder", "groups"), [("bsi2008", (1, 2, 3, 14)), ("bsi-dataset-2", (1, 2, 3, 4, 14))]
)
def test_bsi_specimens(folder: str, groups: tuple[int, ...]) -> None:
    com = COMFile.from_bytes(shared_data_path("lds", folder, "EF_COM.bin").read_bytes())
    assert (com.lds_version, com.unicode_version) == ("0107", "040000")
    assert com.data_groups == groups
    assert com.tags[:2] == (0x61, 0x75)


def test_build_then_parse() -> None:
    data = build_com([1, 2, 14, 15])
    assert data == bytes.fromhex("60 16 5F01 04 30313038 5F36 06 303430303030 5C 04 61756E6F")
    com = COMFile.from_bytes(data)
    assert com == COMFile("0108", "040000", (0x61, 0x75, 0x6E, 0x6F))
    assert com.data_groups == (1, 2, 14, 15)


def test_build_reproduces_bsi_2008() -> None:
    data = shared_data_path("lds", "bsi2008", "EF_COM.bin").read_bytes()
    assert build_com([1, 2, 3, 14], lds_version="0107") == data


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([1, 1],), "twice"),
        (([0],), "1..16"),
        (([17],), "1..16"),
        (([1], "108"), "4 digits"),
        (([1], "0108", "4.0.0"), "6 digits"),
    ],
)
def test_build_refuses_bad_arguments(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_com(*args)  # type: ignore[arg-type]


def test_unknown_tags_are_kept_but_not_counted_as_data_groups() -> None:
    body = tlv.encode(0x5F01, b"0108") + tlv.encode(0x5F36, b"040000")
    com = COMFile.from_bytes(tlv.encode(0x60, body + tlv.encode(0x5C, bytes.fromhex("61 77 5F1F"))))
    assert com.tags == (0x61, 0x77, 0x5F1F)
    assert com.data_groups == (1,)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (tlv.encode(0x61, b""), "tag 60, not 61"),
        (tlv.encode(0x60, tlv.encode(0x5F36, b"040000") + tlv.encode(0x5C, b"a")), "5F01 missing"),
        (
            tlv.encode(0x60, tlv.encode(0x5F01, b"01a7") + tlv.encode(0x5F36, b"040000")),
            "LDS version is not 4 ASCII digits",
        ),
        (
            tlv.encode(0x60, tlv.encode(0x5F01, b"0107") + tlv.encode(0x5F36, b"04000")),
            "Unicode version is not 6",
        ),
        (
            tlv.encode(0x60, tlv.encode(0x5F01, b"0107") + tlv.encode(0x5F36, b"040000")),
            "5C missing",
        ),
        (build_com([1, 2])[:-1], "runs 1 byte"),
        (build_com([1, 2]) + b"\x00", "1 trailing byte"),
    ],
)
def test_malformed(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        COMFile.from_bytes(data)
