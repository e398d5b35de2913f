"""APDU encodings: the four ISO 7816-3 cases, short and extended."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.errors import DecodeError


@pytest.mark.parametrize(
    ("apdu", "short", "extended"),
    [
        (CommandAPDU(0, 0x84, 0, 0, ne=8), "0084000008", "00840000000008"),
        (CommandAPDU(0, 0xB0, 0, 0, ne=256), "00B0000000", "00B00000000100"),
        (CommandAPDU(0, 0xA4, 4, 0x0C, b"\xa0\x00"), "00A4040C02A000", "00A4040C000002A000"),
        (CommandAPDU(0x0C, 0xB0, 0, 0, b"\x97\x01\x04", 256), "0CB00000039701040" + "0",
         "0CB0000000000397010401" + "00"),
        (CommandAPDU(0, 0x20, 0, 0), "00200000", "00200000"),
    ],
)  # fmt: skip
def test_encodings(apdu: CommandAPDU, short: str, extended: str) -> None:
    assert apdu.to_bytes().hex().upper() == short.upper()
    assert apdu.to_bytes(extended=True).hex().upper() == extended.upper()
    assert CommandAPDU.from_bytes(bytes.fromhex(short)) == apdu
    assert CommandAPDU.from_bytes(bytes.fromhex(extended)) == apdu


def test_extended_is_chosen_when_needed() -> None:
    apdu = CommandAPDU(0, 0xB0, 0, 0, ne=65536)
    assert apdu.needs_extended
    assert apdu.to_bytes().hex() == "00b00000000000"
    with pytest.raises(ValueError, match="needs extended"):
        apdu.to_bytes(extended=False)


@given(
    st.integers(0, 255),
    st.integers(0, 255),
    st.binary(max_size=600),
    st.one_of(st.none(), st.integers(1, 65536)),
    st.booleans(),
)
def test_round_trip(ins: int, p1: int, data: bytes, ne: int | None, extended: bool) -> None:
    apdu = CommandAPDU(0x00, ins, p1, 0x00, data, ne)
    raw = apdu.to_bytes(extended=extended or apdu.needs_extended)
    assert CommandAPDU.from_bytes(raw) == apdu


@given(st.binary(max_size=300))
def test_any_bytes_decode_or_raise_decode_error(raw: bytes) -> None:
    with contextlib.suppress(DecodeError):
        CommandAPDU.from_bytes(raw)


def test_malformed() -> None:
    for raw in ("00B000", "00A4040C05A000", "00A4040C0000", "00B00000000102030405"):
        with pytest.raises(DecodeError):
            CommandAPDU.from_bytes(bytes.fromhex(raw))
    with pytest.raises(DecodeError, match="status word"):
        ResponseAPDU.from_bytes(b"\x90")
    with pytest.raises(ValueError, match="byte"):
        CommandAPDU(0x100, 0, 0, 0)


def test_response_and_redacted_repr() -> None:
    response = ResponseAPDU.from_bytes(bytes.fromhex("01029000"))
    assert (response.data, response.sw1, response.sw2, response.ok) == (b"\x01\x02", 0x90, 0, True)
    assert repr(CommandAPDU(0, 0x82, 0, 0, b"secret", 40)) == (
        "CommandAPDU(00 82 00 00, 6 data bytes, ne=40)"
    )
    assert "secret" not in repr(ResponseAPDU(b"secret", 0x9000))
