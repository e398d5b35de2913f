"""ISO/IEC 9796-2 digital signature scheme 1 with partial message recovery, as Active
Authentication signs with RSA (ICAO 9303-11 §6.1.2; ISO/IEC 9796-2:2010 §8, Annex B).

For a k-bit modulus the message representative F is k // 4 nibbles, read left to right:

    6 | B ... B A | M1 | H | trailer

'6' is the header '01' with the more-data bit set (partial recovery: the rest of the message,
M2, is the terminal's challenge); then padding nibbles 'B' closed by 'A'; M1, the recoverable
part; H = hash(M1 || M2); and the trailer, 'BC' (SHA-1) or the ISO/IEC 10118-3 hash identifier
followed by 'CC'. A signer makes M1 as long as fits, so F starts 6A when k is a multiple of 8.

The signature is F^d mod n, or n minus it (the alternative form, ISO/IEC 9796-2 Annex B): the
verifier takes s^e mod n when that ends in the nibble C, else n minus it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from mrtd import crypto
from mrtd.errors import DecodeError

__all__ = [
    "HASH_IDS",
    "Recovered",
    "message_representative",
    "recover",
    "recoverable_length",
    "rsa_open",
]

#: ISO/IEC 10118-3 hash-function identifiers, as a two-byte trailer carries them (id || CC).
HASH_IDS = {"sha1": 0x33, "sha256": 0x34, "sha512": 0x35, "sha384": 0x36, "sha224": 0x38}
HASH_BY_ID = {id_: name for name, id_ in HASH_IDS.items()}
IMPLICIT_SHA1 = 0xBC  # the one-byte trailer: SHA-1, not named
EXPLICIT = 0xCC  # the last byte of a two-byte trailer
HEADER, PAD, PAD_END, TRAILER_NIBBLE = "6", "b", "a", 0xC


@dataclass(frozen=True, slots=True, repr=False)
class Recovered:
    """What a representative F holds: M1, the hash H and the hash the trailer names."""

    m1: bytes
    digest: bytes
    hash_algorithm: str

    def matches(self, m2: bytes) -> bool:
        """Whether H = hash(M1 || M2), compared in constant time."""
        expected = hashlib.new(self.hash_algorithm, self.m1 + m2).digest()
        return crypto.constant_time_equal(expected, self.digest)

    def __repr__(self) -> str:
        return f"Recovered({len(self.m1)} bytes of M1, {self.hash_algorithm})"


def recoverable_length(key_bits: int, hash_algorithm: str) -> int:
    """Bytes of M1 a k-bit key carries with this hash (the header and one 'A' take a byte);
    negative when the hash does not fit."""
    nibbles = key_bits // 4 - 2  # '6' and at least 'A'
    return nibbles // 2 - _digest_size(hash_algorithm) - len(_trailer(hash_algorithm))


def message_representative(m1: bytes, m2: bytes, key_bits: int, hash_algorithm: str) -> bytes:
    """F for M1 || M2 (`(key_bits + 7) // 8` bytes); padding 'B' fills what M1 leaves.

    ValueError when M1 is longer than `recoverable_length` or the hash is not one of HASH_IDS.
    """
    if len(m1) > recoverable_length(key_bits, hash_algorithm):
        raise ValueError(f"M1 of {len(m1)} bytes does not fit a {key_bits}-bit key")
    digest = hashlib.new(hash_algorithm, m1 + m2).digest()
    body = (m1 + digest + _trailer(hash_algorithm)).hex()
    padding = key_bits // 4 - 1 - len(body)  # at least one nibble: checked above
    f = int(HEADER + PAD * (padding - 1) + PAD_END + body, 16)
    return f.to_bytes((key_bits + 7) // 8, "big")


def rsa_open(signature: bytes, modulus: int, exponent: int) -> int:
    """The representative an RSA signature carries: s^e mod n, or n minus it when that does not
    end in the nibble C. DecodeError when s is 0 or not below n."""
    s = int.from_bytes(signature, "big")
    if not 0 < s < modulus:
        raise DecodeError("ISO/IEC 9796-2: the signature is out of range")
    f = pow(s, exponent, modulus)
    return f if f & 0xF == TRAILER_NIBBLE else modulus - f


def recover(representative: int, key_bits: int) -> Recovered:
    """M1, H and the hash from F; DecodeError when F is not a scheme 1 representative with
    partial recovery, or its trailer names a hash this module does not know."""
    nibbles = key_bits // 4
    if representative < 0 or representative >> (4 * nibbles):
        raise DecodeError("ISO/IEC 9796-2: the representative is longer than the key")
    text = format(representative, "x").rjust(nibbles, "0")
    if text[0] != HEADER:
        raise DecodeError("ISO/IEC 9796-2: the header is not 6 (scheme 1, partial recovery)")
    start = 1
    while start < nibbles and text[start] == PAD:
        start += 1
    if start == nibbles or text[start] != PAD_END or (nibbles - start - 1) % 2:
        raise DecodeError("ISO/IEC 9796-2: the padding is malformed")
    body = bytes.fromhex(text[start + 1 :])
    if body[-1:] == bytes((IMPLICIT_SHA1,)):
        hash_algorithm, trailer = "sha1", 1
    elif len(body) >= 2 and body[-1] == EXPLICIT and body[-2] in HASH_BY_ID:
        hash_algorithm, trailer = HASH_BY_ID[body[-2]], 2
    else:
        raise DecodeError("ISO/IEC 9796-2: the trailer names no known hash")
    end = len(body) - trailer
    size = _digest_size(hash_algorithm)
    if end < size:
        raise DecodeError("ISO/IEC 9796-2: the representative is too short for its hash")
    return Recovered(body[: end - size], body[end - size : end], hash_algorithm)


def _trailer(hash_algorithm: str) -> bytes:
    if hash_algorithm == "sha1":
        return bytes((IMPLICIT_SHA1,))
    if hash_algorithm not in HASH_IDS:
        raise ValueError(f"ISO/IEC 9796-2 has no identifier for the hash {hash_algorithm}")
    return bytes((HASH_IDS[hash_algorithm], EXPLICIT))


def _digest_size(hash_algorithm: str) -> int:
    if hash_algorithm not in HASH_IDS:
        raise ValueError(f"ISO/IEC 9796-2 has no identifier for the hash {hash_algorithm}")
    return hashlib.new(hash_algorithm).digest_size
