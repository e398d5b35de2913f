"""Unpadded two-key 3DES-CBC with a zero IV, for the BAC cryptograms (9303-11 §4.3.3).

The hot secure-messaging path is in `mrtd.crypto`; this runs twice per BAC.
"""

from __future__ import annotations

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

ZERO_IV = bytes(8)


def _cipher(key: bytes) -> Cipher[modes.CBC]:
    if len(key) != 16:
        raise ValueError("BAC keys are 16 bytes (two-key 3DES)")
    return Cipher(TripleDES(key + key[:8]), modes.CBC(ZERO_IV))


def encrypt(key: bytes, data: bytes) -> bytes:
    encryptor = _cipher(key).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def decrypt(key: bytes, data: bytes) -> bytes:
    decryptor = _cipher(key).decryptor()
    return decryptor.update(data) + decryptor.finalize()
