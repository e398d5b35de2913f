"""A local list of listed documents, kept as keyed hashes: the file itself leaks no numbers.

    mrtd-status-list 1 KEY-ID
    <HMAC-SHA256(key, STATE|TYPE|NUMBER), 64 hex digits> <reason> <YYYY-MM-DD or -> <source>

One line per document; KEY-ID is the first 8 bytes of SHA-256(key) in hex, so a list made
with another key is refused instead of silently matching nothing. `build_status_list` (and
`mrtd status-list`) turns plain rows into such a file. The provider re-reads the file when it
changes (size, modification time, inode), so an operator replaces it atomically (write a new
file, rename it over the old one) and the next check uses it; a list that no longer parses
makes every answer unavailable — fail closed — until it is fixed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from mrtd.status.base import LISTING_REASONS, MAX_FIELD, StatusAnswer, StatusKind, StatusQuery

__all__ = ["MAX_LIST_BYTES", "ListedDocument", "LocalListProvider", "build_status_list", "key_id"]

_log = logging.getLogger(__name__)

MAGIC = "mrtd-status-list"
VERSION = "1"
MAX_LIST_BYTES = 512 * 1024 * 1024  # ~5 million documents; a bigger list is not this file
MIN_KEY_BYTES = 16


@dataclass(frozen=True, slots=True)
class ListedDocument:
    """One row of a plain list, before hashing."""

    query: StatusQuery
    reason: str
    listed_on: date | None = None
    source: str = ""


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).digest()[:8].hex()


def _check_key(key: bytes) -> bytes:
    if not isinstance(key, bytes | bytearray) or len(key) < MIN_KEY_BYTES:
        raise ValueError(f"a status-list key is at least {MIN_KEY_BYTES} random bytes")
    return bytes(key)


def build_status_list(rows: Iterable[ListedDocument], key: bytes) -> str:
    """The text of a hashed list of `rows` (sorted, so the same rows give the same file)."""
    key = _check_key(key)
    lines = []
    for row in rows:
        if row.reason not in LISTING_REASONS:
            raise ValueError(f"reason is one of {', '.join(sorted(LISTING_REASONS))}")
        source = row.source.strip() or "-"
        if len(source) > MAX_FIELD or not source.isprintable():
            raise ValueError(f"a source is at most {MAX_FIELD} printable characters")
        digest = hmac.new(key, row.query.key(), hashlib.sha256).hexdigest()
        listed_on = row.listed_on.isoformat() if row.listed_on else "-"
        lines.append(f"{digest} {row.reason} {listed_on} {source}")
    return "\n".join([f"{MAGIC} {VERSION} {key_id(key)}", *sorted(lines)]) + "\n"


class ListFormatError(ValueError):
    """The list file does not parse (its line is named; no line's content is echoed)."""


@dataclass(frozen=True, slots=True)
class _Entry:
    reason: str
    listed_on: date | None
    source: str


class LocalListProvider:
    """Answers from a hashed list file (see the module's docstring)."""

    def __init__(self, path: str | os.PathLike[str], key: bytes, *, name: str = "") -> None:
        self.path = Path(path)
        self._key = _check_key(key)
        self._name = name or f"list {self.path.name}"
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._entries: dict[bytes, _Entry] = {}
        self._problem: str | None = "not loaded"

    @property
    def name(self) -> str:
        return self._name

    def check(self, query: StatusQuery) -> StatusAnswer:
        problem = self._reload_if_changed()
        if problem is not None:
            return StatusAnswer.unavailable(problem, self._name)
        digest = hmac.new(self._key, query.key(), hashlib.sha256).digest()
        entry = self._entries.get(digest)
        if entry is None:
            return StatusAnswer(StatusKind.NOT_LISTED, source=self._name)
        source = entry.source or self._name
        return StatusAnswer(
            StatusKind.LISTED, reason=entry.reason, source=source, listed_on=entry.listed_on
        )

    def __len__(self) -> int:
        self._reload_if_changed()
        return len(self._entries)

    def _reload_if_changed(self) -> str | None:
        with self._lock:
            try:
                info = self.path.stat()
            except OSError as exc:
                self._stamp, self._entries = None, {}
                self._problem = f"cannot read the list: {exc.strerror}"
                return self._problem
            stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
            if stamp == self._stamp:
                return self._problem
            self._stamp = stamp
            try:
                self._entries = self._load(info.st_size)
                self._problem = None
                _log.info("status list %s loaded: %d documents", self.path.name, len(self._entries))
            except (OSError, ListFormatError, UnicodeDecodeError) as exc:
                self._entries = {}
                self._problem = f"the list does not load: {exc}"
                _log.error("status list %s: %s", self.path.name, exc)
            return self._problem

    def _load(self, size: int) -> dict[bytes, _Entry]:
        if size > MAX_LIST_BYTES:
            raise ListFormatError(f"over {MAX_LIST_BYTES} bytes")
        entries: dict[bytes, _Entry] = {}
        with self.path.open("rb") as handle:
            header = handle.readline(256).decode("ascii").split()
            if header[:2] != [MAGIC, VERSION] or len(header) != 3:
                raise ListFormatError(f"line 1 is not '{MAGIC} {VERSION} KEY-ID'")
            if not hmac.compare_digest(header[2], key_id(self._key)):
                raise ListFormatError("the list was made with another key")
            for number, raw in enumerate(handle, 2):
                entries.update([_entry(raw, number)])
        return entries


def _entry(raw: bytes, number: int) -> tuple[bytes, _Entry]:
    fields = raw.decode("utf-8").rstrip("\n").split(" ", 3)
    if len(fields) != 4 or len(fields[0]) != 64:
        raise ListFormatError(f"line {number} is not 'HASH REASON DATE SOURCE'")
    digest_hex, reason, when, source = fields
    try:
        digest = bytes.fromhex(digest_hex)
        listed_on = None if when == "-" else date.fromisoformat(when)
    except ValueError:
        raise ListFormatError(f"line {number}: a bad hash or date") from None
    if reason not in LISTING_REASONS or len(source) > MAX_FIELD or not source.isprintable():
        raise ListFormatError(f"line {number}: a bad reason or source")
    return digest, _Entry(reason, listed_on, "" if source == "-" else source)
