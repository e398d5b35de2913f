"""X.509 certificates as the trust store and the chain check use them (RFC 5280, 9303-12 §7.1).

Loading is strict and complete: asn1crypto parses lazily, so `load_certificate` forces a full
parse and every malformed certificate fails there, as `TrustStoreError`, never later.

Certificate and CRL signatures are checked with `mrtd.verify.signature.verify` (RSA PKCS#1
v1.5, RSASSA-PSS, ECDSA incl. explicit parameters) and the results are kept in a bounded LRU
cache keyed by the issuer's and the signed object's bytes: a back-end that checks thousands of
documents from one Document Signer verifies the CSCA's signature on it once.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from asn1crypto import algos, crl, x509
from cryptography.exceptions import UnsupportedAlgorithm

from mrtd.errors import TrustStoreError
from mrtd.verify.signature import SignatureCheckError, verify

__all__ = [
    "ASN1_ERRORS",
    "NAME_CACHE_SIZE",
    "SIGNATURE_CACHE_SIZE",
    "TrustAnchor",
    "check_parsed",
    "clear_signature_cache",
    "country",
    "describe",
    "digest_name",
    "error_detail",
    "fingerprint",
    "is_ca",
    "issued_by",
    "load_certificate",
    "may_have_issued",
    "name_key",
    "signature_verifies",
]

#: What asn1crypto raises on malformed input (it has no exception class of its own).
ASN1_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError)

#: Verified (issuer, certificate or CRL) pairs remembered; a national back-end sees a few
#: hundred Document Signers at a time.
SIGNATURE_CACHE_SIZE = 4096
#: Names whose comparison keys are remembered (two per anchor, and the issuers seen).
NAME_CACHE_SIZE = 8192


def load_certificate(der: bytes, what: str = "certificate") -> x509.Certificate:
    """Parse a DER X.509 certificate completely; `TrustStoreError` names `what` if it is not."""
    try:
        certificate = x509.Certificate.load(der, strict=True)
        check_parsed(certificate)
    except TrustStoreError:
        raise
    except ASN1_ERRORS as exc:
        raise TrustStoreError(f"{what}: not an X.509 certificate ({error_detail(exc)})") from exc
    return certificate


def check_parsed(value: x509.Certificate | crl.CertificateList) -> None:
    """Parse every part of `value` now (asn1crypto is lazy); ValueError if it is malformed."""
    try:
        _ = value.native
        if isinstance(value, x509.Certificate):
            _ = (value.key_identifier, value.authority_key_identifier, value.ca)
            _ = (value.key_usage_value, name_key(value.subject), name_key(value.issuer))
    except AttributeError as exc:  # universal types asn1crypto has no `.native` for
        raise ValueError(f"unsupported ASN.1 type: {exc}") from exc


def is_ca(certificate: x509.Certificate) -> bool:
    """Whether `certificate` may issue certificates: basicConstraints cA, or keyUsage
    keyCertSign (several states' CSCA link certificates have cA false but keyCertSign), or a
    self-issued certificate with neither extension (old v1 CSCAs)."""
    if certificate.ca:
        return True
    key_usage = certificate.key_usage_value
    if key_usage is not None:
        return "key_cert_sign" in key_usage.native
    return certificate.basic_constraints_value is None and certificate.self_issued


def may_have_issued(issuer: x509.Certificate, certificate: x509.Certificate) -> bool:
    """Names match (RFC 5280 §7.1 comparison) and, when both are present, the issuer's
    subjectKeyIdentifier equals the certificate's authorityKeyIdentifier."""
    if name_key(issuer.subject) != name_key(certificate.issuer):
        return False
    authority, subject = certificate.authority_key_identifier, issuer.key_identifier
    return authority is None or subject is None or authority == subject


def name_key(name: x509.Name) -> str:
    """The key two names compare equal by (RFC 5280 §7.1, asn1crypto's `hashable`: case and
    white space folded, string types ignored), cached by encoding because preparing it costs
    most of a millisecond. A name that string preparation cannot handle (an attribute of an
    unknown type with a non-string value, prohibited characters) is compared by encoding."""
    return _name_key(name.dump())


@functools.lru_cache(maxsize=NAME_CACHE_SIZE)
def _name_key(der: bytes) -> str:
    try:
        return str(x509.Name.load(der).hashable)
    except ASN1_ERRORS:
        return f"der:{der.hex()}"


def country(name: x509.Name) -> str | None:
    """The countryName of `name`, upper case (some CSCAs write "gb"), or None."""
    value = name.native.get("country_name")  # asn1crypto caches a Name's `native`
    if isinstance(value, list):  # several C= attributes: the first
        value = value[0]
    return str(value).strip().upper() if value else None


def describe(certificate: x509.Certificate) -> str:
    """Country and serial number ("C=DE, serial 0x1A2B"): enough to find a certificate, and
    no personal data."""
    state = country(certificate.subject) or "no country"
    return f"C={state}, serial 0x{certificate.serial_number:X}"


def fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 of the certificate's encoding, hex."""
    return hashlib.sha256(certificate.dump()).hexdigest()


def digest_name(algorithm: algos.SignedDigestAlgorithm) -> str:
    """The hash a signature algorithm names (RSASSA-PSS: from its parameters); "" if none."""
    try:
        return str(algorithm.hash_algo)
    except ASN1_ERRORS:
        return ""  # `verify` then reports the algorithm as unsupported


def issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether `issuer`'s key verifies the signature on `certificate` (cached).

    SignatureCheckError when it cannot be checked (unsupported algorithm or key).
    """
    return signature_verifies(issuer, issuer.dump(), certificate, certificate.dump())


def signature_verifies(
    issuer: x509.Certificate,
    issuer_der: bytes,
    signed: x509.Certificate | crl.CertificateList,
    signed_key: bytes,
) -> bool:
    """Whether `issuer`'s key verifies the signature on `signed`, a certificate or a CRL.

    The cache key is `issuer_der` (the issuer's encoding) and `signed_key` (the encoding of
    `signed`, or a digest of it): callers pass encodings they already hold, because asn1crypto
    re-checks a whole structure for changes on every `dump()`.
    """
    cache_key = (issuer_der, signed_key)
    known = _CACHE.get(cache_key)
    if known is None:
        known = _verify(issuer, signed)
        _CACHE.put(cache_key, known)
    if isinstance(known, str):
        raise SignatureCheckError(known)
    return known


@dataclass(frozen=True, eq=False, slots=True)
class TrustAnchor:
    """A CSCA (or link) certificate with what chain building looks up, computed once."""

    certificate: x509.Certificate
    der: bytes
    subject: str  # name_key(subject)
    key_identifier: bytes | None
    country: str | None

    @classmethod
    def from_certificate(cls, certificate: x509.Certificate) -> TrustAnchor:
        return cls(
            certificate,
            certificate.dump(),
            name_key(certificate.subject),
            certificate.key_identifier,
            country(certificate.subject),
        )

    def matches(self, authority_key_identifier: bytes | None) -> bool:
        """Whether a certificate whose authorityKeyIdentifier is `authority_key_identifier` may
        be this anchor's (either may be absent)."""
        return (
            authority_key_identifier is None
            or self.key_identifier is None
            or authority_key_identifier == self.key_identifier
        )

    def verifies(self, signed: x509.Certificate | crl.CertificateList, signed_key: bytes) -> bool:
        """`signature_verifies` with this anchor's key."""
        return signature_verifies(self.certificate, self.der, signed, signed_key)


def clear_signature_cache() -> None:
    """Forget every cached signature result (tests and benchmarks)."""
    _CACHE.clear()


def _verify(issuer: x509.Certificate, signed: x509.Certificate | crl.CertificateList) -> bool | str:
    """The verification result, or why it could not be checked."""
    if isinstance(signed, x509.Certificate):
        tbs, signature = signed["tbs_certificate"], signed["signature_value"]
    else:
        tbs, signature = signed["tbs_cert_list"], signed["signature"]
    algorithm = signed["signature_algorithm"]
    try:
        return verify(
            issuer.public_key, algorithm, digest_name(algorithm), tbs.dump(), signature.native
        )
    except SignatureCheckError as exc:
        return str(exc)
    except (*ASN1_ERRORS, UnsupportedAlgorithm) as exc:
        return f"the key or signature cannot be read: {error_detail(exc)}"


def error_detail(exc: BaseException) -> str:
    """The first line of an exception's message (asn1crypto's run over several), bounded."""
    text = str(exc).strip()
    return text.splitlines()[0][:160] if text else type(exc).__name__


class _LRUCache:
    """A bounded, thread-safe least-recently-used map."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[Any, bool | str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> bool | str | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Any, value: bool | str) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_CACHE = _LRUCache(SIGNATURE_CACHE_SIZE)
