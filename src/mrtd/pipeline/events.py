"""What a read reports while it runs, for a progress display or a kiosk's status line.

`read_document(..., on_event=callback)` calls `callback(event)` on the reading thread, in
order, synchronously: pass the event on (a queue to a UI thread) and return. An exception
raised in the callback ends the read. The events carry no personal data: file names, sizes,
protocol names and check outcomes.

A read of a chip reports, in this order: `WaitingForCard` (a reader opened by name), then
`AccessStarted` and `AccessOpened` (BAC or PACE; again after a resume), for each file
`FileProgress` as verified chunks arrive and `FileDone`, `CheckDone("chip")` after DG14,
`CheckDone("active")` after the data groups and `CheckDone("passive")` at the end. A card
that leaves the field is waited for: `WaitingForCard(resume=True)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeAlias

from mrtd.readers.base import Cancel
from mrtd.verify.outcome import CheckOutcome

__all__ = [
    "AccessOpened",
    "AccessStarted",
    "Cancel",
    "CheckDone",
    "FileDone",
    "FileProgress",
    "OnEvent",
    "ReadEvent",
    "WaitingForCard",
]

AccessProtocol: TypeAlias = Literal["PACE", "BAC"]


@dataclass(frozen=True, slots=True)
class WaitingForCard:
    """Waiting up to `timeout` seconds for a card in `reader` (a reader opened by name; "" for
    a transport passed in); `resume`: the card left the field during the read."""

    reader: str
    timeout: float
    resume: bool = False


@dataclass(frozen=True, slots=True)
class AccessStarted:
    """Opening access with `protocol`; `variant` names PACE's mapping, domain and cipher
    ("CAM brainpoolP256r1 AES-128"), empty for BAC."""

    protocol: AccessProtocol
    variant: str = ""


@dataclass(frozen=True, slots=True)
class AccessOpened:
    """Access is open: secure messaging from here on. `downgraded`: PACE failed and the read
    fell back to BAC (the verdict's access check fails)."""

    protocol: AccessProtocol
    downgraded: bool = False


@dataclass(frozen=True, slots=True)
class FileProgress:
    """`done` bytes of file `name` read and verified, of `total` (None until its header is in)."""

    name: str
    done: int
    total: int | None


@dataclass(frozen=True, slots=True)
class FileDone:
    """File `name` is done: "read" (`size` bytes), "denied" (it needs Extended Access Control)
    or "absent" (the chip has no such file); `size` is 0 for the latter two."""

    name: str
    status: Literal["read", "denied", "absent"]
    size: int = 0


@dataclass(frozen=True, slots=True)
class CheckDone:
    """A check ran: "chip" (Chip Authentication or PACE-CAM), "active" (Active
    Authentication), "passive" (Passive Authentication) or "status" (the document-status
    provider, as the policy judges its answer), with its outcome."""

    check: Literal["chip", "active", "passive", "status"]
    outcome: CheckOutcome


ReadEvent: TypeAlias = (
    WaitingForCard | AccessStarted | AccessOpened | FileProgress | FileDone | CheckDone
)
OnEvent: TypeAlias = Callable[[ReadEvent], None]
