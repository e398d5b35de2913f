"""Certificate revocation lists of CSCAs (9303-12 §7.1.4; RFC 5280 §5), and the revocation
check of a Document Signer against them.

A CRL counts only when its issuer is the CSCA by name and one of that CSCA's keys verifies its
signature; anything else is ignored (and said so). A CRL past its nextUpdate is still used: an
old list that names the Document Signer is evidence enough, and the reason says it is stale.
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
    """Whether a CRL of the CSCA lists the Document Signer serial number `serial`. `csca` are
    the CSCA's certificates (every key it has used), `lists` the CRLs in its name."""
    valid = [rl for rl in lists if any(rl.signed_by(anchor) for anchor in csca)]
    ignored = len(lists) - len(valid)
    note = f"; {ignored} CRL(s) of this CSCA ignored: signature does not verify" if ignored else ""
    if not valid:
        reason = "no CRL from this CSCA" if not lists else note.removeprefix("; ")
        return CheckOutcome(CheckStatus.NOT_CHECKED, reason)
    for rl in valid:
        if serial in rl.revoked:
            when = rl.revoked[serial]
            return CheckOutcome(
                CheckStatus.FAILED, f"Document Signer revoked on {when:%Y-%m-%d}{note}"
            )
    newest = max((rl.next_update for rl in valid if rl.next_update is not None), default=None)
    if newest is not None and newest < at:
        note = f"; the CRL is stale (next update was due {newest:%Y-%m-%d}){note}"
    return CheckOutcome(CheckStatus.PASSED, note.removeprefix("; "))
