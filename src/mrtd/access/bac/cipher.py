"""Unpadded two-key 3DES-CBC with a zero IV, for the BAC cryptograms (9303-11 §4.3.3).

The hot secure-messaging path is in `mrtd.crypto`; this runs twice per BAC.
"""

from __future__ import annotations

from typing import cast

from cryptography.hazmat.primitives.ciphers import Cipher, modes

from mrtd.crypto import BytesLike, wipe
from mrtd.crypto._compat import TripleDES

ZERO_IV = bytes(8)


def encrypt(key: BytesLike, data: BytesLike) -> bytes:
    return _run(key, data, encrypt=True)


def decrypt(key: BytesLike, data: BytesLike) -> bytes:
    return _run(key, data, encrypt=False)


def _run(key: BytesLike, data: BytesLike, *, encrypt: bool) -> bytes:
    if len(key) != 16:
        raise ValueError("BAC keys are 16 bytes (two-key 3DES)")
    k1k2k1 = bytearray(key) + key[:8]
    try:
        # cryptography takes any buffer as a key; its stub says bytes
        cipher = Cipher(TripleDES(cast("bytes", k1k2k1)), modes.CBC(ZERO_IV))
        context = cipher.encryptor() if encrypt else cipher.decryptor()
        return context.update(data) + context.finalize()
    finally:
        wipe(k1k2k1)
