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

`verify_card_security` is the same check for `mrtd verify` (files given, not a chip read): a
`CardSecurityReport` with the SecurityInfos (kinds, protocols) and an outcome of its own,
coded `card_security.*`, that tells a signature that does not verify (failed) from one that
could not be checked (not_checked). `check_card_security` is its PACE-CAM view.

The report also names what a policy judges of the signer, as of EF.SOD's
(`mrtd.verify.verdict`): the algorithms (digest, the DS signature with the DS key, the CSCA's
signature with the CSCA key), revocation (a CRL of the CSCA) and the CRL's date. This module
judges none of them: a PACE-CAM pass whose signer the policy refuses proves nothing there.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from asn1crypto import cms, core
from asn1crypto import parser as asn1_parser

from mrtd.errors import DecodeError
from mrtd.lds.security.infos import SecurityInfos
from mrtd.lds.security.oids import SECURITY_OBJECT_OID
from mrtd.lds.sod import HASH_ALGORITHMS, find_signer_certificate
from mrtd.verify.algorithms import Algorithms
from mrtd.verify.chain import check_chain
from mrtd.verify.outcome import CheckOutcome, CheckStatus
from mrtd.verify.signature import SignatureCheckError, describe_signature, verify
from mrtd.verify.trust import TrustStore

__all__ = ["CAM_UNVERIFIED", "CardSecurityReport", "DocumentFacts", "check_card_security",
           "verify_card_security"]  # fmt: skip

CAM_UNVERIFIED = "chip.cam_unverified"
_ASN1_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError,
                AttributeError)  # fmt: skip
FAILED, NOT_CHECKED = CheckStatus.FAILED, CheckStatus.NOT_CHECKED


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    """What DG1 says of the document whose chip EF.CardSecurity speaks for: its issuing state
    (the MRZ's three letters), document code and date of expiry. EF.CardSecurity's Document
    Signer is held to them as EF.SOD's is (9303-12 §7.1: country, documentTypeList, validity):
    a DS of another state cannot vouch for this document's PACE-CAM key. None: not known."""

    issuing_state: str | None = None
    document_type: str | None = None
    expiry: date | None = None


def _no_crl_checked() -> CheckOutcome:
    return CheckOutcome(NOT_CHECKED, "no CRL checked", "card_security.chain_not_checked")


@dataclass(frozen=True, slots=True)
class CardSecurityReport:
    """EF.CardSecurity verified: `outcome` (passed when its signature verifies and its signer
    chains to a trusted CSCA; failed when it is malformed, its signed attributes do not match
    or its signature does not verify; otherwise not_checked, saying why) and its `infos`.

    For a policy, as Passive Authentication names them for EF.SOD: `algorithms` (None when
    no signer was found), `revocation` (the CRL check of the signer, from the chain) and
    `crl_issued` (thisUpdate of the newest current CRL that cleared it)."""

    outcome: CheckOutcome
    infos: SecurityInfos | None = None
    algorithms: Algorithms | None = None
    revocation: CheckOutcome = field(default_factory=_no_crl_checked)
    crl_issued: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: `status`, `reason`, `code`, `security_infos` (kind and protocol), and
        the signer's `algorithms` and `revocation` once a signer was found."""
        out: dict[str, Any] = self.outcome.as_dict()
        out["security_infos"] = [
            {"kind": type(info).__name__, "protocol": info.oid}
            for info in (self.infos.infos if self.infos is not None else ())
        ]
        if self.algorithms is not None:
            out["algorithms"] = self.algorithms.as_dict()
            out["revocation"] = self.revocation.as_dict()
        return out


def check_card_security(
    data: bytes,
    trust: TrustStore | None,
    *,
    now: datetime | None = None,
    document: DocumentFacts | None = None,
) -> CheckOutcome:
    """Whether EF.CardSecurity (`data`, as read) is signed by a Document Signer that chains to
    a CSCA of `trust` at `now` (default: the current UTC time), for the `document` when known
    (`DocumentFacts`: its issuing state, type and expiry, bound as EF.SOD's signer's are).
    Passed, or not_checked with the code `chip.cam_unverified` and the reason; never raises
    for malformed input."""
    outcome = verify_card_security(data, trust, now=now, document=document).outcome
    if outcome.status is CheckStatus.PASSED:
        return outcome
    return CheckOutcome(NOT_CHECKED, outcome.reason, CAM_UNVERIFIED)


def verify_card_security(
    data: bytes,
    trust: TrustStore | None,
    *,
    now: datetime | None = None,
    document: DocumentFacts | None = None,
) -> CardSecurityReport:
    """EF.CardSecurity's SecurityInfos, signature and chain to a CSCA of `trust` at `now`, for
    the `document` when known (a Document Signer of another state, or whose profile excludes
    the document, does not vouch for its chip); never raises for malformed input."""
    try:
        infos = SecurityInfos.from_card_security(data)  # bounds, structure, content type
    except DecodeError as exc:
        return CardSecurityReport(_outcome(FAILED, f"EF.CardSecurity is malformed: {exc}",
                                           "card_security.malformed"))  # fmt: skip
    try:
        signed_data = cms.ContentInfo.load(bytes(data), strict=True)["content"]
        at = now or datetime.now(UTC)
        return replace(_check(signed_data, trust, at, document), infos=infos)
    except DecodeError as exc:
        reason = f"EF.CardSecurity is malformed: {exc}"
    except _ASN1_ERRORS as exc:
        reason = f"EF.CardSecurity is malformed ({type(exc).__name__})"
    return CardSecurityReport(_outcome(FAILED, reason, "card_security.malformed"), infos)


def _check(
    signed_data: cms.SignedData,
    trust: TrustStore | None,
    at: datetime,
    document: DocumentFacts | None,
) -> CardSecurityReport:
    """The signature and chain checked, and what a policy judges of the signer (its
    algorithms, revocation) once a signer certificate is found."""
    signer_infos = signed_data["signer_infos"]
    if len(signer_infos) == 0:
        return _report(
            NOT_CHECKED, "EF.CardSecurity is not signed (no SignerInfo)", "card_security.unsigned"
        )
    signer_info = signer_infos[0]
    attributes = signer_info["signed_attrs"]
    if isinstance(attributes, core.Void):
        return _report(
            NOT_CHECKED,
            "EF.CardSecurity's SignerInfo has no signed attributes",
            "card_security.unsigned",
        )
    content_type = _single(attributes, "content_type")
    message_digest = _single(attributes, "message_digest")
    if content_type is None or content_type.dotted != SECURITY_OBJECT_OID:
        return _report(FAILED, "EF.CardSecurity's signed content type is not id-SecurityObject",
                       "card_security.content_type")  # fmt: skip
    digest_algorithm = str(signer_info["digest_algorithm"]["algorithm"].native)
    if digest_algorithm not in HASH_ALGORITHMS:
        return _report(CheckStatus.NOT_SUPPORTED,
                       f"EF.CardSecurity's digest algorithm {digest_algorithm} is unsupported",
                       "card_security.digest_unsupported")  # fmt: skip
    content = bytes(signed_data["encap_content_info"]["content"].__bytes__())
    digest = hashlib.new(digest_algorithm, content).digest()
    if message_digest is None or bytes(message_digest.native) != digest:
        return _report(FAILED, "EF.CardSecurity's message digest does not match its "
                       "SecurityInfos", "card_security.message_digest_mismatch")  # fmt: skip
    choices = signed_data["certificates"]
    certificates = (
        []
        if isinstance(choices, core.Void)
        else [choice.chosen for choice in choices if choice.name == "certificate"]
    )
    signer = find_signer_certificate(certificates, signer_info)
    if signer is None and trust is not None:
        signer = find_signer_certificate(trust.document_signers, signer_info)
    if signer is None:
        if trust is None:
            return CardSecurityReport(_no_trust())
        return _report(NOT_CHECKED, "EF.CardSecurity names no Document Signer certificate "
                       "mrtd has", "card_security.no_ds_certificate")  # fmt: skip
    algorithms = Algorithms(
        "", digest_algorithm,
        describe_signature(signer_info["signature_algorithm"], digest_algorithm, signer.public_key),
        describe_signature(signer["signature_algorithm"]),
    )  # fmt: skip
    signed = bytes(asn1_parser.emit(0, 1, 17, attributes.contents))
    try:
        good = verify(signer.public_key, signer_info["signature_algorithm"], digest_algorithm,
                      signed, bytes(signer_info["signature"].native))  # fmt: skip
    except SignatureCheckError as exc:
        return _report(CheckStatus.NOT_SUPPORTED,
                       f"EF.CardSecurity's signature cannot be checked: {exc}",
                       "card_security.signature_unsupported")  # fmt: skip
    if not good:
        return _report(
            FAILED, "EF.CardSecurity's signature does not verify", "card_security.signature_invalid"
        )
    if trust is None:
        return CardSecurityReport(_no_trust(), algorithms=algorithms)
    facts = document or DocumentFacts()
    checked = check_chain(signer, trust, at=at, issuing_state=facts.issuing_state,
                          document_type=facts.document_type,
                          document_expiry=facts.expiry)  # fmt: skip
    csca = checked.csca
    algorithms = replace(algorithms, csca_signature=describe_signature(
        signer["signature_algorithm"], "", csca.public_key if csca is not None else None
    ))  # fmt: skip
    chain = checked.outcome
    if chain.status is not CheckStatus.PASSED:
        outcome = CheckOutcome(
            chain.status,
            f"EF.CardSecurity's signer: {chain.reason or chain.status}",
            chain.code or "card_security.chain_not_checked",
        )
    else:
        outcome = CheckOutcome(CheckStatus.PASSED)
    return CardSecurityReport(outcome, None, algorithms, checked.revocation, checked.crl_issued)


def _single(attributes: cms.CMSAttributes, name: str) -> core.Asn1Value | None:
    """The one value of signed attribute `name`; None when it is absent or not single."""
    found = [a for a in attributes if a["type"].native == name]
    if len(found) != 1 or len(found[0]["values"]) != 1:
        return None
    value: core.Asn1Value = found[0]["values"][0]
    return value


def _no_trust() -> CheckOutcome:
    return _outcome(NOT_CHECKED, "no trust store (CSCA) given to verify EF.CardSecurity's "
                    "signer", "card_security.no_trust_store")  # fmt: skip


def _outcome(status: CheckStatus, reason: str, code: str) -> CheckOutcome:
    return CheckOutcome(status, reason, code)


def _report(status: CheckStatus, reason: str, code: str) -> CardSecurityReport:
    return CardSecurityReport(CheckOutcome(status, reason, code))
