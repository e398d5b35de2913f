"""BER-TLV: what is accepted, what is flagged, and every kind of malformed input refused."""

from __future__ import annotations

import gc
import time

import pytest

from mrtd import tlv
from mrtd.errors import DecodeError
from tests.shared_data import shared_data_path
from tests.sim_files import sim_files

# -- accepted --------------------------------------------------------------------------------


def test_decodes_nested_structure_with_multi_byte_tags() -> None:
    data = bytes.fromhex("60 0D 5F01 04 30313037 5C 04 61756375")
    com = tlv.decode_one(data)
    assert (com.tag, com.constructed, com.non_minimal_length) == (0x60, True, False)
    version, tags = com.children()
    assert (version.tag, version.value, version.constructed) == (0x5F01, b"0107", False)
    assert tags == tlv.TLV(0x5C, b"aucu", constructed=False)
    assert com.find(0x5C) == tags
    assert com.find(0x99) is None
    assert com.find_all(0x5F01) == (version,)
    assert com.require(0x5F01) is not None


def test_three_byte_tags_and_all_length_forms() -> None:
    for length in (0, 1, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x10000):
        value = bytes(length)
        data = tlv.encode(0x5F8101, value)
        decoded = tlv.decode_one(data)
        assert (decoded.tag, decoded.value) == (0x5F8101, value)
        assert tlv.header(data[:8]) == (0x5F8101, len(data) - length, length)


def test_encode_length_is_minimal() -> None:
    assert tlv.encode_length(0) == b"\x00"
    assert tlv.encode_length(0x7F) == b"\x7f"
    assert tlv.encode_length(0x80) == b"\x81\x80"
    assert tlv.encode_length(0x100) == b"\x82\x01\x00"
    assert tlv.encode_length(0x10000) == b"\x83\x01\x00\x00"
    assert tlv.encode_length(0xFFFFFFFF) == b"\x84\xff\xff\xff\xff"
    with pytest.raises(ValueError, match="more than 4 bytes"):
        tlv.encode_length(1 << 32)
    with pytest.raises(ValueError, match="negative"):
        tlv.encode_length(-1)


@pytest.mark.parametrize("tag", [0, 0x1F, 0x5F, 0x5F80, 0x5F8080, 0x1FFFFFF, 0x0105, 0xFF])
def test_encode_refuses_malformed_tags(tag: int) -> None:
    with pytest.raises(ValueError, match="tag"):
        tlv.encode(tag, b"")


@pytest.mark.parametrize(
    ("data", "value"),
    [("5F01 81 04 30313037", b"0107"), ("04 82 0002 ABCD", b"\xab\xcd"), ("04 84 00000000", b"")],
)
def test_non_minimal_lengths_are_accepted_and_flagged(data: str, value: bytes) -> None:
    decoded = tlv.decode_one(bytes.fromhex(data))
    assert decoded.value == value
    assert decoded.non_minimal_length
    assert decoded.encode() != bytes.fromhex(data)  # re-encoding is minimal
    assert not tlv.decode_one(decoded.encode()).non_minimal_length


def test_empty_input_is_an_empty_sequence() -> None:
    assert tlv.decode(b"") == []
    with pytest.raises(DecodeError, match="no data"):
        tlv.decode_one(b"")


def test_sequence_of_top_level_objects() -> None:
    data = tlv.encode(0x80, b"\x01") + tlv.encode(0x30, tlv.encode(0x02, b"\x05"))
    first, second = tlv.decode(data)
    assert first.value == b"\x01"
    assert second.children()[0].value == b"\x05"


def test_tag_list() -> None:
    assert tlv.decode_tags(bytes.fromhex("61 75 5F1F 7F61")) == (0x61, 0x75, 0x5F1F, 0x7F61)
    assert tlv.decode_tags(b"") == ()
    with pytest.raises(DecodeError, match="truncated tag"):
        tlv.decode_tags(bytes.fromhex("61 5F"))


def test_walk_visits_every_object_in_order() -> None:
    data = tlv.encode(0x30, tlv.encode(0x31, tlv.encode(0x80, b"a")) + tlv.encode(0x81, b"b"))
    assert [t.tag for t in tlv.decode_one(data).walk()] == [0x30, 0x31, 0x80, 0x81]


def test_repr_shows_no_value() -> None:
    secret = tlv.TLV(0x5F1F, b"P<UTOERIKSSON<<ANNA", constructed=False)
    assert "ERIKSSON" not in repr(secret)
    assert repr(secret) == "TLV(tag=5F1F, primitive, 19 bytes)"


def test_children_of_primitive_is_an_error() -> None:
    with pytest.raises(DecodeError, match="primitive"):
        tlv.TLV(0x04, b"\x30\x00", constructed=False).children()


def test_require_names_the_missing_tag() -> None:
    with pytest.raises(DecodeError, match="tag 5F1F missing inside tag 61"):
        tlv.decode_one(bytes.fromhex("61 00")).require(0x5F1F)


def _decodes_whole(data: bytes) -> None:
    decoded = tlv.decode_one(data)
    tag, header_length, value_length = tlv.header(data[:8]) or (0, 0, 0)
    assert (tag, header_length + value_length) == (decoded.tag, len(data))


def test_real_lds_files_decode() -> None:
    paths = sorted(shared_data_path("lds").glob("bsi*/*.bin"))
    assert paths
    for path in paths:
        _decodes_whole(path.read_bytes())


def test_simulated_chip_files_decode() -> None:
    """Every file the simulated chip makes (EF.COM, EF.SOD, DG1-4, DG11, DG12, DG14, DG15)."""
    files = sim_files()
    assert len(files) == 10
    for data in files.values():
        _decodes_whole(data)


# -- indefinite lengths: refused unless asked for -----------------------------------------------

INDEFINITE = bytes.fromhex("30 80 04 01 AA 31 80 05 00 00 00 00 00")


def test_indefinite_length_refused_by_default() -> None:
    with pytest.raises(DecodeError, match="indefinite length at offset 0 is not allowed"):
        tlv.decode(INDEFINITE)
    wrapped = tlv.encode(0x77, INDEFINITE)
    with pytest.raises(DecodeError, match="indefinite length at offset 2"):
        tlv.decode_one(wrapped)


def test_indefinite_length_when_allowed() -> None:
    outer = tlv.decode_one(INDEFINITE, allow_indefinite=True)
    assert outer.indefinite_length
    assert outer.value == INDEFINITE[2:-2]
    octets, inner = outer.children()
    assert octets.value == b"\xaa"
    assert inner.indefinite_length
    assert inner.children() == (tlv.TLV(0x05, b"", constructed=False),)
    # inside a definite wrapper (an SOD in tag 77), the opt-in carries down to children()
    wrapped = tlv.decode_one(tlv.encode(0x77, INDEFINITE), allow_indefinite=True)
    assert wrapped.children()[0].children()[0].value == b"\xaa"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("30 80 04 01 AA", "end-of-contents missing"),
        ("30 80 04 01 AA 00", "malformed end-of-contents at offset 5"),
        ("04 80 00 00", "indefinite length on primitive"),
        ("30 04 30 80 00 00 00 00", "2 trailing byte"),
    ],
)
def test_indefinite_length_malformed(data: str, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        tlv.decode_one(bytes.fromhex(data), allow_indefinite=True)


def test_header_refuses_indefinite_length() -> None:
    with pytest.raises(DecodeError, match="file size is not known"):
        tlv.header(INDEFINITE)


# -- malformed ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("61", "truncated TLV header at offset 0"),
        ("5F", "truncated TLV header at offset 0"),
        ("5F1F", "truncated TLV header at offset 0"),
        ("61 04 5F1F 02 41", "value of 2 bytes at offset 5 runs 1 byte"),
        ("04 82 01", "truncated TLV header at offset 0"),
        ("04 05 0102", "value of 5 bytes at offset 2 runs 3 byte"),
        ("04 85 0000000001 00", "length field of 5 bytes at offset 1"),
        ("04 88 0000000000000001", "length field of 8 bytes"),
        ("04 FF", "length field of 127 bytes"),
        ("00 00", "invalid tag byte 00 at offset 0"),
        ("FF 00", "invalid tag byte FF at offset 0"),
        ("30 02 FF 00", "invalid tag byte FF at offset 2"),
        ("5F 80 01 00", "leading zero bits at offset 0"),
        ("5F 81 81 01 00", "tag longer than 3 bytes at offset 0"),
        ("61 03 04 01 AA 04", "truncated TLV header at offset 5"),
        ("30 03 04 02 AA", "runs 1 byte"),
    ],
)
def test_malformed_is_refused_with_offset(data: str, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        tlv.decode(bytes.fromhex(data))


def test_decode_one_refuses_trailing_bytes_and_several_objects() -> None:
    with pytest.raises(DecodeError, match="1 trailing byte"):
        tlv.decode_one(bytes.fromhex("04 01 AA BB"))
    with pytest.raises(DecodeError, match="2 trailing byte"):
        tlv.decode_one(bytes.fromhex("04 01 AA 04 00"))


def test_claimed_16_megabytes_is_refused_clearly() -> None:
    claim = bytes.fromhex("75 84 01000001")  # DG2 claiming 16 MiB + 1
    with pytest.raises(DecodeError, match="length 16777217 at offset 1 exceeds the limit"):
        tlv.header(claim)
    with pytest.raises(DecodeError, match="exceeds the limit of 16777216 bytes"):
        tlv.decode(claim + bytes(100))
    assert tlv.header(bytes.fromhex("75 84 01000000")) == (0x75, 6, 1 << 24)
    with pytest.raises(DecodeError, match="exceeds the limit of 1000 bytes"):
        tlv.header(bytes.fromhex("75 82 03E9"), max_length=1000)
    with pytest.raises(DecodeError, match="exceeds the limit of 4 bytes"):
        tlv.decode(bytes.fromhex("04 05 0102030405"), max_length=4)


def test_depth_bomb_is_refused() -> None:
    bomb = b""
    for _ in range(5000):
        bomb = b"\x30" + tlv.encode_length(len(bomb)) + bomb
    start = time.perf_counter()
    with pytest.raises(DecodeError, match="nesting deeper than 16 levels"):
        tlv.decode(bomb)
    with pytest.raises(DecodeError, match="nesting deeper than 64 levels"):
        tlv.decode(bomb, max_depth=64)
    with pytest.raises(DecodeError, match="nesting deeper than 16"):
        tlv.decode(b"\x30\x80" * 100_000, allow_indefinite=True)
    assert time.perf_counter() - start < 1.0


def test_depth_limit_is_exact() -> None:
    nested = b""
    for _ in range(16):
        nested = tlv.encode(0x30, nested)
    assert tlv.decode_one(nested).tag == 0x30
    with pytest.raises(DecodeError, match="nesting deeper than 15"):
        tlv.decode_one(nested, max_depth=15)
    with pytest.raises(ValueError, match="max_depth"):
        tlv.decode(nested, max_depth=65)


def _decode_cpu_seconds(count: int) -> float:
    """CPU time of this process (not wall time: other processes' load does not count) to
    decode `count` empty objects flat and as the children of one constructed object."""
    flat = b"\x04\x00" * count
    wide = tlv.encode(0x30, flat)
    best = float("inf")
    gc.disable()  # a collection landing in one run only would skew the ratio
    try:
        for _ in range(5):
            start = time.process_time()
            assert len(tlv.decode(flat)) == count
            assert len(tlv.decode_one(wide).children()) == count
            best = min(best, time.process_time() - start)
    finally:
        gc.enable()
    return best


def test_many_small_objects_are_linear() -> None:
    """Ten times the objects costs about ten times the work (13x measured, idle); a quadratic
    walk would cost 100x. The bound leaves room for a busy machine's cache misses."""
    small, large = _decode_cpu_seconds(5_000), _decode_cpu_seconds(50_000)
    assert large < 45 * max(small, 1e-4)


def test_header_needs_more_bytes() -> None:
    assert tlv.header(b"") is None
    assert tlv.header(b"\x7f") is None
    assert tlv.header(b"\x7f\x61") is None
    assert tlv.header(b"\x7f\x61\x82\x01") is None
    assert tlv.header(b"\x7f\x61\x82\x01\x00") == (0x7F61, 5, 256)
    assert tlv.header(b"\x60\x16\x5f") == (0x60, 2, 22)


def test_header_refuses_what_decode_refuses() -> None:
    for data in ("00 01", "04 85 00", "5F 80 01"):
        with pytest.raises(DecodeError):
            tlv.header(bytes.fromhex(data))


def test_messages_carry_no_data() -> None:
    secret = b"MUSTERMANN"
    data = tlv.encode(0x61, tlv.encode(0x5F1F, secret))[:-1]
    with pytest.raises(DecodeError) as info:
        tlv.decode(data)
    assert "MUSTER" not in str(info.value)
    assert secret.hex() not in str(info.value).lower()
