"""Key derivation from a shared secret (ICAO 9303-11 §9.7.1)."""

from __future__ import annotations

import enum
import hashlib


class Cipher(enum.Enum):
    DES3 = "3DES"  # 112-bit two-key 3DES, SHA-1, parity-adjusted
    AES128 = "AES-128"  # SHA-1
    AES192 = "AES-192"  # SHA-256
    AES256 = "AES-256"  # SHA-256


ENC, MAC, PACE = 1, 2, 3  # counters: K_enc, K_mac, K_pi


def derive_key(
    secret: bytes | bytearray | memoryview, counter: int, cipher: Cipher = Cipher.DES3
) -> bytes:
    """KDF(K, c) = H(K || c) truncated to the cipher's key length. The secret is hashed where
    it lies (no concatenated copy), so a bytearray the caller wipes leaves no copy here."""
    sha1 = cipher in (Cipher.DES3, Cipher.AES128)
    hasher = hashlib.sha1(secret) if sha1 else hashlib.sha256(secret)  # noqa: S324 - 9303-11
    hasher.update(counter.to_bytes(4, "big"))
    digest = hasher.digest()
    if cipher is Cipher.DES3:
        return adjust_parity(digest[:16])
    if cipher is Cipher.AES128:
        return digest[:16]
    return digest[:24] if cipher is Cipher.AES192 else digest


def adjust_parity(key: bytes) -> bytes:
    """Set each DES key byte's low bit so the byte has odd parity (FIPS 46-3)."""
    return bytes((b & 0xFE) | ((b.bit_count() + 1 - (b & 1)) & 1) for b in key)
