"""The PACE mappings: how the nonce s becomes the generator of the ephemeral key agreement.

Generic Mapping (GM): an anonymous key agreement gives H (or h); G~ = s*G + H (g~ = g^s * h).
Integrated Mapping (IM): the terminal adds a nonce t; G~ = f_G(R_p(s, t)) with the block-cipher
pseudo-random function R and the point encoding f_G (9303-11 §4.4.3.3.2, Appendix B; DH:
g~ = R_p(s, t)^((p-1)/q)). Chip Authentication Mapping (CAM) is GM on a curve, after which the
chip proves its static key (9303-11 §4.4.3.5). Both roles use these functions.
"""

from __future__ import annotations

from mrtd import crypto
from mrtd.access.pace.groups import Agreement, ECAgreement
from mrtd.access.pace.suite import Suite
from mrtd.crypto import BytesLike
from mrtd.crypto.domains import ECCurve
from mrtd.errors import InvalidPointError

# Constants of the pseudo-random function R (9303-11 §4.4.3.3.2): 128-bit ones for 3DES and
# AES-128, 256-bit ones for AES-192 and AES-256.
PRF_CONSTANTS = {
    16: (
        bytes.fromhex("a668892a7c41e3ca739f40b057d85904"),
        bytes.fromhex("a4e136ac725f738b01c1f60217c188ad"),
    ),
    32: (
        bytes.fromhex("d463d65234124ef7897054986dca0a174e28df758cbaa03f240616414d5a1676"),
        bytes.fromhex("54bd7255f0aaf831bec3423fcf39d69b6cbf066677d0faae5aadd99df8e53517"),
    ),
}


def generic_mapping(agreement: Agreement, nonce: BytesLike, private: int, peer: bytes) -> Agreement:
    """The agreement on G~ = s*G + H, H = private * peer (DH: g~ = g^s * h mod p)."""
    s = int.from_bytes(nonce, "big")
    if isinstance(agreement, ECAgreement):
        shared = agreement.shared_point(private, peer)
        return agreement.with_generator(agreement.group.mul_add(s, shared))
    p = agreement.dh.p
    h = agreement.shared_value(private, peer)
    mapped = pow(agreement.generator, s, p) * h % p
    if mapped in (0, 1):
        raise InvalidPointError("mapped generator is the identity")
    return agreement.with_generator(mapped)


def integrated_mapping(agreement: Agreement, suite: Suite, s: BytesLike, t: bytes) -> Agreement:
    """The agreement on G~ = f_G(R_p(s, t)) (DH: g~ = R_p(s, t)^((p-1)/q) mod p)."""
    if isinstance(agreement, ECAgreement):
        p = agreement.curve.p
        point = encode_point(agreement.curve, pseudo_random(suite, s, t, p) % p)
        if agreement.curve.h != 1:  # land in the prime-order subgroup
            point = agreement.group.mul(agreement.curve.h, point)
        return agreement.with_generator(agreement.group.check(point))
    p, q = agreement.dh.p, agreement.dh.q
    mapped = pow(pseudo_random(suite, s, t, p) % p, (p - 1) // q, p)
    if mapped in (0, 1):
        raise InvalidPointError("mapped generator is the identity")
    return agreement.with_generator(mapped)


def pseudo_random(suite: Suite, s: BytesLike, t: bytes, p: int) -> int:
    """R(s, t): key_1 = E(t, s); out_i = E(key_i, c1); key_{i+1} = E(key_i, c0), until the
    output is at least 64 bits longer than p, so that R mod p is close to uniform. The
    constants are as long as s (l bits); each key is cut to the key size (AES-192)."""
    if len(s) not in PRF_CONSTANTS or len(t) != suite.key_size:
        raise InvalidPointError("integrated mapping nonces have the wrong length")
    c0, c1 = PRF_CONSTANTS[len(s)]
    key = suite.encrypt(t, s)[: suite.key_size]
    blocks = -(-(p.bit_length() + 64) // (8 * len(c1)))
    out = bytearray()
    for _ in range(blocks):
        out += suite.encrypt(key, c1)
        key = suite.encrypt(key, c0)[: suite.key_size]
    return int.from_bytes(out, "big")


def integrated_mapping_supported(curve: ECCurve) -> bool:
    """f_G needs p = 3 mod 4 (and a != 0): NIST P-224 is the standard curve it excludes."""
    return curve.p % 4 == 3 and curve.a != 0 and curve.b != 0


def encode_point(curve: ECCurve, t: int) -> bytes:
    """f_G(t): a point on the curve from a field element (9303-11 Appendix B; Brier et al.'s
    simplified SWU for p = 3 mod 4)."""
    p, a, b = curve.p, curve.a, curve.b
    if not integrated_mapping_supported(curve):
        raise InvalidPointError("the integrated mapping needs a curve with p = 3 mod 4")
    if t == 0:
        raise InvalidPointError("pseudo-random value is zero")
    alpha = -t * t % p
    denominator = (alpha * alpha + alpha) % p
    if denominator == 0:
        raise InvalidPointError("pseudo-random value gives no point")
    x2 = -b * pow(a, -1, p) * (1 + pow(denominator, -1, p)) % p
    x3 = alpha * x2 % p
    h2 = (x2 * x2 * x2 + a * x2 + b) % p
    u = t * t * t * h2 % p
    root = pow(h2, p - 1 - (p + 1) // 4, p)
    if root * root * h2 % p == 1:
        x, y = x2, root * h2 % p
    else:
        x, y = x3, root * u % p
    size = curve.size
    return b"\x04" + x.to_bytes(size, "big") + y.to_bytes(size, "big")


def chip_authentication_data(curve: ECCurve, static_private: int, map_private: int) -> bytes:
    """PACE-CAM, chip side: CA_IC = SK_IC^-1 * SK_Map,IC mod n, as many bytes as n."""
    n = curve.n
    value = pow(static_private, -1, n) * map_private % n
    return value.to_bytes((n.bit_length() + 7) // 8, "big")


def check_chip_authentication(
    agreement: ECAgreement, ca_ic: bytes, static_public: bytes, map_public: bytes
) -> bool:
    """PACE-CAM, terminal side: does CA_IC * PK_IC equal the chip's mapping key PK_Map,IC?"""
    value = int.from_bytes(ca_ic, "big")
    if not 0 < value < agreement.curve.n:
        return False
    group = agreement.group
    return crypto.constant_time_equal(
        group.mul(value, group.check(static_public)), group.check(map_public)
    )


__all__ = [
    "check_chip_authentication",
    "chip_authentication_data",
    "encode_point",
    "generic_mapping",
    "integrated_mapping",
    "integrated_mapping_supported",
    "pseudo_random",
]
