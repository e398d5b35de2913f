"""The C core and its pure-Python twin must agree; CI insists the native one is loaded."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mrtd import crypto
from mrtd.crypto import _core, _reference
from mrtd.crypto.kdf import Cipher, adjust_parity, derive_key


def test_native_core_loaded_when_required() -> None:
    if os.environ.get("MRTD_REQUIRE_NATIVE") == "1":
        assert crypto.backend() == "native"
    else:
        assert crypto.backend() in ("native", "python")


@given(st.binary(max_size=64), st.binary(max_size=64))
def test_equal_agrees_with_reference(a: bytes, b: bytes) -> None:
    assert _core.equal(a, b) == _reference.equal(a, b) == (a == b)
    assert _core.equal(a, a)
    assert _core.equal(bytearray(b), memoryview(b))


def test_constant_time_equal_uses_the_active_backend() -> None:
    assert crypto.constant_time_equal(b"\x01" * 8, bytearray(b"\x01" * 8))
    assert not crypto.constant_time_equal(b"\x01" * 8, b"\x01" * 7 + b"\x00")
    assert not crypto.constant_time_equal(b"", b"\x00")


def test_equal_rejects_non_buffers() -> None:
    with pytest.raises(TypeError):
        _core.equal("text", b"text")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _core.equal(b"x")  # type: ignore[call-arg]
    assert "OpenSSL" in _core.openssl_version()


@given(st.binary(min_size=1, max_size=32))
def test_parity_adjustment_gives_odd_parity_and_keeps_high_bits(key: bytes) -> None:
    adjusted = adjust_parity(key)
    assert all(b.bit_count() % 2 == 1 for b in adjusted)
    assert all((a & 0xFE) == (b & 0xFE) for a, b in zip(adjusted, key, strict=True))


def test_kdf_key_lengths() -> None:
    secret = bytes(range(20))
    assert [len(derive_key(secret, 1, c)) for c in Cipher] == [16, 16, 24, 32]
