"""Domain parameters and public keys: AlgorithmIdentifier and SubjectPublicKeyInfo as EF.SOD,
DG15, the SecurityInfos and certificates carry them (BSI TR-03110-3 A.2; RFC 3279, 5480; X9.62).

A chip names its PACE or Chip Authentication domain in one of three ways: a standardized id
(0.4.0.127.0.7.1.2 with an INTEGER, 9303-11 §9.5.1), a named curve OID, or the parameters spelled
out (X9.62 SpecifiedECDomain, X9.42 DomainParameters). Spelled-out parameters that equal a known
curve or group become that curve or group, so the rest of the library sees one object per domain
whatever the chip wrote. `DomainEncoding` remembers the way, so re-encoding gives the same bytes.
"""

from __future__ import annotations

import enum
import math

from mrtd import tlv
from mrtd.crypto.domains import (
    CURVES_BY_OID,
    DH_GROUPS,
    STANDARD_DOMAINS,
    STANDARD_IDS,
    DHGroup,
    Domain,
    ECCurve,
    named_curve,
)
from mrtd.der import (
    BIT_STRING,
    INTEGER,
    NULL,
    OCTET_STRING,
    OID,
    SEQUENCE,
    der,
    encode_integer,
    encode_oid,
    read_integer,
    read_oid,
    read_primitive,
    read_sequence,
)
from mrtd.errors import DecodeError

__all__ = [
    "DH_PUBLIC_NUMBER_OID",
    "EC_PUBLIC_KEY_OID",
    "EXPLICIT",
    "PRIME_FIELD_OID",
    "STANDARDIZED_DOMAIN_OID",
    "DomainEncoding",
    "check_encodable",
    "check_public_key",
    "decode_domain",
    "decode_public_key",
    "encode_domain",
    "encode_public_key",
    "standard_id",
]

#: standardizedDomainParameters: AlgorithmIdentifier parameter is an INTEGER id (A.2.1.1).
STANDARDIZED_DOMAIN_OID = "0.4.0.127.0.7.1.2"
EC_PUBLIC_KEY_OID = "1.2.840.10045.2.1"  # id-ecPublicKey (RFC 5480)
PRIME_FIELD_OID = "1.2.840.10045.1.1"  # X9.62 prime-field
DH_PUBLIC_NUMBER_OID = "1.2.840.10046.2.1"  # X9.42 dhpublicnumber (RFC 3279 §2.3.3)
EXPLICIT = "explicit"  # the name of a curve or group that matches no known one
MAX_EC_BYTES = 80  # P-521 needs 66
MAX_DH_BYTES = 1024  # 8192-bit p; the standardized groups have 1024 and 2048 bits


class DomainEncoding(enum.Enum):
    """How an AlgorithmIdentifier names a domain."""

    STANDARDIZED = "standardized"  # 0.4.0.127.0.7.1.2 + INTEGER id (TR-03110-3 A.2.1.1)
    NAMED = "named"  # id-ecPublicKey + namedCurve OID (RFC 5480)
    EXPLICIT = "explicit"  # id-ecPublicKey + SpecifiedECDomain, or dhpublicnumber + p, g, q


def standard_id(domain: Domain) -> int | None:
    """The standardized domain parameter id of `domain` (9303-11 §9.5.1), if it has one."""
    number = STANDARD_IDS.get(domain.name)
    return number if number is not None and STANDARD_DOMAINS[number] == domain else None


def check_encodable(domain: Domain, encoding: DomainEncoding) -> None:
    """ValueError if `domain` cannot be written as `encoding` (e.g. a DH group as NAMED)."""
    if encoding is DomainEncoding.STANDARDIZED and standard_id(domain) is None:
        raise ValueError(f"{domain.name} has no standardized domain parameter id")
    if encoding is DomainEncoding.NAMED and (
        not isinstance(domain, ECCurve) or CURVES_BY_OID.get(domain.oid) != domain
    ):
        raise ValueError(f"{domain.name} is not a named curve")


def check_public_key(domain: Domain, public_key: bytes) -> None:
    """ValueError unless `public_key` has the form of a key in `domain`.

    EC: a SEC1 point (uncompressed or compressed) of the curve's size; DH: y as `domain.size`
    big-endian bytes with 1 < y < p - 1. Whether an EC point is on the curve is checked where
    it is used (Chip Authentication), with the curve arithmetic.
    """
    if isinstance(domain, ECCurve):
        lengths = {0x04: 1 + 2 * domain.size, 0x02: 1 + domain.size, 0x03: 1 + domain.size}
        if not public_key or lengths.get(public_key[0]) != len(public_key):
            raise ValueError(f"public key is not a point encoding for {domain.name}")
        return
    if len(public_key) != domain.size:
        raise ValueError(f"DH public key must have {domain.size} bytes for {domain.name}")
    if not 1 < int.from_bytes(public_key, "big") < domain.p - 1:
        raise ValueError(f"DH public key is out of range for {domain.name}")


# -- reading ---------------------------------------------------------------------------------


def decode_domain(algorithm: tlv.TLV) -> tuple[Domain, DomainEncoding]:
    """The domain an AlgorithmIdentifier names, and how; DecodeError if unusable."""
    fields = read_sequence(algorithm, "domain AlgorithmIdentifier", min_fields=2, max_fields=2)
    oid = read_oid(fields[0], "domain algorithm")
    parameters = fields[1]
    if oid == STANDARDIZED_DOMAIN_OID:
        number = read_integer(parameters, "standardized domain parameter id")
        if number not in STANDARD_DOMAINS:
            raise DecodeError(f"standardized domain parameter id {number} is reserved or unknown")
        return STANDARD_DOMAINS[number], DomainEncoding.STANDARDIZED
    if oid == EC_PUBLIC_KEY_OID and parameters.tag == OID:
        curve_oid = read_oid(parameters, "namedCurve")
        if curve_oid not in CURVES_BY_OID:
            raise DecodeError(f"named curve {curve_oid} is not supported")
        return CURVES_BY_OID[curve_oid], DomainEncoding.NAMED
    if oid == EC_PUBLIC_KEY_OID and parameters.tag == NULL:
        raise DecodeError("implicitlyCA EC parameters are not supported")
    if oid == EC_PUBLIC_KEY_OID:
        return _explicit_curve(parameters), DomainEncoding.EXPLICIT
    if oid == DH_PUBLIC_NUMBER_OID:
        return _explicit_group(parameters), DomainEncoding.EXPLICIT
    raise DecodeError(f"domain algorithm {oid} is not supported")


def decode_public_key(spki: tlv.TLV) -> tuple[Domain, DomainEncoding, bytes]:
    """Domain, its encoding and the key of a SubjectPublicKeyInfo.

    The key is the EC point as sent, or the DH value y (inside the BIT STRING as a DER INTEGER,
    RFC 3279 §2.3.3) as `domain.size` big-endian bytes.
    """
    algorithm, key_bits = read_sequence(spki, "SubjectPublicKeyInfo", min_fields=2, max_fields=2)
    domain, encoding = decode_domain(algorithm)
    bits = read_primitive(key_bits, BIT_STRING, "subjectPublicKey")
    if not bits or bits[0]:
        raise DecodeError("subjectPublicKey is not a whole number of bytes")
    key = bits[1:]
    if isinstance(domain, DHGroup):
        y = read_integer(tlv.decode_one(key), "DH public key", max_bytes=domain.size)
        key = y.to_bytes(domain.size, "big")
    try:
        check_public_key(domain, key)
    except ValueError as exc:  # the builders' error; from a chip or a file it is a decode error
        raise DecodeError(str(exc)) from None
    return domain, encoding, key


def _explicit_curve(parameters: tlv.TLV) -> ECCurve:
    """X9.62 SpecifiedECDomain version 1 over a prime field, mapped to the named curve if equal."""
    fields = read_sequence(parameters, "ECParameters", min_fields=5, max_fields=6)
    if read_integer(fields[0], "ECParameters version") != 1:
        raise DecodeError("ECParameters version is not 1")
    field_type, prime = read_sequence(fields[1], "fieldID", min_fields=2, max_fields=2)
    if read_oid(field_type, "fieldType") != PRIME_FIELD_OID:
        raise DecodeError("EC field is not a prime field")
    p = read_integer(prime, "field prime", max_bytes=MAX_EC_BYTES)
    if p < 5 or not p % 2:
        raise DecodeError("EC field prime is not an odd number above 3")
    size = (p.bit_length() + 7) // 8
    curve = read_sequence(fields[2], "curve", min_fields=2, max_fields=3)
    a, b = (_field_element(item, name, p) for item, name in zip(curve, "ab", strict=False))
    if len(curve) == 3:
        read_primitive(curve[2], BIT_STRING, "curve seed")
    base = read_primitive(fields[3], OCTET_STRING, "base point")
    if len(base) != 1 + 2 * size or base[0] != 0x04:
        raise DecodeError("base point is not an uncompressed point of the field's size")
    gx, gy = int.from_bytes(base[1 : 1 + size], "big"), int.from_bytes(base[1 + size :], "big")
    if gx >= p or gy >= p or (gy * gy - gx * gx * gx - a * gx - b) % p:
        raise DecodeError("base point is not on the curve")
    n = read_integer(fields[4], "curve order", max_bytes=MAX_EC_BYTES + 1)
    if n < 2:
        raise DecodeError("curve order is less than 2")
    if len(fields) == 6:
        h = read_integer(fields[5], "cofactor")
    else:  # SEC 1 §3.1.1.1: h = floor((sqrt(p) + 1)^2 / n)
        h = (p + 1 + 2 * math.isqrt(p)) // n
    if h < 1:
        raise DecodeError("cofactor is less than 1")
    return named_curve(ECCurve(EXPLICIT, "", p, a, b, gx, gy, n, h))


def _field_element(item: tlv.TLV, name: str, p: int) -> int:
    octets = read_primitive(item, OCTET_STRING, f"curve coefficient {name}")
    value = int.from_bytes(octets, "big")
    if not octets or len(octets) > (p.bit_length() + 7) // 8 or value >= p:
        raise DecodeError(f"curve coefficient {name} is not a field element")
    return value


def _explicit_group(parameters: tlv.TLV) -> DHGroup:
    """X9.42 DomainParameters {p, g, q, j OPTIONAL, validationParms OPTIONAL}."""
    fields = read_sequence(parameters, "DH DomainParameters", min_fields=3, max_fields=5)
    p, g, q = (
        read_integer(item, f"DH {name}", max_bytes=MAX_DH_BYTES)
        for item, name in zip(fields, "pgq", strict=False)
    )
    for extra in fields[3:]:
        if extra.tag not in (INTEGER, SEQUENCE):
            raise DecodeError("DH DomainParameters has an unexpected field after q")
    if p < 5 or not p % 2 or not 1 < g < p - 1 or not 1 < q < p:
        raise DecodeError("DH domain parameters are out of range")
    known = next((group for group in DH_GROUPS if (group.p, group.g, group.q) == (p, g, q)), None)
    return known or DHGroup(EXPLICIT, p, g, q)


# -- writing ---------------------------------------------------------------------------------


def encode_domain(domain: Domain, encoding: DomainEncoding) -> bytes:
    """The AlgorithmIdentifier naming `domain` as `encoding`; ValueError if it cannot."""
    check_encodable(domain, encoding)
    if encoding is DomainEncoding.STANDARDIZED:
        number = standard_id(domain)
        assert number is not None  # checked above
        return der(SEQUENCE, _oid(STANDARDIZED_DOMAIN_OID), der(INTEGER, encode_integer(number)))
    if isinstance(domain, DHGroup):
        parameters = der(SEQUENCE, *(_integer(v) for v in (domain.p, domain.g, domain.q)))
        return der(SEQUENCE, _oid(DH_PUBLIC_NUMBER_OID), parameters)
    if encoding is DomainEncoding.NAMED:
        return der(SEQUENCE, _oid(EC_PUBLIC_KEY_OID), _oid(domain.oid))
    return der(SEQUENCE, _oid(EC_PUBLIC_KEY_OID), _specified_curve(domain))


def encode_public_key(domain: Domain, encoding: DomainEncoding, public_key: bytes) -> bytes:
    """A SubjectPublicKeyInfo for `public_key` (as `decode_public_key` returns it)."""
    check_public_key(domain, public_key)
    key = public_key
    if isinstance(domain, DHGroup):
        key = _integer(int.from_bytes(public_key, "big"))
    return der(SEQUENCE, encode_domain(domain, encoding), der(BIT_STRING, b"\0", key))


def _specified_curve(curve: ECCurve) -> bytes:
    """SpecifiedECDomain v1 (X9.62): coefficients as field-size octets, base uncompressed."""
    size = curve.size
    return der(
        SEQUENCE,
        _integer(1),
        der(SEQUENCE, _oid(PRIME_FIELD_OID), _integer(curve.p)),
        der(
            SEQUENCE,
            der(OCTET_STRING, curve.a.to_bytes(size, "big")),
            der(OCTET_STRING, curve.b.to_bytes(size, "big")),
        ),
        der(OCTET_STRING, curve.generator),
        _integer(curve.n),
        _integer(curve.h),
    )


def _oid(dotted: str) -> bytes:
    return der(OID, encode_oid(dotted))


def _integer(number: int) -> bytes:
    return der(INTEGER, encode_integer(number))
