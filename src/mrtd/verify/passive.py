"""Passive Authentication (ICAO 9303-11 §5.1): every data group read against its hash in EF.SOD,
EF.SOD's own signature by the Document Signer certificate it carries, and that certificate's
chain to a trusted CSCA (with CRLs and the issuing state), in one report.

Only a trust store makes a document genuine: without one the report stays not_checked, however
well the rest verifies. Unread data groups are not_checked and do not fail the check.

The report also names every algorithm used (`algorithms`: the data-group hash, the DS
signature with the DS key, the CSCA's signature on the DS certificate with the CSCA key), so
that a policy can refuse weak ones; this module judges none of them. Every outcome it makes
carries a `passive.*` code beside its reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from asn1crypto import x509

from mrtd.lds.sod import HASH_ALGORITHMS, LDS_SECURITY_OBJECT_OID, SODFile, find_signer_certificate
from mrtd.verify.algorithms import Algorithms
from mrtd.verify.card_security import CardSecurityReport
from mrtd.verify.certificates import country
from mrtd.verify.chain import check_chain
from mrtd.verify.outcome import CheckOutcome, CheckStatus
from mrtd.verify.signature import SignatureCheckError, describe_signature, verify
from mrtd.verify.trust import TrustStore

PASSED, FAILED = CheckOutcome(CheckStatus.PASSED), CheckStatus.FAILED
NOT_CHECKED = CheckOutcome(CheckStatus.NOT_CHECKED)


def describe_algorithms(
    sod: SODFile, signer: x509.Certificate | None, csca: x509.Certificate | None = None
) -> Algorithms:
    """The algorithms of `sod`, its DS certificate `signer` and the CSCA `csca` that issued it."""
    ds_signature = csca_signature = None
    digest = sod.digest_algorithm
    if signer is not None:
        ds_signature = describe_signature(sod.signature_algorithm, digest, signer.public_key)
        issuer_key = csca.public_key if csca is not None else None
        csca_signature = describe_signature(signer["signature_algorithm"], "", issuer_key)
    else:
        ds_signature = describe_signature(sod.signature_algorithm, digest)
    return Algorithms(sod.hash_algorithm, digest, ds_signature, csca_signature)


@dataclass(frozen=True, slots=True)
class SODCheck:
    """Per data group (by name, e.g. "DG1") and for the signature. `data_groups` lists every
    group EF.SOD hashes: passed, failed (it differs) or not_checked (not read)."""

    data_groups: Mapping[str, CheckOutcome] = field(default_factory=dict)
    signature: CheckOutcome = NOT_CHECKED

    @property
    def failed(self) -> tuple[str, ...]:
        """What failed, named: the data groups, then "signature"."""
        names = [n for n, c in self.data_groups.items() if c.status is CheckStatus.FAILED]
        if self.signature.status is CheckStatus.FAILED:
            names.append("signature")
        return tuple(names)


def check_sod(
    sod: SODFile, files: Mapping[str, bytes], certificate: x509.Certificate | None = None
) -> SODCheck:
    """Hash every data group read, compare with EF.SOD, and verify EF.SOD's signature."""
    return SODCheck(check_hashes(sod, files), check_signature(sod, certificate))


def check_hashes(sod: SODFile, files: Mapping[str, bytes]) -> dict[str, CheckOutcome]:
    outcomes: dict[str, CheckOutcome] = {}
    for number, expected in sorted(sod.data_group_hashes.items()):
        name = f"DG{number}"
        data = files.get(name)
        if data is None:
            outcomes[name] = CheckOutcome(
                CheckStatus.NOT_CHECKED, "not read", "passive.dg_not_read"
            )
        elif hashlib.new(sod.hash_algorithm, data).digest() == expected:
            outcomes[name] = PASSED
        else:
            reason = f"{name} does not match its hash in EF.SOD"
            outcomes[name] = CheckOutcome(FAILED, reason, "passive.hash_mismatch")
    for name in files:  # a group on the chip that EF.SOD does not vouch for
        if name.startswith("DG") and name not in outcomes:
            reason = f"{name} has no hash in EF.SOD"
            outcomes[name] = CheckOutcome(FAILED, reason, "passive.dg_not_in_sod")
    return outcomes


def check_signature(sod: SODFile, certificate: x509.Certificate | None = None) -> CheckOutcome:
    """EF.SOD's signed attributes: content type, message digest, and the DS signature, by
    `certificate` or else the DS certificate EF.SOD carries."""
    # RFC 5652 §11.1: the signed contentType is the eContentType; the parser admits only the
    # LDS security object's OID and id-data (a quirk some states have) there.
    if sod.signed_content_type not in (LDS_SECURITY_OBJECT_OID, sod.encapsulated_content_type):
        return CheckOutcome(
            FAILED, "signed content type is not the LDS security object", "passive.content_type"
        )
    if sod.digest_algorithm not in HASH_ALGORITHMS:  # hashlib takes more (and OIDs as names)
        return CheckOutcome(
            CheckStatus.NOT_SUPPORTED,
            f"digest algorithm {sod.digest_algorithm} is not supported",
            "passive.digest_unsupported",
        )
    digest = hashlib.new(sod.digest_algorithm, sod.encapsulated_content).digest()
    if sod.message_digest != digest:
        return CheckOutcome(
            FAILED,
            "message digest does not match the LDS security object",
            "passive.message_digest_mismatch",
        )
    certificate = certificate or sod.signer_certificate
    if certificate is None:
        return CheckOutcome(
            CheckStatus.NOT_CHECKED,
            "EF.SOD carries no Document Signer certificate",
            "passive.no_ds_certificate",
        )
    try:
        good = verify(
            certificate.public_key,
            sod.signature_algorithm,
            sod.digest_algorithm,
            sod.signature_input,
            sod.signature,
        )
    except SignatureCheckError as exc:
        return CheckOutcome(CheckStatus.NOT_SUPPORTED, str(exc), "passive.signature_unsupported")
    if not good:
        return CheckOutcome(
            FAILED, "Document Signer signature does not verify", "passive.signature_invalid"
        )
    return PASSED


@dataclass(frozen=True, slots=True)
class PassiveReport:
    """The whole of Passive Authentication: per data group, the DS signature, the chain to a
    CSCA and revocation, and one `outcome` that fails closed."""

    data_groups: Mapping[str, CheckOutcome] = field(default_factory=dict)
    signature: CheckOutcome = NOT_CHECKED
    chain: CheckOutcome = NOT_CHECKED
    revocation: CheckOutcome = NOT_CHECKED
    csca: Mapping[str, object] = field(default_factory=dict)  # country, serial, subject key id
    signing_time: datetime | None = None
    algorithms: Algorithms | None = None
    crl_issued: datetime | None = None  # thisUpdate of the newest current CRL that cleared the DS
    # Tolerated departures of the files from 9303 ("eContentType id-data", padding after a
    # file's TLV): reported, never a reason to pass or fail.
    quirks: tuple[str, ...] = ()
    # EF.CardSecurity when the files verified include it (`mrtd verify`): its signature and
    # chain; a failure fails Passive Authentication (a forged or altered signed file).
    card_security: CardSecurityReport | None = None

    @property
    def outcome(self) -> CheckOutcome:
        """Failed if anything failed; passed only when the signature verifies, no data group
        fails and the DS chains to a trusted CSCA; otherwise not_checked, saying what is
        missing. The code is that of the first failure, or of what is missing."""
        failed = [c for c in self.data_groups.values() if c.status is FAILED]
        failed += [c for c in (self.signature, self.chain) if c.status is FAILED]
        if self.revocation.status is FAILED and self.chain.status is not FAILED:
            failed.append(self.revocation)
        if self.card_security is not None and self.card_security.outcome.status is FAILED:
            failed.append(self.card_security.outcome)
        if failed:
            reason = "; ".join(c.reason for c in failed)
            return CheckOutcome(FAILED, reason, failed[0].code)
        if self.signature.status is not CheckStatus.PASSED:
            return CheckOutcome(CheckStatus.NOT_CHECKED, self.signature.reason, self.signature.code)
        if self.chain.status is not CheckStatus.PASSED:
            reason = self.chain.reason or "chain to a trusted CSCA not checked"
            return CheckOutcome(
                CheckStatus.NOT_CHECKED,
                f"data group hashes and DS signature verify; {reason}",
                self.chain.code or "passive.chain_not_checked",
            )
        return PASSED

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: `status` (and `reason`), then every part (no personal data)."""
        out: dict[str, Any] = self.outcome.as_dict()
        out["data_groups"] = {name: c.as_dict() for name, c in self.data_groups.items()}
        out["signature"] = self.signature.as_dict()
        out["chain"] = self.chain.as_dict()
        out["revocation"] = self.revocation.as_dict()
        if self.csca:
            out["csca"] = dict(self.csca)
        if self.signing_time is not None:
            out["signing_time"] = self.signing_time.isoformat()
        if self.algorithms is not None:
            out["algorithms"] = self.algorithms.as_dict()
        if self.crl_issued is not None:
            out["crl_issued"] = self.crl_issued.isoformat()
        if self.quirks:
            out["quirks"] = list(self.quirks)
        return out


def passive_authentication(
    sod: SODFile | None,
    files: Mapping[str, bytes],
    trust: TrustStore | None = None,
    *,
    issuing_state: str | None = None,
    document_type: str | None = None,
    document_expiry: date | None = None,
    now: datetime | None = None,
) -> PassiveReport:
    """Run every Passive Authentication check `sod`, `files` and `trust` allow.

    The chain is checked at `now`, the time of verification (default: the current UTC time).
    What the MRZ says binds the chain when given: `issuing_state` to the CSCA's country,
    `document_type` (the document code, "P", "ID") to the DS certificate's documentTypeList,
    `document_expiry` to the DS certificate's validity, which must cover it. EF.SOD's
    signingTime is the signer's claim: it must not lie in the future or outside the DS
    certificate's validity, and never makes an expired certificate valid.
    """
    if sod is None:
        return PassiveReport(
            signature=CheckOutcome(CheckStatus.NOT_CHECKED, "no EF.SOD", "passive.no_sod")
        )
    signer = sod.signer_certificate
    if signer is None and trust is not None:  # some issuers leave it to their PKD entry
        signer = find_signer_certificate(trust.document_signers, sod.signer_info)
    checked = check_sod(sod, files, signer)
    signing_time = sod.signing_time
    if trust is None:
        chain = CheckOutcome(
            CheckStatus.NOT_CHECKED, "no trust store (CSCA) given", "passive.no_trust_store"
        )
        return PassiveReport(checked.data_groups, checked.signature, chain,
                             signing_time=signing_time,
                             algorithms=describe_algorithms(sod, signer),
                             quirks=sod.quirks)  # fmt: skip
    if signer is None:
        chain = CheckOutcome(
            CheckStatus.NOT_CHECKED,
            "EF.SOD carries no DS certificate and the trust store has none",
            "passive.no_ds_certificate",
        )
        return PassiveReport(checked.data_groups, checked.signature, chain,
                             signing_time=signing_time,
                             algorithms=describe_algorithms(sod, signer),
                             quirks=sod.quirks)  # fmt: skip

    at = now or datetime.now(UTC)
    result = check_chain(
        signer,
        trust,
        at=at,
        issuing_state=issuing_state,
        document_type=document_type,
        document_expiry=document_expiry,
        signing_time=signing_time,
    )
    csca: dict[str, object] = {}
    if result.csca is not None:
        csca = {
            "country": country(result.csca.subject),
            "serial": format(result.csca.serial_number, "x"),
        }
    return PassiveReport(
        checked.data_groups, checked.signature, result.outcome, result.revocation, csca,
        signing_time, describe_algorithms(sod, signer, result.csca), result.crl_issued,
        sod.quirks,
    )  # fmt: skip
