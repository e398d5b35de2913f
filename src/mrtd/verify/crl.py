"""Certificate revocation lists of CSCAs (9303-12 §7.1.4; RFC 5280 §5), and the revocation
check of a Document Signer against them.

A CRL counts only when its issuer is the CSCA by name and one of that CSCA's keys verifies its
signature; anything else is ignored (and said so). A CRL that verifies and lists the Document
Signer fails it, however old or new the list. Otherwise revocation passes only on a current
CRL, one whose thisUpdate is not after the verification time and whose nextUpdate is not before
it: a stale CRL (next update due) or one dated in the future proves nothing about now, and
revocation is not_checked, saying which.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from asn1crypto import crl, x509

from mrtd.errors import TrustStoreError
from mrtd.verify.certificates import (
    ASN1_ERRORS,
    TrustAnchor,
    check_parsed,
    error_detail,
    name_key,
)
from mrtd.verify.outcome import CheckOutcome, CheckStatus
from mrtd.verify.signature import SignatureCheckError

__all__ = ["RevocationList", "check_revocation", "load_crl"]


def load_crl(der: bytes, what: str = "CRL") -> crl.CertificateList:
    """Parse a DER CRL completely; `TrustStoreError` names `what` if it is not one."""
    try:
        certificate_list = crl.CertificateList.load(der, strict=True)
        check_parsed(certificate_list)
        _ = (name_key(certificate_list.issuer), certificate_list.authority_key_identifier)
    except ASN1_ERRORS as exc:
        raise TrustStoreError(f"{what}: not an X.509 CRL ({error_detail(exc)})") from exc
    return certificate_list


@dataclass(frozen=True, eq=False, slots=True)
class RevocationList:
    """A loaded CRL with its revoked serial numbers indexed (serial -> revocation date)."""

    certificate_list: crl.CertificateList
    digest: bytes
    revoked: Mapping[int, datetime]

    @classmethod
    def from_crl(cls, certificate_list: crl.CertificateList) -> RevocationList:
        tbs = certificate_list["tbs_cert_list"]
        revoked = {
            entry["user_certificate"].native: entry["revocation_date"].native
            for entry in tbs["revoked_certificates"]
        }
        digest = hashlib.sha256(certificate_list.dump()).digest()
        return cls(certificate_list, digest, MappingProxyType(revoked))

    @property
    def issuer(self) -> x509.Name:
        return self.certificate_list.issuer

    @property
    def this_update(self) -> datetime | None:
        value: datetime | None = self.certificate_list["tbs_cert_list"]["this_update"].native
        return value

    @property
    def next_update(self) -> datetime | None:
        value: datetime | None = self.certificate_list["tbs_cert_list"]["next_update"].native
        return value

    def signed_by(self, anchor: TrustAnchor) -> bool:
        """Whether `anchor`'s key verifies this CRL (cached); False if it cannot be checked."""
        authority = self.certificate_list.authority_key_identifier
        if authority is not None and anchor.key_identifier not in (None, authority):
            return False
        try:
            return anchor.verifies(self.certificate_list, self.digest)
        except SignatureCheckError:
            return False


def check_revocation(
    serial: int, csca: Sequence[TrustAnchor], lists: Sequence[RevocationList], at: datetime
) -> CheckOutcome:
    """Whether a CRL of the CSCA lists the Document Signer serial number `serial`, at time `at`
    (timezone-aware). `csca` are the CSCA's certificates (every key it has used), `lists` the
    CRLs in its name."""
    valid = [rl for rl in lists if any(rl.signed_by(anchor) for anchor in csca)]
    ignored = len(lists) - len(valid)
    note = f"; {ignored} CRL(s) of this CSCA ignored: signature does not verify" if ignored else ""
    if not valid:
        if not lists:
            return CheckOutcome(NOT_CHECKED, "no CRL from this CSCA", "passive.no_crl")
        return CheckOutcome(NOT_CHECKED, note.removeprefix("; "), "passive.crl_signature_invalid")
    for rl in valid:
        if serial in rl.revoked:
            when = rl.revoked[serial]
            reason = f"Document Signer revoked on {_day(when)}{note}"
            return CheckOutcome(CheckStatus.FAILED, reason, "passive.ds_revoked")
    current, problems = [], []
    for rl in valid:
        problem = _currency(rl, at)
        if problem is None:
            current.append(rl)
        else:
            problems.append(problem)
    if not current:  # of several lists, a stale one is named before one dated ahead
        reason, code = sorted(problems, key=lambda p: _PROBLEM_ORDER.index(p[1]))[0]
        return CheckOutcome(NOT_CHECKED, f"{reason}{note}", code)
    return CheckOutcome(CheckStatus.PASSED, note.removeprefix("; "), _note_code(note))


def newest_current_issue(
    csca: Sequence[TrustAnchor], lists: Sequence[RevocationList], at: datetime
) -> datetime | None:
    """When the newest CRL that the CSCA signed and that is current at `at` was issued (its
    thisUpdate), or None: how fresh the revocation answer is, for a policy's maximum age."""
    current = [
        rl.this_update
        for rl in lists
        if any(rl.signed_by(anchor) for anchor in csca) and _currency(rl, at) is None
    ]
    return max((when for when in current if when is not None), default=None)


NOT_CHECKED = CheckStatus.NOT_CHECKED
_PROBLEM_ORDER = ("passive.crl_stale", "passive.crl_not_yet_valid", "passive.crl_undated")


def _currency(rl: RevocationList, at: datetime) -> tuple[str, str] | None:
    """Why `rl` says nothing about revocation at `at` (reason, code), or None if current."""
    try:
        this_update, next_update = rl.this_update, rl.next_update
        if this_update is None or next_update is None:
            return "the CRL has no nextUpdate, so its currency is unknown", "passive.crl_undated"
        if this_update > at:
            reason = f"the CRL is dated in the future (thisUpdate {_day(this_update)})"
            return reason, "passive.crl_not_yet_valid"
        if next_update < at:
            reason = f"the CRL is stale (next update was due {_day(next_update)})"
            return reason, "passive.crl_stale"
    except (TypeError, ValueError):  # asn1crypto's extended_datetime (year 0)
        return "the CRL's dates cannot be compared", "passive.crl_undated"
    return None


def _note_code(note: str) -> str:
    return "passive.crl_signature_invalid" if note else ""


def _day(when: datetime) -> str:
    try:
        return f"{when:%Y-%m-%d}"
    except (TypeError, ValueError):
        return str(when)
