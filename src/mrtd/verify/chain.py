"""The Document Signer -> CSCA chain of Passive Authentication (9303-11 §5.1, 9303-12 §5, §7).

Every CA certificate in the trust store is an anchor. The anchors that may have issued the DS
certificate (same name, matching key identifiers) are tried in turn — a CSCA that rolled its key
over has several, and a link certificate (the new CSCA key, issued by the old CSCA) is one too —
and the first whose key verifies the DS certificate's signature and that passes the remaining
checks wins:

- profile: the DS certificate is a Document Signer's (9303-12 §7.1.1: an end entity with
  digitalSignature, no keyCertSign, no extendedKeyUsage), and its documentTypeList, when it has
  one, admits the document's type;
- time: DS and CSCA certificates both valid at `at`, the time of verification; the document's
  date of expiry inside the DS certificate's validity (9303-12 §4.1.1.1: a DS certificate is
  valid for as long as the documents it signs); EF.SOD's signingTime, the signer's own claim,
  never widens anything: one in the future, or outside the DS validity, fails;
- country: the CSCA's C= matches the DS certificate's issuer and subject, and the issuing state
  of the MRZ when given ("D" and "DEU" are "DE"; the organisations with a sourced CSCA country
  are mapped, any other code fails);
- revocation: a CRL from the CSCA, its signature verified with one of the CSCA's keys, must not
  list the DS serial number (and only a current CRL makes revocation pass).

Every outcome carries a `passive.*` code beside its reason.

Signature results are cached (`mrtd.verify.certificates`), so checking many documents of one
Document Signer costs name lookups and date comparisons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import MappingProxyType

from asn1crypto import x509

from mrtd.errors import DecodeError
from mrtd.mrz.codes import country_alpha2
from mrtd.verify.certificates import (
    ASN1_ERRORS,
    TrustAnchor,
    country,
    describe,
    document_signer_problem,
    document_type_allowed,
    document_types,
    fingerprint,
    name_key,
)
from mrtd.verify.crl import check_revocation, newest_current_issue
from mrtd.verify.outcome import CheckOutcome, CheckStatus
from mrtd.verify.signature import SignatureCheckError
from mrtd.verify.trust import TrustStore

__all__ = ["CSCA_COUNTRY_OF_ORGANISATION", "ChainCheck", "check_chain", "csca_country"]

PASSED, FAILED = CheckStatus.PASSED, CheckStatus.FAILED
UNCHAINED = CheckOutcome(
    CheckStatus.NOT_CHECKED,
    "no trusted CSCA verified the Document Signer",
    "passive.no_trusted_csca",
)

#: Issuing-state codes that are not ISO 3166 countries, and the C= of the CSCA whose Document
#: Signers sign their documents (9303-12 §7.1.1.1: a CSCA's countryName is a two-letter code).
#: Only what the CSCA certificates themselves show: the German CSCA master list of 2026-05-28
#: (published by BSI; DE_ML_2026-05-28-08-28-45.ml in the shared test data) holds
#: "United Nations CSCA" (O=United Nations, C=UN) for the UN laissez-passer (UNO), "EU Laissez
#: Passer CSCA" (O=European Union, C=EU) for the EU laissez-passer (EUE), and "CSCA-KOSOVO"
#: (C=KS) for Kosovo, whose passports write RKS (a code on neither the ISO 3166 nor the 9303-3
#: list). Every other organisation (INTERPOL's XPO, UNA, the X.. codes) and every unknown code
#: has no sourced CSCA country, and its documents fail the country check.
CSCA_COUNTRY_OF_ORGANISATION: Mapping[str, str] = MappingProxyType(
    {"UNO": "UN", "EUE": "EU", "RKS": "KS"}
)


def csca_country(issuing_state: str) -> str | None:
    """The C= of the CSCA of an MRZ issuing state ("D<<" and "DEU" -> "DE", "UNO" -> "UN");
    None when no country is known for the code."""
    code = issuing_state.strip().rstrip("<").upper()
    return country_alpha2(code) or CSCA_COUNTRY_OF_ORGANISATION.get(code)


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The chain's outcome, revocation's outcome, and the path: the DS certificate, then the
    trusted certificate it chained to (empty when no anchor's key verified it)."""

    outcome: CheckOutcome
    revocation: CheckOutcome
    path: tuple[x509.Certificate, ...] = ()
    crl_issued: datetime | None = None  # the newest current CRL that cleared the DS

    @property
    def csca(self) -> x509.Certificate | None:
        """The trusted certificate whose key signed the DS certificate."""
        return self.path[1] if len(self.path) > 1 else None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: statuses, reasons, and per certificate its country, serial number,
        validity and fingerprint (the CSCA's name too; no personal data)."""
        path = [_certificate_dict(c, anchor=n > 0) for n, c in enumerate(self.path)]
        return {**self.outcome.as_dict(), "revocation": self.revocation.as_dict(), "path": path}


def check_chain(
    signer: x509.Certificate,
    trust: TrustStore,
    *,
    at: datetime,
    issuing_state: str | None = None,
    document_type: str | None = None,
    document_expiry: date | None = None,
    signing_time: datetime | None = None,
    document_signer: bool = True,
) -> ChainCheck:
    """Check the Document Signer certificate `signer` against `trust` at `at`, the time of
    verification (timezone-aware).

    What the document says, when known: `issuing_state` (the MRZ's three-letter code),
    `document_type` (the MRZ document code, "P", "ID"), `document_expiry` (its date of
    expiry) and `signing_time` (EF.SOD's signingTime). `document_signer` False checks another
    end entity under a CSCA (a Master List Signer) without the Document Signer's profile.
    """
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    if len(trust) == 0:
        return ChainCheck(
            CheckOutcome(
                CheckStatus.NOT_CHECKED,
                "the trust store holds no CSCA certificate",
                "passive.empty_trust_store",
            ),
            UNCHAINED,
        )
    authority = signer.authority_key_identifier
    named = trust.anchors(name_key(signer.issuer))
    candidates = [anchor for anchor in named if anchor.matches(authority)]
    if not candidates:
        failed = CheckOutcome(FAILED, _no_csca(signer, bool(named)), "passive.no_trusted_csca")
        return ChainCheck(failed, UNCHAINED)
    document = _Signer(signer, signer.dump(), country(signer.issuer), country(signer.subject))
    claims = _Claims(at, issuing_state, document_type, document_expiry, signing_time,
                     document_signer)  # fmt: skip
    results = [_check_anchor(document, anchor, trust, claims) for anchor in candidates]
    for result in results:
        if result.outcome.status is PASSED:
            return result
    return next((r for r in results if r.path), results[0])


@dataclass(frozen=True, slots=True)
class _Claims:
    """The time of verification and what the document says of itself."""

    at: datetime
    issuing_state: str | None
    document_type: str | None
    document_expiry: date | None
    signing_time: datetime | None
    document_signer: bool


@dataclass(frozen=True, slots=True)
class _Signer:
    """The DS certificate and what every candidate's check reads, computed once."""

    certificate: x509.Certificate
    der: bytes
    issuer_country: str | None
    country: str | None


def _no_csca(signer: x509.Certificate, same_name: bool) -> str:
    state = country(signer.issuer)
    issuer = f"C={state}" if state else "without a country"
    reason = "no trusted CSCA for this Document Signer"
    if same_name:
        reason += " (a CSCA of that name, but with another key identifier)"
    return f"{reason}: issuer {issuer}, DS serial 0x{signer.serial_number:X}"


def _check_anchor(
    signer: _Signer, anchor: TrustAnchor, trust: TrustStore, claims: _Claims
) -> ChainCheck:
    try:
        good = anchor.verifies(signer.certificate, signer.der)
    except SignatureCheckError as exc:
        unsupported = f"the CSCA's signature on the Document Signer cannot be checked: {exc}"
        outcome = CheckOutcome(
            CheckStatus.NOT_SUPPORTED, unsupported, "passive.ds_certificate_signature_unsupported"
        )
        return ChainCheck(outcome, UNCHAINED)
    if not good:
        failed = (
            "Document Signer certificate signature does not verify"
            f" ({describe(anchor.certificate)})"
        )
        outcome = CheckOutcome(FAILED, failed, "passive.ds_certificate_signature_invalid")
        return ChainCheck(outcome, UNCHAINED)
    path = (signer.certificate, anchor.certificate)
    csca = trust.anchors(anchor.subject)
    lists = trust.revocation_lists_by_key(anchor.subject)
    revocation = check_revocation(signer.certificate.serial_number, csca, lists, claims.at)
    problem = (
        _profile(signer.certificate, claims)
        or _validity(anchor.certificate, "CSCA", claims.at, "passive.csca_not_valid_now")
        or _validity(signer.certificate, "Document Signer", claims.at, "passive.ds_not_valid_now")
        or _signing_time(signer.certificate, claims)
        or _document_expiry(signer.certificate, claims)
        or _country(signer, anchor.country, claims.issuing_state)
    )
    if problem is not None:
        return ChainCheck(problem, revocation, path)
    if revocation.status is FAILED:
        return ChainCheck(revocation, revocation, path)
    issued = newest_current_issue(csca, lists, claims.at) if revocation.status is PASSED else None
    return ChainCheck(CheckOutcome(PASSED), revocation, path, issued)


def _profile(certificate: x509.Certificate, claims: _Claims) -> CheckOutcome | None:
    """The Document Signer profile, and the document's type against its documentTypeList."""
    if not claims.document_signer:
        return None
    problem = document_signer_problem(certificate)
    if problem is not None:
        return CheckOutcome(FAILED, problem, "passive.ds_profile")
    try:
        types = document_types(certificate)
    except (DecodeError, *ASN1_ERRORS):
        reason = "the Document Signer certificate's documentTypeList cannot be read"
        return CheckOutcome(FAILED, reason, "passive.ds_document_type")
    if types is None or claims.document_type is None:
        return None
    if not document_type_allowed(types, claims.document_type):
        code = claims.document_type.strip().rstrip("<").upper() or "(none)"
        reason = (
            f"the Document Signer may sign document types {', '.join(sorted(types))}, not {code}"
        )
        return CheckOutcome(FAILED, reason, "passive.ds_document_type")
    return None


def _validity(
    certificate: x509.Certificate, role: str, at: datetime, code: str
) -> CheckOutcome | None:
    try:
        start, end = certificate.not_valid_before, certificate.not_valid_after
        if at < start:
            reason = f"{role} not yet valid at {_time(at)} (valid from {_time(start)})"
            return CheckOutcome(FAILED, reason, code)
        if at > end:
            reason = f"{role} expired at {_time(at)} (valid until {_time(end)})"
            return CheckOutcome(FAILED, reason, code)
    except (TypeError, ValueError):  # asn1crypto's extended_datetime (year 0)
        reason = f"{role} validity period cannot be compared"
        return CheckOutcome(FAILED, reason, "passive.validity_unreadable")
    return None


def _signing_time(certificate: x509.Certificate, claims: _Claims) -> CheckOutcome | None:
    """EF.SOD's signingTime is the signer's claim: it may narrow, never widen. It must not lie
    after the verification time, nor outside the DS certificate's validity."""
    when = claims.signing_time
    if when is None:
        return None
    try:
        if when.tzinfo is None:  # a UTCTime or GeneralizedTime without zone: read as UTC
            when = when.replace(tzinfo=UTC)
        if when > claims.at:
            reason = f"EF.SOD signing time {_time(when)} is in the future (now {_time(claims.at)})"
            return CheckOutcome(FAILED, reason, "passive.signing_time_future")
        start, end = certificate.not_valid_before, certificate.not_valid_after
        if not start <= when <= end:
            reason = (
                f"EF.SOD signing time {_time(when)} is outside the Document Signer's validity"
                f" ({_time(start)} to {_time(end)})"
            )
            return CheckOutcome(FAILED, reason, "passive.signing_time_outside_ds")
    except (TypeError, ValueError, OverflowError):
        reason = "EF.SOD signing time cannot be compared"
        return CheckOutcome(FAILED, reason, "passive.validity_unreadable")
    return None


def _document_expiry(certificate: x509.Certificate, claims: _Claims) -> CheckOutcome | None:
    """9303-12 §4.1.1.1: a DS certificate is valid for the longest validity of the documents
    it signs, so the document's date of expiry lies inside it (compared by day)."""
    expiry = claims.document_expiry
    if expiry is None or not claims.document_signer:
        return None
    try:
        start, end = certificate.not_valid_before, certificate.not_valid_after
        if expiry > end.astimezone(UTC).date():
            reason = (
                "the document expires after its Document Signer certificate"
                f" (valid until {_time(end)})"
            )
            return CheckOutcome(FAILED, reason, "passive.document_outlives_ds")
        if expiry < start.astimezone(UTC).date():
            reason = (
                "the document expired before its Document Signer certificate was valid"
                f" (valid from {_time(start)})"
            )
            return CheckOutcome(FAILED, reason, "passive.document_expiry_before_ds")
    except (TypeError, ValueError, OverflowError):
        reason = "Document Signer validity period cannot be compared"
        return CheckOutcome(FAILED, reason, "passive.validity_unreadable")
    return None


def _country(signer: _Signer, csca: str | None, state: str | None) -> CheckOutcome | None:
    """The DS certificate's countries and the MRZ issuing state against the CSCA's country."""
    for role, found in (
        ("Document Signer issuer", signer.issuer_country),
        ("Document Signer", signer.country),
    ):
        if found is not None and found != csca:
            reason = f"{role} country {found} does not match CSCA country {csca or 'none'}"
            return CheckOutcome(FAILED, reason, "passive.country_mismatch")
    if state is None:
        return None
    state = state.strip().rstrip("<")
    expected = csca_country(state)
    if expected is None:
        reason = f"issuing state {state} has no known CSCA country to compare with"
        return CheckOutcome(FAILED, reason, "passive.country_unmapped")
    if expected != csca:
        reason = f"issuing state {state} does not match CSCA country {csca or 'none'}"
        return CheckOutcome(FAILED, reason, "passive.country_mismatch")
    return None


def _time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _certificate_dict(certificate: x509.Certificate, *, anchor: bool) -> dict[str, object]:
    entry: dict[str, object] = {
        "role": "csca" if anchor else "document_signer",
        "country": country(certificate.subject),
        "serial": f"{certificate.serial_number:X}",
        "valid_from": certificate.not_valid_before.isoformat(),
        "valid_until": certificate.not_valid_after.isoformat(),
        "sha256": fingerprint(certificate),
    }
    if anchor:
        entry["subject"] = certificate.subject.human_friendly
    return entry
