"""The main job in one call: open the reader, access (PACE or BAC), read, parse, verify."""

from __future__ import annotations

import time
from datetime import date
from typing import TYPE_CHECKING

from mrtd.access.keys import AccessKey
from mrtd.errors import MRTDError
from mrtd.pipeline.document import Document
from mrtd.pipeline.events import CheckDone, OnEvent, WaitingForCard
from mrtd.pipeline.result import ReadResult
from mrtd.pipeline.session import AccessMode, Session
from mrtd.readers.base import Cancel, Transport
from mrtd.readers.open import CARD_TIMEOUT, open_reader
from mrtd.status.base import StatusProvider
from mrtd.verify.active import check_challenge
from mrtd.verify.policy import STRICT, Policy

if TYPE_CHECKING:
    from mrtd.verify.trust import TrustStore

__all__ = ["read_document"]


def read_document(
    source: Transport | str,
    key: AccessKey,
    *,
    trust: TrustStore | None = None,
    on_event: OnEvent | None = None,
    cancel: Cancel | None = None,
    timeout: float | None = None,
    access: AccessMode = "auto",
    fallback: bool = True,
    resume_timeout: float = 5.0,
    today: date | None = None,
    policy: Policy = STRICT,
    active_challenge: bytes | None = None,
    status: StatusProvider | None = None,
) -> Document:
    """Read the chip in `source` with `key` (an `MRZKey` or a `CANKey`): access, EF.COM,
    EF.SOD and the data groups, Chip and Active Authentication, every file parsed, Passive
    Authentication; the `Document` with its verdict.

    `source` is a reader name as `mrtd read --reader` takes it ("sim", "sim:PROFILE.toml",
    "pcsc", "pcsc:N", "nfc", "nfc:PATH": `mrtd.readers.open`), opened, waited on for a card and
    closed here; or an open `Transport`, which stays the caller's to close.

    `trust` (CSCA certificates, master lists, CRLs: `TrustStore`) lets Passive Authentication
    pass; without it the verdict is at best "incomplete". `policy` says what "genuine" requires
    (`Policy`; the strict default: the chip proves it is no copy, a current CRL cleared the
    Document Signer, SHA-2 and strong keys only). Access is PACE when the chip's
    EF.CardAccess offers it, else BAC; `access` = "pace" or "bac" insists on one. With "auto",
    a PACE failure other than a wrong key falls back to BAC when `fallback` allows, and the
    verdict's access check fails (a downgrade). When the card leaves the field, the read waits
    up to `resume_timeout` seconds for it and goes on from the last verified byte (0: no wait).

    `active_challenge` (8 bytes, e.g. issued by a back-end) is the challenge Active
    Authentication has the chip sign instead of a fresh one; a challenge of another size is a
    `ValueError` before any reader is opened. Either way the challenge sent and the chip's
    signature are kept as `Document.active_challenge` and `Document.active_signature` (None
    when Active Authentication did not run), for whoever issued it to check again
    (`mrtd.verify.active.check_active_authentication`).

    `status` (a `mrtd.status` provider: a local list, an HTTP service) is asked whether the
    document is listed as lost, stolen, revoked or blocked; the verdict's `status` check says
    what it answered, as the policy judges it (docs/status.md).

    For an application (docs/design.md, "Reading a chip from an application"): `on_event` is
    called on this thread with each `ReadEvent` (waiting for the card, access, each file,
    each check); `cancel` (anything with `is_set()`, e.g. a `threading.Event` set by a UI
    thread) stops the read before its next APDU with `ReadCancelledError`; `timeout` bounds
    the whole read in seconds, the wait for a card included (`mrtd.errors.CardTimeoutError`).
    Without `timeout`, a reader opened by name waits `CARD_TIMEOUT` (10 s) for a card.

    Raises `AccessDeniedError` (`BACError`, `PACEError`) for a wrong key, `TransportError`
    (`CardRemovedError`, `ReaderNotFoundError`, `CardTimeoutError`), `SecureMessagingError`,
    `CardStatusError`, `DecodeError`, `ReadCancelledError`; `ValueError` for a reader name
    that names no reader. When the read of the chip had begun, the exception's `partial` holds
    what was read and verified before the fault (a `ReadResult`); it is None when no reader
    was opened.

    The session keys are wiped when the read ends; `key` is the caller's to wipe
    (`key.wipe()`, or `with MRZKey(...) as key:`)."""
    if active_challenge is not None:
        active_challenge = check_challenge(active_challenge)
    deadline = None if timeout is None else time.monotonic() + timeout
    name = source if isinstance(source, str) else ""
    if isinstance(source, str):
        wait = CARD_TIMEOUT if timeout is None else timeout
        if on_event is not None:
            on_event(WaitingForCard(source, wait))
        transport = open_reader(source, timeout=wait, cancel=cancel)
    else:
        transport = source
    result = ReadResult()
    try:
        with Session(
            transport,
            resume_timeout=resume_timeout,
            access=access,
            fallback=fallback,
            on_event=on_event,
            cancel=cancel,
            deadline=deadline,
            reader=name,
            trust=trust,
        ) as session:  # wipes the session keys when the read ends, however it ends
            session.read_document(key, result=result, active_challenge=active_challenge)
        document = Document.from_read(
            result, today=today, trust=trust, policy=policy, key=key, status=status
        )
        if on_event is not None:
            on_event(CheckDone("passive", document.passive.outcome))
            if status is not None:
                on_event(CheckDone("status", document.verdict.checks["status"]))
        return document
    except MRTDError as exc:
        if exc.partial is None:
            exc.partial = result
        raise
    finally:
        if isinstance(source, str):
            transport.close()
