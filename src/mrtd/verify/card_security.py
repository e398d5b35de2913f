"""EF.CardSecurity's signature and chain (ICAO 9303-11 §4.4.3.5, §9.2; BSI TR-03110-3 A.1.2).

EF.CardSecurity is a CMS SignedData like EF.SOD, without the LDS tag 77 and with another
content type (id-SecurityObject): the Document Signer signs the chip's SecurityInfos, PACE-CAM's
chip-authentication public key among them. PACE-CAM proves the chip genuine only when that
signature verifies and the Document Signer chains to a trusted CSCA; this module checks both
with Passive Authentication's parts (`mrtd.verify.signature.verify`,
`mrtd.verify.chain.check_chain`) and says so as a `CheckOutcome`:

- passed: the signed attributes (content type, message digest) match the SecurityInfos, the
  signature verifies with the DS certificate (EF.CardSecurity's own, or one of the trust
  store's Document Signers) and that certificate chains to a trusted CSCA;
- not_checked with the code `chip.cam_unverified` otherwise: no trust store, no SignerInfo,
  no DS certificate, a signature that does not verify or cannot be checked, or a DS that no
  trusted CSCA issued. The reason says which.

The structure (and the SecurityInfos) is read by `SecurityInfos.from_card_security`, with its
bounds, before anything here looks at it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from asn1crypto import cms, core
from asn1crypto import parser as asn1_parser

from mrtd.errors import DecodeError
from mrtd.lds.security.infos import SecurityInfos
from mrtd.lds.security.oids import SECURITY_OBJECT_OID
from mrtd.lds.sod import HASH_ALGORITHMS, find_signer_certificate
from mrtd.verify.chain import check_chain
from mrtd.verify.outcome import CheckOutcome, CheckStatus
from mrtd.verify.signature import SignatureCheckError, verify
from mrtd.verify.trust import TrustStore

__all__ = ["CAM_UNVERIFIED", "check_card_security"]

CAM_UNVERIFIED = "chip.cam_unverified"
_ASN1_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError,
                AttributeError)  # fmt: skip


def check_card_security(
    data: bytes, trust: TrustStore | None, *, now: datetime | None = None
) -> CheckOutcome:
    """Whether EF.CardSecurity (`data`, as read) is signed by a Document Signer that chains to
    a CSCA of `trust` at `now` (default: the current UTC time). Passed, or not_checked with
    the code `chip.cam_unverified` and the reason; never raises for malformed input."""
    try:
        SecurityInfos.from_card_security(data)  # bounds, structure, content type
        signed_data = cms.ContentInfo.load(bytes(data), strict=True)["content"]
        return _check(signed_data, trust, now or datetime.now(UTC))
    except DecodeError as exc:
        return _unverified(f"EF.CardSecurity is malformed: {exc}")
    except _ASN1_ERRORS as exc:
        return _unverified(f"EF.CardSecurity is malformed ({type(exc).__name__})")


def _check(signed_data: cms.SignedData, trust: TrustStore | None, at: datetime) -> CheckOutcome:
    signer_infos = signed_data["signer_infos"]
    if len(signer_infos) == 0:
        return _unverified("EF.CardSecurity is not signed (no SignerInfo)")
    signer_info = signer_infos[0]
    attributes = signer_info["signed_attrs"]
    if isinstance(attributes, core.Void):
        return _unverified("EF.CardSecurity's SignerInfo has no signed attributes")
    content_type = _single(attributes, "content_type")
    message_digest = _single(attributes, "message_digest")
    if content_type is None or content_type.dotted != SECURITY_OBJECT_OID:
        return _unverified("EF.CardSecurity's signed content type is not id-SecurityObject")
    digest_algorithm = str(signer_info["digest_algorithm"]["algorithm"].native)
    if digest_algorithm not in HASH_ALGORITHMS:
        return _unverified(f"EF.CardSecurity's digest algorithm {digest_algorithm} is unsupported")
    content = bytes(signed_data["encap_content_info"]["content"].__bytes__())
    digest = hashlib.new(digest_algorithm, content).digest()
    if message_digest is None or bytes(message_digest.native) != digest:
        return _unverified("EF.CardSecurity's message digest does not match its SecurityInfos")
    if trust is None:
        return _unverified("no trust store (CSCA) given to verify EF.CardSecurity's signer")
    choices = signed_data["certificates"]
    certificates = (
        []
        if isinstance(choices, core.Void)
        else [choice.chosen for choice in choices if choice.name == "certificate"]
    )
    signer = find_signer_certificate(certificates, signer_info) or find_signer_certificate(
        trust.document_signers, signer_info
    )
    if signer is None:
        return _unverified("EF.CardSecurity names no Document Signer certificate mrtd has")
    signed = bytes(asn1_parser.emit(0, 1, 17, attributes.contents))
    try:
        good = verify(signer.public_key, signer_info["signature_algorithm"], digest_algorithm,
                      signed, bytes(signer_info["signature"].native))  # fmt: skip
    except SignatureCheckError as exc:
        return _unverified(f"EF.CardSecurity's signature cannot be checked: {exc}")
    if not good:
        return _unverified("EF.CardSecurity's signature does not verify")
    chain = check_chain(signer, trust, at=at).outcome
    if chain.status is not CheckStatus.PASSED:
        return _unverified(f"EF.CardSecurity's signer: {chain.reason or chain.status}")
    return CheckOutcome(CheckStatus.PASSED)


def _single(attributes: cms.CMSAttributes, name: str) -> core.Asn1Value | None:
    """The one value of signed attribute `name`; None when it is absent or not single."""
    found = [a for a in attributes if a["type"].native == name]
    if len(found) != 1 or len(found[0]["values"]) != 1:
        return None
    value: core.Asn1Value = found[0]["values"][0]
    return value


def _unverified(reason: str) -> CheckOutcome:
    return CheckOutcome(CheckStatus.NOT_CHECKED, reason, CAM_UNVERIFIED)
