"""The main job in one call: access (PACE or BAC), read, parse, Passive Authentication."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from mrtd.access.keys import AccessKey
from mrtd.pipeline.document import Document
from mrtd.pipeline.result import ReadResult
from mrtd.pipeline.session import AccessMode, Progress, Session
from mrtd.readers.base import Transport

if TYPE_CHECKING:
    from mrtd.verify.trust import TrustStore


def read_document(
    transport: Transport,
    key: AccessKey,
    *,
    progress: Progress | None = None,
    partial: ReadResult | None = None,
    today: date | None = None,
    resume_timeout: float = 5.0,
    access: AccessMode = "auto",
    fallback: bool = True,
    trust: TrustStore | None = None,
) -> Document:
    """Open the chip with `key` (an MRZKey or a CANKey), read EF.COM, EF.SOD and the data
    groups, parse them.

    Access is PACE when the chip's EF.CardAccess offers it, else BAC; `access` = "pace" or
    "bac" insists on one. With "auto", a PACE failure other than a wrong key falls back to BAC
    when `fallback` allows, and `Document.access` records the downgrade.

    When the card leaves the field, the read waits up to `resume_timeout` seconds for it, opens
    access again and goes on from the last verified byte (0 turns this off). Pass a
    `ReadResult` as `partial` to keep the files read so far if the read fails.

    `trust` (CSCA certificates, master lists, CRLs: `mrtd.verify.trust.TrustStore`) lets
    Passive Authentication pass; without it the verdict is at best "unverified".

    The session keys are wiped when the read ends; `key` is the caller's to wipe
    (`key.wipe()`, or `with MRZKey(...) as key:`)."""
    result = partial if partial is not None else ReadResult()
    with Session(
        transport, resume_timeout=resume_timeout, access=access, fallback=fallback
    ) as session:  # wipes the session keys when the read ends, however it ends
        session.read_document(key, progress=progress, result=result)
    return Document.from_read(result, today=today, trust=trust)
