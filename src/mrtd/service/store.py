"""The verification service's database: single-use challenges and the audit trail.

SQLAlchemy Core on SQLite (the default: one machine, several processes) or PostgreSQL (many
workers and hosts, through psycopg 3). The schema belongs to the Alembic migrations in
`mrtd/service/migrations`; `Store.migrate()` applies them, `Store.check_schema()` refuses a
database that is not at their head.

A challenge is the nonce a chip signs in Active Authentication (9303-11 §6.1). It is redeemed
once, in the same transaction as the audit record of the verification that used it, by an
UPDATE that only matches an unexpired, unredeemed row: two workers racing with one challenge
cannot both succeed, and a verification whose challenge fails leaves no trace.

Times are stored as integer microseconds since 1970-01-01 UTC (BIGINT columns named `*_us`):
exact, ordered and compared alike by both databases, without their time-zone rules. The
audit table holds the fields of `AuditRecord` and nothing else: no names, birth dates, faces
or files.

The audit records are hash-chained per calendar year, with signed checkpoints (audit.py).
Appends serialise, because the chain is a total order: on PostgreSQL under
pg_advisory_xact_lock(AUDIT_LOCK_KEY), taken first in the transaction; on SQLite every writer
already holds the database's write lock (BEGIN IMMEDIATE). A record's place in the chain is
its (year, position), assigned under that lock, never its `seq` (a PostgreSQL sequence hands
out numbers at insert, not in commit order).
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Connection, Engine, make_url

from mrtd.errors import ChallengeError, MRTDError, ServiceConfigError
from mrtd.service.audit import (
    ZERO_HEAD,
    AuditLog,
    AuditSettings,
    ChainedRecord,
    Checkpoint,
    genesis,
    record_hash,
    sign_checkpoint,
)

if TYPE_CHECKING:
    from mrtd.pipeline.document import Document

__all__ = [
    "MIGRATIONS",
    "VERSION_TABLE",
    "AuditRecord",
    "Challenge",
    "Store",
    "StoreUnavailableError",
]  # the audit chain's types: mrtd.service.audit

MIGRATIONS: Final = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE: Final = "mrtd_alembic_version"  # not "alembic_version": the database may be shared
SQLITE_BUSY_TIMEOUT_S: Final = 30.0  # how long a SQLite writer waits for another process's lock
POSTGRES_CONNECT_TIMEOUT_S: Final = 10
# pg_advisory_xact_lock key held while migrating: b"mrtd" as a big-endian integer
MIGRATION_LOCK_KEY: Final = 0x6D727464
# pg_advisory_xact_lock key held while appending to the audit chain: b"mrta"
AUDIT_LOCK_KEY: Final = 0x6D727461

VERDICTS: Final = frozenset({"genuine", "failed", "incomplete"})
CHALLENGE_ID = re.compile(r"[A-Za-z0-9_-]{22}")  # secrets.token_urlsafe(16)
NONCE_LENGTH: Final = 8
FIELD_LIMITS: Final = {  # the widths of the audit columns
    "verification_id": 64,
    "document_number": 64,
    "subject": 128,
    "client_ip": 64,
    "policy": 64,
}

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)
_SQLITE_BEGIN: Final = "mrtd_sqlite_begin"  # execution option: "IMMEDIATE" for a writer


class StoreUnavailableError(MRTDError):
    """The database cannot be reached or does not answer (down, refused, locked too long)."""


@dataclass(frozen=True, slots=True)
class Challenge:
    """A single-use Active Authentication challenge (9303-11 §6.1)."""

    id: str  # secrets.token_urlsafe(16): what the client sends back
    nonce: bytes  # 8 random bytes: what the chip signs
    expires: datetime  # timezone-aware UTC


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """What the service keeps of one verification. Refuses (ValueError, naming the field)
    what the audit table cannot hold exactly: naive times, an unknown verdict, reason codes
    with spaces, text longer than its column (FIELD_LIMITS)."""

    verification_id: str  # uuid4 hex made by the app
    time: datetime  # aware UTC
    document_number: str | None
    subject: str | None  # the caller's subject identifier (its person id)
    client_ip: str | None
    verdict: str  # "genuine" | "failed" | "incomplete"
    reason_codes: tuple[str, ...]
    policy: str  # the policy's name
    challenge_id: str | None = None

    @classmethod
    def of(
        cls,
        document: Document,
        *,
        time: datetime,
        subject: str | None,
        client_ip: str | None,
        challenge_id: str | None = None,
    ) -> AuditRecord:
        """The record of a verification of `document` (an upload's or a relay session's), with
        a fresh verification id: DG1's document number and the verdict, nothing else of it."""
        verdict = document.verdict
        return cls(
            verification_id=uuid.uuid4().hex,
            time=time,
            document_number=document.mrz.document_number if document.mrz else None,
            subject=subject,
            client_ip=client_ip,
            verdict=str(verdict.status),
            reason_codes=verdict.codes,
            policy=verdict.policy.name,
            challenge_id=challenge_id,
        )

    def __post_init__(self) -> None:
        _require_aware(self.time, "time")
        if self.verdict not in VERDICTS:
            raise ValueError("AuditRecord.verdict must be genuine, failed or incomplete")
        if not isinstance(self.reason_codes, tuple) or not all(
            isinstance(code, str) and code and not any(c.isspace() for c in code)
            for code in self.reason_codes
        ):
            raise ValueError("AuditRecord.reason_codes must be a tuple of codes without spaces")
        for name, limit in FIELD_LIMITS.items():
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or len(value) > limit):
                raise ValueError(f"AuditRecord.{name} must be text of at most {limit} characters")
        if not self.verification_id or not self.policy:
            raise ValueError("AuditRecord.verification_id and .policy must not be empty")


# -- the tables, as the migrations leave them (tests/service compares the two) ----------------

metadata = sa.MetaData()

challenges = sa.Table(
    "challenges",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("nonce", sa.LargeBinary(NONCE_LENGTH), nullable=False),
    sa.Column("issued_at_us", sa.BigInteger, nullable=False),
    sa.Column("expires_at_us", sa.BigInteger, nullable=False),
    sa.Column("redeemed_at_us", sa.BigInteger, nullable=True),
    sa.Index("ix_challenges_expires_at_us", "expires_at_us"),
)

audit_records = sa.Table(
    "audit_records",
    metadata,
    sa.Column(
        "seq",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),  # SQLite: the rowid
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("verification_id", sa.String(64), nullable=False),
    sa.Column("time_us", sa.BigInteger, nullable=False),
    sa.Column("document_number", sa.String(64), nullable=True),
    sa.Column("subject", sa.String(128), nullable=True),
    sa.Column("client_ip", sa.String(64), nullable=True),
    sa.Column("verdict", sa.String(16), nullable=False),
    sa.Column("reason_codes", sa.Text, nullable=False),  # space-separated
    sa.Column("policy", sa.String(64), nullable=False),
    sa.Column("challenge_id", sa.String(32), nullable=True),
    sa.Column("year", sa.Integer, nullable=False),  # the chain's year (audit.py)
    sa.Column("position", sa.BigInteger, nullable=False),  # 1, 2, ... within the year
    sa.Column("prev_hash", sa.String(64), nullable=False),  # hex SHA-256
    sa.Column("hash", sa.String(64), nullable=False),
    sa.UniqueConstraint("verification_id", name="uq_audit_records_verification_id"),
    sa.UniqueConstraint("challenge_id", name="uq_audit_records_challenge_id"),
    sa.UniqueConstraint("year", "position", name="uq_audit_records_year_position"),
    sa.CheckConstraint(
        "verdict IN ('genuine', 'failed', 'incomplete')", name="ck_audit_records_verdict"
    ),
    sa.Index("ix_audit_records_time_us", "time_us"),
    sqlite_autoincrement=True,  # a seq is never reused
)

audit_checkpoints = sa.Table(
    "audit_checkpoints",
    metadata,
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("position", sa.BigInteger, primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),  # "interval" | "year_end"
    sa.Column("head", sa.String(64), nullable=False),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Column("time_us", sa.BigInteger, nullable=False),
    sa.Column("key_id", sa.String(16), nullable=True),  # None: written without a key
    sa.Column("signature", sa.String(128), nullable=True),  # hex Ed25519
    sa.CheckConstraint("kind IN ('interval', 'year_end')", name="ck_audit_checkpoints_kind"),
)


# -- times -------------------------------------------------------------------------------------


def _require_aware(moment: datetime, name: str) -> None:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def to_us(moment: datetime, name: str = "now") -> int:
    """Microseconds since 1970-01-01 UTC: how the store keeps a time."""
    _require_aware(moment, name)
    return (moment - _EPOCH) // _MICROSECOND


def from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


# -- the URL -----------------------------------------------------------------------------------


def _parse_url(url: str) -> URL:
    """The SQLAlchemy URL for `url`: sqlite (a file) or postgresql through psycopg 3."""
    try:
        parsed = make_url(url)
    except (exc.ArgumentError, ValueError) as error:
        raise ServiceConfigError(
            "the database URL is not a URL (sqlite:///PATH or postgresql://...)"
        ) from error
    scheme = parsed.drivername
    if scheme in ("sqlite", "sqlite+pysqlite"):
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            raise ServiceConfigError(
                "the SQLite database must be a file path (sqlite:///PATH): not in memory, "
                "which the service's connections would not share"
            )
        folder = Path(database).expanduser().resolve().parent
        if not folder.is_dir():
            raise ServiceConfigError(f"the folder of the SQLite database does not exist: {folder}")
        return parsed.set(drivername="sqlite+pysqlite", database=str(Path(database).expanduser()))
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    raise ServiceConfigError(
        f"the database URL's scheme {scheme!r} is not supported: use sqlite:///PATH or "
        "postgresql://USER:PASSWORD@HOST/DATABASE"
    )


def _sqlite_engine(url: URL, echo: bool) -> Engine:
    engine = sa.create_engine(url, echo=echo, hide_parameters=True, pool_pre_ping=False)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # SQLAlchemy emits BEGIN (below), not the sqlite3 module, so DDL is transactional
        # and a writer can take the write lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            cursor.execute("PRAGMA journal_mode = WAL")  # readers do not block the writer
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(_SQLITE_BEGIN, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _postgres_engine(url: URL, echo: bool) -> Engine:
    try:
        return sa.create_engine(
            url,
            echo=echo,
            hide_parameters=True,  # no subject or document number in an exception's text
            pool_pre_ping=True,
            connect_args={
                "connect_timeout": POSTGRES_CONNECT_TIMEOUT_S,
                "application_name": "mrtd",
            },
        )
    except ImportError as error:
        from mrtd.errors import OptionalDependencyError  # noqa: PLC0415

        raise OptionalDependencyError(
            "PostgreSQL needs psycopg 3: pip install 'mrtd[service,postgres]'"
        ) from error


# -- the store ---------------------------------------------------------------------------------


class Store:
    """The service's database. Thread-safe (a connection pool); one per process."""

    def __init__(self, url: str, *, echo: bool = False, audit: AuditSettings | None = None) -> None:
        self._url = _parse_url(url)
        self.audit = audit or AuditSettings()
        if self._url.get_backend_name() == "sqlite":
            self._engine = _sqlite_engine(self._url, echo)
        else:
            self._engine = _postgres_engine(self._url, echo)

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self._engine.dialect.name

    @property
    def safe_url(self) -> str:
        """The URL with its password masked, for logs and health checks."""
        return self._url.render_as_string(hide_password=True)

    # -- connections ---------------------------------------------------------------------------

    @contextmanager
    def _unavailable_as_error(self) -> Iterator[None]:
        try:
            yield
        except (exc.OperationalError, exc.InterfaceError) as error:
            raise StoreUnavailableError(
                f"the database {self.safe_url} cannot be reached or did not answer"
            ) from error

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Connection]:
        """A connection in a transaction, committed at the end unless it raises. A writer's
        SQLite transaction takes the write lock at BEGIN (IMMEDIATE), waiting up to the busy
        timeout, so it never fails half-way on another process's lock."""
        with self._unavailable_as_error(), self._engine.connect() as connection:
            if write and self.dialect == "sqlite":
                connection.execution_options(**{_SQLITE_BEGIN: "IMMEDIATE"})
            with connection.begin():
                yield connection

    def ping(self) -> None:
        """Raise StoreUnavailableError unless the database answers."""
        with self._transaction(write=False) as connection:
            connection.execute(sa.text("SELECT 1"))

    def close(self) -> None:
        """Close the pool's connections (a new use opens them again)."""
        self._engine.dispose()

    # -- schema --------------------------------------------------------------------------------

    def _alembic_config(self, connection: Connection) -> Any:
        from alembic.config import Config  # noqa: PLC0415

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
        config.set_main_option("path_separator", "os")
        config.attributes["connection"] = connection
        config.attributes["version_table"] = VERSION_TABLE
        return config

    def migrate(self) -> None:
        """Bring the schema to the head of the migrations (Alembic `upgrade head`).

        Idempotent, and safe when several processes start at once: the upgrade runs in one
        transaction under a lock (PostgreSQL: pg_advisory_xact_lock; SQLite: BEGIN IMMEDIATE,
        the database's write lock), so the second process waits, then finds the schema at
        head. DDL is transactional on both, so a failed migration leaves nothing behind."""
        from alembic import command  # noqa: PLC0415

        with self._transaction(write=True) as connection:
            if self.dialect == "postgresql":
                connection.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            command.upgrade(self._alembic_config(connection), "head")

    def schema_revision(self) -> str | None:
        """The database's migration revision (None: never migrated)."""
        from alembic.runtime.migration import MigrationContext  # noqa: PLC0415

        with self._transaction(write=False) as connection:
            context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
            return context.get_current_revision()

    def check_schema(self) -> None:
        """Raise ServiceConfigError unless the schema is at the head of the migrations."""
        from alembic.script import ScriptDirectory  # noqa: PLC0415

        scripts = ScriptDirectory(str(MIGRATIONS))
        head = scripts.get_current_head()
        current = self.schema_revision()
        if current == head:
            return
        if current is None:
            at = "empty (never migrated)"
        elif _known(scripts, current):
            at = f"at {current}"
        else:
            at = f"at {current}, which this mrtd does not know (a newer mrtd migrated it)"
        raise ServiceConfigError(
            f"the database schema is {at}, mrtd needs {head}: run mrtd serve --migrate-only "
            "(or set database.migrate = true) before the workers start"
        )

    # -- challenges ----------------------------------------------------------------------------

    def issue_challenge(self, *, now: datetime, ttl: timedelta) -> Challenge:
        """A new challenge, valid from `now` for `ttl`."""
        if ttl <= timedelta(0):
            raise ValueError("a challenge's ttl must be positive")
        now_us = to_us(now)
        expires_us = to_us(now + ttl)
        challenge = Challenge(
            id=secrets.token_urlsafe(16),
            nonce=secrets.token_bytes(NONCE_LENGTH),
            expires=from_us(expires_us),
        )
        with self._transaction(write=True) as connection:
            connection.execute(
                challenges.insert().values(
                    id=challenge.id,
                    nonce=challenge.nonce,
                    issued_at_us=now_us,
                    expires_at_us=expires_us,
                    redeemed_at_us=None,
                )
            )
        return challenge

    def challenge_nonce(self, challenge_id: str, *, now: datetime) -> bytes:
        """The nonce of a challenge that can still be redeemed; does not redeem it.
        ChallengeError (reason "unknown", "expired" or "used") otherwise."""
        now_us = to_us(now)
        _require_challenge_id(challenge_id)
        with self._transaction(write=False) as connection:
            row = connection.execute(
                sa.select(
                    challenges.c.nonce, challenges.c.expires_at_us, challenges.c.redeemed_at_us
                ).where(challenges.c.id == challenge_id)
            ).one_or_none()
        _raise_unless_redeemable(row, now_us)
        assert row is not None
        return bytes(row.nonce)

    def delete_expired_challenges(self, *, now: datetime) -> int:
        """Delete the challenges expired at `now` (redeemed or not); how many went."""
        now_us = to_us(now)
        with self._transaction(write=True) as connection:
            result = connection.execute(
                challenges.delete().where(challenges.c.expires_at_us <= now_us)
            )
            return result.rowcount

    # -- the audit trail -----------------------------------------------------------------------

    def commit_verification(self, record: AuditRecord, *, now: datetime) -> None:
        """Write the audit record of a verification, redeeming its challenge if it has one.

        Both happen in one transaction: the challenge is redeemed only if it exists, has not
        expired at `now` and was not redeemed before; if it cannot be, nothing is written and
        ChallengeError says why. A verification id used before is a ValueError."""
        now_us = to_us(now)
        if record.challenge_id is not None:
            _require_challenge_id(record.challenge_id)
        try:
            with self._transaction(write=True) as connection:
                self._lock_audit(connection)  # first: a redeemer never waits holding a row
                if record.challenge_id is not None:
                    self._redeem(connection, record.challenge_id, now_us)
                self._append(connection, _audit_row(record), now_us)
        except exc.IntegrityError as error:
            raise ValueError(
                "an audit record with this verification id (or challenge) exists"
            ) from error

    def _redeem(self, connection: Connection, challenge_id: str, now_us: int) -> None:
        redeemed = connection.execute(
            challenges.update()
            .where(
                challenges.c.id == challenge_id,
                challenges.c.redeemed_at_us.is_(None),
                challenges.c.expires_at_us > now_us,
            )
            .values(redeemed_at_us=now_us)
        )
        if redeemed.rowcount == 1:
            return
        row = connection.execute(
            sa.select(
                challenges.c.nonce, challenges.c.expires_at_us, challenges.c.redeemed_at_us
            ).where(challenges.c.id == challenge_id)
        ).one_or_none()
        _raise_unless_redeemable(row, now_us)
        raise ChallengeError("the challenge cannot be redeemed", reason="used")  # a race lost

    # -- the audit chain ------------------------------------------------------------------------

    def _lock_audit(self, connection: Connection) -> None:
        """Serialise the chain's writers (SQLite: the writer's BEGIN IMMEDIATE already does)."""
        if self.dialect == "postgresql":
            connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY}
            )

    def _append(self, connection: Connection, row: dict[str, object], now_us: int) -> None:
        """Chain `row` after the newest record: into the year of its time, or the chain's open
        year if that is later (a record timed 23:59:59 committed after the new year's first
        record joins the new year; a year once closed takes no record). The years before
        are closed first, each with its year_end checkpoint, empty years included."""
        tip = _tip(connection)
        time_us = row["time_us"]
        assert isinstance(time_us, int)
        year = from_us(time_us).year
        if tip is None:
            position, prev = 1, genesis(year, ZERO_HEAD)
        else:
            year = max(year, tip.year + 1 if tip.closed else tip.year)
            if year == tip.year:
                position, prev = tip.count + 1, tip.head
            else:
                position, prev = 1, genesis(year, self._close(connection, tip, year - 1, now_us))
        digest = record_hash(prev, row, year, position)
        connection.execute(
            audit_records.insert().values(
                **row, year=year, position=position, prev_hash=prev.hex(), hash=digest.hex()
            )
        )
        if position % self.audit.checkpoint_every == 0:
            self._checkpoint(
                connection, year, position, kind="interval", head=digest, now_us=now_us
            )

    def _checkpoint(
        self,
        connection: Connection,
        year: int,
        position: int,
        *,
        kind: str,
        head: bytes,
        now_us: int,
    ) -> Checkpoint:
        cp = sign_checkpoint(
            self.audit, year=year, position=position, kind=kind, head=head, time_us=now_us
        )
        connection.execute(
            audit_checkpoints.insert().values(
                year=cp.year,
                position=cp.position,
                kind=cp.kind,
                head=cp.head,
                count=cp.count,
                time_us=cp.time_us,
                key_id=cp.key_id,
                signature=cp.signature,
            )
        )
        return cp

    def _close(self, connection: Connection, tip: _Tip, through: int, now_us: int) -> bytes:
        """Write the year_end checkpoints of the tip's year (unless closed) and of each empty
        year after it through `through`; the final head of `through`."""
        head = tip.head
        if not tip.closed:
            self._checkpoint(
                connection, tip.year, tip.count, kind="year_end", head=head, now_us=now_us
            )
        for empty in range(tip.year + 1, through + 1):
            head = genesis(empty, head)
            self._checkpoint(connection, empty, 0, kind="year_end", head=head, now_us=now_us)
        return head

    def seal_audit(self, *, now: datetime) -> list[Checkpoint]:
        """Close every year before `now`'s that is not closed (year_end checkpoints, empty years
        included), and sign the open year's head if records follow its last checkpoint.
        For a quiet service at a year's end, and to shorten the unsigned tail (cron)."""
        now_us = to_us(now)
        current = from_us(now_us).year
        with self._transaction(write=True) as connection:
            self._lock_audit(connection)
            tip = _tip(connection)
            before = _all_checkpoints(connection)
            if tip is None:
                return []
            if tip.year < current:
                self._close(connection, tip, current - 1, now_us)
            elif not tip.closed and tip.count > 0:
                signed = {(cp.year, cp.position) for cp in before}
                if (tip.year, tip.count) not in signed:
                    self._checkpoint(
                        connection,
                        tip.year,
                        tip.count,
                        kind="interval",
                        head=tip.head,
                        now_us=now_us,
                    )
            after = _all_checkpoints(connection)
        return [cp for cp in after if cp not in set(before)]

    def purge_audit(self, *, before_year: int, now: datetime) -> dict[int, int]:
        """Delete the records of every year before `before_year` (whole years, each closed
        first if it was not), keeping their checkpoints: no personal data, and the next year
        still verifies its link from the kept year_end. Returns {year: records deleted}."""
        now_us = to_us(now)
        if before_year > from_us(now_us).year:
            raise ValueError("the audit log's current year cannot be purged")
        with self._transaction(write=True) as connection:
            self._lock_audit(connection)
            tip = _tip(connection)
            if tip is not None and tip.year < before_year:
                self._close(connection, tip, before_year - 1, now_us)
            counts = connection.execute(
                sa.select(audit_records.c.year, sa.func.count())
                .where(audit_records.c.year < before_year)
                .group_by(audit_records.c.year)
            ).all()
            connection.execute(audit_records.delete().where(audit_records.c.year < before_year))
        return {int(row[0]): int(row[1]) for row in counts}

    def audit_log(self) -> AuditLog:
        """The whole chain, records in (year, position) order, and every checkpoint, read in
        one snapshot (PostgreSQL: REPEATABLE READ; SQLite: a WAL read transaction) so that
        appends meanwhile do not show as a checkpoint without its records."""
        with self._unavailable_as_error(), self._engine.connect() as connection:
            if self.dialect == "postgresql":
                connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                rows = connection.execute(
                    sa.select(audit_records).order_by(
                        audit_records.c.year, audit_records.c.position
                    )
                ).all()
                checkpoints = _all_checkpoints(connection)
        records = [
            ChainedRecord(
                year=row.year,
                position=row.position,
                prev_hash=row.prev_hash,
                hash=row.hash,
                verification_id=row.verification_id,
                time_us=row.time_us,
                document_number=row.document_number,
                subject=row.subject,
                client_ip=row.client_ip,
                verdict=row.verdict,
                reason_codes=row.reason_codes,
                policy=row.policy,
                challenge_id=row.challenge_id,
            )
            for row in rows
        ]
        return AuditLog(records, checkpoints)

    def audit_records(self) -> list[AuditRecord]:
        """Every audit record, in the order they were written (seq)."""
        with self._transaction(write=False) as connection:
            rows = connection.execute(sa.select(audit_records).order_by(audit_records.c.seq)).all()
        return [
            AuditRecord(
                verification_id=row.verification_id,
                time=from_us(row.time_us),
                document_number=row.document_number,
                subject=row.subject,
                client_ip=row.client_ip,
                verdict=row.verdict,
                reason_codes=tuple(row.reason_codes.split()),
                policy=row.policy,
                challenge_id=row.challenge_id,
            )
            for row in rows
        ]


@dataclass(frozen=True, slots=True)
class _Tip:
    """The newest year of the audit chain, as an append continues it."""

    year: int
    closed: bool  # it has its year_end checkpoint
    count: int  # its records
    head: bytes  # the hash of its last record (its genesis when it has none)


def _tip(connection: Connection) -> _Tip | None:
    newest = connection.execute(
        sa.select(
            sa.select(sa.func.max(audit_records.c.year)).scalar_subquery(),
            sa.select(sa.func.max(audit_checkpoints.c.year)).scalar_subquery(),
        )
    ).one()
    years = [y for y in newest if y is not None]
    if not years:
        return None
    year = max(years)
    end = connection.execute(
        sa.select(audit_checkpoints.c.count, audit_checkpoints.c.head).where(
            audit_checkpoints.c.year == year, audit_checkpoints.c.kind == "year_end"
        )
    ).first()
    if end is not None:
        return _Tip(year, True, end._mapping["count"], bytes.fromhex(end.head))
    last = connection.execute(
        sa.select(audit_records.c.position, audit_records.c.hash)
        .where(audit_records.c.year == year)
        .order_by(audit_records.c.position.desc())
        .limit(1)
    ).first()
    if last is None:
        raise ServiceConfigError(
            f"the audit chain's newest year {year} has checkpoints but neither records nor a "
            "year_end: run mrtd audit verify"
        )
    return _Tip(year, False, last.position, bytes.fromhex(last.hash))


def _all_checkpoints(connection: Connection) -> list[Checkpoint]:
    rows = connection.execute(
        sa.select(audit_checkpoints).order_by(
            audit_checkpoints.c.year, audit_checkpoints.c.position, audit_checkpoints.c.kind
        )
    ).all()
    return [
        Checkpoint(
            year=row.year,
            position=row.position,
            kind=row.kind,
            head=row.head,
            count=row._mapping["count"],
            time_us=row.time_us,
            key_id=row.key_id,
            signature=row.signature,
        )
        for row in rows
    ]


def _known(scripts: Any, revision: str) -> bool:
    from alembic.util import CommandError  # noqa: PLC0415

    try:
        scripts.get_revision(revision)
    except CommandError:
        return False
    return True


def _require_challenge_id(challenge_id: object) -> None:
    """A malformed id is unknown, without a query."""
    if not isinstance(challenge_id, str) or CHALLENGE_ID.fullmatch(challenge_id) is None:
        raise ChallengeError("the challenge is unknown", reason="unknown")


def _raise_unless_redeemable(row: Any, now_us: int) -> None:
    if row is None:
        raise ChallengeError("the challenge is unknown", reason="unknown")
    if row.redeemed_at_us is not None:
        raise ChallengeError("the challenge was already used", reason="used")
    if row.expires_at_us <= now_us:
        raise ChallengeError("the challenge has expired", reason="expired")


def _audit_row(record: AuditRecord) -> dict[str, object]:
    return {
        "verification_id": record.verification_id,
        "time_us": to_us(record.time, "AuditRecord.time"),
        "document_number": record.document_number,
        "subject": record.subject,
        "client_ip": record.client_ip,
        "verdict": record.verdict,
        "reason_codes": " ".join(record.reason_codes),
        "policy": record.policy,
        "challenge_id": record.challenge_id,
    }
