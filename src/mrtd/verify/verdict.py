"""The verdict on a document: a pure function of its checks and a `Policy` (docs/verify.md).

`decide(evidence, policy)` turns what the checks established (`Evidence`: each check's
outcome and the facts a policy judges — the algorithms, the verified issuing state and
document type, the CRL's age) into a `Verdict` under the policy. It fails closed:

- `failed` when a check failed (a hash, a signature, the chain, a revoked or misused Document
  Signer, the chip's proof, a downgrade, a key that does not match DG1, an expired document) or
  the policy refuses what was proven (an issuer, a document type, an algorithm, a chip key too
  small to tell the chip from a clone);
- `genuine` only when every requirement of the policy was proven with bytes Passive
  Authentication verified;
- `incomplete` otherwise, with a reason for each requirement that was not proven.

PACE-CAM proves the chip on the strength of EF.CardSecurity's signature, so its Document
Signer is held to the policy as EF.SOD's is (revocation, the CRL's age, hashes, key sizes):
one the policy refuses leaves the pass `chip.cam_unverified`, a key shown and not proven.

Each reason has a stable `code` (listed in docs/verify.md) beside its English text.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING

from mrtd.verify.outcome import CheckOutcome, CheckStatus
from mrtd.verify.policy import (
    STRICT,
    ActiveAuthentication,
    CloneDetection,
    DocumentStatus,
    Policy,
    Revocation,
)

if TYPE_CHECKING:  # annotations only: the verdict stays light to import
    from mrtd.access.pace.policy import AccessReport
    from mrtd.mrz import MRZ
    from mrtd.verify.algorithms import Algorithms
    from mrtd.verify.outcome import KeyInfo
    from mrtd.verify.signature import SignatureInfo

__all__ = ["Evidence", "Reason", "SignerEvidence", "Verdict", "VerdictStatus", "access_check",
           "decide", "expiry_check"]  # fmt: skip

PASSED, FAILED = CheckStatus.PASSED, CheckStatus.FAILED
NOT_SUPPORTED, NOT_CHECKED = CheckStatus.NOT_SUPPORTED, CheckStatus.NOT_CHECKED
NO_KEY_SUFFIX = ".no_key"
"""A clone-detection outcome whose code ends so says the document carries no such key (and
not that it carries one mrtd cannot use)."""
CAM_PASSED, CAM_UNVERIFIED = "chip.cam_passed", "chip.cam_unverified"
SHOWN_NOT_PROVEN = frozenset({CAM_UNVERIFIED, "chip.cam_not_run"})
"""Chip outcomes of a read whose chip has a PACE-CAM key it did not prove (an EF.CardSecurity
no trusted CSCA signed, a signed DG14 that lists PACE-CAM and a read that ran another mapping):
a clone of such a document, not one without a key, so data-only proof does not cover it."""


class VerdictStatus(enum.StrEnum):
    GENUINE = "genuine"
    FAILED = "failed"
    INCOMPLETE = "incomplete"


class Reason(str):
    """Why a document is not genuine: the English text for people (it is the string itself, as
    "passive: ...") and a stable `code` for programs ("passive.hash_mismatch"). Neither holds
    personal data."""

    code: str

    def __new__(cls, code: str, text: str) -> Reason:
        reason = super().__new__(cls, text)
        reason.code = code
        return reason

    @property
    def text(self) -> str:
        return str.__str__(self)

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "text": self.text}


def _not_run(what: str) -> CheckOutcome:
    return CheckOutcome(NOT_CHECKED, what)


@dataclass(frozen=True, slots=True)
class SignerEvidence:
    """What the checks established of a Document Signer other than EF.SOD's (EF.CardSecurity's,
    on which a PACE-CAM pass rests), for the policy to judge as it judges EF.SOD's: the CRL
    check alone (`revocation`), the `algorithms` it relied on and the CRL's age."""

    revocation: CheckOutcome = field(default_factory=lambda: _not_run("no CRL checked"))
    algorithms: Algorithms | None = None
    crl_age: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the checks of one document established, before any policy.

    `passive` is Passive Authentication's outcome (hashes, signature, chain; a revoked DS fails
    it); `revocation` the CRL check alone; `algorithms` what Passive Authentication relied on;
    `crl_age` how old the CRL that cleared the DS was. `active` and `chip` are the chip's
    proofs (their codes end in ".no_key" when the document carries no such key); `access`
    the access protocol (a downgrade fails it); `binding` whether the key that opened the chip
    is DG1's; `completeness` whether every data group EF.SOD lists, DG1 and DG2 above all, was
    read. `issuing_state` and `document_code` come from DG1 and count only when `passive`
    passed; `active_listed` says EF.SOD lists DG15 (the document has an AA key); `status` is
    the document-status provider's answer (code "status.no_provider" when none was asked).
    `card_security` is EF.CardSecurity's signer when `chip` is a PACE-CAM pass (None: not
    known, and the pass proves nothing). The chip's keys are in `active.key`, `chip.key`."""

    passive: CheckOutcome = field(default_factory=lambda: _not_run("not run"))
    revocation: CheckOutcome = field(default_factory=lambda: _not_run("no CRL checked"))
    algorithms: Algorithms | None = None
    crl_age: timedelta | None = None
    active: CheckOutcome = field(default_factory=lambda: _not_run("not read from a chip"))
    chip: CheckOutcome = field(default_factory=lambda: _not_run("not read from a chip"))
    expiry: CheckOutcome = field(default_factory=lambda: _not_run("no date of expiry"))
    access: CheckOutcome = field(default_factory=lambda: _not_run("not read from a chip"))
    binding: CheckOutcome = field(default_factory=lambda: _not_run("not read from a chip"))
    completeness: CheckOutcome = field(default_factory=lambda: _not_run("not checked"))
    issuing_state: str = ""
    document_code: str = ""
    active_listed: bool = False
    status: CheckOutcome = field(
        default_factory=lambda: CheckOutcome(
            NOT_CHECKED, "no document status provider was asked", "status.no_provider"
        )
    )
    card_security: SignerEvidence | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision: `status` (`genuine`, `failed`, `incomplete`), `checks` by name (every
    check of the evidence plus what the policy judged: `issuer`, `algorithms`,
    `clone_detection`), `reasons` with codes, and the `policy` that decided."""

    status: VerdictStatus
    checks: Mapping[str, CheckOutcome]
    reasons: tuple[Reason, ...] = ()
    policy: Policy = STRICT

    @property
    def genuine(self) -> bool:
        return self.status is VerdictStatus.GENUINE

    @property
    def failed(self) -> bool:
        return self.status is VerdictStatus.FAILED

    @property
    def summary(self) -> str:
        """ "genuine", "failed" or "incomplete"."""
        return str(self.status)

    @property
    def codes(self) -> tuple[str, ...]:
        """The reasons' codes, in order."""
        return tuple(r.code for r in self.reasons)

    # The checks a caller asks for most, by name (the same outcomes as in `checks`).
    @property
    def passive(self) -> CheckOutcome:
        return self.checks["passive"]

    @property
    def active(self) -> CheckOutcome:
        return self.checks["active"]

    @property
    def chip(self) -> CheckOutcome:
        return self.checks["chip"]

    @property
    def expiry(self) -> CheckOutcome:
        return self.checks["expiry"]

    @property
    def access(self) -> CheckOutcome:
        return self.checks["access"]

    def as_dict(self) -> dict[str, object]:
        return {
            "status": str(self.status),
            "genuine": self.genuine,
            "reasons": [r.as_dict() for r in self.reasons],
            "policy": self.policy.as_dict(),
            "checks": {name: c.as_dict() for name, c in self.checks.items()},
        }


def decide(evidence: Evidence, policy: Policy = STRICT) -> Verdict:
    """The verdict on `evidence` under `policy`; pure: no clock, no I/O."""
    evidence = replace(evidence, chip=_cam_signer(evidence, policy))
    judged = {
        "issuer": _issuer(evidence, policy),
        "algorithms": _algorithms(evidence.algorithms, policy),
        "revocation": _revocation(evidence.revocation, evidence.crl_age, policy),
        "clone_detection": _clone_detection(evidence, policy),
        "status": _document_status(evidence.status, policy),
    }
    checks = {
        "passive": evidence.passive,
        "completeness": evidence.completeness,
        "expiry": evidence.expiry,
        "access": evidence.access,
        "binding": evidence.binding,
        "active": evidence.active,
        "chip": evidence.chip,
        **judged,
    }
    failed = [
        Reason(c.code or f"{name}.failed", f"{name}: {c.reason or 'failed'}")
        for name, c in checks.items()
        if c.status is FAILED
    ]
    if failed:
        return Verdict(VerdictStatus.FAILED, MappingProxyType(checks), tuple(failed), policy)
    # What genuine needs proven (passed): the rest may be not_checked where the policy allows.
    required = ("passive", "completeness", "expiry", "issuer", "algorithms", "revocation",
                "clone_detection", "status")  # fmt: skip
    missing = [
        Reason(
            checks[name].code or f"{name}.not_proven",
            f"{name}: {checks[name].reason or checks[name].status}",
        )
        for name in required
        if checks[name].status is not PASSED
    ]
    status = VerdictStatus.INCOMPLETE if missing else VerdictStatus.GENUINE
    return Verdict(status, MappingProxyType(checks), tuple(missing), policy)


def _issuer(evidence: Evidence, policy: Policy) -> CheckOutcome:
    if evidence.passive.status is not PASSED or not evidence.issuing_state:
        return CheckOutcome(
            NOT_CHECKED, "the issuer is known only from a verified DG1", "issuer.not_verified"
        )
    if not policy.admits_document(evidence.issuing_state, evidence.document_code):
        return CheckOutcome(
            FAILED,
            f"policy {policy.name!r} does not accept this issuing state or document type",
            "issuer.not_accepted",
        )
    return CheckOutcome(PASSED)


def _algorithms(algorithms: Algorithms | None, policy: Policy) -> CheckOutcome:
    if algorithms is None:
        return CheckOutcome(NOT_CHECKED, "no signature was verified", "algorithms.not_checked")
    weak: list[str] = []
    for role, name in (
        ("data group hash", algorithms.data_group_hash),
        ("signed attributes hash", algorithms.signed_attributes_hash),
    ):
        if name and name not in policy.hashes:
            weak.append(f"{role} {name}")
    for role, signature in (("DS signature", algorithms.ds_signature),
                            ("CSCA signature", algorithms.csca_signature)):  # fmt: skip
        weak += _weak_signature(role, signature, policy)
    if weak:
        return CheckOutcome(
            FAILED,
            f"policy {policy.name!r} does not accept: {', '.join(weak)}",
            "algorithms.not_accepted",
        )
    if algorithms.ds_signature is None or algorithms.csca_signature is None:
        return CheckOutcome(
            NOT_CHECKED, "the signatures' algorithms are not all known", "algorithms.unknown"
        )
    return CheckOutcome(PASSED)


def _weak_signature(role: str, signature: SignatureInfo | None, policy: Policy) -> list[str]:
    if signature is None:
        return []
    weak = []
    if signature.hash and signature.hash not in policy.hashes:
        weak.append(f"{role} hash {signature.hash}")
    if signature.key is not None and not _key_strong(signature.key, policy):
        weak.append(f"{role} key {signature.key.type}-{signature.key.bits}")
    return weak


def _key_strong(key: KeyInfo, policy: Policy) -> bool:
    if key.bits is None:
        return False
    if key.type == "rsa":
        return key.bits >= policy.min_rsa_bits
    if key.type == "ec":
        return key.bits >= policy.min_ec_bits
    return False


def _revocation(
    revocation: CheckOutcome, crl_age: timedelta | None, policy: Policy
) -> CheckOutcome:
    if revocation.status is FAILED:
        return revocation
    if revocation.status is PASSED:
        if policy.max_trust_age is None:
            return revocation
        if crl_age is None:
            return CheckOutcome(
                NOT_CHECKED, "the CRL's issue date is unknown", "revocation.crl_age_unknown"
            )
        if crl_age > policy.max_trust_age:
            return CheckOutcome(
                NOT_CHECKED,
                f"the CRL is older than policy {policy.name!r} accepts",
                "revocation.crl_too_old",
            )
        return revocation
    if policy.revocation is Revocation.BEST_EFFORT:
        return CheckOutcome(PASSED, f"best effort: {revocation.reason or 'no CRL'}")
    return CheckOutcome(
        NOT_CHECKED,
        f"policy {policy.name!r} requires a current CRL: {revocation.reason or 'none checked'}",
        revocation.code or "revocation.not_checked",
    )


def _document_status(status: CheckOutcome, policy: Policy) -> CheckOutcome:
    """A listed document fails whatever the policy; the policy decides about no provider and
    an unavailable one (fail closed unless it says best effort)."""
    if status.status in (PASSED, FAILED):
        return status
    if status.code == "status.no_provider":
        if policy.document_status is DocumentStatus.REQUIRED:
            return CheckOutcome(
                NOT_CHECKED,
                f"policy {policy.name!r} requires a document status check: none was asked",
                "status.no_provider",
            )
        return CheckOutcome(PASSED, f"no status provider; policy {policy.name!r} needs none")
    if policy.document_status is DocumentStatus.BEST_EFFORT:
        return CheckOutcome(PASSED, f"best effort: {status.reason}")
    return status


def _cam_signer(evidence: Evidence, policy: Policy) -> CheckOutcome:
    """The chip's outcome, but a PACE-CAM pass only while EF.CardSecurity's Document Signer
    meets the policy as EF.SOD's must (revocation, hashes, key sizes): its signature is what
    vouches for the key PACE-CAM proved. Otherwise `chip.cam_unverified`: a key shown, not
    proven (a clone's sign under every policy, data-only proof included)."""
    chip = evidence.chip
    if chip.status is not PASSED or chip.code != CAM_PASSED:
        return chip
    signer = evidence.card_security
    if signer is None:
        why = "EF.CardSecurity's signer is not known"
    else:
        judged = [_revocation(signer.revocation, signer.crl_age, policy),
                  _algorithms(signer.algorithms, policy)]  # fmt: skip
        refused = [j for j in judged if j.status is not PASSED]
        if not refused:
            return chip
        why = "; ".join(j.reason or str(j.status) for j in refused)
    return CheckOutcome(NOT_CHECKED, f"PACE-CAM not proven: EF.CardSecurity's signer: {why}",
                        CAM_UNVERIFIED, chip.key)  # fmt: skip


def _clone_detection(evidence: Evidence, policy: Policy) -> CheckOutcome:
    proofs = {"active": evidence.active, "chip": evidence.chip}
    if any(p.status is FAILED for p in proofs.values()):
        return CheckOutcome(FAILED, "the chip failed to prove its key", "clone.proof_failed")
    weak = [
        f"{name} {p.key}"
        for name, p in proofs.items()
        if p.status is PASSED and p.key is not None and not _chip_key_strong(p.key, policy)
    ]
    if weak:
        # The chip proved a key the policy finds too small to tell it from a clone (one who
        # factors RSA-512 or solves a small group's logarithm can make a clone that passes):
        # refused, as a weak Document Signer key is, so failed and not "not proven".
        return CheckOutcome(
            FAILED,
            f"policy {policy.name!r} does not accept the chip's key: {', '.join(weak)} "
            f"(below RSA-{policy.min_chip_rsa_bits}, DH-{policy.min_chip_dh_bits}, "
            f"EC-{policy.min_chip_ec_bits})",
            "clone.chip_key_weak",
        )
    if (
        policy.active_authentication is ActiveAuthentication.REQUIRED
        and evidence.active_listed
        and evidence.active.status is not PASSED
    ):
        return CheckOutcome(
            NOT_CHECKED,
            f"policy {policy.name!r} requires Active Authentication when EF.SOD lists DG15: "
            f"{evidence.active.reason or evidence.active.status}",
            "clone.active_required",
        )
    if any(p.status is PASSED for p in proofs.values()):
        return CheckOutcome(PASSED)
    unusable = [n for n, p in proofs.items() if p.status is NOT_SUPPORTED
                and not p.code.endswith(NO_KEY_SUFFIX)]  # fmt: skip
    if unusable:
        return CheckOutcome(
            NOT_CHECKED,
            "the document carries a clone-detection key mrtd could not exercise "
            f"({', '.join(unusable)})",
            "clone.key_unusable",
        )
    shown = [p for p in proofs.values() if p.code in SHOWN_NOT_PROVEN]
    if shown:
        return CheckOutcome(
            NOT_CHECKED, f"the chip has a key it did not prove: {shown[0].reason}",
            "clone.not_proven",
        )  # fmt: skip
    no_keys = all(p.code.endswith(NO_KEY_SUFFIX) for p in proofs.values())
    if policy.clone_detection is CloneDetection.DATA_ONLY_ACCEPTED:
        what = "no chip key" if no_keys else "the chip's key was not exercised"
        return CheckOutcome(PASSED, f"data only ({what}), as policy {policy.name!r} accepts")
    if no_keys:
        return CheckOutcome(
            NOT_CHECKED,
            "the document has no chip key (no AA, CA or PACE-CAM): its data can be copied",
            "clone.no_chip_key",
        )
    return CheckOutcome(NOT_CHECKED, "the chip did not prove its key", "clone.not_proven")


def _chip_key_strong(key: KeyInfo, policy: Policy) -> bool:
    """Whether a chip key (AA, CA, PACE-CAM) meets the policy's chip-key floors; a key of
    unknown size or type does not."""
    floors = {"rsa": policy.min_chip_rsa_bits, "dh": policy.min_chip_dh_bits,
              "ec": policy.min_chip_ec_bits}  # fmt: skip
    floor = floors.get(key.type)
    return floor is not None and key.bits is not None and key.bits >= floor


def access_check(access: AccessReport) -> CheckOutcome:
    """Passed for PACE, or BAC the caller chose or the chip offers alone; failed when PACE
    failed and the read fell back to BAC (someone may have forced the weaker protocol)."""
    if not access.protocol:
        return CheckOutcome(NOT_CHECKED, "not read from a chip")
    if access.downgraded:
        return CheckOutcome(
            FAILED, f"downgraded from PACE to BAC: {access.reason}", "access.downgraded"
        )
    if access.protocol == "PACE":
        pace = access.pace
        return CheckOutcome(PASSED, f"PACE {pace.get('mapping', '')} {pace.get('domain', '')}")
    return CheckOutcome(PASSED, access.reason or "BAC")


def expiry_check(mrz: MRZ | None, today: date) -> CheckOutcome:
    if mrz is None or mrz.expiry_date is None:
        return CheckOutcome(NOT_CHECKED, "no date of expiry", "expiry.unknown")
    if mrz.expiry_date < today:
        return CheckOutcome(FAILED, "document expired", "expiry.expired")
    return CheckOutcome(PASSED)
