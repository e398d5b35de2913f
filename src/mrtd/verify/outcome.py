"""The outcome of one verification check, shared by the verifiers and the `Document` verdict."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = ["CheckOutcome", "CheckStatus", "KeyInfo"]


class CheckStatus(enum.StrEnum):
    """A check "passed", "failed", is "not_supported" by the document, or was "not_checked"
    (it could not run: no trust store, no file to check with)."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_SUPPORTED = "not_supported"
    NOT_CHECKED = "not_checked"


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What a public key is, for a policy to judge: `type` "rsa", "ec" or "dh" (else the key
    algorithm's name), `bits` the RSA modulus, the EC group order or the DH prime size,
    `curve` the EC curve by name (explicit parameters matched by value; None when they match
    no known curve)."""

    type: str
    bits: int | None = None
    curve: str | None = None
    explicit_parameters: bool = False

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"type": self.type, "bits": self.bits}
        if self.type == "ec":
            out["curve"] = self.curve
            out["explicit_parameters"] = self.explicit_parameters
        return out

    def __str__(self) -> str:
        """ "rsa-1024", "ec-256 (brainpoolP256r1)", "dh-2048"."""
        size = f"{self.type}-{self.bits}" if self.bits is not None else self.type
        return f"{size} ({self.curve})" if self.curve else size


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """A status and, unless it passed plainly, why (no personal data in reasons): `reason` in
    English for people, `code` a stable identifier for programs ("passive.ds_revoked").
    `key` is the chip key a clone-detection check used (Active Authentication's DG15 key,
    Chip Authentication's or PACE-CAM's), for a policy to judge its size; it describes the
    outcome and takes no part in comparing two."""

    status: CheckStatus
    reason: str = ""
    code: str = ""
    key: KeyInfo | None = field(default=None, compare=False)

    def describe(self) -> str:
        """The status, and the reason in brackets when there is one (for logs)."""
        return f"{self.status} ({self.reason})" if self.reason else str(self.status)

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"status": str(self.status)}
        if self.reason:
            out["reason"] = self.reason
        if self.code:
            out["code"] = self.code
        if self.key is not None:
            out["key"] = self.key.as_dict()
        return out
