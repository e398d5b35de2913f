"""Crypto primitives: the C core when it is built, its pure-Python twin otherwise.

`backend()` says which one is active so deployments (and CI) can insist on the native one.
`reference` is the pure-Python twin and `native` the C core (None when not built), so tests
can call both explicitly.

Secure messaging (ICAO 9303-11 §9.8): the byte work of one protected APDU in one call. The
caller keeps the SSC (incremented before each call) and masks CLA (0C); these functions raise
`MACError` when a MAC does not verify, `SecureMessagingError` when the data objects are
malformed, and ValueError / TypeError for a misuse (key, SSC or header of the wrong size).
"""

from __future__ import annotations

import enum
from typing import Literal, Protocol, SupportsIndex

from mrtd.crypto import _reference
from mrtd.crypto._reference import BytesLike


class SMBackend(Protocol):
    """What the C core and its pure-Python twin both provide (mypy checks both modules)."""

    def equal(self, a: BytesLike, b: BytesLike, /) -> bool: ...
    def mac(self, algo: SupportsIndex, key: BytesLike, data: BytesLike) -> bytes: ...
    def encrypt(
        self, algo: SupportsIndex, k_enc: BytesLike, ssc: BytesLike, data: BytesLike
    ) -> bytes: ...
    def decrypt(
        self, algo: SupportsIndex, k_enc: BytesLike, ssc: BytesLike, data: BytesLike
    ) -> bytes: ...
    def wrap_command(  # noqa: PLR0917 - positional, as the C core
        self,
        algo: SupportsIndex,
        k_enc: BytesLike,
        k_mac: BytesLike,
        ssc: BytesLike,
        header: BytesLike,
        data: BytesLike,
        le: BytesLike,
    ) -> bytes: ...
    def unwrap_response(
        self,
        algo: SupportsIndex,
        k_enc: BytesLike,
        k_mac: BytesLike,
        ssc: BytesLike,
        rdata: BytesLike,
    ) -> tuple[bytes, int]: ...
    def unwrap_command(  # noqa: PLR0917 - positional, as the C core
        self,
        algo: SupportsIndex,
        k_enc: BytesLike,
        k_mac: BytesLike,
        ssc: BytesLike,
        header: BytesLike,
        data: BytesLike,
    ) -> tuple[bytes, bytes]: ...
    def wrap_response(  # noqa: PLR0917 - positional, as the C core
        self,
        algo: SupportsIndex,
        k_enc: BytesLike,
        k_mac: BytesLike,
        ssc: BytesLike,
        data: BytesLike,
        sw: SupportsIndex,
        odd: bool = False,
    ) -> bytes: ...


reference: SMBackend = _reference
native: SMBackend | None

try:
    from mrtd.crypto import _core as _impl

    native = _impl
    _BACKEND: Literal["native", "python"] = "native"
except ImportError:  # pragma: no cover - only when the C extension was not built
    from mrtd.crypto import _reference as _impl  # type: ignore[no-redef]

    native = None
    _BACKEND = "python"


class SMAlgorithm(enum.IntEnum):
    """The `algo` of the secure-messaging functions (9303-11 §9.8.3 / §9.8.6)."""

    DES3 = 1  # two-key 3DES-CBC (IV 0), retail MAC; 8-byte SSC
    AES = 2  # AES-CBC (IV = E(K_enc, SSC)), AES-CMAC truncated to 8 bytes; 16-byte SSC


def backend() -> Literal["native", "python"]:
    """Name the active implementation: "native" (C core) or "python" (reference)."""
    return _BACKEND


def constant_time_equal(a: BytesLike, b: BytesLike) -> bool:
    """Compare secrets (MACs, tags) without leaking where they differ."""
    return _impl.equal(a, b)


def wipe(*buffers: bytearray | None) -> None:
    """Overwrite key material with zeros, in place (a same-size slice assignment neither moves
    nor reallocates the buffer). Only a bytearray can be wiped: `bytes` copies made along the
    way (hashlib digests, slices, cryptography's key schedules) stay in memory until freed."""
    for buffer in buffers:
        if buffer is not None:
            buffer[:] = bytes(len(buffer))


def mac(algo: SMAlgorithm, key: BytesLike, data: BytesLike) -> bytes:
    """Pad (ISO/IEC 9797-1 method 2), then the 8-byte MAC (retail MAC or AES-CMAC/8)."""
    return _impl.mac(algo, key, data)


def encrypt(algo: SMAlgorithm, k_enc: BytesLike, ssc: BytesLike, data: BytesLike) -> bytes:
    """Pad (method 2), then CBC-encrypt: IV 0 (3DES) or E(K_enc, SSC) (AES)."""
    return _impl.encrypt(algo, k_enc, ssc, data)


def decrypt(algo: SMAlgorithm, k_enc: BytesLike, ssc: BytesLike, data: BytesLike) -> bytes:
    """CBC-decrypt and strip method-2 padding; SecureMessagingError when either is wrong."""
    return _impl.decrypt(algo, k_enc, ssc, data)


def wrap_command(  # noqa: PLR0917 - positional, as the C core
    algo: SMAlgorithm,
    k_enc: BytesLike,
    k_mac: BytesLike,
    ssc: BytesLike,
    header: BytesLike,
    data: BytesLike,
    le: BytesLike,
) -> bytes:
    """Terminal: the protected command data field [DO'87'|DO'85'] [DO'97'] DO'8E'.

    `header` is CLA INS P1 P2 with CLA masked (0C); an odd INS gets DO'85'. `le` is the
    encoded Le (b"" none, 1 byte with 00 = 256, or 2 bytes extended).
    """
    return _impl.wrap_command(algo, k_enc, k_mac, ssc, header, data, le)


def unwrap_response(
    algo: SMAlgorithm, k_enc: BytesLike, k_mac: BytesLike, ssc: BytesLike, rdata: BytesLike
) -> tuple[bytes, int]:
    """Terminal: check and open a protected response data field (no SW1 SW2): (data, SW)."""
    return _impl.unwrap_response(algo, k_enc, k_mac, ssc, rdata)


def unwrap_command(  # noqa: PLR0917 - positional, as the C core
    algo: SMAlgorithm,
    k_enc: BytesLike,
    k_mac: BytesLike,
    ssc: BytesLike,
    header: BytesLike,
    data: BytesLike,
) -> tuple[bytes, bytes]:
    """Chip: check and open a protected command data field: (data, encoded Le or b"")."""
    return _impl.unwrap_command(algo, k_enc, k_mac, ssc, header, data)


def wrap_response(  # noqa: PLR0917 - positional, as the C core
    algo: SMAlgorithm,
    k_enc: BytesLike,
    k_mac: BytesLike,
    ssc: BytesLike,
    data: BytesLike,
    sw: int,
    odd: bool = False,
) -> bytes:
    """Chip: the protected response data field [DO'87'|DO'85'] DO'99' DO'8E'."""
    return _impl.wrap_response(algo, k_enc, k_mac, ssc, data, sw, odd)


__all__ = [
    "BytesLike",
    "SMAlgorithm",
    "SMBackend",
    "backend",
    "constant_time_equal",
    "decrypt",
    "encrypt",
    "mac",
    "native",
    "reference",
    "unwrap_command",
    "unwrap_response",
    "wipe",
    "wrap_command",
    "wrap_response",
]
