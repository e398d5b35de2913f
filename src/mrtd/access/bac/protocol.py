"""Basic Access Control, terminal side, as a sans-I/O generator (ICAO 9303-11 §4.3).

    channel = yield from bac(key, random_bytes)

yields `CommandAPDU`s, receives `ResponseAPDU`s and returns the `SecureChannel`. Randomness
is injected so the 9303-11 Appendix D example replays byte-exact.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Generator

from mrtd import crypto
from mrtd.access.bac import cipher
from mrtd.access.bac.keys import BACKeys, derive_bac_keys
from mrtd.access.keys import MRZKey
from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.crypto import SMAlgorithm
from mrtd.crypto.kdf import ENC, MAC, Cipher, derive_key
from mrtd.errors import BACError, CardStatusError
from mrtd.sm import SecureChannel

GET_CHALLENGE = CommandAPDU(0x00, 0x84, 0x00, 0x00, ne=8)
ACCESS_REFUSED = (0x6300, 0x6982, 0x6985, 0x6A80, 0x6A88)  # seen for a wrong MRZ key
# MUTUAL AUTHENTICATE with a wrong key fails the chip's MAC check over E.IFD: besides the above,
# real chips answer 6988 (secure messaging data objects incorrect) or 63Cx (tries left).
WRONG_KEY = (*ACCESS_REFUSED, 0x6988)

Protocol = Generator[CommandAPDU, ResponseAPDU, SecureChannel]

_log = logging.getLogger(__name__)


def bac(key: MRZKey, random_bytes: Callable[[int], bytes] = os.urandom) -> Protocol:
    keys = derive_bac_keys(key)
    try:
        return (yield from _authenticate(keys, random_bytes))
    finally:
        keys.wipe()


def _authenticate(keys: BACKeys, random_bytes: Callable[[int], bytes]) -> Protocol:
    challenge = yield GET_CHALLENGE
    if not challenge.ok:
        raise _failure(challenge, "GET CHALLENGE")
    if len(challenge.data) != 8:
        raise BACError("GET CHALLENGE answer has the wrong length")
    rnd_icc = challenge.data
    rnd_ifd, k_ifd = random_bytes(8), bytearray(random_bytes(16))
    s_ifd, plain = bytearray(rnd_ifd + rnd_icc) + k_ifd, bytearray()
    try:
        e_ifd = cipher.encrypt(keys.enc, s_ifd)
        m_ifd = crypto.mac(SMAlgorithm.DES3, keys.mac, e_ifd)
        answer = yield CommandAPDU(0x00, 0x82, 0x00, 0x00, e_ifd + m_ifd, ne=40)
        if not answer.ok:
            raise _failure(answer, "MUTUAL AUTHENTICATE", WRONG_KEY)
        if len(answer.data) != 40:
            raise BACError("MUTUAL AUTHENTICATE answer has the wrong length")
        e_icc, m_icc = answer.data[:32], answer.data[32:]
        if not crypto.constant_time_equal(crypto.mac(SMAlgorithm.DES3, keys.mac, e_icc), m_icc):
            raise BACError("chip's MUTUAL AUTHENTICATE cryptogram has a wrong MAC")
        plain[:] = cipher.decrypt(keys.enc, e_icc)
        # Both halves in constant time: the chip's nonce is public, but `plain` is not.
        echoed = crypto.constant_time_equal(plain[:8], rnd_icc)
        if not (crypto.constant_time_equal(plain[8:16], rnd_ifd) and echoed):
            raise BACError("chip's MUTUAL AUTHENTICATE answer does not match the challenge")
        _log.debug("BAC: the chip proved it knows the key; session keys agreed")
        return session_channel(k_ifd, memoryview(plain)[16:32], rnd_icc, rnd_ifd)
    finally:
        crypto.wipe(k_ifd, s_ifd, plain)


def session_channel(
    k_ifd: crypto.BytesLike, k_icc: crypto.BytesLike, rnd_icc: bytes, rnd_ifd: bytes
) -> SecureChannel:
    """Session keys from K_IFD xor K_ICC; SSC from the low halves of the nonces (§9.7.4)."""
    seed = bytearray(a ^ b for a, b in zip(k_ifd, k_icc, strict=True))
    try:
        return SecureChannel(
            SMAlgorithm.DES3,
            derive_key(seed, ENC, Cipher.DES3),
            derive_key(seed, MAC, Cipher.DES3),
            rnd_icc[4:] + rnd_ifd[4:],
        )
    finally:
        crypto.wipe(seed)


def _failure(
    response: ResponseAPDU, step: str, refused: tuple[int, ...] = ACCESS_REFUSED
) -> Exception:
    if response.sw in refused or response.sw >> 4 == 0x63C:
        return BACError(
            f"access denied: the chip refused {step} ({response.sw:04X}); "
            "the MRZ data (document number, birth or expiry date) is probably wrong"
        )
    return CardStatusError(response.sw, step)
