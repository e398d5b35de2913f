"""The audit log's tamper evidence: a hash chain per calendar year and signed checkpoints.

Pure: no database. `Store` (store.py) appends through `chain_record` and `checkpoint`, an
export is written and read here, and `verify_audit` checks what either gives it.

- A record's hash is SHA-256(prev_hash ‖ its canonical encoding): sorted-key JSON of every
  field, its year and position, and the format version `mrtd-audit-record/1`. Its prev_hash is
  the record before it in the same year, or the year's genesis for position 1.
- A year's genesis is SHA-256("mrtd-audit-genesis/1" ‖ year ‖ the previous year's final head),
  the head being 32 zero bytes before the first year, so a year is bound to all before it.
- A checkpoint states (year, position, head, count, time, kind, key id) in canonical JSON
  (`mrtd-audit-checkpoint/1`) and signs it with Ed25519. "interval" checkpoints sign a head
  within a year (every `checkpoint_every` records, or when `mrtd audit seal` runs); the one
  "year_end" checkpoint of a year signs its final head and count, empty years included.

Everything a database attacker without the signing key changes before the last checkpoint
breaks a stored hash, a position, a link or a signature. Records after the newest checkpoint
are protected by the chain only: someone who can write the database can change, append or cut
them and re-chain. Cutting the newest records together with the checkpoints after them leaves
a valid shorter log; an auditor who keeps an earlier export detects it (`known` checkpoints).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, Protocol, TextIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from mrtd.bounded import read_bounded
from mrtd.errors import ServiceConfigError

__all__ = [
    "DEFAULT_CHECKPOINT_EVERY",
    "EXPORT_FORMAT",
    "AuditBreak",
    "AuditLog",
    "AuditReport",
    "AuditSettings",
    "ChainedRecord",
    "Checkpoint",
    "key_id",
    "load_private_key",
    "load_public_key",
    "read_export",
    "verify_audit",
    "write_export",
]

RECORD_FORMAT: Final = "mrtd-audit-record/1"
CHECKPOINT_FORMAT: Final = "mrtd-audit-checkpoint/1"
GENESIS_FORMAT: Final = b"mrtd-audit-genesis/1"
EXPORT_FORMAT: Final = "mrtd-audit-export/1"
ZERO_HEAD: Final = bytes(32)  # the "final head" before the first year
DEFAULT_CHECKPOINT_EVERY: Final = 1000
KINDS: Final = ("interval", "year_end")
MAX_KEY_BYTES: Final = 16 * 1024

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


# -- keys --------------------------------------------------------------------------------------


def key_id(public_key: Ed25519PublicKey) -> str:
    """The first 8 bytes of SHA-256 of the raw public key, in hex: names the key a checkpoint
    was signed with."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:8].hex()


def _read_key_file(path: Path, what: str) -> bytes:
    return read_bounded(path, MAX_KEY_BYTES, ServiceConfigError, f"the {what}")


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PEM file at `path` (PKCS#8, unencrypted);
    ServiceConfigError for anything else."""
    data = _read_key_file(path, "audit signing key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ServiceConfigError(
            f"the audit signing key {path} is not an unencrypted PEM private key"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ServiceConfigError(f"the audit signing key {path} is not an Ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The Ed25519 public key in the PEM file at `path` (or the public half of a private key
    file); ServiceConfigError for anything else."""
    data = _read_key_file(path, "audit public key")
    if b"PRIVATE KEY" in data:
        return load_private_key(path).public_key()
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise ServiceConfigError(f"the audit public key {path} is not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ServiceConfigError(f"the audit public key {path} is not an Ed25519 key")
    return key


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


@dataclass(frozen=True, slots=True)
class AuditSettings:
    """How the store protects the audit log: the signing key (None: checkpoints are written
    unsigned, and `verify_audit` says the log is chained but not signed) and the interval."""

    signing_key: Ed25519PrivateKey | None = None
    checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY

    def __post_init__(self) -> None:
        if not 1 <= self.checkpoint_every <= 1_000_000:
            raise ServiceConfigError("audit.checkpoint_every is between 1 and 1000000")

    @property
    def key_id(self) -> str | None:
        return key_id(self.signing_key.public_key()) if self.signing_key else None

    def __repr__(self) -> str:  # never the key
        return f"AuditSettings(key_id={self.key_id!r}, checkpoint_every={self.checkpoint_every})"


# -- records and checkpoints -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChainedRecord:
    """An audit record as the chain holds it: the store's columns, times in microseconds."""

    year: int
    position: int
    prev_hash: str  # hex
    hash: str  # hex
    verification_id: str
    time_us: int
    document_number: str | None
    subject: str | None
    client_ip: str | None
    verdict: str
    reason_codes: str  # space-separated, as stored
    policy: str
    challenge_id: str | None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement that `year`'s chain had head `head` after `count` records."""

    year: int
    position: int
    kind: str  # "interval" | "year_end"
    head: str  # hex
    count: int
    time_us: int
    key_id: str | None  # None: written without a signing key
    signature: str | None  # hex Ed25519 signature of statement()

    def statement(self) -> bytes:
        return _canonical(
            {
                "v": CHECKPOINT_FORMAT,
                "year": self.year,
                "position": self.position,
                "kind": self.kind,
                "head": self.head,
                "count": self.count,
                "time_us": self.time_us,
                "key_id": self.key_id,
            }
        )


def _canonical(value: Mapping[str, object]) -> bytes:
    """Sorted-key JSON without spaces, ASCII only: one encoding for one value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def record_encoding(fields: Mapping[str, object], year: int, position: int) -> bytes:
    """The canonical bytes a record's hash covers."""
    return _canonical(
        {
            "v": RECORD_FORMAT,
            "year": year,
            "position": position,
            **{name: fields[name] for name in RECORD_FIELDS},
        }
    )


RECORD_FIELDS: Final = (
    "verification_id",
    "time_us",
    "document_number",
    "subject",
    "client_ip",
    "verdict",
    "reason_codes",
    "policy",
    "challenge_id",
)


def record_hash(prev_hash: bytes, fields: Mapping[str, object], year: int, position: int) -> bytes:
    return hashlib.sha256(prev_hash + record_encoding(fields, year, position)).digest()


def genesis(year: int, previous_final_head: bytes) -> bytes:
    """The prev_hash of a year's first record, and the head of a year without records."""
    return hashlib.sha256(
        GENESIS_FORMAT + year.to_bytes(8, "big", signed=True) + previous_final_head
    ).digest()


def sign_checkpoint(
    settings: AuditSettings,
    *,
    year: int,
    position: int,
    kind: str,
    head: bytes,
    time_us: int,
) -> Checkpoint:
    """A checkpoint of `head` after `position` records of `year`, signed when there is a key."""
    unsigned = Checkpoint(
        year=year,
        position=position,
        kind=kind,
        head=head.hex(),
        count=position,
        time_us=time_us,
        key_id=settings.key_id,
        signature=None,
    )
    if settings.signing_key is None:
        return unsigned
    signature = settings.signing_key.sign(unsigned.statement()).hex()
    return Checkpoint(**{**asdict(unsigned), "signature": signature})


def year_of(time_us: int) -> int | None:
    """The UTC year of a time in microseconds; None when no datetime can hold it."""
    try:
        return (_EPOCH + timedelta(microseconds=time_us)).year
    except (OverflowError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class AuditLog:
    """The whole log: records in (year, position) order and every checkpoint."""

    records: Sequence[ChainedRecord]
    checkpoints: Sequence[Checkpoint]


# -- verification ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditBreak:
    """The first place where the log is not what was chained and signed."""

    year: int
    position: int | None  # None: the year as a whole
    verification_id: str | None
    problem: str

    def __str__(self) -> str:
        where = f"year {self.year}"
        if self.position is not None:
            where += f", position {self.position}"
        if self.verification_id is not None:
            where += f" (verification {self.verification_id})"
        return f"{where}: {self.problem}"


@dataclass(frozen=True, slots=True)
class AuditReport:
    """What `verify_audit` found. `intact`: no break and every checkpoint signed by a given key.
    `signed` is False when no key was given (the chain was checked, the signatures not)."""

    first_break: AuditBreak | None
    signed: bool
    records: int
    checkpoints: int
    years: tuple[int, ...]
    purged_years: tuple[int, ...]
    unsigned_tail: int  # records of the newest year after its last checkpoint
    key_ids: tuple[str, ...] = field(default=())

    @property
    def intact(self) -> bool:
        return self.first_break is None and self.signed

    def as_dict(self) -> dict[str, object]:
        return {
            "intact": self.intact,
            "signed": self.signed,
            "first_break": asdict(self.first_break) if self.first_break else None,
            "records": self.records,
            "checkpoints": self.checkpoints,
            "years": list(self.years),
            "purged_years": list(self.purged_years),
            "unsigned_tail": self.unsigned_tail,
            "key_ids": list(self.key_ids),
        }


class _BrokenError(Exception):
    def __init__(self, found: AuditBreak) -> None:
        super().__init__(str(found))
        self.found = found


def _broken(year: int, position: int | None, record_id: str | None, problem: str) -> Exception:
    return _BrokenError(AuditBreak(year, position, record_id, problem))


def _same(a: str, b: str | bytes) -> bool:
    other = b.hex() if isinstance(b, bytes) else b
    return hmac.compare_digest(a.encode(), other.encode())


class _HasAuditLog(Protocol):
    """A Store: what verify_audit reads the log from."""

    audit: AuditSettings

    def audit_log(self) -> AuditLog: ...


def verify_audit(
    log: AuditLog | _HasAuditLog,
    public_keys: Ed25519PublicKey | Iterable[Ed25519PublicKey] | None = (),
    *,
    checkpoint_every: int | None = None,
    keep_from_year: int | None = None,
    known: Iterable[Checkpoint] = (),
) -> AuditReport:
    """Check the whole log: every year's chain from its genesis, positions contiguous from 1,
    each checkpoint's signature (by one of `public_keys`) and head, a checkpoint at every
    multiple of `checkpoint_every`, a year-end checkpoint for every year before the newest,
    years contiguous, and each year linked to the one before. Years whose records are gone but
    whose checkpoints remain are purged: fine before the first year with records, unless at or
    after `keep_from_year` (inside the retention). `known`: checkpoints kept from an earlier
    export, each of which must still be there (detects a log cut back with its checkpoints).
    The report names the first break in (year, position) order. `log` may be a Store (its log,
    and its interval unless `checkpoint_every` is given); `public_keys` one key or several."""
    if not isinstance(log, AuditLog):
        if checkpoint_every is None:
            checkpoint_every = log.audit.checkpoint_every
        log = log.audit_log()
    if isinstance(public_keys, Ed25519PublicKey):
        public_keys = [public_keys]
    keys = {key_id(k): k for k in public_keys or ()}
    by_year: dict[int, list[ChainedRecord]] = defaultdict(list)
    for record in log.records:
        by_year[record.year].append(record)
    cps_by_year: dict[int, list[Checkpoint]] = defaultdict(list)
    for cp in log.checkpoints:
        cps_by_year[cp.year].append(cp)
    years = sorted(set(by_year) | set(cps_by_year))
    purged: list[int] = []
    unsigned_tail = 0
    try:
        final_head = ZERO_HEAD
        seen_records = False
        for year in range(years[0], years[-1] + 1) if years else ():
            records = sorted(by_year.get(year, []), key=lambda r: r.position)
            checkpoints = cps_by_year.get(year, [])
            if not records and not checkpoints:
                missing = f"year {year} is missing: no record and no checkpoint"
                raise _broken(year, None, None, missing)
            newest = year == years[-1]
            if records:
                final_head, tail = _check_year(
                    year,
                    records,
                    checkpoints,
                    final_head,
                    checkpoint_every,
                    keys=keys,
                    newest=newest,
                )
                seen_records = True
                unsigned_tail = tail if newest else 0
            else:
                for cp in sorted(checkpoints, key=lambda c: (c.position, c.kind)):
                    _check_signature(cp, keys, records)
                final_head, was_purged = _check_empty_year(
                    year, checkpoints, final_head, seen_records, keep_from_year
                )
                if was_purged:
                    purged.append(year)
        _check_known(known, log.checkpoints)
    except _BrokenError as broken:
        found: AuditBreak | None = broken.found
    else:
        found = None
    return AuditReport(
        first_break=found,
        signed=bool(keys),
        records=len(log.records),
        checkpoints=len(log.checkpoints),
        years=tuple(years),
        purged_years=tuple(purged),
        unsigned_tail=unsigned_tail,
        key_ids=tuple(sorted(keys)),
    )


def _check_known(known: Iterable[Checkpoint], present: Sequence[Checkpoint]) -> None:
    heads = {(cp.year, cp.position, cp.kind): cp.head for cp in present}
    for cp in sorted(known, key=lambda c: (c.year, c.position)):
        head = heads.get((cp.year, cp.position, cp.kind))
        if head is None or not _same(head, cp.head):
            gone = f"the {cp.kind} checkpoint of an earlier export is gone or changed"
            raise _broken(cp.year, cp.position, None, gone + " (the log was cut or rewritten)")


def _at(records: Sequence[ChainedRecord], position: int) -> str | None:
    if 1 <= position <= len(records) and records[position - 1].position == position:
        return records[position - 1].verification_id
    return None


def _check_signature(
    cp: Checkpoint, keys: Mapping[str, Ed25519PublicKey], records: Sequence[ChainedRecord]
) -> None:
    def broken(problem: str) -> _BrokenError:
        return _BrokenError(AuditBreak(cp.year, cp.position, _at(records, cp.position), problem))

    if (
        cp.kind not in KINDS
        or cp.count != cp.position
        or cp.position < 0
        or len(cp.head) != 64
        or any(c not in "0123456789abcdef" for c in cp.head)
    ):
        raise broken(f"checkpoint malformed (kind {cp.kind!r}, count {cp.count}, head)")
    if not keys:
        return
    if cp.signature is None or cp.key_id is None:
        raise broken(f"{cp.kind} checkpoint is not signed")
    key = keys.get(cp.key_id)
    if key is None:
        raise broken(f"{cp.kind} checkpoint signed by another key ({cp.key_id})")
    try:
        key.verify(bytes.fromhex(cp.signature), cp.statement())
    except (InvalidSignature, ValueError):
        raise broken(f"{cp.kind} checkpoint signature invalid") from None


def _fields(record: ChainedRecord) -> dict[str, object]:
    return {name: getattr(record, name) for name in RECORD_FIELDS}


def _check_year(
    year: int,
    records: Sequence[ChainedRecord],
    checkpoints: Sequence[Checkpoint],
    previous_final_head: bytes,
    every: int | None,
    *,
    keys: Mapping[str, Ed25519PublicKey],
    newest: bool,
) -> tuple[bytes, int]:
    """The year's final head and how many records follow its last checkpoint."""
    at: dict[int, list[Checkpoint]] = defaultdict(list)
    for cp in checkpoints:
        at[cp.position].append(cp)
    head = genesis(year, previous_final_head)
    last_checkpoint = 0
    for place, record in enumerate(records, start=1):

        def broken(problem: str, record: ChainedRecord = record) -> _BrokenError:
            return _BrokenError(AuditBreak(year, record.position, record.verification_id, problem))

        if record.position != place:
            if record.position > place:
                raise _broken(year, place, None, f"position {place} missing")
            raise broken(f"position {record.position} repeated or out of order")
        if not _same(record.prev_hash, head):
            raise broken(
                "prev_hash does not match the record before it"
                if place > 1
                else f"prev_hash does not chain from the end of year {year - 1}"
            )
        computed = record_hash(head, _fields(record), year, place)
        if not _same(record.hash, computed):
            raise broken("hash does not match the record's fields")
        record_year = year_of(record.time_us)
        if record_year is None or record_year > year:
            raise broken(f"the record's time is not in year {year} or before")
        head = computed
        here = at.pop(place, [])
        if every is not None and place % every == 0 and not here:
            raise broken(f"checkpoint at position {place} missing")
        for cp in sorted(here, key=lambda c: c.kind):
            _check_signature(cp, keys, records)
            if not _same(cp.head, head):
                raise broken(f"{cp.kind} checkpoint does not match the records up to it")
            last_checkpoint = place
    count = len(records)
    for cp in sorted((c for cps in at.values() for c in cps), key=lambda c: c.position):
        _check_signature(cp, keys, records)
    if at:
        beyond = min(at)
        problem = f"position {count + 1} missing (a checkpoint counts {beyond} records)"
        if beyond == 0:
            problem = "a checkpoint counts no record in a year that has records"
        raise _broken(year, count + 1 if beyond else 0, None, problem)
    year_ends = [cp for cp in checkpoints if cp.kind == "year_end"]
    last_id = records[-1].verification_id
    if len(year_ends) > 1:
        raise _broken(year, count, last_id, "more than one year_end checkpoint")
    if not year_ends and not newest:
        raise _broken(year, count, last_id, f"year {year} has no year_end checkpoint")
    if year_ends and year_ends[0].position != count:
        after = year_ends[0].position + 1
        raise _broken(year, after, _at(records, after), "a record after the year_end checkpoint")
    return head, count - last_checkpoint


def _check_empty_year(
    year: int,
    checkpoints: Sequence[Checkpoint],
    previous_final_head: bytes,
    seen_records: bool,
    keep_from_year: int | None,
) -> tuple[bytes, bool]:
    """A year without records: empty (a year_end with count 0) or purged."""
    year_ends = [cp for cp in checkpoints if cp.kind == "year_end"]
    if len(year_ends) != 1:
        problem = "no year_end checkpoint" if not year_ends else "more than one year_end"
        raise _broken(year, None, None, f"year {year} has no record and {problem}")
    end = year_ends[0]
    if end.count == 0:
        start = genesis(year, previous_final_head)
        if not _same(end.head, start) or len(checkpoints) > 1:
            problem = f"the empty year's year_end does not chain from the end of year {year - 1}"
            raise _broken(year, 0, None, problem)
        return start, False
    gone = f"position 1 missing: the records of year {year} are gone"
    if seen_records:
        raise _broken(year, 1, None, f"{gone} (its year_end counts {end.count})")
    if keep_from_year is not None and year >= keep_from_year:
        raise _broken(year, 1, None, f"{gone} within the retention (year_end: {end.count})")
    return bytes.fromhex(end.head), True


# -- export ------------------------------------------------------------------------------------


def write_export(
    log: AuditLog, out: TextIO, *, key_ids: Sequence[str], checkpoint_every: int
) -> int:
    """The log as JSON lines for an auditor: a header, then each year's records and checkpoints.
    Returns the number of lines written."""
    header = {
        "format": EXPORT_FORMAT,
        "key_ids": list(key_ids),
        "checkpoint_every": checkpoint_every,
        "records": len(log.records),
        "checkpoints": len(log.checkpoints),
    }
    out.write(json.dumps(header, sort_keys=True) + "\n")
    lines = 1
    for line in _export_lines(log):
        out.write(line + "\n")
        lines += 1
    return lines


def _export_lines(log: AuditLog) -> Iterator[str]:
    cps: dict[int, list[Checkpoint]] = defaultdict(list)
    for cp in log.checkpoints:
        cps[cp.year].append(cp)
    records: dict[int, list[ChainedRecord]] = defaultdict(list)
    for record in log.records:
        records[record.year].append(record)
    for year in sorted(set(cps) | set(records)):
        for record in records.get(year, []):
            yield json.dumps({"type": "record", **asdict(record)}, sort_keys=True)
        for cp in sorted(cps.get(year, []), key=lambda c: (c.position, c.kind)):
            yield json.dumps({"type": "checkpoint", **asdict(cp)}, sort_keys=True)


_INT, _TEXT, _OPTIONAL = "int", "text", "optional text"
_RECORD_TYPES: Final = {
    "year": _INT, "position": _INT, "prev_hash": _TEXT, "hash": _TEXT,
    "verification_id": _TEXT, "time_us": _INT, "document_number": _OPTIONAL,
    "subject": _OPTIONAL, "client_ip": _OPTIONAL, "verdict": _TEXT, "reason_codes": _TEXT,
    "policy": _TEXT, "challenge_id": _OPTIONAL,
}  # fmt: skip
_CHECKPOINT_TYPES: Final = {
    "year": _INT, "position": _INT, "kind": _TEXT, "head": _TEXT, "count": _INT,
    "time_us": _INT, "key_id": _OPTIONAL, "signature": _OPTIONAL,
}  # fmt: skip


def _typed(value: dict[str, Any], types: Mapping[str, str]) -> dict[str, Any]:
    """`value` if it has exactly these fields, each of its type (bounded integers)."""
    if set(value) != set(types):
        raise TypeError("its fields are not those of the format")
    for name, kind in types.items():
        item = value[name]
        if kind == _INT:
            ok = type(item) is int and -(2**62) < item < 2**62
        else:
            ok = isinstance(item, str) or (kind == _OPTIONAL and item is None)
        if not ok:
            raise TypeError(f"{name} is not {kind}")
    return value


class ExportError(ValueError):
    """An export file that is not one (names the line)."""


def read_export(lines: Iterable[str]) -> tuple[dict[str, object], AuditLog]:
    """The header and the log of an export written by `write_export`."""
    header: dict[str, object] | None = None
    records: list[ChainedRecord] = []
    checkpoints: list[Checkpoint] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
            if not isinstance(value, dict):
                raise TypeError("not an object")
            if header is None:
                if value.get("format") != EXPORT_FORMAT:
                    raise ExportError(f"line 1 is not a header of {EXPORT_FORMAT}")
                header = value
                continue
            kind = value.pop("type", None)
            if kind == "record":
                records.append(ChainedRecord(**_typed(value, _RECORD_TYPES)))
            elif kind == "checkpoint":
                checkpoints.append(Checkpoint(**_typed(value, _CHECKPOINT_TYPES)))
            else:
                raise TypeError("neither a record nor a checkpoint")
        except ExportError:
            raise
        except (ValueError, TypeError, RecursionError) as exc:
            raise ExportError(f"line {number} of the export is malformed ({exc})") from None
    if header is None:
        raise ExportError("the export is empty")
    records.sort(key=lambda r: (r.year, r.position))
    return header, AuditLog(records, checkpoints)
