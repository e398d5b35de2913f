"""The service's database (mrtd.service.store) on SQLite and PostgreSQL: migrations under
concurrency, single-use challenges against racing workers, the audit trail's exact round trip,
and the errors a bad configuration gets."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from mrtd.errors import ChallengeError, MRTDError, ServiceConfigError
from mrtd.service.store import (
    VERSION_TABLE,
    AuditRecord,
    Store,
    StoreUnavailableError,
    metadata,
)
from tests.service.postgres import PostgresCluster

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 6, 12, 0, 0, 123456, tzinfo=UTC)
TTL = timedelta(minutes=5)


def record(verification_id: str, challenge_id: str | None = None, **fields: object) -> AuditRecord:
    values: dict[str, object] = {
        "verification_id": verification_id,
        "time": NOW,
        "document_number": "L898902C3",
        "subject": "person-42",
        "client_ip": "2001:db8::1",
        "verdict": "genuine",
        "reason_codes": (),
        "policy": "strict",
        "challenge_id": challenge_id,
    }
    values.update(fields)
    return AuditRecord(**values)  # type: ignore[arg-type]


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def version_rows(url: str) -> list[str]:
    store = Store(url)
    try:
        with store._engine.connect() as connection:
            return list(connection.scalars(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")))
    finally:
        store.close()


# -- migrations --------------------------------------------------------------------------------


def test_migrate_twice_is_a_no_op(store_url: str) -> None:
    store = Store(store_url)
    try:
        assert store.schema_revision() is None
        store.migrate()
        store.check_schema()
        assert store.schema_revision() == "0002"
        store.commit_verification(record("a" * 32), now=NOW)
        store.migrate()
        store.check_schema()
        assert len(store.audit_records()) == 1
    finally:
        store.close()
    assert version_rows(store_url) == ["0002"]


def test_the_migrations_make_the_tables_the_store_uses(store: Store) -> None:
    with store._engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        assert compare_metadata(context, metadata) == []


MIGRATE_WHEN_TOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from mrtd.service.store import Store

    import alembic.command

    url, ready, go = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    store = Store(url)
    store.ping()  # connected, and the imports done, before the start
    ready.touch()
    deadline = time.monotonic() + 20
    while not go.exists():
        if time.monotonic() > deadline:
            sys.exit("never told to go")
        time.sleep(0.001)
    store.migrate()
    store.check_schema()
    print(store.schema_revision())
    """
)


def test_two_processes_migrating_at_once_both_succeed(store_url: str, tmp_path: Path) -> None:
    go = tmp_path / "go"
    ready = [tmp_path / f"ready{n}" for n in range(2)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE_WHEN_TOLD, store_url, str(flag), str(go)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for flag in ready
    ]
    deadline = time.monotonic() + 20
    while not all(flag.exists() for flag in ready) and time.monotonic() < deadline:
        time.sleep(0.005)
    go.touch()
    for worker in workers:
        out, err = worker.communicate(timeout=30)
        assert worker.returncode == 0, err
        assert out.strip() == "0002"
    assert version_rows(store_url) == ["0002"]


def test_check_schema_refuses_a_database_never_migrated(store_url: str) -> None:
    store = Store(store_url)
    try:
        with pytest.raises(ServiceConfigError, match="run mrtd serve --migrate-only") as caught:
            store.check_schema()
        assert "mrtd needs 0002" in str(caught.value)
        assert "empty" in str(caught.value)
    finally:
        store.close()


def test_check_schema_refuses_a_schema_from_a_newer_mrtd(store: Store) -> None:
    with store._engine.begin() as connection:
        connection.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = '0099'"))
    with pytest.raises(ServiceConfigError, match="at 0099, which this mrtd does not know"):
        store.check_schema()


# -- challenges --------------------------------------------------------------------------------


def test_a_challenge_is_redeemed_once(store: Store) -> None:
    challenge = store.issue_challenge(now=NOW, ttl=TTL)
    assert len(challenge.nonce) == 8
    assert challenge.expires == NOW + TTL
    assert challenge.expires.tzinfo is UTC

    store.commit_verification(record("a" * 32, challenge.id), now=NOW + timedelta(seconds=1))
    with pytest.raises(ChallengeError) as caught:
        store.commit_verification(record("b" * 32, challenge.id), now=NOW + timedelta(seconds=2))
    assert caught.value.reason == "used"
    with pytest.raises(ChallengeError) as caught:
        store.challenge_nonce(challenge.id, now=NOW + timedelta(seconds=3))
    assert caught.value.reason == "used"
    assert [r.verification_id for r in store.audit_records()] == ["a" * 32]


def test_challenge_nonce_does_not_consume(store: Store) -> None:
    challenge = store.issue_challenge(now=NOW, ttl=TTL)
    for _ in range(3):
        assert store.challenge_nonce(challenge.id, now=NOW) == challenge.nonce
    store.commit_verification(record("a" * 32, challenge.id), now=NOW)
    assert store.audit_records()[0].challenge_id == challenge.id


def test_each_challenge_is_new(store: Store) -> None:
    issued = [store.issue_challenge(now=NOW, ttl=TTL) for _ in range(20)]
    assert len({c.id for c in issued}) == 20
    assert len({c.nonce for c in issued}) == 20
    assert all(len(c.id) == 22 for c in issued)


def test_an_expired_challenge_is_refused_and_nothing_is_written(store: Store) -> None:
    challenge = store.issue_challenge(now=NOW, ttl=TTL)
    last_moment = NOW + TTL - timedelta(microseconds=1)
    assert store.challenge_nonce(challenge.id, now=last_moment) == challenge.nonce
    for now in (NOW + TTL, NOW + TTL + timedelta(hours=1)):
        with pytest.raises(ChallengeError) as caught:
            store.challenge_nonce(challenge.id, now=now)
        assert caught.value.reason == "expired"
        with pytest.raises(ChallengeError) as caught:
            store.commit_verification(record("a" * 32, challenge.id), now=now)
        assert caught.value.reason == "expired"
    assert store.audit_records() == []
    # not consumed by the failures: still good at a time it had not expired
    store.commit_verification(record("a" * 32, challenge.id), now=last_moment)
    assert len(store.audit_records()) == 1


def test_an_unknown_challenge_is_refused_and_nothing_is_written(store: Store) -> None:
    absent = "A" * 22  # well-formed, never issued
    with pytest.raises(ChallengeError) as caught:
        store.challenge_nonce(absent, now=NOW)
    assert caught.value.reason == "unknown"
    with pytest.raises(ChallengeError) as caught:
        store.commit_verification(record("a" * 32, absent), now=NOW)
    assert caught.value.reason == "unknown"
    assert store.audit_records() == []


MALFORMED = [
    "",
    "A" * 21,
    "A" * 23,
    "A" * 65,
    "A" * 21 + "=",
    "A" * 21 + " ",
    "Ä" * 22,
    "A" * 21 + "\0",
]


@pytest.mark.parametrize("challenge_id", MALFORMED)
def test_a_malformed_challenge_id_is_unknown_without_a_query(challenge_id: str) -> None:
    # a server that is not there: any query would raise StoreUnavailableError instead
    store = Store(f"postgresql://mrtd@127.0.0.1:{closed_port()}/nothing")
    with pytest.raises(ChallengeError) as caught:
        store.challenge_nonce(challenge_id, now=NOW)
    assert caught.value.reason == "unknown"
    with pytest.raises(ChallengeError) as caught:
        store.commit_verification(record("a" * 32, challenge_id), now=NOW)
    assert caught.value.reason == "unknown"


def test_concurrent_redeemers_one_wins(store_url: str) -> None:
    """Eight verifications race for one challenge from two Stores (two pools: two workers)."""
    workers = [Store(store_url), Store(store_url)]
    try:
        workers[0].migrate()
        challenge = workers[1].issue_challenge(now=NOW, ttl=TTL)
        start = threading.Barrier(8)
        outcomes: list[str] = []

        def redeem(n: int) -> None:
            start.wait()
            try:
                workers[n % 2].commit_verification(record(f"{n:032x}", challenge.id), now=NOW)
            except ChallengeError as error:
                outcomes.append(error.reason)
            else:
                outcomes.append("ok")

        threads = [threading.Thread(target=redeem, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(outcomes) == ["ok"] + ["used"] * 7
        assert len(workers[0].audit_records()) == 1
    finally:
        for worker in workers:
            worker.close()


def test_delete_expired_challenges(store: Store) -> None:
    early = store.issue_challenge(now=NOW, ttl=timedelta(seconds=10))
    used = store.issue_challenge(now=NOW, ttl=timedelta(seconds=10))
    late = store.issue_challenge(now=NOW, ttl=timedelta(minutes=10))
    store.commit_verification(record("a" * 32, used.id), now=NOW)
    assert store.delete_expired_challenges(now=NOW + timedelta(seconds=9)) == 0
    assert store.delete_expired_challenges(now=NOW + timedelta(seconds=10)) == 2
    assert store.delete_expired_challenges(now=NOW + timedelta(seconds=10)) == 0
    for gone in (early, used):
        with pytest.raises(ChallengeError) as caught:
            store.challenge_nonce(gone.id, now=NOW)
        assert caught.value.reason == "unknown"
    assert store.challenge_nonce(late.id, now=NOW) == late.nonce
    assert len(store.audit_records()) == 1  # the audit trail outlives its challenges


# -- the audit trail ---------------------------------------------------------------------------


def test_records_without_a_challenge(store: Store) -> None:
    store.commit_verification(record("a" * 32), now=NOW)
    store.commit_verification(record("b" * 32), now=NOW)
    assert [r.challenge_id for r in store.audit_records()] == [None, None]


def test_audit_records_round_trip_exactly_in_insertion_order(store: Store) -> None:
    plus_two = timezone(timedelta(hours=2))
    written = [
        record("c" * 32, time=NOW + timedelta(microseconds=1), reason_codes=("a.b", "c_d")),
        record(
            "a" * 32,
            time=datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=plus_two),
            document_number=None,
            subject=None,
            client_ip=None,
            verdict="failed",
            reason_codes=("passive.signature_invalid",),
            policy="lenient",
        ),
        record("b" * 32, time=datetime(2100, 1, 1, tzinfo=UTC), verdict="incomplete"),
        record("d" * 32, subject="s" * 128, document_number="D" * 64, client_ip="1" * 64),
    ]
    for each in written:
        store.commit_verification(each, now=NOW)
    read = store.audit_records()
    assert read == written
    assert all(r.time.tzinfo is UTC for r in read)
    assert read[1].time == datetime(1999, 12, 31, 21, 59, 59, 999999, tzinfo=UTC)
    assert read[0].reason_codes == ("a.b", "c_d")
    assert read[2].reason_codes == ()


def test_a_verification_id_is_written_once(store: Store) -> None:
    challenge = store.issue_challenge(now=NOW, ttl=TTL)
    store.commit_verification(record("a" * 32), now=NOW)
    with pytest.raises(ValueError, match="verification id"):
        store.commit_verification(record("a" * 32, challenge.id), now=NOW)
    # the failed insert rolled the redemption back
    assert store.challenge_nonce(challenge.id, now=NOW) == challenge.nonce
    assert len(store.audit_records()) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"time": datetime(2026, 1, 1)}, "time"),  # naive on purpose
        ({"verdict": "ok"}, "verdict"),
        ({"reason_codes": ("a b",)}, "reason_codes"),
        ({"reason_codes": ("",)}, "reason_codes"),
        ({"reason_codes": ["a"]}, "reason_codes"),
        ({"subject": "s" * 129}, "subject"),
        ({"document_number": "D" * 65}, "document_number"),
        ({"client_ip": "1" * 65}, "client_ip"),
        ({"policy": ""}, "policy"),
    ],
)
def test_a_record_the_table_cannot_hold_is_refused(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        record("a" * 32, **fields)


def test_naive_times_are_refused(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'mrtd.db'}")
    naive = datetime(2026, 1, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.issue_challenge(now=naive, ttl=TTL)
    with pytest.raises(ValueError, match="positive"):
        store.issue_challenge(now=NOW, ttl=timedelta(0))


# -- configuration and availability ------------------------------------------------------------


def test_safe_url_masks_the_password() -> None:
    store = Store("postgresql://mrtd:s3cret@db.example:5432/mrtd")
    assert "s3cret" not in store.safe_url
    assert store.safe_url == "postgresql+psycopg://mrtd:***@db.example:5432/mrtd"
    assert store.dialect == "postgresql"


def test_a_password_works_and_stays_out_of_sight(postgres_cluster: PostgresCluster) -> None:
    postgres_cluster.create_database("with_password")
    store = Store(postgres_cluster.url("with_password", password="s3cret"))
    try:
        store.ping()
        store.migrate()
        assert "s3cret" not in store.safe_url
    finally:
        store.close()
        postgres_cluster.drop_database("with_password")


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_postgres_schemes_mean_psycopg_3(scheme: str) -> None:
    store = Store(f"{scheme}://mrtd@localhost/mrtd")
    assert store.dialect == "postgresql"
    assert store.safe_url.startswith("postgresql+psycopg://")


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("mysql://root:pw@localhost/mrtd", "'mysql'"),
        ("postgresql+psycopg2://localhost/mrtd", "'postgresql+psycopg2'"),
        ("oracle://x", "'oracle'"),
        ("not a url", "not a URL"),
        ("sqlite://", "must be a file"),
        ("sqlite:///:memory:", "must be a file"),
    ],
)
def test_a_bad_url_is_a_config_error(url: str, named: str) -> None:
    with pytest.raises(ServiceConfigError, match=re.escape(named)) as caught:
        Store(url)
    assert "pw" not in str(caught.value)


def test_a_missing_sqlite_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ServiceConfigError, match="does not exist"):
        Store(f"sqlite:///{tmp_path / 'absent' / 'mrtd.db'}")
    assert not (tmp_path / "absent").exists()


def test_sqlite_writes_ahead_and_waits_for_locks(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'mrtd.db'}")
    try:
        assert store.dialect == "sqlite"
        with store._engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    finally:
        store.close()


def test_an_unreachable_postgres_is_unavailable() -> None:
    store = Store(f"postgresql://mrtd:s3cret@127.0.0.1:{closed_port()}/mrtd")
    calls: list[Callable[[], object]] = [
        store.ping,
        store.migrate,
        store.check_schema,
        store.audit_records,
        lambda: store.issue_challenge(now=NOW, ttl=TTL),
        lambda: store.commit_verification(record("a" * 32), now=NOW),
    ]
    for call in calls:
        with pytest.raises(StoreUnavailableError, match="cannot be reached") as caught:
            call()
        assert isinstance(caught.value, MRTDError)
        assert "s3cret" not in str(caught.value)
        assert "L898902C3" not in str(caught.value)
    store.close()
