"""DG15: the Active Authentication public key (9303-10 §4.7.15; 9303-11 §6.1).

6F DG15 { SubjectPublicKeyInfo }: RSA (ISO/IEC 9796-2 signatures) or EC (ECDSA). EC keys may
spell their domain parameters out (X9.62 SpecifiedECDomain); those are mapped to the named
curve they equal (`mrtd.crypto.spki.decode_public_key`), by mrtd whatever the version of
pyca/cryptography (46 loads only named curves). Seen in specimen data and accepted: an RSA
modulus written as a negative DER INTEGER (its leading zero byte left out); it is read as
unsigned and flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asn1crypto import keys
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from mrtd import tlv
from mrtd.crypto.domains import ECCurve
from mrtd.crypto.spki import decode_public_key
from mrtd.der import SEQUENCE
from mrtd.errors import DecodeError
from mrtd.lds.sod import CRYPTOGRAPHY_CURVES

__all__ = ["MAX_SIZE", "DG15File", "build_dg15"]

TAG = 0x6F
MAX_SIZE = 1 << 14  # an RSA-8192 key has about 1.1 kB
_ASN1_ERRORS = (
    ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError, RecursionError,
)  # fmt: skip

"""The curves pyca/cryptography knows, by `ECCurve.name`."""


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class DG15File:
    """A parsed DG15. Equality is equality of the SubjectPublicKeyInfo bytes.

    `key_size` is the modulus size for RSA and the field size for EC (as cryptography counts).
    `curve` is the named curve when the parameters equal one, else an `ECCurve` named
    "explicit"; None for RSA.
    """

    algorithm: str  # "RSA" or "EC"
    key_size: int
    curve: ECCurve | None
    public_key_info: keys.PublicKeyInfo
    negative_modulus: bool = False  # the RSA modulus was encoded without its leading zero

    @classmethod
    def from_bytes(cls, data: bytes) -> DG15File:
        """Parse DG15: tag 6F holding exactly one SubjectPublicKeyInfo."""
        if len(data) > MAX_SIZE:
            raise DecodeError(f"DG15: more than {MAX_SIZE} bytes")
        outer = tlv.decode_one(data)
        if outer.tag != TAG:
            raise DecodeError(f"DG15 must have tag 6F, not {outer.tag:X}")
        content = outer.children()
        if len(content) != 1 or content[0].tag != SEQUENCE:
            raise DecodeError("DG15 must hold exactly one SubjectPublicKeyInfo")
        try:
            info = keys.PublicKeyInfo.load(outer.value, strict=True)
            algorithm = info["algorithm"]["algorithm"].native
            if algorithm in ("rsa", "ec"):
                info.native  # noqa: B018 - parse everything now, so that errors surface here
        except _ASN1_ERRORS as exc:
            raise DecodeError(
                f"DG15: malformed SubjectPublicKeyInfo ({type(exc).__name__})"
            ) from None
        if algorithm == "rsa":
            modulus, exponent, negative = _rsa_numbers(info)
            if modulus < 3 or exponent < 3:
                raise DecodeError("DG15: RSA modulus or exponent out of range")
            return cls("RSA", modulus.bit_length(), None, info, negative_modulus=negative)
        if algorithm == "ec":
            domain, _, _ = decode_public_key(content[0])
            if not isinstance(domain, ECCurve):
                raise DecodeError("DG15: EC key without EC domain parameters")
            return cls("EC", domain.p.bit_length(), domain, info)
        raise DecodeError(f"DG15: key algorithm {algorithm} is not RSA or EC")

    @property
    def ec_point(self) -> bytes | None:
        """The EC public point as stored (SEC 1), or None for RSA."""
        if self.algorithm != "EC":
            return None
        return bytes(self.public_key_info["public_key"].native)

    def public_key(self) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
        """The key for pyca/cryptography; DecodeError if cryptography cannot hold it."""
        if self.curve is None:
            modulus, exponent, _ = _rsa_numbers(self.public_key_info)
            # What cryptography checks too (n odd, e odd, 3 <= e < n; 3 is checked in
            # from_bytes), checked here so that the outcome does not rest on its version.
            if modulus % 2 == 0 or exponent % 2 == 0 or exponent >= modulus:
                raise DecodeError("DG15: RSA key is not valid (modulus or exponent)")
            try:
                return rsa.RSAPublicNumbers(exponent, modulus).public_key()
            except ValueError:
                raise DecodeError("DG15: RSA key is not valid (modulus or exponent)") from None
        known = CRYPTOGRAPHY_CURVES.get(self.curve.name)
        if known is None:
            what = "explicit parameters of no named curve" if not self.curve.oid else "curve"
            raise DecodeError(
                f"DG15: EC key on {self.curve.name} ({what}) is not supported by cryptography"
            )
        try:
            return ec.EllipticCurvePublicKey.from_encoded_point(known, self.ec_point or b"")
        except ValueError:
            raise DecodeError(f"DG15: EC public point is not on {self.curve.name}") from None

    def to_bytes(self) -> bytes:
        """DG15 as stored (the SubjectPublicKeyInfo's own bytes inside tag 6F)."""
        return build_dg15(self.public_key_info.dump())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DG15File) and other.public_key_info.dump() == (
            self.public_key_info.dump()
        )

    def __hash__(self) -> int:
        return hash(self.public_key_info.dump())

    def __repr__(self) -> str:
        curve = f"{self.curve.name}, " if self.curve is not None else ""
        return f"DG15File({self.algorithm}, {curve}{self.key_size} bits)"


def build_dg15(public_key_info_der: bytes) -> bytes:
    """DG15 around a DER SubjectPublicKeyInfo (checked to be one SEQUENCE)."""
    try:
        spki = tlv.decode_one(public_key_info_der)
    except DecodeError as exc:
        raise ValueError(f"not a SubjectPublicKeyInfo: {exc}") from None
    if spki.tag != SEQUENCE:
        raise ValueError("not a SubjectPublicKeyInfo: a SEQUENCE is expected")
    return tlv.encode(TAG, bytes(public_key_info_der))


def _rsa_numbers(info: keys.PublicKeyInfo) -> tuple[int, int, bool]:
    """(modulus, exponent, whether the modulus was negative); a negative modulus is read as the
    unsigned number it was meant to be."""
    try:
        numbers: Any = info["public_key"].parsed
        modulus, exponent = int(numbers["modulus"].native), int(numbers["public_exponent"].native)
        if modulus >= 0:
            return modulus, exponent, False
        return modulus + (1 << (8 * len(numbers["modulus"].contents))), exponent, True
    except _ASN1_ERRORS as exc:
        raise DecodeError(f"DG15: malformed RSA public key ({type(exc).__name__})") from None
