"""Passive Authentication (ICAO 9303-11 §5.1): every data group read against its hash in EF.SOD,
EF.SOD's own signature by the Document Signer certificate it carries, and that certificate's
chain to a trusted CSCA (with CRLs and the issuing state), in one report.

Only a trust store makes a document genuine: without one the report stays not_checked, however
well the rest verifies. Unread data groups are not_checked and do not fail the check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from asn1crypto import x509

from mrtd.lds.sod import HASH_ALGORITHMS, LDS_SECURITY_OBJECT_OID, SODFile, find_signer_certificate
from mrtd.verify.certificates import country
from mrtd.verify.chain import check_chain
from mrtd.verify.outcome import CheckOutcome, CheckStatus
from mrtd.verify.signature import SignatureCheckError, verify
from mrtd.verify.trust import TrustStore

PASSED, FAILED = CheckOutcome(CheckStatus.PASSED), CheckStatus.FAILED
NOT_CHECKED = CheckOutcome(CheckStatus.NOT_CHECKED)


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
            outcomes[name] = CheckOutcome(CheckStatus.NOT_CHECKED, "not read")
        elif hashlib.new(sod.hash_algorithm, data).digest() == expected:
            outcomes[name] = PASSED
        else:
            outcomes[name] = CheckOutcome(FAILED, f"{name} does not match its hash in EF.SOD")
    for name in files:  # a group on the chip that EF.SOD does not vouch for
        if name.startswith("DG") and name not in outcomes:
            outcomes[name] = CheckOutcome(FAILED, f"{name} has no hash in EF.SOD")
    return outcomes


def check_signature(sod: SODFile, certificate: x509.Certificate | None = None) -> CheckOutcome:
    """EF.SOD's signed attributes: content type, message digest, and the DS signature, by
    `certificate` or else the DS certificate EF.SOD carries."""
    if sod.signed_content_type != LDS_SECURITY_OBJECT_OID:
        return CheckOutcome(FAILED, "signed content type is not the LDS security object")
    if sod.digest_algorithm not in HASH_ALGORITHMS:  # hashlib takes more (and OIDs as names)
        return CheckOutcome(
            CheckStatus.NOT_SUPPORTED, f"digest algorithm {sod.digest_algorithm} is not supported"
        )
    digest = hashlib.new(sod.digest_algorithm, sod.encapsulated_content).digest()
    if sod.message_digest != digest:
        return CheckOutcome(FAILED, "message digest does not match the LDS security object")
    certificate = certificate or sod.signer_certificate
    if certificate is None:
        return CheckOutcome(
            CheckStatus.NOT_CHECKED, "EF.SOD carries no Document Signer certificate"
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
        return CheckOutcome(CheckStatus.NOT_SUPPORTED, str(exc))
    if not good:
        return CheckOutcome(FAILED, "Document Signer signature does not verify")
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

    @property
    def outcome(self) -> CheckOutcome:
        """Failed if anything failed; passed only when the signature verifies, no data group
        fails and the DS chains to a trusted CSCA; otherwise not_checked, saying what is
        missing."""
        failed = [c.reason for c in self.data_groups.values() if c.status is FAILED]
        failed += [c.reason for c in (self.signature, self.chain) if c.status is FAILED]
        if self.revocation.status is FAILED and self.chain.status is not FAILED:
            failed.append(self.revocation.reason)
        if failed:
            return CheckOutcome(FAILED, "; ".join(failed))
        if self.signature.status is not CheckStatus.PASSED:
            return CheckOutcome(CheckStatus.NOT_CHECKED, self.signature.reason)
        if self.chain.status is not CheckStatus.PASSED:
            reason = self.chain.reason or "chain to a trusted CSCA not checked"
            return CheckOutcome(
                CheckStatus.NOT_CHECKED, f"data group hashes and DS signature verify; {reason}"
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
        return out


def passive_authentication(
    sod: SODFile | None,
    files: Mapping[str, bytes],
    trust: TrustStore | None = None,
    *,
    issuing_state: str | None = None,
    now: datetime | None = None,
) -> PassiveReport:
    """Run every Passive Authentication check `sod`, `files` and `trust` allow.

    The chain is checked at EF.SOD's signing time when it has one, else at `now` (default:
    the current time): a DS certificate that has expired since still vouches for the
    documents it signed while valid.
    """
    if sod is None:
        return PassiveReport(signature=CheckOutcome(CheckStatus.NOT_CHECKED, "no EF.SOD"))
    signer = sod.signer_certificate
    if signer is None and trust is not None:  # some issuers leave it to their PKD entry
        signer = find_signer_certificate(trust.document_signers, sod.signer_info)
    checked = check_sod(sod, files, signer)
    signing_time = sod.signing_time
    if trust is None:
        chain = CheckOutcome(CheckStatus.NOT_CHECKED, "no trust store (CSCA) given")
        return PassiveReport(checked.data_groups, checked.signature, chain,
                             signing_time=signing_time)  # fmt: skip
    if signer is None:
        chain = CheckOutcome(
            CheckStatus.NOT_CHECKED, "EF.SOD carries no DS certificate and the trust store has none"
        )
        return PassiveReport(checked.data_groups, checked.signature, chain,
                             signing_time=signing_time)  # fmt: skip

    at = signing_time or now or datetime.now(UTC)
    result = check_chain(signer, trust, at=at, issuing_state=issuing_state)
    csca: dict[str, object] = {}
    if result.csca is not None:
        csca = {
            "country": country(result.csca.subject),
            "serial": format(result.csca.serial_number, "x"),
        }
    return PassiveReport(
        checked.data_groups, checked.signature, result.outcome, result.revocation, csca,
        signing_time,
    )  # fmt: skip
