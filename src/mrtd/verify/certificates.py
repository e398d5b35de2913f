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

from mrtd import tlv
from mrtd.errors import DecodeError, TrustStoreError
from mrtd.verify.signature import SignatureCheckError, verify

__all__ = [
    "ASN1_ERRORS",
    "DOCUMENT_TYPE_LIST_OIDS",
    "NAME_CACHE_SIZE",
    "SIGNATURE_CACHE_SIZE",
    "TrustAnchor",
    "check_parsed",
    "clear_signature_cache",
    "country",
    "describe",
    "digest_name",
    "document_signer_problem",
    "document_type_allowed",
    "document_types",
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

#: id-icao-mrtd-security-extensions-documentTypeList (9303-12 §7.1.1.6), and the
#: id-icao-mrtd-security 4 arc that some Document Signers carry the same list under.
DOCUMENT_TYPE_LIST_OIDS = ("2.23.136.1.1.6.2", "2.23.136.1.1.4")

_SEQUENCE, _INTEGER, _SET, _PRINTABLE_STRING = 0x30, 0x02, 0x31, 0x13

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


def document_signer_problem(certificate: x509.Certificate) -> str | None:
    """Why `certificate` cannot be a Document Signer (9303-12 §7.1.1, Table 6), or None.

    A Document Signer is an end entity: keyUsage present with digitalSignature and without
    keyCertSign, basicConstraints not cA, and no extendedKeyUsage (the profile has none for a
    Document Signer; 2.23.136.1.1.3 makes a Master List Signer, 2.23.136.1.1.8 a Deviation List
    Signer). A certificate that fits another role must not sign EF.SODs.
    """
    try:
        if certificate.ca:
            return "the Document Signer certificate is a CA certificate (basicConstraints cA)"
        key_usage = certificate.key_usage_value
        usage = set(key_usage.native) if key_usage is not None else None
        extended = certificate.extended_key_usage_value
        purposes = [str(p.dotted) for p in extended] if extended is not None else []
    except ASN1_ERRORS:
        return "the Document Signer certificate's extensions cannot be read"
    if usage is None:
        return "the Document Signer certificate has no keyUsage"
    if "key_cert_sign" in usage:
        return "the Document Signer certificate may sign certificates (keyUsage keyCertSign)"
    if "digital_signature" not in usage:
        return "the Document Signer certificate's keyUsage lacks digitalSignature"
    if purposes:
        return (
            "the Document Signer certificate has an extendedKeyUsage"
            f" ({', '.join(purposes)}), which a Document Signer's profile does not have"
        )
    return None


def document_types(certificate: x509.Certificate) -> tuple[str, ...] | None:
    """The document types a Document Signer may sign (its documentTypeList), None when the
    certificate has no such extension; `DecodeError` if the extension is malformed.

    DocumentTypeListSyntax ::= SEQUENCE { version INTEGER (0), docTypeList SET OF
    PrintableString (SIZE (1..2)) }. Some issuers put each type in a SET of its own: every
    SET after the version is read.
    """
    values = []
    for extension in certificate["tbs_certificate"]["extensions"]:
        if extension["extn_id"].dotted in DOCUMENT_TYPE_LIST_OIDS:
            values.append(bytes(extension["extn_value"].contents))
    if not values:
        return None
    types: list[str] = []
    for value in values:
        syntax = tlv.decode_one(value, max_depth=4)
        children = syntax.children() if syntax.tag == _SEQUENCE and syntax.constructed else ()
        if len(children) < 2 or children[0].tag != _INTEGER:
            raise DecodeError("documentTypeList is not a version and a SET of document types")
        for entry in children[1:]:
            if entry.tag != _SET or not entry.constructed:
                raise DecodeError("documentTypeList holds something other than a SET")
            for item in entry.children():
                text = item.value.decode("ascii", "replace")
                if item.tag != _PRINTABLE_STRING or not 1 <= len(text) <= 2:
                    raise DecodeError("documentTypeList entry is not a 1- or 2-letter code")
                types.append(text.upper())
    return tuple(types)


def document_type_allowed(types: tuple[str, ...], document_code: str) -> bool:
    """Whether a documentTypeList admits a document whose MRZ document code (fillers
    stripped: "P", "ID", "PD") is `document_code`. 9303-12 §7.1.1.6: "Document Type as
    contained in MRZ, e.g. "P" or "ID" where a single letter denotes all document types
    starting with that letter": "P" admits "P", "PD", "PO"; "PD" admits "PD" alone."""
    code = document_code.strip().rstrip("<").upper()
    if not code:
        return False
    return any(code == t or (len(t) == 1 and code[0] == t) for t in types)


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
        if signature.contents[:1] != b"\x00":  # DER (RFC 5280 §4.1.1.3): whole octets only
            return "the signature BIT STRING does not hold whole octets (unused bits)"
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
