"""The verdict on a document: every check's outcome and one fail-closed summary of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from mrtd.verify.outcome import CheckOutcome, CheckStatus

if TYPE_CHECKING:  # annotations only: the verdict stays light to import
    from mrtd.access.pace.policy import AccessReport
    from mrtd.mrz import MRZ

__all__ = ["Verdict", "access_check", "expiry_check"]

PASSED, FAILED = CheckStatus.PASSED, CheckStatus.FAILED
NOT_SUPPORTED, NOT_CHECKED = CheckStatus.NOT_SUPPORTED, CheckStatus.NOT_CHECKED


@dataclass(frozen=True, slots=True)
class Verdict:
    """Fail closed. "genuine" needs all of: Passive Authentication passed against a trusted
    CSCA, the document unexpired, access not silently downgraded, and the chip proving its key
    (Active or Chip Authentication, PACE-CAM included) when it supports either. Any failed
    check makes it "failed"; anything else is "incomplete", with `reasons`."""

    passive: CheckOutcome = CheckOutcome(NOT_CHECKED, "passive authentication not run")
    active: CheckOutcome = CheckOutcome(NOT_CHECKED, "not read from a chip")
    chip: CheckOutcome = CheckOutcome(NOT_CHECKED, "not read from a chip")
    expiry: CheckOutcome = CheckOutcome(NOT_CHECKED)
    access: CheckOutcome = CheckOutcome(NOT_CHECKED, "not read from a chip")

    @property
    def failed(self) -> bool:
        return any(c.status is FAILED for c in self.checks().values())

    @property
    def summary(self) -> str:
        """ "genuine", "failed" or "incomplete"."""
        if self.failed:
            return "failed"
        return "incomplete" if self.reasons else "genuine"

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the document is not genuine: each failed check, then what was not proven."""
        failed = [f"{n}: {c.reason or 'failed'}" for n, c in self.checks().items()
                  if c.status is FAILED]  # fmt: skip
        if failed:
            return tuple(failed)
        missing = []
        if self.passive.status is not PASSED:
            missing.append(f"passive: {self.passive.reason or self.passive.status}")
        if self.expiry.status is not PASSED:
            missing.append(f"expiry: {self.expiry.reason or self.expiry.status}")
        proofs = (self.active.status, self.chip.status)
        if PASSED not in proofs and proofs != (NOT_SUPPORTED, NOT_SUPPORTED):
            missing.append(
                "clone detection: the chip did not prove its key "
                f"(active: {self.active.reason or self.active.status}; "
                f"chip: {self.chip.reason or self.chip.status})"
            )
        return tuple(missing)

    def checks(self) -> dict[str, CheckOutcome]:
        return {"passive": self.passive, "active": self.active, "chip": self.chip,
                "expiry": self.expiry, "access": self.access}  # fmt: skip


def access_check(access: AccessReport) -> CheckOutcome:
    """Passed for PACE, or BAC the caller chose or the chip offers alone; failed when PACE
    failed and the read fell back to BAC (someone may have forced the weaker protocol)."""
    if not access.protocol:
        return CheckOutcome(NOT_CHECKED, "not read from a chip")
    if access.downgraded:
        return CheckOutcome(FAILED, f"downgraded from PACE to BAC: {access.reason}")
    if access.protocol == "PACE":
        pace = access.pace
        return CheckOutcome(PASSED, f"PACE {pace.get('mapping', '')} {pace.get('domain', '')}")
    return CheckOutcome(PASSED, access.reason or "BAC")


def expiry_check(mrz: MRZ | None, today: date) -> CheckOutcome:
    if mrz is None or mrz.expiry_date is None:
        return CheckOutcome(CheckStatus.NOT_CHECKED, "no date of expiry")
    if mrz.expiry_date < today:
        return CheckOutcome(CheckStatus.FAILED, "document expired")
    return CheckOutcome(CheckStatus.PASSED)
