"""CMS and X.509 signature checks (EF.SOD, EF.CardSecurity, certificates, CRLs): RSA PKCS#1 v1.5,
RSASSA-PSS with the AlgorithmIdentifier's parameters, and ECDSA on any prime curve, explicit
parameters included.

EC keys are read by mrtd itself, never by pyca/cryptography's key loader: whether that loader
takes explicit parameters (seen in real DS and CSCA certificates) depends on its version
(46 refuses them, 51 loads brainpool ones). The parameters are matched to a named curve by
value (p, a, b, G, n, h); a key on a curve cryptography implements is handed to it as that
curve, any other is verified with the library's own EC group (public scalars only, so no
secret is at stake in the arithmetic).

Reading a key (parsing its SubjectPublicKeyInfo, matching explicit parameters, validating the
point, building a group) costs more than an RSA verification, and a reader checks the same few
DS keys again and again: loaded keys are cached by the DER of their SubjectPublicKeyInfo.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import lru_cache

from asn1crypto import algos, core, keys
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from mrtd import tlv
from mrtd.crypto.domains import ECCurve
from mrtd.crypto.ec import ECGroup
from mrtd.crypto.spki import EC_PUBLIC_KEY_OID, EXPLICIT, DomainEncoding, decode_public_key
from mrtd.errors import DecodeError, InvalidPointError
from mrtd.lds.sod import CRYPTOGRAPHY_CURVES, CRYPTOGRAPHY_HASHES
from mrtd.verify.outcome import KeyInfo

__all__ = [
    "CRYPTOGRAPHY_CURVES",
    "KeyInfo",
    "SignatureCheckError",
    "SignatureInfo",
    "describe_key",
    "describe_signature",
    "verify",
]

_KEY_CACHE_SIZE = 256  # DS and CSCA keys a long-running reader meets; each entry is small


PLAIN_ECDSA = {  # BSI TR-03111 ecdsa-plain-signatures: 0.4.0.127.0.7.1.1.4.1.n
    f"0.4.0.127.0.7.1.1.4.1.{n}": digest
    for n, digest in enumerate(("sha1", "sha224", "sha256", "sha384", "sha512"), 1)
}


class SignatureCheckError(Exception):
    """Why a signature could not be checked at all (unsupported algorithm or key)."""


@dataclass(frozen=True, slots=True)
class SignatureInfo:
    """One signature's algorithms: `scheme` "rsassa_pkcs1v15", "rsassa_pss", "ecdsa" or
    "ecdsa_plain" (else the algorithm as named), `hash` ("sha1", "sha256", ...; "" when it
    cannot be told) and the signer's `key` (None when no key verified it)."""

    scheme: str
    hash: str
    key: KeyInfo | None = None

    def as_dict(self) -> dict[str, object]:
        key = self.key.as_dict() if self.key is not None else None
        return {"scheme": self.scheme, "hash": self.hash, "key": key}


def describe_signature(
    algorithm: algos.SignedDigestAlgorithm,
    digest_algorithm: str = "",
    public_key: keys.PublicKeyInfo | None = None,
) -> SignatureInfo:
    """The scheme and hash `verify` uses for `algorithm` (`digest_algorithm` where the
    algorithm names no hash), and `public_key` described; never raises."""
    try:
        name = str(algorithm["algorithm"].native)
    except (ValueError, TypeError, KeyError):
        return SignatureInfo("unknown", "", _key_info(public_key))
    scheme, hash_name = name, ""
    if name == "rsassa_pss":
        scheme = name
        try:
            hash_name = str(algorithm["parameters"]["hash_algorithm"]["algorithm"].native)
        except (ValueError, TypeError, KeyError):
            hash_name = ""
    elif name.endswith("_rsa") or name == "rsassa_pkcs1v15":
        scheme = "rsassa_pkcs1v15"
        hash_name = name.removesuffix("_rsa") if name.endswith("_rsa") else digest_algorithm
    elif name.endswith("_ecdsa") or name in ("ecdsa", EC_PUBLIC_KEY_OID):
        scheme = "ecdsa"
        hash_name = name.removesuffix("_ecdsa") if name.endswith("_ecdsa") else digest_algorithm
    elif name in PLAIN_ECDSA:
        scheme, hash_name = "ecdsa_plain", PLAIN_ECDSA[name]
    return SignatureInfo(scheme, hash_name, _key_info(public_key))


def describe_key(public_key: keys.PublicKeyInfo) -> KeyInfo:
    """Type, size and curve of a SubjectPublicKeyInfo; never raises (an unreadable key is
    described by its algorithm, without a size)."""
    try:
        algorithm = str(public_key["algorithm"]["algorithm"].native)
    except (ValueError, TypeError, KeyError):
        return KeyInfo("unknown")
    if algorithm in ("rsa", "rsassa_pss"):
        try:
            modulus = public_key["public_key"].parsed["modulus"].native
        except (ValueError, TypeError, KeyError, AttributeError):
            return KeyInfo("rsa")
        return KeyInfo("rsa", int(modulus).bit_length())
    if algorithm == "ec":
        try:
            domain, encoding, _ = decode_public_key(tlv.decode_one(public_key.dump()))
        except (DecodeError, ValueError, TypeError):
            return KeyInfo("ec")
        if not isinstance(domain, ECCurve):
            return KeyInfo("ec")
        curve = domain.name if domain.name != EXPLICIT else None
        explicit = encoding is DomainEncoding.EXPLICIT
        return KeyInfo("ec", domain.n.bit_length(), curve, explicit)
    return KeyInfo(algorithm)


def _key_info(public_key: keys.PublicKeyInfo | None) -> KeyInfo | None:
    return describe_key(public_key) if public_key is not None else None


def verify(
    public_key: keys.PublicKeyInfo,
    algorithm: algos.SignedDigestAlgorithm,
    digest_algorithm: str,
    message: bytes,
    signature: bytes,
) -> bool:
    """Whether `signature` over `message` verifies; SignatureCheckError if it cannot be checked.

    `digest_algorithm` names the hash where `algorithm` does not (rsaEncryption or
    id-ecPublicKey as a SignerInfo's signatureAlgorithm, RFC 5652 §5.3). ECDSA signatures are
    DER (X9.62) or, under the BSI ecdsa-plain OIDs, r || s.
    """
    name = algorithm["algorithm"].native
    if name == "rsassa_pss":
        return _rsa(public_key, message, signature, _pss(algorithm))
    if name.endswith("_rsa") or name == "rsassa_pkcs1v15":
        hash_name = name.removesuffix("_rsa") if name.endswith("_rsa") else digest_algorithm
        return _rsa(public_key, message, signature, (padding.PKCS1v15(), _hash(hash_name)))
    if name.endswith("_ecdsa") or name in ("ecdsa", EC_PUBLIC_KEY_OID):
        hash_name = name.removesuffix("_ecdsa") if name.endswith("_ecdsa") else digest_algorithm
        return _ecdsa(public_key, message, signature, hash_name)
    if name in PLAIN_ECDSA:  # r || s, each the size of the order (BSI TR-03111 §5.2.1)
        if not signature or len(signature) % 2:
            return False
        half = len(signature) // 2
        r, s = int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
        return _ecdsa(public_key, message, utils.encode_dss_signature(r, s), PLAIN_ECDSA[name])
    raise SignatureCheckError(f"signature algorithm {name} is not supported")


def _hash(name: str) -> hashes.HashAlgorithm:
    if name not in CRYPTOGRAPHY_HASHES:
        raise SignatureCheckError(f"hash algorithm {name} is not supported")
    return CRYPTOGRAPHY_HASHES[name]()


def _pss(
    algorithm: algos.SignedDigestAlgorithm,
) -> tuple[padding.AsymmetricPadding, hashes.HashAlgorithm]:
    """RSASSA-PSS-params (RFC 4055 §3.1); absent fields take their defaults (SHA-1, MGF1-SHA-1,
    salt 20), but the parameters themselves must be there in a signature algorithm."""
    params = algorithm["parameters"]
    if not isinstance(params, algos.RSASSAPSSParams):
        raise SignatureCheckError("RSASSA-PSS without parameters")
    digest = _hash(params["hash_algorithm"]["algorithm"].native)
    mgf = params["mask_gen_algorithm"]
    if mgf["algorithm"].native != "mgf1" or not isinstance(mgf["parameters"], core.Sequence):
        raise SignatureCheckError("RSASSA-PSS with a mask generation other than MGF1")
    mgf_hash = _hash(mgf["parameters"]["algorithm"].native)
    if params["trailer_field"].native not in ("trailer_field_bc", 1):
        raise SignatureCheckError("RSASSA-PSS with a trailer field other than BC")
    salt_length = params["salt_length"].native
    if not 0 <= salt_length <= 1 << 16:
        raise SignatureCheckError("RSASSA-PSS salt length is out of range")
    return padding.PSS(padding.MGF1(mgf_hash), salt_length), digest


def _rsa(
    public_key: keys.PublicKeyInfo,
    message: bytes,
    signature: bytes,
    scheme: tuple[padding.AsymmetricPadding, hashes.HashAlgorithm],
) -> bool:
    key = _public_key(public_key.dump())
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureCheckError("an RSA signature needs an RSA key")
    try:
        key.verify(signature, message, *scheme)
    except InvalidSignature:
        return False
    return True


def _ecdsa(
    public_key: keys.PublicKeyInfo, message: bytes, signature: bytes, hash_name: str
) -> bool:
    digest = _hash(hash_name)
    key = _public_key(public_key.dump())
    if isinstance(key, ec.EllipticCurvePublicKey):
        try:
            key.verify(signature, message, ec.ECDSA(digest))
        except InvalidSignature:
            return False
        return True
    if isinstance(key, _ExplicitECKey):
        return key.verify(hashlib.new(hash_name, message).digest(), signature)
    if key is None:  # an EC key whose point is not on its curve verifies nothing
        return False
    raise SignatureCheckError("an ECDSA signature needs an EC key")


@dataclass(frozen=True, slots=True)
class _ExplicitECKey:
    """An EC public key on a curve pyca/cryptography does not implement."""

    group: ECGroup
    point: bytes  # validated, uncompressed

    def verify(self, digest: bytes, signature: bytes) -> bool:
        """ECDSA verification (SEC 1 §4.1.4) with the library's EC group: u1*G + u2*Q."""
        try:
            r, s = utils.decode_dss_signature(signature)
        except ValueError:
            return False
        n = self.group.curve.n
        if not (0 < r < n and 0 < s < n) or math.gcd(s, n) != 1:  # n composite: no inverse
            return False
        e = int.from_bytes(digest, "big")
        if len(digest) * 8 > n.bit_length():
            e >>= len(digest) * 8 - n.bit_length()
        w = pow(s, -1, n)
        u1, u2 = e * w % n, r * w % n
        try:
            if u1 == 0:
                total = self.group.mul(u2, self.point)
            else:
                total = self.group.add(self.group.mul(u1), self.group.mul(u2, self.point))
        except (InvalidPointError, ValueError):
            return False
        return int.from_bytes(self.group.x(total), "big") % n == r


_PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | _ExplicitECKey


@lru_cache(maxsize=_KEY_CACHE_SIZE)
def _public_key(spki: bytes) -> _PublicKey | None:
    """The key of a SubjectPublicKeyInfo, ready to verify; None for an EC point off its curve.

    Cached: a SignatureCheckError is raised again on every call, and is not cached.
    """
    if spki[:1] == b"\x30" and _is_ec(spki):
        return _ec_key(spki)
    try:
        key = serialization.load_der_public_key(spki)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise SignatureCheckError(f"public key cannot be read: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise SignatureCheckError(f"{type(key).__name__} keys are not supported")
    return key


def _is_ec(spki: bytes) -> bool:
    try:
        return bool(keys.PublicKeyInfo.load(spki)["algorithm"]["algorithm"].native == "ec")
    except (ValueError, TypeError, KeyError):
        return False


def _ec_key(spki: bytes) -> ec.EllipticCurvePublicKey | _ExplicitECKey | None:
    """An EC key (named or explicit parameters), on cryptography's curve when it has one."""
    try:
        domain, _, point = decode_public_key(tlv.decode_one(spki))
    except DecodeError as exc:
        raise SignatureCheckError(f"EC key: {exc}") from None
    if not isinstance(domain, ECCurve):
        raise SignatureCheckError("an ECDSA signature needs an EC key")
    known = CRYPTOGRAPHY_CURVES.get(domain.name)
    if known is not None:
        try:
            return ec.EllipticCurvePublicKey.from_encoded_point(known, point)
        except ValueError:
            return None
    try:
        group = ECGroup(domain)
    except (ValueError, RuntimeError) as exc:  # parameters OpenSSL cannot make a curve of
        raise SignatureCheckError(f"EC key: {exc}") from None
    try:
        return _ExplicitECKey(group, group.check(point))
    except (InvalidPointError, ValueError):
        return None
