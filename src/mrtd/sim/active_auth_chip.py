"""The simulated chip's half of Active Authentication (ICAO 9303-11 §6.1): INTERNAL
AUTHENTICATE signs the terminal's challenge with the document's private key, RSA with ISO/IEC
9796-2 scheme 1 (`mrtd.crypto.iso9796`) or ECDSA as plain r || s (BSI TR-03111). The same
object writes DG15 and, for ECDSA, DG14's ActiveAuthenticationInfo, so the files and the chip
always agree.

Like a card, `answer` refuses a malformed command with a status word, never an exception. The
RSA private operation is Python integer arithmetic (CRT): not constant-time, which a simulator
holding test keys can afford.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, utils

from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.crypto import iso9796
from mrtd.crypto.domains import CURVES_BY_NAME
from mrtd.lds.dg15 import build_dg15
from mrtd.lds.security.kinds import ActiveAuthenticationInfo
from mrtd.lds.sod import CRYPTOGRAPHY_CURVES, CRYPTOGRAPHY_HASHES
from mrtd.verify.active import CHALLENGE_SIZE, INS_INTERNAL_AUTHENTICATE, PLAIN_OIDS

__all__ = ["ChipActiveAuthentication"]

SW_OK, SW_WRONG_LENGTH, SW_WRONG_P1P2, SW_INS_NOT_SUPPORTED = 0x9000, 0x6700, 0x6A86, 0x6D00
RSA_EXPONENT = 65537
_RSA_LOCK = threading.Lock()  # one generated key per (bits, seed), whichever thread asks first
RSA_BITS = range(1024, 8193)  # cryptography generates from 1024 bits; 8192 is already slow
#: cryptography's curve name ("secp256r1") -> the curve (its order sizes r and s; its name).
CURVES = {curve.name: CURVES_BY_NAME[name] for name, curve in CRYPTOGRAPHY_CURVES.items()}

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class ChipActiveAuthentication:
    """The chip's Active Authentication key and hash. `random_bytes` draws M1 (RSA)."""

    private_key: PrivateKey
    hash_algorithm: str
    random_bytes: Callable[[int], bytes] = os.urandom

    def __post_init__(self) -> None:
        if self.hash_algorithm not in CRYPTOGRAPHY_HASHES:
            raise ValueError(f"Active Authentication with the hash {self.hash_algorithm} is not "
                             "supported (sha1, sha224, sha256, sha384, sha512)")  # fmt: skip
        key = self.private_key
        if isinstance(key, rsa.RSAPrivateKey):
            if iso9796.recoverable_length(key.key_size, self.hash_algorithm) < 0:
                raise ValueError(f"an RSA-{key.key_size} key is too small for ISO/IEC 9796-2 "
                                 f"with {self.hash_algorithm}")  # fmt: skip
        elif isinstance(key, ec.EllipticCurvePrivateKey):
            if key.curve.name not in CURVES:
                raise ValueError(f"the simulated chip cannot sign on {key.curve.name}")
        else:
            raise TypeError("Active Authentication needs an RSA or EC private key")

    @classmethod
    def from_spec(cls, spec: str, seed: bytes) -> ChipActiveAuthentication:
        """A key for "rsa-<bits>-<hash>" ("rsa-2048-sha256") or "ecdsa-<curve>-<hash>"
        ("ecdsa-brainpoolP256r1-sha256"), made for the document `seed` stands for.

        EC keys are derived from the seed. RSA keys are generated, once per (bits, seed) in a
        process: the same document keeps its key within a process, and gets another in the
        next one, which is enough because DG15 and EF.SOD are built in the process that runs
        the chip."""
        key, hash_algorithm = _parse_spec(spec)
        if isinstance(key, int):
            return cls(_rsa_key(key, bytes(seed)), hash_algorithm)
        label = f"mrtd-sim-aa|{key}|".encode()
        private = int.from_bytes(hashlib.sha512(label + seed).digest(), "big")
        private = private % (CURVES_BY_NAME[key].n - 1) + 1
        return cls(ec.derive_private_key(private, CRYPTOGRAPHY_CURVES[key]), hash_algorithm)

    @staticmethod
    def spec_check(spec: str) -> None:
        """ValueError unless `from_spec` knows `spec` (a profile check, without making keys)."""
        _parse_spec(spec)

    @classmethod
    def from_private_key_file(
        cls, path_or_bytes: str | Path | bytes, hash_algorithm: str
    ) -> ChipActiveAuthentication:
        """A data set's private key: PKCS#8 (DER or PEM, unencrypted), RSA or EC."""
        if isinstance(path_or_bytes, bytes):
            data = path_or_bytes
        else:
            data = Path(path_or_bytes).read_bytes()
        loader = (serialization.load_pem_private_key if data.lstrip().startswith(b"-----")
                  else serialization.load_der_private_key)  # fmt: skip
        try:
            key = loader(data, None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise ValueError("not an unencrypted PKCS#8 private key") from None
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ValueError(
                f"Active Authentication needs an RSA or EC key, not {type(key).__name__}"
            )
        return cls(key, hash_algorithm)

    @property
    def signature_size(self) -> int:
        key = self.private_key
        if isinstance(key, rsa.RSAPrivateKey):
            return (key.key_size + 7) // 8
        return 2 * _order_size(key)

    def sign(self, challenge: bytes) -> bytes:
        """The signature over `challenge`: F^d mod n (M1 random, as long as fits), or r || s."""
        key = self.private_key
        if isinstance(key, rsa.RSAPrivateKey):
            bits = key.key_size
            m1 = self.random_bytes(iso9796.recoverable_length(bits, self.hash_algorithm))
            f = iso9796.message_representative(m1, challenge, bits, self.hash_algorithm)
            s = _rsa_private(key, int.from_bytes(f, "big"))
            return s.to_bytes(self.signature_size, "big")
        digest = CRYPTOGRAPHY_HASHES[self.hash_algorithm]()
        r, s = utils.decode_dss_signature(key.sign(challenge, ec.ECDSA(digest)))
        size = _order_size(key)
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")

    def dg15(self) -> bytes:
        """DG15: the public key as a SubjectPublicKeyInfo (a named curve for EC)."""
        spki = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return build_dg15(spki)

    def security_info(self) -> ActiveAuthenticationInfo | None:
        """DG14's ActiveAuthenticationInfo: ecdsa-plain-<hash> for ECDSA, None for RSA."""
        if isinstance(self.private_key, rsa.RSAPrivateKey):
            return None
        return ActiveAuthenticationInfo.build(PLAIN_OIDS[self.hash_algorithm])

    def answer(self, command: CommandAPDU) -> ResponseAPDU:
        """INTERNAL AUTHENTICATE: 00 88 00 00, an 8-byte challenge, Le covering the signature."""
        if command.ins != INS_INTERNAL_AUTHENTICATE:
            return ResponseAPDU(b"", SW_INS_NOT_SUPPORTED)
        if command.p1 or command.p2:
            return ResponseAPDU(b"", SW_WRONG_P1P2)
        if len(command.data) != CHALLENGE_SIZE or (command.ne or 0) < self.signature_size:
            return ResponseAPDU(b"", SW_WRONG_LENGTH)
        return ResponseAPDU(self.sign(command.data), SW_OK)

    def __repr__(self) -> str:
        key = self.private_key
        if isinstance(key, rsa.RSAPrivateKey):
            kind = f"RSA-{key.key_size}"
        else:
            kind = f"ECDSA {CURVES[key.curve.name].name}"
        return f"ChipActiveAuthentication({kind}, {self.hash_algorithm})"


def _rsa_key(bits: int, seed: bytes) -> rsa.RSAPrivateKey:
    """A fresh key per (bits, seed), kept for the process: generation takes up to seconds.
    Locked, so that two threads making the same document's files get one key."""
    with _RSA_LOCK:
        return _generate_rsa_key(bits, seed)


@cache
def _generate_rsa_key(bits: int, seed: bytes) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(RSA_EXPONENT, bits)


def _rsa_private(key: rsa.RSAPrivateKey, f: int) -> int:
    """f^d mod n by the Chinese remainder theorem."""
    numbers = key.private_numbers()
    p, q = numbers.p, numbers.q
    m_p, m_q = pow(f, numbers.dmp1, p), pow(f, numbers.dmq1, q)
    return m_q + (numbers.iqmp * (m_p - m_q) % p) * q


def _order_size(key: ec.EllipticCurvePrivateKey) -> int:
    return (CURVES[key.curve.name].n.bit_length() + 7) // 8


def _parse_spec(spec: str) -> tuple[int | str, str]:
    """(RSA modulus bits or curve name, hash) of "rsa-<bits>-<hash>" / "ecdsa-<curve>-<hash>"."""
    kind, _, rest = spec.partition("-")
    middle, _, hash_algorithm = rest.rpartition("-")
    if hash_algorithm in CRYPTOGRAPHY_HASHES:
        if kind == "rsa" and middle.isascii() and middle.isdigit():
            if int(middle) not in RSA_BITS:
                raise ValueError(f"Active Authentication key {spec!r}: RSA keys of 1024 to "
                                 "8192 bits")  # fmt: skip
            return int(middle), hash_algorithm
        if kind == "ecdsa" and middle in CURVES_BY_NAME:
            if middle not in CRYPTOGRAPHY_CURVES:
                raise ValueError(f"Active Authentication key {spec!r}: the simulated chip "
                                 f"cannot sign on {middle} (cryptography lacks it)")  # fmt: skip
            return middle, hash_algorithm
    raise ValueError(f"unknown Active Authentication key {spec!r}: expected rsa-<bits>-<hash> "
                     "or ecdsa-<curve>-<hash> with a hash of sha1, sha224, sha256, sha384, "
                     "sha512")  # fmt: skip
