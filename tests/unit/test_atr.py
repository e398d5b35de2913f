"""ATR parsing (ISO/IEC 7816-3 §8, PC/SC Part 3 pseudo-ATRs): real ATRs, every malformation
refused, and any byte string either parses or raises DecodeError."""

from __future__ import annotations

import contextlib
from functools import reduce

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mrtd.errors import DecodeError
from mrtd.readers.atr import (
    ATR,
    MAX_ATR_BYTES,
    InterfaceBytes,
    contactless_atr,
    parse_atr,
)
from mrtd.sim.vpcd import simulated_atr


def atr(text: str) -> ATR:
    return parse_atr(bytes.fromhex(text))


def with_tck(text: str) -> bytes:
    body = bytes.fromhex(text)
    return body + bytes([reduce(lambda a, b: a ^ b, body[1:], 0)])


# -- real ATRs -------------------------------------------------------------------------------


def test_pcsc_pseudo_atr_of_a_contactless_chip() -> None:
    parsed = atr("3B 84 80 01 80 82 90 00 97")  # German eID card behind a PC/SC reader
    assert parsed.contactless
    assert parsed.groups == (InterfaceBytes(td=0x80), InterfaceBytes(td=0x01))
    assert parsed.protocols == (0, 1)
    assert parsed.historical == bytes.fromhex("80 82 90 00")
    assert parsed.historical_objects == ((0x8, b"\x90\x00"),)  # status indicator
    assert parsed.tck == 0x97
    assert parsed.card_capabilities is None
    assert not parsed.extended_length
    assert str(parsed) == "3B 84 80 01 80 82 90 00 97"


def test_contact_atr_with_global_and_t1_bytes() -> None:
    parsed = atr("3B F8 13 00 00 81 31 FE 15 59 75 62 69 6B 65 79 34 D4")
    assert parsed.groups == (
        InterfaceBytes(0x13, 0x00, 0x00, 0x81),
        InterfaceBytes(td=0x31),
        InterfaceBytes(ta=0xFE, tb=0x15),
    )
    assert parsed.protocols == (1,)
    assert parsed.historical == b"Yubikey4"
    assert parsed.historical_objects == ()  # proprietary category
    assert not parsed.contactless


def test_t0_only_atr_has_no_tck() -> None:
    parsed = atr("3B 65 00 00 9C 11 01 01 03")
    assert (parsed.tck, parsed.protocols) == (None, (0,))
    assert parsed.groups == (InterfaceBytes(tb=0x00, tc=0x00),)
    assert parsed.historical == bytes.fromhex("9C 11 01 01 03")


def test_inverse_convention() -> None:
    parsed = atr("3F 00")
    assert parsed.inverse_convention
    assert (parsed.groups, parsed.historical, parsed.protocols) == ((), b"", (0,))
    assert not parsed.contactless


def test_pcsc_storage_card_atr_is_not_compact_tlv_but_accepted() -> None:
    parsed = atr("3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A")  # MIFARE 1K
    assert parsed.contactless
    assert parsed.historical_objects == ()
    assert not parsed.extended_length


def test_category_00_ends_with_the_status_indicator() -> None:
    parsed = parse_atr(contactless_atr(bytes.fromhex("00 73 80 21 40 01 90 00")))
    assert parsed.historical_objects == ((0x7, bytes.fromhex("80 21 40")),)
    assert parsed.extended_length


# -- extended length in the card capabilities ------------------------------------------------


@pytest.mark.parametrize(
    ("historical", "extended"),
    [
        ("80 73 94 21 40", True),  # third software function table, b7
        ("80 73 94 21 C0", True),  # with command chaining
        ("80 73 94 21 BF", False),  # every bit but b7
        ("80 72 94 21", False),  # no third table
        ("80 31 C0 73 94 21 40 82 90 00", True),  # among other objects
        ("80 31 C0", False),
        ("C1 73 94 21 40", False),  # proprietary category: not COMPACT-TLV
        ("", False),
    ],
)
def test_extended_length_comes_from_the_card_capabilities(historical: str, extended: bool) -> None:
    parsed = parse_atr(contactless_atr(bytes.fromhex(historical)))
    assert parsed.extended_length is extended


def test_the_simulated_chip_atr_announces_what_its_profile_says() -> None:
    for extended in (False, True):
        parsed = parse_atr(simulated_atr(extended))
        assert parsed.contactless
        assert parsed.extended_length is extended
        assert parsed.card_capabilities == bytes([0x94, 0x21, 0x40 if extended else 0])


# -- malformed -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "0 bytes"),
        (b"\x3b", "1 bytes"),
        (bytes([0x3B, 0x00]) + bytes(32), "34 bytes"),
        (bytes.fromhex("3C 00"), "TS byte 3C"),
        (bytes.fromhex("3B 10"), "truncated in interface bytes group 1"),
        (bytes.fromhex("3B 80 81"), "truncated in interface bytes group 2"),
        (bytes.fromhex("3B 02 14"), "announces 2 historical bytes; 1 present"),
        (bytes.fromhex("3B 80 01"), "no TCK"),
        (bytes.fromhex("3B 84 80 01 80 82 90 00 96"), "TCK does not match"),
        (bytes.fromhex("3B 00 00"), "1 bytes after the end"),
        (bytes.fromhex("3B 84 80 01 80 82 90 00 97 00"), "1 bytes after the end"),
        (contactless_atr(bytes.fromhex("80 73 94 21")), "tag 7 in the historical bytes"),
        (contactless_atr(bytes.fromhex("80 4F 0C A0")), "tag 4 in the historical bytes"),
        (contactless_atr(bytes.fromhex("00 90")), "lack the status indicator"),
    ],
)
def test_malformed_atrs_are_refused(data: bytes, problem: str) -> None:
    with pytest.raises(DecodeError, match=problem):
        parse_atr(data)


def test_contactless_atr_refuses_more_than_15_historical_bytes() -> None:
    assert len(contactless_atr(bytes(15))) == 20
    with pytest.raises(ValueError, match="at most 15"):
        contactless_atr(bytes(16))


def test_global_interface_bytes_alone_still_need_a_tck() -> None:
    parsed = parse_atr(with_tck("3B 80 1F C7"))  # TD1: T=15 with TA2
    assert parsed.groups == (InterfaceBytes(td=0x1F), InterfaceBytes(ta=0xC7))
    assert parsed.protocols == (0,)
    with pytest.raises(DecodeError, match="no TCK"):
        atr("3B 80 1F C7")


# -- properties ------------------------------------------------------------------------------


@given(st.binary(max_size=MAX_ATR_BYTES + 4))
def test_any_bytes_parse_or_raise_decode_error(data: bytes) -> None:
    try:
        parsed = parse_atr(data)
    except DecodeError:
        return
    assert parsed.raw == data
    assert len(parsed.historical) == data[1] & 0x0F
    assert parsed.protocols


@given(st.binary(max_size=MAX_ATR_BYTES - 2).map(lambda b: b"\x3b" + b))
def test_any_ts_3b_string_with_a_good_tck_parses_or_raises_decode_error(body: bytes) -> None:
    data = body + bytes([reduce(lambda a, b: a ^ b, body[1:], 0)])
    with contextlib.suppress(DecodeError):
        parse_atr(data)


@given(st.binary(max_size=15).filter(lambda h: h[:1] not in (b"\x00", b"\x80")))
def test_pseudo_atr_round_trip(historical: bytes) -> None:
    parsed = parse_atr(contactless_atr(historical))
    assert parsed.contactless
    assert parsed.historical == historical
    assert parsed.raw == contactless_atr(historical)


@given(
    st.lists(
        st.tuples(st.integers(0, 15), st.binary(max_size=4)),
        max_size=3,
    ),
    st.booleans(),
)
def test_compact_tlv_round_trip(objects: list[tuple[int, bytes]], extended: bool) -> None:
    capabilities = bytes([0x94, 0x21, 0x40 if extended else 0x00])
    encoded = b"".join(bytes([tag << 4 | len(value)]) + value for tag, value in objects)
    historical = b"\x80" + bytes([0x73]) + capabilities + encoded
    if len(historical) > 15:
        return
    parsed = parse_atr(contactless_atr(historical))
    assert parsed.historical_objects == ((7, capabilities), *objects)
    assert parsed.extended_length is extended


@given(st.binary(min_size=1, max_size=15), st.integers(0, 15), st.integers(1, 255))
def test_tck_catches_any_corrupted_historical_or_check_byte(
    historical: bytes, index: int, flip: int
) -> None:
    data = bytearray(contactless_atr(historical))
    data[4 + index % (len(historical) + 1)] ^= flip  # after 3B 8n 80 01
    with pytest.raises(DecodeError):
        parse_atr(bytes(data))
