"""CMS signature checks for EF.SOD and EF.CardSecurity: RSA PKCS#1 v1.5, RSASSA-PSS with the
SignerInfo's parameters, and ECDSA on any prime curve, explicit parameters included.

pyca/cryptography refuses EC keys with explicit parameters (seen in real DS and CSCA
certificates); such a key is mapped to its named curve when cryptography knows that curve, and
otherwise verified with the library's own EC group (public scalars only, so no secret is at
stake in the arithmetic).
"""

from __future__ import annotations

import hashlib

from asn1crypto import algos, keys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from mrtd import tlv
from mrtd.crypto.domains import ECCurve
from mrtd.crypto.ec import ECGroup
from mrtd.errors import DecodeError, InvalidPointError
from mrtd.lds.security_domains import decode_public_key
from mrtd.lds.sod import CRYPTOGRAPHY_HASHES

CRYPTOGRAPHY_CURVES: dict[str, ec.EllipticCurve] = {
    "P-192": ec.SECP192R1(),
    "P-224": ec.SECP224R1(),
    "P-256": ec.SECP256R1(),
    "P-384": ec.SECP384R1(),
    "P-521": ec.SECP521R1(),
    "brainpoolP256r1": ec.BrainpoolP256R1(),
    "brainpoolP384r1": ec.BrainpoolP384R1(),
    "brainpoolP512r1": ec.BrainpoolP512R1(),
}


class SignatureCheckError(Exception):
    """Why a signature could not be checked at all (unsupported algorithm or key)."""


def verify(
    public_key: keys.PublicKeyInfo,
    algorithm: algos.SignedDigestAlgorithm,
    digest_algorithm: str,
    message: bytes,
    signature: bytes,
) -> bool:
    """Whether `signature` over `message` verifies; SignatureCheckError if it cannot be checked."""
    name = algorithm["algorithm"].native
    if name == "rsassa_pss":
        return _rsa(public_key, message, signature, _pss(algorithm))
    if name.endswith("_rsa") or name == "rsassa_pkcs1v15":
        hash_name = name.removesuffix("_rsa") if name.endswith("_rsa") else digest_algorithm
        return _rsa(public_key, message, signature, (padding.PKCS1v15(), _hash(hash_name)))
    if name.endswith("_ecdsa") or name == "ecdsa":
        hash_name = name.removesuffix("_ecdsa") if name.endswith("_ecdsa") else digest_algorithm
        return _ecdsa(public_key, message, signature, hash_name)
    raise SignatureCheckError(f"signature algorithm {name} is not supported")


def _hash(name: str) -> hashes.HashAlgorithm:
    if name not in CRYPTOGRAPHY_HASHES:
        raise SignatureCheckError(f"hash algorithm {name} is not supported")
    return CRYPTOGRAPHY_HASHES[name]()


def _pss(
    algorithm: algos.SignedDigestAlgorithm,
) -> tuple[padding.AsymmetricPadding, hashes.HashAlgorithm]:
    params = algorithm["parameters"]
    digest = _hash(params["hash_algorithm"]["algorithm"].native)
    mgf = params["mask_gen_algorithm"]
    if mgf["algorithm"].native != "mgf1":
        raise SignatureCheckError("RSASSA-PSS with a mask generation other than MGF1")
    mgf_hash = _hash(mgf["parameters"]["algorithm"].native)
    if params["trailer_field"].native not in ("trailer_field_bc", 1):
        raise SignatureCheckError("RSASSA-PSS with a trailer field other than BC")
    return padding.PSS(padding.MGF1(mgf_hash), params["salt_length"].native), digest


def _rsa(
    public_key: keys.PublicKeyInfo,
    message: bytes,
    signature: bytes,
    scheme: tuple[padding.AsymmetricPadding, hashes.HashAlgorithm],
) -> bool:
    key = serialization.load_der_public_key(public_key.dump())
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
    if public_key["algorithm"]["algorithm"].native != "ec":
        raise SignatureCheckError("an ECDSA signature needs an EC key")
    digest = _hash(hash_name)
    curve, point = _ec_key(public_key)
    try:
        r, s = utils.decode_dss_signature(signature)
    except ValueError:
        return False
    known = CRYPTOGRAPHY_CURVES.get(curve.name)
    if known is not None:
        try:
            key = ec.EllipticCurvePublicKey.from_encoded_point(known, point)
            key.verify(utils.encode_dss_signature(r, s), message, ec.ECDSA(digest))
        except (InvalidSignature, ValueError):
            return False
        return True
    return _ecdsa_by_hand(curve, point, hashlib.new(hash_name, message).digest(), r, s)


def _ec_key(public_key: keys.PublicKeyInfo) -> tuple[ECCurve, bytes]:
    """The curve (named when the parameters name one) and the public point of an EC key."""
    try:
        domain, _, point = decode_public_key(tlv.decode_one(public_key.dump()))
    except DecodeError as exc:
        raise SignatureCheckError(f"EC key: {exc}") from None
    if not isinstance(domain, ECCurve):
        raise SignatureCheckError("an ECDSA signature needs an EC key")
    return domain, point


def _ecdsa_by_hand(curve: ECCurve, point: bytes, digest: bytes, r: int, s: int) -> bool:
    """ECDSA verification (SEC 1 §4.1.4) with the library's EC group: u1*G + u2*Q."""
    n = curve.n
    if not (0 < r < n and 0 < s < n):
        return False
    e = int.from_bytes(digest, "big")
    if len(digest) * 8 > n.bit_length():
        e >>= len(digest) * 8 - n.bit_length()
    w = pow(s, -1, n)
    u1, u2 = e * w % n, r * w % n
    try:
        group = ECGroup(curve)
        q = group.check(point)
        if u1 == 0:
            total = group.mul(u2, q)
        else:
            total = group.add(group.mul(u1), group.mul(u2, q)) if u2 else group.mul(u1)
    except (InvalidPointError, ValueError):
        return False
    return int.from_bytes(group.x(total), "big") % n == r
