"""The document-status question, its three answers, and the check they become."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from mrtd import redact
from mrtd.mrz import MRZ
from mrtd.verify.outcome import CheckOutcome, CheckStatus

__all__ = [
    "LISTING_REASONS",
    "StatusAnswer",
    "StatusKind",
    "StatusProvider",
    "StatusQuery",
    "check_status",
    "status_outcome",
]

_log = logging.getLogger(__name__)

# Why a document is listed (Interpol SLTD's and national registers' categories, in one word).
LISTING_REASONS = frozenset({"lost", "stolen", "revoked", "blocked", "invalidated", "other"})
MAX_FIELD = 64  # characters of a source or a document field: more is not a status answer


class StatusKind(enum.StrEnum):
    NOT_LISTED = "not_listed"
    LISTED = "listed"
    UNAVAILABLE = "unavailable"  # no answer that can be trusted: fails closed by default


@dataclass(frozen=True, slots=True)
class StatusQuery:
    """One document, as its MRZ names it: three-letter issuing state, the MRZ document code
    without fillers ("P", "PD", "ID", "AC"), the document number without fillers. Upper case."""

    issuing_state: str
    document_type: str
    document_number: str

    def __post_init__(self) -> None:
        for name in ("issuing_state", "document_type", "document_number"):
            value = str(getattr(self, name)).strip().strip("<").upper()
            if not value or len(value) > MAX_FIELD or not value.isprintable() or "|" in value:
                raise ValueError(
                    f"StatusQuery.{name} must be 1 to {MAX_FIELD} printable characters"
                )
            object.__setattr__(self, name, value)

    @classmethod
    def from_mrz(cls, mrz: MRZ) -> StatusQuery:
        return cls(mrz.issuing_state, mrz.document_code, mrz.document_number)

    def key(self) -> bytes:
        """The canonical bytes a list hashes: STATE|TYPE|NUMBER."""
        return f"{self.issuing_state}|{self.document_type}|{self.document_number}".encode()

    def __repr__(self) -> str:
        number = redact.document_number(self.document_number)
        return f"StatusQuery({self.issuing_state}, {self.document_type}, {number})"


@dataclass(frozen=True, slots=True)
class StatusAnswer:
    """What a provider said. `reason` (one of LISTING_REASONS), `source` and `listed_on` for
    a listed document; `detail` says why an answer is unavailable (never personal data)."""

    kind: StatusKind
    reason: str = ""
    source: str = ""
    listed_on: date | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", StatusKind(self.kind))  # "listed" as well as the enum
        if self.kind is StatusKind.LISTED and self.reason not in LISTING_REASONS:
            raise ValueError(f"a listing reason is one of {', '.join(sorted(LISTING_REASONS))}")

    @classmethod
    def unavailable(cls, detail: str, source: str = "") -> StatusAnswer:
        return cls(StatusKind.UNAVAILABLE, source=source, detail=detail)


class StatusProvider(Protocol):
    """Anything that answers a status query. `check` must not raise for its own failures
    (timeouts, refusals, malformed lists or answers): those are `StatusKind.UNAVAILABLE`."""

    @property
    def name(self) -> str: ...

    def check(self, query: StatusQuery) -> StatusAnswer: ...


def status_outcome(answer: StatusAnswer | None) -> CheckOutcome:
    """The verdict's `status` check: passed when not listed, failed when listed (whatever the
    policy), not checked when unavailable or when no provider was asked."""
    if answer is None:
        return CheckOutcome(CheckStatus.NOT_CHECKED, "no document status provider was asked",
                            "status.no_provider")  # fmt: skip
    source = f" by {answer.source}" if answer.source else ""
    if answer.kind is StatusKind.NOT_LISTED:
        return CheckOutcome(CheckStatus.PASSED, f"not listed{source}")
    if answer.kind is StatusKind.LISTED:
        since = f" since {answer.listed_on.isoformat()}" if answer.listed_on else ""
        return CheckOutcome(CheckStatus.FAILED,
                            f"listed as {answer.reason or 'other'}{source}{since}",
                            "status.listed")  # fmt: skip
    origin = f" from {answer.source}" if answer.source else ""
    return CheckOutcome(CheckStatus.NOT_CHECKED,
                        f"document status unavailable{origin}: {answer.detail or 'no answer'}",
                        "status.unavailable")  # fmt: skip


def check_status(provider: StatusProvider | None, mrz: MRZ | None) -> CheckOutcome:
    """Ask `provider` about the document of `mrz`; a provider that raises all the same is
    unavailable (fail closed), a document without an MRZ cannot be asked about."""
    if provider is None:
        return status_outcome(None)
    if mrz is None:
        return CheckOutcome(CheckStatus.NOT_CHECKED, "no DG1 to ask the document status of",
                            "status.no_document_number")  # fmt: skip
    try:
        query = StatusQuery.from_mrz(mrz)
    except ValueError:
        return CheckOutcome(CheckStatus.NOT_CHECKED, "DG1 names no document number to ask about",
                            "status.no_document_number")  # fmt: skip
    try:
        answer = provider.check(query)
    except Exception as exc:  # a provider's bug must fail closed, not crash the verification
        _log.error("status provider %s raised %s", provider.name, type(exc).__name__)
        answer = StatusAnswer.unavailable(f"the provider failed ({type(exc).__name__})",
                                          provider.name)  # fmt: skip
    _log.info("document status from %s: %s", provider.name, answer.kind)
    return status_outcome(answer)
