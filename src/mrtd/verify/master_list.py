"""CSCA master lists (9303-12 §9), as ICAO's PKD and states (the German BSI list) publish them.

A master list is a CMS SignedData (RFC 5652) whose content, of type id-icao-cscaMasterList
(2.23.136.1.1.2), is

    CscaMasterList ::= SEQUENCE { version INTEGER {v0(0)}, certList SET OF Certificate }

signed by a master list signer whose certificate a CSCA issued. `read_master_list` checks the
list's own signature completely before it looks at the certificates in it: the contentType and
messageDigest signed attributes, the signer's signature over them, and the signer certificate
under a CSCA of the list itself or one already trusted. The signer certificate's validity
period is not checked: a list that was genuine when signed still names genuine CSCAs.

Indefinite-length BER (some lists use it) is read as asn1crypto reads it for EF.SOD.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import cms, core, x509
from asn1crypto import parser as asn1_parser

from mrtd.errors import TrustStoreError
from mrtd.lds.sod import HASH_ALGORITHMS
from mrtd.verify.certificates import (
    ASN1_ERRORS,
    check_parsed,
    country,
    error_detail,
    is_ca,
    issued_by,
    may_have_issued,
)
from mrtd.verify.signature import SignatureCheckError, verify

__all__ = [
    "CSCA_MASTER_LIST_OID",
    "CscaMasterList",
    "MasterList",
    "read_master_list",
]

#: id-icao-cscaMasterList (9303-12 §9).
CSCA_MASTER_LIST_OID = "2.23.136.1.1.2"


class CertificateSet(core.SetOf):  # type: ignore[misc]
    _child_spec = x509.Certificate


class CscaMasterList(core.Sequence):  # type: ignore[misc]
    """CscaMasterList ::= SEQUENCE { version, certList SET OF Certificate }."""

    _fields = [  # noqa: RUF012 - asn1crypto's declarative spec
        ("version", core.Integer),
        ("cert_list", CertificateSet),
    ]


@dataclass(frozen=True, slots=True)
class MasterList:
    """A master list whose signature verified: its CSCA certificates, and what was left out
    (`skipped`: one reason per entry that is malformed or not a CA certificate)."""

    certificates: tuple[x509.Certificate, ...]
    skipped: tuple[str, ...]
    signer: x509.Certificate
    signer_issuer: x509.Certificate
    signing_time: datetime | None

    @property
    def country(self) -> str | None:
        """The signer's country (C=), e.g. "DE" for the German list."""
        return country(self.signer.subject)


def read_master_list(
    data: bytes, *, trusted: Iterable[x509.Certificate] = (), what: str = "master list"
) -> MasterList:
    """Verify and read a master list; `TrustStoreError` (naming `what`) if it is malformed or
    its signature does not verify. `trusted` are CSCAs that may have issued the signer."""
    try:
        return _read(data, trusted, what)
    except TrustStoreError:
        raise
    except ASN1_ERRORS as exc:
        raise TrustStoreError(f"{what}: malformed master list ({error_detail(exc)})") from exc


def _read(data: bytes, trusted: Iterable[x509.Certificate], what: str) -> MasterList:
    content_info = cms.ContentInfo.load(data, strict=True)
    if content_info["content_type"].native != "signed_data":
        raise TrustStoreError(f"{what}: a CMS ContentInfo that is not SignedData")
    signed_data = content_info["content"]
    encap = signed_data["encap_content_info"]
    if encap["content_type"].dotted != CSCA_MASTER_LIST_OID:
        raise TrustStoreError(f"{what}: CMS content is not a CSCA master list")
    if isinstance(encap["content"], core.Void):
        raise TrustStoreError(f"{what}: the master list content is absent")
    content = bytes(encap["content"].__bytes__())
    _parse_all(signed_data["digest_algorithms"], signed_data["signer_infos"])
    if len(signed_data["signer_infos"]) == 0:
        raise TrustStoreError(f"{what}: SignedData has no SignerInfo")
    signer_info = signed_data["signer_infos"][0]
    signer = _signer_certificate(signed_data, signer_info, what)
    signing_time = _check_signature(signer_info, signer, content, what)

    master_list = CscaMasterList.load(content, strict=True)
    if master_list["version"].native != 0:
        raise TrustStoreError(f"{what}: CscaMasterList version is not v0")
    entries = list(master_list["cert_list"])
    issuer = _signer_issuer(signer, [*entries, *trusted], what)
    certificates, skipped = _certificates(entries)
    return MasterList(tuple(certificates), tuple(skipped), signer, issuer, signing_time)


def _parse_all(*values: Any) -> None:
    """asn1crypto parses lazily: compute `.native` so every nested value is parsed now."""
    try:
        for value in values:
            _ = value.native
    except AttributeError as exc:
        raise ValueError(f"unsupported ASN.1 type: {exc}") from exc


def _signer_certificate(signed_data: Any, signer_info: Any, what: str) -> x509.Certificate:
    """The certificate in SignedData.certificates that the SignerInfo's sid names."""
    certificates = signed_data["certificates"]
    sid = signer_info["sid"]
    for choice in [] if isinstance(certificates, core.Void) else certificates:
        if choice.name != "certificate":
            continue
        certificate = choice.chosen
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            found = (
                certificate.issuer == wanted["issuer"]
                and certificate.serial_number == wanted["serial_number"].native
            )
        else:
            found = certificate.key_identifier == sid.chosen.native
        if found:
            check_parsed(certificate)
            return certificate
    raise TrustStoreError(f"{what}: the signer's certificate is not in the master list's CMS")


def _check_signature(
    signer_info: Any, signer: x509.Certificate, content: bytes, what: str
) -> datetime | None:
    """Signed attributes (mandatory for content other than id-data, RFC 5652 §5.3): content
    type, message digest; then the signature. Answers the signingTime attribute, if any."""
    attributes = signer_info["signed_attrs"]
    if isinstance(attributes, core.Void):
        raise TrustStoreError(f"{what}: SignerInfo has no signed attributes")
    values = {
        name: _attribute(attributes, name, what) for name in ("content_type", "message_digest")
    }
    if values["content_type"].dotted != CSCA_MASTER_LIST_OID:
        raise TrustStoreError(f"{what}: signed content type is not a CSCA master list")
    digest_algorithm = signer_info["digest_algorithm"]["algorithm"].native
    if digest_algorithm not in HASH_ALGORITHMS:
        raise TrustStoreError(f"{what}: digest algorithm {digest_algorithm} is not supported")
    if hashlib.new(digest_algorithm, content).digest() != values["message_digest"].native:
        raise TrustStoreError(f"{what}: message digest does not match the list's content")
    message = bytes(asn1_parser.emit(0, 1, 17, attributes.contents))  # the SET, RFC 5652 §5.4
    try:
        good = verify(
            signer.public_key,
            signer_info["signature_algorithm"],
            digest_algorithm,
            message,
            signer_info["signature"].native,
        )
    except SignatureCheckError as exc:
        raise TrustStoreError(f"{what}: signature cannot be checked: {exc}") from exc
    if not good:
        raise TrustStoreError(f"{what}: the master list signature does not verify")
    for attribute in attributes:
        if attribute["type"].native == "signing_time" and len(attribute["values"]) == 1:
            when: datetime = attribute["values"][0].native
            return when
    return None


def _attribute(attributes: Any, name: str, what: str) -> Any:
    found = [a for a in attributes if a["type"].native == name]
    if len(found) != 1 or len(found[0]["values"]) != 1:
        raise TrustStoreError(f"{what}: signed attributes need exactly one {name} value")
    return found[0]["values"][0]


def _signer_issuer(
    signer: x509.Certificate, pool: list[x509.Certificate], what: str
) -> x509.Certificate:
    """The CSCA (in the list or trusted) whose key verifies the signer certificate."""
    for candidate in pool:
        try:
            if may_have_issued(candidate, signer) and issued_by(signer, candidate):
                return candidate
        except (*ASN1_ERRORS, SignatureCheckError):
            continue  # a malformed entry, or one whose key cannot be used: not the issuer
    raise TrustStoreError(
        f"{what}: the master list signer is not issued by a CSCA in the list or the trust store"
    )


def _certificates(entries: list[x509.Certificate]) -> tuple[list[x509.Certificate], list[str]]:
    certificates: list[x509.Certificate] = []
    skipped: list[str] = []
    for number, entry in enumerate(entries, 1):
        try:
            check_parsed(entry)
        except ASN1_ERRORS as exc:
            skipped.append(f"entry {number}: malformed certificate ({error_detail(exc)})")
            continue
        if is_ca(entry):
            certificates.append(entry)
        else:
            skipped.append(f"entry {number}: not a CA certificate")
    return certificates, skipped
