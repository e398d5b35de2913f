"""BAC document basic access keys from K_seed (ICAO 9303-11 §9.7.1, §4.3.2)."""

from __future__ import annotations

from dataclasses import dataclass

from mrtd.access.keys import MRZKey
from mrtd.crypto import wipe
from mrtd.crypto.kdf import ENC, MAC, Cipher, derive_key


@dataclass(frozen=True, slots=True, repr=False, eq=False)
class BACKeys:
    """K_enc and K_mac (16-byte two-key 3DES, parity-adjusted), in bytearrays that `wipe()`
    zeroes; BAC wipes its own as soon as the session keys are agreed."""

    enc: bytearray
    mac: bytearray

    def wipe(self) -> None:
        wipe(self.enc, self.mac)

    def __repr__(self) -> str:
        return "BACKeys(<redacted>)"


def derive_bac_keys(key: MRZKey) -> BACKeys:
    seed = bytearray(key.key_seed)
    try:
        return BACKeys(
            bytearray(derive_key(seed, ENC, Cipher.DES3)),
            bytearray(derive_key(seed, MAC, Cipher.DES3)),
        )
    finally:
        wipe(seed)
