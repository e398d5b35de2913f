"""The outcome of one verification check, shared by the verifiers and the `Document` verdict."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["CheckOutcome", "CheckStatus"]


class CheckStatus(enum.StrEnum):
    """A check "passed", "failed", is "not_supported" by the document, or was "not_checked"
    (it could not run: no trust store, no file to check with)."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_SUPPORTED = "not_supported"
    NOT_CHECKED = "not_checked"


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """A status and, unless it passed plainly, why (no personal data in reasons): `reason` in
    English for people, `code` a stable identifier for programs ("passive.ds_revoked")."""

    status: CheckStatus
    reason: str = ""
    code: str = ""

    def describe(self) -> str:
        """The status, and the reason in brackets when there is one (for logs)."""
        return f"{self.status} ({self.reason})" if self.reason else str(self.status)

    def as_dict(self) -> dict[str, str]:
        out = {"status": str(self.status)}
        if self.reason:
            out["reason"] = self.reason
        if self.code:
            out["code"] = self.code
        return out
