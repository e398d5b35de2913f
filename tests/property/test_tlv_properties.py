"""Property tests for BER-TLV: round trips, truncation, header() and arbitrary input."""

from __future__ import annotations

import time
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mrtd import tlv
from mrtd.errors import DecodeError

CLASS_BITS = st.sampled_from([0x00, 0x40, 0x80, 0xC0])


@st.composite
def tags(draw: st.DrawFn, constructed: bool) -> int:
    """Well-formed ISO/IEC 7816-4 tags of 1 to 3 bytes with the constructed bit as asked."""
    first = draw(CLASS_BITS) | (0x20 if constructed else 0)
    size = draw(st.integers(1, 3))
    if size == 1:
        number = draw(st.integers(0, 0x1E).filter(lambda n: first | n != 0))
        return first | number
    first |= 0x1F
    if first == 0xFF:  # ISO/IEC 7816-4: 'FF' is padding, never a tag's first byte
        first = 0xBF  # context-specific instead of private, still constructed
    if size == 2:
        return first << 8 | draw(st.integers(0x01, 0x7F))
    return (first << 16) | draw(st.integers(0x81, 0xFF)) << 8 | draw(st.integers(0x00, 0x7F))


Tree = tuple[int, Any]  # (tag, bytes) for primitives, (tag, list[Tree]) for constructed

primitives = st.tuples(tags(constructed=False), st.binary(max_size=300))
trees: st.SearchStrategy[Tree] = st.recursive(
    primitives,
    lambda children: st.tuples(tags(constructed=True), st.lists(children, max_size=4)),
    max_leaves=20,
)


def encode_tree(tree: Tree) -> bytes:
    tag, content = tree
    if isinstance(content, bytes):
        return tlv.encode(tag, content)
    return tlv.encode(tag, b"".join(encode_tree(child) for child in content))


def as_tree(obj: tlv.TLV) -> Tree:
    if obj.constructed:
        return obj.tag, [as_tree(child) for child in obj.children()]
    return obj.tag, obj.value


@given(trees)
def test_encode_decode_round_trip(tree: Tree) -> None:
    data = encode_tree(tree)
    decoded = tlv.decode_one(data, max_depth=64)
    assert as_tree(decoded) == tree
    assert decoded.encode() == data
    assert not any(obj.non_minimal_length for obj in decoded.walk())


@given(st.lists(trees, max_size=5))
def test_sequences_round_trip(forest: list[Tree]) -> None:
    data = b"".join(encode_tree(tree) for tree in forest)
    assert [as_tree(obj) for obj in tlv.decode(data, max_depth=64)] == forest


@given(trees, st.data())
def test_truncation_anywhere_is_a_decode_error(tree: Tree, data: st.DataObject) -> None:
    encoded = encode_tree(tree)
    cut = data.draw(st.integers(0, len(encoded) - 1))
    try:
        tlv.decode_one(encoded[:cut], max_depth=64)
    except DecodeError:
        return
    raise AssertionError("a truncated TLV decoded")


@given(trees)
def test_header_agrees_with_decode_one(tree: Tree) -> None:
    encoded = encode_tree(tree)
    decoded = tlv.decode_one(encoded, max_depth=64)
    results = [tlv.header(encoded[:n]) for n in range(9)]
    first = next(n for n, result in enumerate(results) if result is not None)
    assert all(result is None for result in results[:first])
    tag, header_length, value_length = results[first] or (0, 0, 0)
    assert first == header_length
    assert results[first:] == [results[first]] * (9 - first)
    assert (tag, header_length + value_length) == (decoded.tag, len(encoded))
    assert value_length == len(decoded.value)


@given(st.integers(0, 0xFFFFFFFF))
def test_length_round_trip(n: int) -> None:
    field = tlv.encode_length(n)
    assert tlv.header(b"\x04" + field, max_length=n) == (0x04, 1 + len(field), n)


@given(primitives, st.integers(1, 4))
def test_non_minimal_lengths_decode_to_the_same_value(tree: Tree, size: int) -> None:
    tag, value = tree
    if len(value) >= 1 << (8 * size):
        return
    long_form = bytes([0x80 | size]) + len(value).to_bytes(size, "big")
    data = tlv.encode_tag(tag) + long_form + value
    decoded = tlv.decode_one(data)
    assert decoded.value == value
    assert decoded.non_minimal_length == (long_form != tlv.encode_length(len(value)))


@settings(max_examples=500)
@given(st.binary(max_size=600), st.booleans())
def test_arbitrary_bytes_only_raise_decode_error_and_fast(data: bytes, indefinite: bool) -> None:
    start = time.perf_counter()
    try:
        objects = tlv.decode(data, allow_indefinite=indefinite)
    except DecodeError:
        pass
    else:
        for obj in objects:
            for _ in obj.walk():
                pass
    try:
        parsed = tlv.header(data)
    except DecodeError:
        parsed = None
    if parsed is not None:
        assert parsed[1] <= 8
    assert time.perf_counter() - start < 0.5


@given(trees, st.data())
def test_single_byte_corruption_only_raises_decode_error(tree: Tree, data: st.DataObject) -> None:
    encoded = bytearray(encode_tree(tree))
    at = data.draw(st.integers(0, len(encoded) - 1))
    encoded[at] = data.draw(st.integers(0, 255))
    try:
        for obj in tlv.decode(bytes(encoded), max_depth=64):
            list(obj.walk())
    except DecodeError:
        pass
