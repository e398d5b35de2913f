"""Fuzz every LDS file parser (mrtd.lds.parse), then what a dump goes through after parsing:
`Document.from_files` and the JSON report.

The first byte picks the file: an index into `FILE_NAMES` (EF.COM, DG1..DG16, EF.SOD,
EF.CardAccess, EF.CardSecurity), or, past the end, recognition by outer tag
(`parse_by_tag`). The rest is the file.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from harness import fuzz, instrumented, rejecting

with instrumented(__name__ == "__main__", "asn1crypto"):
    from mrtd.cli.report import document_json
    from mrtd.lds.parse import PARSERS, parse_by_tag, parse_file
    from mrtd.pipeline.document import Document
    from mrtd.pipeline.result import Stats

FILE_NAMES = tuple(PARSERS)
BY_TAG = len(FILE_NAMES)  # first byte for "recognise the file by its tag"
TODAY = date(2026, 11, 21)
NOW = datetime(2026, 11, 21, tzinfo=UTC)


def file_choice(name: str | None) -> int:
    """The first byte that selects `name` (None: by tag); for the seed corpora."""
    return BY_TAG if name is None else FILE_NAMES.index(name)


def check_lds_file(data: bytes) -> None:
    if not data:
        return
    choice, body = data[0] % (BY_TAG + 1), data[1:]
    if choice == BY_TAG:
        name, _ = parse_by_tag(body)
    else:
        name = FILE_NAMES[choice]
        parse_file(name, body)
    document = Document.from_files({name: body}, today=TODAY, now=NOW)
    document_json(document, Stats(), None)


test_one_input = rejecting(check_lds_file)

if __name__ == "__main__":
    fuzz(test_one_input, max_len=16384, dictionary="asn1")
