"""Basic Access Control, terminal side, as a sans-I/O generator (ICAO 9303-11 §4.3).

    channel = yield from bac(key, random_bytes)

yields `CommandAPDU`s, receives `ResponseAPDU`s and returns the `SecureChannel`. Randomness
is injected so the 9303-11 Appendix D example replays byte-exact.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator

from mrtd import crypto
from mrtd.access_key import MRZKey
from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.bac import cipher
from mrtd.bac.keys import derive_bac_keys
from mrtd.crypto import SMAlgorithm
from mrtd.crypto.kdf import ENC, MAC, Cipher, derive_key
from mrtd.errors import BACError, CardStatusError
from mrtd.sm import SecureChannel

GET_CHALLENGE = CommandAPDU(0x00, 0x84, 0x00, 0x00, ne=8)
ACCESS_REFUSED = (0x6300, 0x6982, 0x6985, 0x6A80, 0x6A88)  # seen for a wrong MRZ key

Protocol = Generator[CommandAPDU, ResponseAPDU, SecureChannel]


def bac(key: MRZKey, random_bytes: Callable[[int], bytes] = os.urandom) -> Protocol:
    keys = derive_bac_keys(key)
    challenge = yield GET_CHALLENGE
    if not challenge.ok or len(challenge.data) != 8:
        raise _failure(challenge, "GET CHALLENGE")
    rnd_icc = challenge.data
    rnd_ifd, k_ifd = random_bytes(8), random_bytes(16)

    e_ifd = cipher.encrypt(keys.enc, rnd_ifd + rnd_icc + k_ifd)
    m_ifd = crypto.mac(SMAlgorithm.DES3, keys.mac, e_ifd)
    answer = yield CommandAPDU(0x00, 0x82, 0x00, 0x00, e_ifd + m_ifd, ne=40)
    if not answer.ok:
        raise _failure(answer, "MUTUAL AUTHENTICATE")
    if len(answer.data) != 40:
        raise BACError("MUTUAL AUTHENTICATE answer has the wrong length")
    e_icc, m_icc = answer.data[:32], answer.data[32:]
    if not crypto.constant_time_equal(crypto.mac(SMAlgorithm.DES3, keys.mac, e_icc), m_icc):
        raise BACError("chip's MUTUAL AUTHENTICATE cryptogram has a wrong MAC")
    plain = cipher.decrypt(keys.enc, e_icc)
    if plain[:8] != rnd_icc or not crypto.constant_time_equal(plain[8:16], rnd_ifd):
        raise BACError("chip's MUTUAL AUTHENTICATE answer does not match the challenge")
    return session_channel(k_ifd, plain[16:32], rnd_icc, rnd_ifd)


def session_channel(k_ifd: bytes, k_icc: bytes, rnd_icc: bytes, rnd_ifd: bytes) -> SecureChannel:
    """Session keys from K_IFD xor K_ICC; SSC from the low halves of the nonces (§9.7.4)."""
    seed = bytes(a ^ b for a, b in zip(k_ifd, k_icc, strict=True))
    return SecureChannel(
        SMAlgorithm.DES3,
        derive_key(seed, ENC, Cipher.DES3),
        derive_key(seed, MAC, Cipher.DES3),
        rnd_icc[4:] + rnd_ifd[4:],
    )


def _failure(response: ResponseAPDU, step: str) -> Exception:
    if response.sw in ACCESS_REFUSED:
        return BACError(f"access denied: the chip refused {step} (wrong MRZ data?)")
    return CardStatusError(response.sw, step)
