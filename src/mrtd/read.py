"""The main job in one call: access, read, parse (verification joins in later issues)."""

from __future__ import annotations

from datetime import date

from mrtd.access_key import MRZKey
from mrtd.document import Document
from mrtd.readers.base import Transport
from mrtd.session import Progress, ReadResult, Session


def read_document(
    transport: Transport,
    key: MRZKey,
    *,
    progress: Progress | None = None,
    partial: ReadResult | None = None,
    today: date | None = None,
    resume_timeout: float = 5.0,
) -> Document:
    """Open the chip with `key` (BAC), read EF.COM, EF.SOD and the data groups, parse them.

    When the card leaves the field, the read waits up to `resume_timeout` seconds for it, opens
    access again and goes on from the last verified byte (0 turns this off). Pass a
    `ReadResult` as `partial` to keep the files read so far if the read fails."""
    result = partial if partial is not None else ReadResult()
    session = Session(transport, resume_timeout=resume_timeout)
    session.read_document(key, progress=progress, result=result)
    return Document.from_read(result, today=today)
