"""DG1: the BSI specimens, the builder for every MRZ format, and malformed files."""

from __future__ import annotations

from datetime import date

import pytest

from mrtd import tlv
from mrtd.errors import DecodeError
from mrtd.lds import DG1File, build_dg1
from mrtd.mrz import MRZFormat
from tests.conftest import TODAY, VECTORS
from tests.shared_data import shared_data_path

SPECIMENS = {
    MRZFormat.TD1: "mrz.specimen.TD1",
    MRZFormat.TD2: "mrz.specimen.TD2",
    MRZFormat.TD3: "mrz.specimen.TD3",
}


@pytest.mark.parametrize("folder", ["bsi2008", "bsi-dataset-2"])
def test_bsi_specimens(folder: str) -> None:
    data = shared_data_path("lds", folder, "Datagroup1.bin").read_bytes()
    dg1 = DG1File.from_bytes(data, today=TODAY)
    mrz = dg1.mrz
    assert mrz.format is MRZFormat.TD3
    assert mrz.valid, mrz.errors
    assert (mrz.document_code, mrz.issuing_state, mrz.surname) == ("P", "D", "MUSTERMANN")
    assert mrz.birth_date == date(1996, 8, 12)
    assert "MUSTERMANN" not in repr(dg1)


@pytest.mark.parametrize("fmt", list(SPECIMENS))
def test_build_then_parse_each_format(fmt: MRZFormat) -> None:
    lines = VECTORS[SPECIMENS[fmt]]["lines"]
    data = build_dg1("\n".join(lines))
    assert data == build_dg1("".join(lines))
    assert tlv.decode_one(data).require(0x5F1F).value == "".join(lines).encode()
    dg1 = DG1File.from_bytes(data, today=TODAY)
    assert dg1.mrz.format is fmt
    assert dg1.mrz.lines == tuple(lines)


def test_build_reproduces_bsi_2008() -> None:
    data = shared_data_path("lds", "bsi2008", "Datagroup1.bin").read_bytes()
    assert build_dg1(DG1File.from_bytes(data).mrz.text) == data


def test_failed_check_digit_is_reported_not_raised() -> None:
    lines = list(VECTORS["mrz.specimen.TD3"]["lines"])
    lines[1] = lines[1][:13] + ("1" if lines[1][13] != "1" else "2") + lines[1][14:]
    dg1 = DG1File.from_bytes(build_dg1("\n".join(lines)), today=TODAY)
    assert not dg1.mrz.valid
    assert dg1.mrz.errors


@pytest.mark.parametrize(
    ("text", "message"),
    [("P<UTO", "90, 72 or 88"), ("p" * 88, "A-Z"), ("É" * 88, "A-Z")],
)
def test_build_refuses_non_mrz(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_dg1(text)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (tlv.encode(0x60, tlv.encode(0x5F1F, b"<" * 88)), "tag 61, not 60"),
        (tlv.encode(0x61, tlv.encode(0x5F1E, b"<" * 88)), "5F1F missing"),
        (tlv.encode(0x61, tlv.encode(0x5F1F, b"<" * 87)), "87 characters"),
        (tlv.encode(0x61, tlv.encode(0x5F1F, b"\xc9" * 88)), "non-ASCII"),
        (tlv.encode(0x61, tlv.encode(0x5F1F, b"p" * 88)), "DG1 MRZ is malformed: line 1 column 1"),
        (tlv.encode(0x61, tlv.encode(0x5F1F, b"<" * 88))[:-3], "runs 3 byte"),
    ],
)
def test_malformed(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        DG1File.from_bytes(data)
