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
) -> Document:
    """Open the chip with `key` (BAC), read EF.COM, EF.SOD and the data groups, parse them.

    Pass a `ReadResult` as `partial` to keep the files read so far if the read fails."""
    result = partial if partial is not None else ReadResult()
    Session(transport).read_document(key, progress=progress, result=result)
    return Document.from_read(result, today=today)
