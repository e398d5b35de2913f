"""The Document Signer -> CSCA chain of Passive Authentication (9303-11 §5.1, 9303-12 §5, §7).

Every CA certificate in the trust store is an anchor. The anchors that may have issued the DS
certificate (same name, matching key identifiers) are tried in turn — a CSCA that rolled its key
over has several, and a link certificate (the new CSCA key, issued by the old CSCA) is one too —
and the first whose key verifies the DS certificate's signature and that passes the remaining
checks wins:

- validity: DS and CSCA certificates both valid at `at`, the time EF.SOD was signed when known
  (a document outlives its Document Signer's key-usage period, so "expired since" is fine);
- country: the CSCA's C= matches the DS certificate's issuer and subject, and the issuing state
  of the MRZ when given ("D" and "DEU" are "DE");
- revocation: a CRL from the CSCA, its signature verified with one of the CSCA's keys, must not
  list the DS serial number.

Signature results are cached (`mrtd.verify.certificates`), so checking many documents of one
Document Signer costs name lookups and date comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import x509

from mrtd.mrz.codes import country_alpha2
from mrtd.verify.certificates import (
    TrustAnchor,
    country,
    describe,
    fingerprint,
    name_key,
)
from mrtd.verify.crl import check_revocation
from mrtd.verify.outcome import CheckOutcome, CheckStatus
from mrtd.verify.signature import SignatureCheckError
from mrtd.verify.trust import TrustStore

__all__ = ["ChainCheck", "check_chain"]

PASSED, FAILED = CheckStatus.PASSED, CheckStatus.FAILED
UNCHAINED = CheckOutcome(CheckStatus.NOT_CHECKED, "no trusted CSCA verified the Document Signer")


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The chain's outcome, revocation's outcome, and the path: the DS certificate, then the
    trusted certificate it chained to (empty when no anchor's key verified it)."""

    outcome: CheckOutcome
    revocation: CheckOutcome
    path: tuple[x509.Certificate, ...] = ()

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
) -> ChainCheck:
    """Check the Document Signer certificate `signer` against `trust` at time `at` (timezone-
    aware). `issuing_state` is the MRZ's three-letter code, when known."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    if len(trust) == 0:
        return ChainCheck(
            CheckOutcome(CheckStatus.NOT_CHECKED, "the trust store holds no CSCA certificate"),
            UNCHAINED,
        )
    authority = signer.authority_key_identifier
    named = trust.anchors(name_key(signer.issuer))
    candidates = [anchor for anchor in named if anchor.matches(authority)]
    if not candidates:
        return ChainCheck(CheckOutcome(FAILED, _no_csca(signer, bool(named))), UNCHAINED)
    document = _Signer(signer, signer.dump(), country(signer.issuer), country(signer.subject))
    results = [_check_anchor(document, anchor, trust, at, issuing_state) for anchor in candidates]
    for result in results:
        if result.outcome.status is PASSED:
            return result
    return next((r for r in results if r.path), results[0])


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
    signer: _Signer, anchor: TrustAnchor, trust: TrustStore, at: datetime, state: str | None
) -> ChainCheck:
    try:
        good = anchor.verifies(signer.certificate, signer.der)
    except SignatureCheckError as exc:
        unsupported = f"the CSCA's signature on the Document Signer cannot be checked: {exc}"
        return ChainCheck(CheckOutcome(CheckStatus.NOT_SUPPORTED, unsupported), UNCHAINED)
    if not good:
        failed = (
            "Document Signer certificate signature does not verify"
            f" ({describe(anchor.certificate)})"
        )
        return ChainCheck(CheckOutcome(FAILED, failed), UNCHAINED)
    path = (signer.certificate, anchor.certificate)
    csca = trust.anchors(anchor.subject)
    lists = trust.revocation_lists_by_key(anchor.subject)
    revocation = check_revocation(signer.certificate.serial_number, csca, lists, at)
    problem = _validity(anchor.certificate, "CSCA", at)
    problem = problem or _validity(signer.certificate, "Document Signer", at)
    country_problem, note = _country(signer, anchor.country, state)
    problem = problem or country_problem
    if problem:
        return ChainCheck(CheckOutcome(FAILED, problem), revocation, path)
    if revocation.status is FAILED:
        return ChainCheck(CheckOutcome(FAILED, revocation.reason), revocation, path)
    return ChainCheck(CheckOutcome(PASSED, note), revocation, path)


def _validity(certificate: x509.Certificate, role: str, at: datetime) -> str | None:
    try:
        start, end = certificate.not_valid_before, certificate.not_valid_after
        if at < start:
            return f"{role} not yet valid at {_time(at)} (valid from {_time(start)})"
        if at > end:
            return f"{role} expired at {_time(at)} (valid until {_time(end)})"
    except (TypeError, ValueError):  # asn1crypto's extended_datetime (year 0)
        return f"{role} validity period cannot be compared"
    return None


def _country(signer: _Signer, csca: str | None, state: str | None) -> tuple[str | None, str]:
    """(a mismatch, else None; a note when the issuing state names no country)."""
    for role, found in (
        ("Document Signer issuer", signer.issuer_country),
        ("Document Signer", signer.country),
    ):
        if found is not None and found != csca:
            return f"{role} country {found} does not match CSCA country {csca or 'none'}", ""
    if state is None:
        return None, ""
    state = state.strip().rstrip("<")
    expected = country_alpha2(state)
    if expected is None:
        return None, f"issuing state {state} names no country; CSCA country not compared"
    if expected != csca:
        return f"issuing state {state} does not match CSCA country {csca or 'none'}", ""
    return None, ""


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
