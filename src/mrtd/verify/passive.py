"""Passive Authentication, document part (ICAO 9303-11 §5.1): every data group read against its
hash in EF.SOD, and EF.SOD's own signature by the Document Signer certificate it carries.

The chain from that certificate to a trusted CSCA (and CRLs) is the trust store's part and is
reported separately (`chain`); until it has run, nothing here makes a document genuine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from mrtd.checks import CheckOutcome, CheckStatus
from mrtd.lds.sod import LDS_SECURITY_OBJECT_OID, SODFile
from mrtd.verify.signature import SignatureCheckError, verify

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


def check_sod(sod: SODFile, files: Mapping[str, bytes]) -> SODCheck:
    """Hash every data group read, compare with EF.SOD, and verify EF.SOD's signature."""
    return SODCheck(check_hashes(sod, files), check_signature(sod))


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


def check_signature(sod: SODFile) -> CheckOutcome:
    """EF.SOD's signed attributes: content type, message digest, and the DS signature."""
    if sod.signed_content_type != LDS_SECURITY_OBJECT_OID:
        return CheckOutcome(FAILED, "signed content type is not the LDS security object")
    digest = hashlib.new(sod.digest_algorithm, sod.encapsulated_content).digest()
    if sod.message_digest != digest:
        return CheckOutcome(FAILED, "message digest does not match the LDS security object")
    certificate = sod.signer_certificate
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
