"""What a read produced: the files, how access went, the clone checks, statistics.

`ReadResult` fills in as a read goes; after a failure the exception's `partial` holds it
(`mrtd.errors.MRTDError.partial`), with every file read and verified before the fault.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mrtd.access.pace.policy import AccessReport
from mrtd.verify.outcome import CheckOutcome, CheckStatus

__all__ = ["ReadResult", "Stats"]


@dataclass
class Stats:
    apdus: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    seconds: float = 0.0
    resumes: int = 0  # times the card left the field and the read went on after it came back
    reopened: int = 0  # times the chip ended secure messaging and access was opened again

    def as_dict(self) -> dict[str, float | int]:
        return {
            "apdus": self.apdus,
            "bytes_sent": self.bytes_sent,
            "bytes_received": self.bytes_received,
            "seconds": round(self.seconds, 6),
            "resumes": self.resumes,
            "reopened": self.reopened,
        }


@dataclass
class ReadResult:
    """What a read produced. Files already read stay here even when a later step fails."""

    access: AccessReport = field(default_factory=AccessReport)
    files: dict[str, bytes] = field(default_factory=dict, repr=False)  # personal data
    chip: CheckOutcome = CheckOutcome(
        CheckStatus.NOT_CHECKED, "Chip Authentication not run", "chip.not_run"
    )
    active: CheckOutcome = CheckOutcome(
        CheckStatus.NOT_CHECKED, "Active Authentication not run", "active.not_run"
    )
    denied: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    stats: Stats = field(default_factory=Stats)
    # The challenge Active Authentication sent (the caller's, or a fresh one) and the chip's
    # answer to it, as received after secure messaging: for a back-end that checks the
    # signature itself (`mrtd.verify.active.check_active_authentication`). None when AA did
    # not run; the signature None too when the chip refused or its answer was not genuine.
    active_challenge: bytes | None = field(default=None, repr=False)
    active_signature: bytes | None = field(default=None, repr=False)

    @property
    def access_protocol(self) -> str:
        """ "PACE" or "BAC" (empty until access is open)."""
        return self.access.protocol
