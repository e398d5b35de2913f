"""DG11 and DG12: round trips, the BCD date quirk, malformed input."""

from __future__ import annotations

import contextlib
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mrtd import tlv
from mrtd.errors import DecodeError
from mrtd.lds import DG11File, DG12File, build_dg11, build_dg12


def test_dg11_round_trip() -> None:
    data = build_dg11(
        full_name="ØSTERGÅRD<<AMÉLIE<NOOR",
        birth_date=date(1991, 3, 15),
        place_of_birth=("UTOPIA CITY", "UTO"),
        address=("1 SPECIMEN STREET", "UTOPIA CITY"),
        personal_number="123-45",
        other_names=("NOOR AMELIE",),
    )
    dg11 = DG11File.from_bytes(data)
    assert (dg11.surname, dg11.given_names) == ("ØSTERGÅRD", "AMÉLIE NOOR")
    assert dg11.birth_date == date(1991, 3, 15)
    assert dg11.place_of_birth == ("UTOPIA CITY", "UTO")
    assert dg11.address == ("1 SPECIMEN STREET", "UTOPIA CITY")
    assert dg11.other_names == ("NOOR AMELIE",)
    assert dg11.personal_number == "123-45"
    assert "STERG" not in repr(dg11)


def test_dg11_bcd_date_quirk_and_unknown_day() -> None:
    bcd = tlv.encode(0x6B, tlv.encode(0x5C, b"\x5f\x2b") + tlv.encode(0x5F2B, b"\x19\x74\x08\x12"))
    assert DG11File.from_bytes(bcd).birth_date == date(1974, 8, 12)
    unknown = build_dg11(full_name="X").replace(b"", b"")
    partial = tlv.encode(0x6B, tlv.encode(0x5C, b"") + tlv.encode(0x5F2B, b"19740800"))
    dg11 = DG11File.from_bytes(partial)
    assert (dg11.birth_date, dg11.birth_date_text) == (None, "19740800")
    assert DG11File.from_bytes(unknown).birth_date is None


def test_dg12_round_trip() -> None:
    stamp = datetime(2025, 9, 30, 12, 0, 5)
    dg12 = DG12File.from_bytes(
        build_dg12(
            issuing_authority="UTOPIA PASSPORT OFFICE",
            date_of_issue=date(2025, 9, 30),
            personalization_time=stamp,
            personalization_serial="P-0001",
        )
    )
    assert dg12.issuing_authority == "UTOPIA PASSPORT OFFICE"
    assert dg12.date_of_issue == date(2025, 9, 30)
    assert dg12.personalization_time == stamp
    assert dg12.personalization_serial == "P-0001"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (tlv.encode(0x6C, b""), "DG11 must have tag 6B"),
        (tlv.encode(0x6B, tlv.encode(0x5F2B, b"1974")), "neither YYYYMMDD nor 4 BCD"),
        (b"\x6b\x05\x5f", "truncated|exceeds|short|end"),
    ],
)
def test_dg11_malformed(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        DG11File.from_bytes(data)


def test_latin1_text_is_accepted() -> None:
    data = tlv.encode(0x6C, tlv.encode(0x5F19, "MÜNCHEN".encode("latin-1")))
    assert DG12File.from_bytes(data).issuing_authority == "MÜNCHEN"


@given(st.binary(max_size=200))
def test_any_bytes_parse_or_decode_error(data: bytes) -> None:
    for parser in (DG11File.from_bytes, DG12File.from_bytes):
        with contextlib.suppress(DecodeError):
            parser(data)
