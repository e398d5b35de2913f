"""Secure messaging, C core against its pure-Python twin (differential), and the properties
both must have: round trips in both roles, every tampered bit caught by the MAC, and hostile
bytes ending in SecureMessagingError only (never a crash, never another exception)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mrtd.crypto import SMBackend, _core, _reference
from mrtd.errors import MACError, MRTDError, SecureMessagingError

NATIVE: SMBackend = _core
PYTHON: SMBackend = _reference
BLOCK = {1: 8, 2: 16}
KEY_SIZES = {1: [16], 2: [16, 24, 32]}

# Sizes that hit the edges: short data, each BER length form (DO'87' value 127/128, 255/256,
# 65535/65536 bytes), and the largest ISO 7816-4 data field.
EDGE_SIZES = [0, 1, 7, 8, 15, 16, 17, 119, 120, 126, 127, 128, 246, 247, 254, 255, 256, 1000]
LARGE_SIZES = [65519, 65520, 65534, 65535, 70000]

Outcome = tuple[str, Any]
# No deadline: the same tests run under AddressSanitizer (scripts/sanitize-test.sh).
SM_SETTINGS = settings(deadline=None)


def outcome(fn: Callable[[], object]) -> Outcome:
    """What a call did: its result, or its exception (type and message)."""
    try:
        return ("ok", fn())
    except (MRTDError, ValueError) as exc:
        return (type(exc).__name__, str(exc))
    except TypeError as exc:  # argument parsing: the wording differs between C and Python
        return ("TypeError", type(exc).__name__)


def same(call: Callable[[SMBackend], object]) -> Outcome:
    """Run `call` on both backends; they must agree exactly."""
    native, python = outcome(lambda: call(NATIVE)), outcome(lambda: call(PYTHON))
    assert native == python
    return native


def sized_bytes(size: int) -> bytes:
    return random.Random(size).randbytes(size)


@dataclass(frozen=True)
class Session:
    algo: int
    k_enc: bytes
    k_mac: bytes
    ssc: bytes

    @property
    def block(self) -> int:
        return BLOCK[self.algo]


@st.composite
def sessions(draw: st.DrawFn) -> Session:
    algo = draw(st.sampled_from([1, 2]))
    size = draw(st.sampled_from(KEY_SIZES[algo]))
    keys = st.binary(min_size=size, max_size=size)
    ssc = draw(st.binary(min_size=BLOCK[algo], max_size=BLOCK[algo]))
    return Session(algo, draw(keys), draw(keys), ssc)


data_fields = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(EDGE_SIZES).map(sized_bytes),
    st.integers(min_value=0, max_value=1000).map(sized_bytes),
)
headers = st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)).map(
    lambda t: bytes((0x0C, *t))
)
les = st.sampled_from([b"", b"\x00", b"\x04", b"\xdf", b"\x00\x00", b"\x01\x00", b"\xff\xff"])
status_words = st.sampled_from([0x9000, 0x6282, 0x6A82, 0x6B00]) | st.integers(0, 0xFFFF)


def do_value_offsets(body: bytes) -> list[int]:
    """Offsets of the bytes inside the values of the data objects (not tags or lengths)."""
    offsets: list[int] = []
    pos = 0
    while pos < len(body):
        first = body[pos + 1]
        head = pos + 2 + (first - 0x80 if first > 0x80 else 0)
        length = int.from_bytes(body[pos + 2 : head], "big") if first > 0x80 else first
        offsets += range(head, head + length)
        pos = head + length
    return offsets


# -- differential: every function, byte for byte ---------------------------------------------


@SM_SETTINGS
@given(sessions(), data_fields)
def test_mac_encrypt_decrypt_agree(s: Session, data: bytes) -> None:
    tag = same(lambda m: m.mac(s.algo, s.k_mac, data))
    assert tag[0] == "ok"
    assert len(tag[1]) == 8
    cryptogram = same(lambda m: m.encrypt(s.algo, s.k_enc, s.ssc, data))[1]
    assert len(cryptogram) == (len(data) // s.block + 1) * s.block
    assert same(lambda m: m.decrypt(s.algo, s.k_enc, s.ssc, cryptogram)) == ("ok", data)


@SM_SETTINGS
@given(sessions(), st.binary(max_size=80))
def test_decrypt_of_arbitrary_bytes_agrees(s: Session, cryptogram: bytes) -> None:
    result = same(lambda m: m.decrypt(s.algo, s.k_enc, s.ssc, cryptogram))
    assert result[0] in ("ok", "SecureMessagingError")


@SM_SETTINGS
@given(sessions(), headers, data_fields, les)
def test_command_round_trip_and_agreement(
    s: Session, header: bytes, data: bytes, le: bytes
) -> None:
    kind, body = same(lambda m: m.wrap_command(s.algo, s.k_enc, s.k_mac, s.ssc, header, data, le))
    assert kind == "ok"
    if data:
        assert body[0] == (0x85 if header[1] & 1 else 0x87)
    assert body[-10:-8] == b"\x8e\x08"
    opened = same(lambda m: m.unwrap_command(s.algo, s.k_enc, s.k_mac, s.ssc, header, body))
    assert opened == ("ok", (data, le))


@SM_SETTINGS
@given(sessions(), data_fields, status_words, st.booleans())
def test_response_round_trip_and_agreement(s: Session, data: bytes, sw: int, odd: bool) -> None:
    kind, rdata = same(lambda m: m.wrap_response(s.algo, s.k_enc, s.k_mac, s.ssc, data, sw, odd))
    assert kind == "ok"
    opened = same(lambda m: m.unwrap_response(s.algo, s.k_enc, s.k_mac, s.ssc, rdata))
    assert opened == ("ok", (data, sw))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions(), st.sampled_from(LARGE_SIZES), st.booleans())
def test_large_data_objects_agree(s: Session, size: int, odd: bool) -> None:
    """Values over 65535 bytes: the 83 xx xx xx length form."""
    data = sized_bytes(size)
    kind, rdata = same(
        lambda m: m.wrap_response(s.algo, s.k_enc, s.k_mac, s.ssc, data, 0x9000, odd)
    )
    assert kind == "ok"
    value = len(data) // s.block * s.block + s.block + (0 if odd else 1)
    assert rdata[1] == (0x83 if value > 0xFFFF else 0x82)
    assert same(lambda m: m.unwrap_response(s.algo, s.k_enc, s.k_mac, s.ssc, rdata)) == (
        "ok",
        (data, 0x9000),
    )
    header = bytes((0x0C, 0xD7 if odd else 0xD6, 0, 0))
    kind, body = same(lambda m: m.wrap_command(s.algo, s.k_enc, s.k_mac, s.ssc, header, data, b""))
    assert same(lambda m: m.unwrap_command(s.algo, s.k_enc, s.k_mac, s.ssc, header, body)) == (
        "ok",
        (data, b""),
    )


# -- tampering: any flipped bit under the MAC is a MACError ----------------------------------


@SM_SETTINGS
@given(sessions(), st.binary(max_size=64), status_words, st.booleans(), st.data())
def test_flipped_response_bit(
    s: Session, data: bytes, sw: int, odd: bool, draw: st.DataObject
) -> None:
    rdata = NATIVE.wrap_response(s.algo, s.k_enc, s.k_mac, s.ssc, data, sw, odd)
    bit = draw.draw(st.integers(0, 8 * len(rdata) - 1), label="bit")
    tampered = bytearray(rdata)
    tampered[bit // 8] ^= 1 << (bit % 8)
    kind, _ = same(lambda m: m.unwrap_response(s.algo, s.k_enc, s.k_mac, s.ssc, tampered))
    if bit // 8 in do_value_offsets(rdata):
        assert kind == "MACError"
    else:  # a tag or a length: the structure breaks, or the MAC catches the new one
        assert kind in ("SecureMessagingError", "MACError")


@SM_SETTINGS
@given(sessions(), headers, st.binary(max_size=64), les, st.data())
def test_flipped_command_bit(
    s: Session, header: bytes, data: bytes, le: bytes, draw: st.DataObject
) -> None:
    body = NATIVE.wrap_command(s.algo, s.k_enc, s.k_mac, s.ssc, header, data, le)
    bit = draw.draw(st.integers(0, 8 * len(body) - 1), label="bit")
    tampered = bytearray(body)
    tampered[bit // 8] ^= 1 << (bit % 8)
    kind, _ = same(lambda m: m.unwrap_command(s.algo, s.k_enc, s.k_mac, s.ssc, header, tampered))
    if bit // 8 in do_value_offsets(body):
        assert kind == "MACError"
    else:
        assert kind in ("SecureMessagingError", "MACError")


@SM_SETTINGS
@given(sessions(), headers, st.binary(max_size=64), st.data())
def test_flipped_header_ssc_or_key_bit(
    s: Session, header: bytes, data: bytes, draw: st.DataObject
) -> None:
    """The header and the SSC are under the MAC too; a wrong key fails the same way."""
    body = NATIVE.wrap_command(s.algo, s.k_enc, s.k_mac, s.ssc, header, data, b"\x00")
    which = draw.draw(st.sampled_from(["header", "ssc", "k_mac"]), label="which")
    value = {"header": header, "ssc": s.ssc, "k_mac": s.k_mac}[which]
    bit = draw.draw(st.integers(0, 8 * len(value) - 1), label="bit")
    # DES ignores the low bit of each key byte (parity): flip a key bit that counts.
    assume(which != "k_mac" or s.algo == 2 or bit % 8 != 0)
    flipped = bytearray(value)
    flipped[bit // 8] ^= 1 << (bit % 8)
    args = {"header": header, "ssc": s.ssc, "k_mac": s.k_mac, which: bytes(flipped)}
    kind, message = same(
        lambda m: m.unwrap_command(
            s.algo, s.k_enc, args["k_mac"], args["ssc"], args["header"], body
        )
    )
    if which == "header" and bit // 8 == 1 and bit % 8 == 0 and data:
        # INS parity decides DO'85' against DO'87': refused before the MAC.
        assert kind == "SecureMessagingError"
        assert "needs an" in message
    else:
        assert kind == "MACError"


# -- hostile bytes: only SecureMessagingError ------------------------------------------------


@SM_SETTINGS
@given(sessions(), st.binary(max_size=64), status_words, st.booleans(), st.data())
def test_truncated_response(
    s: Session, data: bytes, sw: int, odd: bool, draw: st.DataObject
) -> None:
    rdata = NATIVE.wrap_response(s.algo, s.k_enc, s.k_mac, s.ssc, data, sw, odd)
    cut = draw.draw(st.integers(0, len(rdata) - 1), label="cut")
    kind, _ = same(lambda m: m.unwrap_response(s.algo, s.k_enc, s.k_mac, s.ssc, rdata[:cut]))
    assert kind in ("SecureMessagingError", "MACError")


@SM_SETTINGS
@given(sessions(), headers, st.binary(max_size=64), les, st.data())
def test_truncated_command(
    s: Session, header: bytes, data: bytes, le: bytes, draw: st.DataObject
) -> None:
    body = NATIVE.wrap_command(s.algo, s.k_enc, s.k_mac, s.ssc, header, data, le)
    cut = draw.draw(st.integers(0, len(body) - 1), label="cut")
    kind, _ = same(lambda m: m.unwrap_command(s.algo, s.k_enc, s.k_mac, s.ssc, header, body[:cut]))
    assert kind in ("SecureMessagingError", "MACError")


# Garbage that looks like SM data objects more often than random bytes do.
sm_like = st.lists(
    st.one_of(
        st.sampled_from([0x87, 0x85, 0x97, 0x99, 0x8E]).flatmap(
            lambda tag: st.binary(max_size=40).map(lambda v: bytes((tag, len(v))) + v)
        ),
        st.sampled_from([b"\x81", b"\x82", b"\x83", b"\x84", b"\x80", b"\xff", b"\x01\x01"]),
        st.binary(min_size=1, max_size=12),
    ),
    max_size=6,
).map(b"".join)


@SM_SETTINGS
@given(sessions(), headers, st.one_of(st.binary(max_size=120), sm_like))
def test_garbage_is_only_secure_messaging_error(s: Session, header: bytes, garbage: bytes) -> None:
    for call in (
        lambda m: m.unwrap_response(s.algo, s.k_enc, s.k_mac, s.ssc, garbage),
        lambda m: m.unwrap_command(s.algo, s.k_enc, s.k_mac, s.ssc, header, garbage),
    ):
        kind, _ = same(call)
        assert kind in ("SecureMessagingError", "MACError")


@SM_SETTINGS
@given(sessions(), st.one_of(st.binary(max_size=120), sm_like), st.data())
def test_garbage_under_a_valid_mac(s: Session, garbage: bytes, draw: st.DataObject) -> None:
    """Past the MAC, a bad DO'87' / DO'99' / DO'97' value is still only SecureMessagingError."""
    rdata = garbage + b"\x8e\x08" + NATIVE.mac(s.algo, s.k_mac, s.ssc + garbage)
    kind, _ = same(lambda m: m.unwrap_response(s.algo, s.k_enc, s.k_mac, s.ssc, rdata))
    assert kind in ("ok", "SecureMessagingError")
    header = draw.draw(headers, label="header")
    padded_header = header + b"\x80" + bytes(s.block - 5)
    body = garbage + b"\x8e\x08" + NATIVE.mac(s.algo, s.k_mac, s.ssc + padded_header + garbage)
    kind, _ = same(lambda m: m.unwrap_command(s.algo, s.k_enc, s.k_mac, s.ssc, header, body))
    assert kind in ("ok", "SecureMessagingError")


# -- misuse: the same ValueError / TypeError from both ---------------------------------------

blobs = st.one_of(st.binary(max_size=40), st.sampled_from([b"", bytes(8), bytes(16), bytes(32)]))
odd_values = st.one_of(
    st.integers(-3, 4), st.integers(), st.floats(allow_nan=False), st.text(max_size=2), st.none()
)


@SM_SETTINGS
@given(odd_values, blobs, blobs, blobs, blobs, blobs, blobs, st.one_of(st.integers(), odd_values))
def test_misuse_agrees(
    algo: Any, k1: bytes, k2: bytes, ssc: bytes, header: bytes, data: bytes, le: bytes, sw: Any
) -> None:
    for call in (
        lambda m: m.mac(algo, k1, data),
        lambda m: m.encrypt(algo, k1, ssc, data),
        lambda m: m.decrypt(algo, k1, ssc, data),
        lambda m: m.wrap_command(algo, k1, k2, ssc, header, data, le),
        lambda m: m.unwrap_response(algo, k1, k2, ssc, data),
        lambda m: m.unwrap_command(algo, k1, k2, ssc, header, data),
        lambda m: m.wrap_response(algo, k1, k2, ssc, data, sw),
    ):
        kind, _ = same(call)
        assert kind in ("ok", "ValueError", "TypeError", "SecureMessagingError", "MACError")


def test_sm_errors_are_library_errors() -> None:
    assert issubclass(MACError, SecureMessagingError)
    assert issubclass(SecureMessagingError, MRTDError)
