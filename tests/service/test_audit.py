"""The audit log's tamper evidence (mrtd.service.audit, Store's chain) on SQLite and
PostgreSQL: each kind of tampering is found and named at its first broken record; purge,
seal, concurrent writers, the export an auditor verifies offline, and `mrtd audit`."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mrtd.cli.app import main
from mrtd.errors import ServiceConfigError
from mrtd.service.audit import (
    AuditReport,
    AuditSettings,
    Checkpoint,
    genesis,
    key_id,
    read_export,
    record_hash,
    sign_checkpoint,
    verify_audit,
    write_export,
)
from mrtd.service.config import load_config
from mrtd.service.store import AuditRecord, Store, audit_checkpoints, audit_records

KEY = Ed25519PrivateKey.generate()
OTHER_KEY = Ed25519PrivateKey.generate()
EVERY = 4


def at(year: int, n: int = 0) -> datetime:
    return datetime(year, 3, 1, tzinfo=UTC) + timedelta(minutes=n)


def record(year: int, n: int, **fields: object) -> AuditRecord:
    values: dict[str, object] = {
        "verification_id": f"{year:04d}{n:028x}",
        "time": at(year, n),
        "document_number": "L898902C3",
        "subject": f"person-{n}",
        "client_ip": "192.0.2.7",
        "verdict": "genuine",
        "reason_codes": (),
        "policy": "strict",
    }
    values.update(fields)
    return AuditRecord(**values)  # type: ignore[arg-type]


def append(store: Store, year: int, count: int, start: int = 1) -> None:
    for n in range(start, start + count):
        store.commit_verification(record(year, n), now=at(year, n))


def check(store: Store, **options: object) -> AuditReport:
    kwargs: dict[str, object] = {"checkpoint_every": EVERY, **options}
    return verify_audit(store.audit_log(), [KEY.public_key()], **kwargs)  # type: ignore[arg-type]


def first_break(store: Store) -> tuple[int, int | None, str | None, str]:
    report = check(store)
    assert report.first_break is not None, "tampering not detected"
    found = report.first_break
    return found.year, found.position, found.verification_id, found.problem


def vid(year: int, n: int) -> str:
    return record(year, n).verification_id


def sql(store: Store, statement: str, **params: object) -> None:
    with store._engine.begin() as connection:
        connection.execute(sa.text(statement), params)


@pytest.fixture
def chained(store_url: str) -> Iterator[Store]:
    """2024: 10 records (interval checkpoints at 4, 8; year_end at 10); 2025 empty (its
    year_end of count 0, written when 2026 began); 2026: 6 records (a checkpoint at 4)."""
    store = Store(store_url, audit=AuditSettings(KEY, EVERY))
    store.migrate()
    append(store, 2024, 10)
    append(store, 2026, 6)
    try:
        yield store
    finally:
        store.close()


# -- an intact log -----------------------------------------------------------------------------


def test_an_intact_log_verifies_with_its_checkpoints(chained: Store) -> None:
    report = check(chained)
    assert report.first_break is None
    assert report.intact
    assert report.signed
    assert report.years == (2024, 2025, 2026)
    assert report.records == 16
    assert report.unsigned_tail == 2  # 2026's records 5 and 6 follow its last checkpoint
    assert report.key_ids == (key_id(KEY.public_key()),)
    log = chained.audit_log()
    assert [(cp.year, cp.position, cp.kind) for cp in log.checkpoints] == [
        (2024, 4, "interval"),
        (2024, 8, "interval"),
        (2024, 10, "year_end"),
        (2025, 0, "year_end"),
        (2026, 4, "interval"),
    ]
    first_2026 = next(r for r in log.records if r.year == 2026)
    assert first_2026.prev_hash == genesis(2026, bytes.fromhex(log.checkpoints[3].head)).hex()
    # the records keep what the service wrote
    assert [r.verification_id for r in chained.audit_records()] == [
        *(vid(2024, n) for n in range(1, 11)),
        *(vid(2026, n) for n in range(1, 7)),
    ]


def test_without_a_key_the_log_is_chained_but_not_signed(store: Store) -> None:
    store.audit = AuditSettings(None, EVERY)
    append(store, 2026, 5)
    log = store.audit_log()
    assert [cp.position for cp in log.checkpoints] == [4]
    assert all(cp.signature is None for cp in log.checkpoints)
    unsigned = verify_audit(log, [], checkpoint_every=1000)
    assert unsigned.first_break is None
    assert not unsigned.signed
    assert not unsigned.intact
    signed = verify_audit(log, [KEY.public_key()])
    assert signed.first_break is not None
    assert signed.first_break.problem == "interval checkpoint is not signed"


def test_verify_takes_a_store_and_one_key(chained: Store) -> None:
    report = verify_audit(chained, KEY.public_key())
    assert report.intact
    sql(chained, "DELETE FROM audit_checkpoints WHERE year = 2026")  # the store's interval: 4
    found = verify_audit(chained, KEY.public_key()).first_break
    assert found is not None
    assert (found.year, found.position, found.problem) == (
        2026, 4, "checkpoint at position 4 missing"
    )  # fmt: skip


def test_a_late_record_of_last_year_joins_the_open_year(chained: Store) -> None:
    # timed 2025-12-31 23:59, committed after 2026 began: 2025 is closed, it joins 2026
    late = record(2025, 99, time=datetime(2025, 12, 31, 23, 59, tzinfo=UTC))
    chained.commit_verification(late, now=at(2026, 7))
    assert chained.audit_log().records[-1].year == 2026
    assert check(chained).intact


# -- each kind of tampering --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [("document_number", "X00000000"), ("verdict", "failed"), ("time_us", 1)],
)
def test_a_changed_field_breaks_its_record(chained: Store, column: str, value: object) -> None:
    sql(chained, f"UPDATE audit_records SET {column} = :v WHERE year = 2024 AND position = 3",
        v=value)  # fmt: skip
    assert first_break(chained) == (
        2024,
        3,
        vid(2024, 3),
        "hash does not match the record's fields",
    )


def test_a_record_removed_from_the_middle(chained: Store) -> None:
    sql(chained, "DELETE FROM audit_records WHERE year = 2024 AND position = 5")
    assert first_break(chained) == (2024, 5, None, "position 5 missing")


def test_records_removed_at_a_year_end(chained: Store) -> None:
    sql(chained, "DELETE FROM audit_records WHERE year = 2024 AND position >= 9")
    assert first_break(chained) == (
        2024, 9, None, "position 9 missing (a checkpoint counts 10 records)"
    )  # fmt: skip


def test_the_newest_records_removed_before_a_checkpoint(chained: Store) -> None:
    sql(chained, "DELETE FROM audit_records WHERE year = 2026 AND position IN (3, 4)")
    year, position, _, problem = first_break(chained)
    assert (year, position) == (2026, 3)
    assert problem.startswith("position 3 missing")


def test_a_record_inserted_and_the_rest_renumbered(chained: Store) -> None:
    log = chained.audit_log()
    fifth = next(r for r in log.records if (r.year, r.position) == (2024, 5))
    sql(chained, "UPDATE audit_records SET position = position + 1000 "
        "WHERE year = 2024 AND position > 5")  # fmt: skip
    sql(chained, "UPDATE audit_records SET position = position - 999 WHERE year = 2024 "
        "AND position > 1000")  # fmt: skip
    fields = {**_row(record(2024, 500)), "year": 2024, "position": 6, "prev_hash": fifth.hash}
    digest = record_hash(bytes.fromhex(fifth.hash), fields, 2024, 6)  # chained right after 5
    with chained._engine.begin() as connection:
        connection.execute(audit_records.insert().values(**fields, hash=digest.hex()))
    assert first_break(chained) == (
        2024, 7, vid(2024, 6), "prev_hash does not match the record before it"
    )  # fmt: skip


def test_two_records_swapped(chained: Store) -> None:
    sql(chained, "UPDATE audit_records SET position = 100 WHERE year = 2024 AND position = 5")
    sql(chained, "UPDATE audit_records SET position = 5 WHERE year = 2024 AND position = 6")
    sql(chained, "UPDATE audit_records SET position = 6 WHERE year = 2024 AND position = 100")
    assert first_break(chained) == (
        2024, 5, vid(2024, 6), "prev_hash does not match the record before it"
    )  # fmt: skip


def _rechain_2024(store: Store, change: dict[str, object]) -> None:
    """What an attacker without the key can do: rewrite 2024 and recompute every hash."""
    log = store.audit_log()
    head = genesis(2024, bytes(32))
    with store._engine.begin() as connection:
        for chained_record in (r for r in log.records if r.year == 2024):
            fields = {name: getattr(chained_record, name) for name in _row(record(2024, 1))}
            if chained_record.position == 2:
                fields.update(change)
            digest = record_hash(head, fields, 2024, chained_record.position)
            connection.execute(
                audit_records.update()
                .where(audit_records.c.verification_id == chained_record.verification_id)
                .values(**fields, prev_hash=head.hex(), hash=digest.hex())
            )
            head = digest


def test_a_year_rechained_without_the_key(chained: Store) -> None:
    _rechain_2024(chained, {"document_number": "X00000000"})
    assert first_break(chained) == (
        2024, 4, vid(2024, 4), "interval checkpoint does not match the records up to it"
    )  # fmt: skip


def test_a_year_rechained_and_resigned_with_another_key(chained: Store) -> None:
    _rechain_2024(chained, {"subject": "someone-else"})
    log = chained.audit_log()
    with chained._engine.begin() as connection:
        for cp in (c for c in log.checkpoints if c.year == 2024):
            head = next(r.hash for r in log.records if (r.year, r.position) == (2024, cp.position))
            forged = sign_checkpoint(AuditSettings(OTHER_KEY, EVERY), year=cp.year,
                                     position=cp.position, kind=cp.kind,
                                     head=bytes.fromhex(head), time_us=cp.time_us)  # fmt: skip
            connection.execute(
                audit_checkpoints.update()
                .where(
                    audit_checkpoints.c.year == cp.year, audit_checkpoints.c.position == cp.position
                )
                .values(head=forged.head, key_id=forged.key_id, signature=forged.signature)
            )
    year, position, _, problem = first_break(chained)
    assert (year, position) == (2024, 4)
    assert (
        problem == f"interval checkpoint signed by another key ({key_id(OTHER_KEY.public_key())})"
    )


def test_a_year_rechained_with_its_checkpoints_removed(chained: Store) -> None:
    _rechain_2024(chained, {"verdict": "failed"})
    sql(chained, "DELETE FROM audit_checkpoints WHERE year = 2024")
    assert first_break(chained) == (2024, 4, vid(2024, 4), "checkpoint at position 4 missing")


def test_a_checkpoint_removed(chained: Store) -> None:
    sql(chained, "DELETE FROM audit_checkpoints WHERE year = 2024 AND position = 8")
    assert first_break(chained) == (2024, 8, vid(2024, 8), "checkpoint at position 8 missing")


def test_a_year_end_removed(chained: Store) -> None:
    sql(chained, "DELETE FROM audit_checkpoints WHERE year = 2024 AND kind = 'year_end'")
    assert first_break(chained) == (
        2024, 10, vid(2024, 10), "year 2024 has no year_end checkpoint"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("head = (SELECT hash FROM audit_records WHERE year = 2024 AND position = 3)",
         "interval checkpoint signature invalid"),
        ("time_us = time_us + 1", "interval checkpoint signature invalid"),
        ("signature = NULL", "interval checkpoint is not signed"),
        ("signature = :other", "interval checkpoint signature invalid"),
    ],
)  # fmt: skip
def test_a_checkpoint_altered(chained: Store, change: str, problem: str) -> None:
    sql(chained, f"UPDATE audit_checkpoints SET {change} WHERE year = 2024 AND position = 4",
        **({"other": "00" * 64} if ":other" in change else {}))  # fmt: skip
    assert first_break(chained) == (2024, 4, vid(2024, 4), problem)


def test_a_year_removed_from_the_middle(store_url: str) -> None:
    store = Store(store_url, audit=AuditSettings(KEY, EVERY))
    store.migrate()
    try:
        for year in (2023, 2024, 2025):
            append(store, year, 5)
        assert check(store).intact
        sql(store, "DELETE FROM audit_records WHERE year = 2024")
        assert first_break(store) == (
            2024, 1, None, "position 1 missing: the records of year 2024 are gone "
            "(its year_end counts 5)"
        )  # fmt: skip
        sql(store, "DELETE FROM audit_checkpoints WHERE year = 2024")
        assert first_break(store) == (
            2024, None, None, "year 2024 is missing: no record and no checkpoint"
        )  # fmt: skip
    finally:
        store.close()


def test_the_oldest_year_removed_with_its_checkpoints(chained: Store) -> None:
    sql(chained, "DELETE FROM audit_records WHERE year = 2024")
    sql(chained, "DELETE FROM audit_checkpoints WHERE year = 2024")
    assert first_break(chained) == (
        2025, 0, None, "the empty year's year_end does not chain from the end of year 2024"
    )  # fmt: skip


def test_a_log_cut_back_with_its_checkpoints_is_found_against_an_earlier_export(
    chained: Store,
) -> None:
    earlier = chained.audit_log().checkpoints
    sql(chained, "DELETE FROM audit_records WHERE year = 2026 AND position >= 3")
    sql(chained, "DELETE FROM audit_checkpoints WHERE year = 2026")
    assert check(chained).intact  # a valid shorter log: the database alone cannot tell
    report = check(chained, known=earlier)
    assert report.first_break is not None
    assert (report.first_break.year, report.first_break.position) == (2026, 4)


# -- purge and seal ----------------------------------------------------------------------------


def test_purge_keeps_the_checkpoints_and_the_next_year_verifies(store_url: str) -> None:
    store = Store(store_url, audit=AuditSettings(KEY, EVERY))
    store.migrate()
    try:
        append(store, 2019, 6)
        append(store, 2020, 3)
        append(store, 2021, 5)
        append(store, 2026, 2)
        now = at(2026, 10)
        assert store.purge_audit(before_year=2021, now=now) == {2019: 6, 2020: 3}
        assert {r.year for r in store.audit_log().records} == {2021, 2026}
        report = check(store, keep_from_year=2021)
        assert report.intact, report.first_break
        assert report.purged_years == (2019, 2020)
        assert report.years == (2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026)
        assert store.purge_audit(before_year=2021, now=now) == {}
        # within the retention, records that are gone are not a purge
        sql(store, "DELETE FROM audit_records WHERE year = 2021")
        found = check(store, keep_from_year=2021).first_break
        assert found is not None
        assert (found.year, found.position) == (2021, 1)
        with pytest.raises(ValueError, match="current year"):
            store.purge_audit(before_year=2027, now=now)
    finally:
        store.close()


def test_seal_closes_past_and_empty_years_and_signs_the_tail(store: Store) -> None:
    sealing = Store(store._url.render_as_string(hide_password=False),
                    audit=AuditSettings(KEY, EVERY))  # fmt: skip
    try:
        assert sealing.seal_audit(now=at(2026)) == []  # nothing yet
        append(sealing, 2024, 3)
        sealed = sealing.seal_audit(now=at(2026))
        assert [(cp.year, cp.position, cp.kind, cp.count) for cp in sealed] == [
            (2024, 3, "year_end", 3),
            (2025, 0, "year_end", 0),
        ]
        assert sealing.seal_audit(now=at(2026)) == []
        assert check(sealing).intact
        append(sealing, 2026, 5)
        assert check(sealing).unsigned_tail == 1
        tail = sealing.seal_audit(now=at(2026, 9))
        assert [(cp.year, cp.position, cp.kind) for cp in tail] == [(2026, 5, "interval")]
        report = check(sealing)
        assert report.intact
        assert report.unsigned_tail == 0
    finally:
        sealing.close()


# -- many writers ------------------------------------------------------------------------------


def test_concurrent_writers_keep_one_chain(store_url: str) -> None:
    """4 threads x 50 appends over two Stores (two pools: two workers), a checkpoint every 16."""
    settings = AuditSettings(KEY, 16)
    workers = [Store(store_url, audit=settings), Store(store_url, audit=settings)]
    try:
        workers[0].migrate()
        start = threading.Barrier(4)
        errors: list[BaseException] = []

        def write(thread: int) -> None:
            start.wait()
            try:
                for n in range(50):
                    number = thread * 1000 + n
                    workers[thread % 2].commit_verification(record(2026, number),
                                                            now=at(2026, number))  # fmt: skip
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=write, args=(t,)) for t in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        log = workers[1].audit_log()
        assert [r.position for r in log.records] == list(range(1, 201))
        assert [(cp.position, cp.kind) for cp in log.checkpoints] == [
            (p, "interval") for p in range(16, 201, 16)
        ]
        report = verify_audit(log, [KEY.public_key()], checkpoint_every=16)
        assert report.intact, report.first_break
    finally:
        for worker in workers:
            worker.close()


def test_verifying_while_the_service_appends(store_url: str) -> None:
    """The log is read in one snapshot: an append meanwhile never shows half-written."""
    writer = Store(store_url, audit=AuditSettings(KEY, 2))
    reader = Store(store_url, audit=AuditSettings(KEY, 2))
    try:
        writer.migrate()
        done = threading.Event()

        def write() -> None:
            try:
                append(writer, 2025, 40)
                append(writer, 2026, 40)
            finally:
                done.set()

        thread = threading.Thread(target=write)
        thread.start()
        reads = 0
        while not done.is_set() or reads == 0:
            report = verify_audit(reader, KEY.public_key())
            assert report.first_break is None, report.first_break
            reads += 1
        thread.join(timeout=60)
        assert verify_audit(reader, KEY.public_key()).records == 80
    finally:
        writer.close()
        reader.close()


# -- the export --------------------------------------------------------------------------------


def test_the_export_verifies_offline_and_shows_tampering(chained: Store) -> None:
    out = io.StringIO()
    lines = write_export(chained.audit_log(), out, key_ids=["k"], checkpoint_every=EVERY)
    assert lines == 1 + 16 + 5
    text = out.getvalue().splitlines()
    header, log = read_export(text)
    assert header["format"] == "mrtd-audit-export/1"
    assert header["checkpoint_every"] == EVERY
    assert log == chained.audit_log()
    assert verify_audit(log, [KEY.public_key()], checkpoint_every=EVERY).intact
    tampered = [line.replace('"person-2"', '"person-3"') for line in text]
    found = verify_audit(read_export(tampered)[1], [KEY.public_key()]).first_break
    assert found is not None
    assert (found.year, found.position) == (2024, 2)


# -- configuration -----------------------------------------------------------------------------


def _pem(key: object) -> bytes:
    return key.private_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip


def test_the_audit_section(tmp_path: Path) -> None:
    (tmp_path / "key.pem").write_bytes(_pem(KEY))
    (tmp_path / "service.toml").write_text(
        '[audit]\nsigning_key = "key.pem"\ncheckpoint_every = 7\nretention_years = 3\n'
    )
    config = load_config(tmp_path / "service.toml")
    assert config.audit_signing_key == tmp_path / "key.pem"
    assert (config.audit_checkpoint_every, config.audit_retention_years) == (7, 3)
    settings = config.audit_settings()
    assert settings.key_id == key_id(KEY.public_key())
    assert "PRIVATE" not in repr(settings)


@pytest.mark.parametrize(
    ("audit", "problem"),
    [
        ('signing_key = "absent.pem"', "cannot read the audit signing key"),
        ('signing_key = "rsa.pem"', "not an Ed25519 key"),
        ('signing_key = "junk.pem"', "not an unencrypted PEM private key"),
        ("checkpoint_every = 0", "checkpoint_every is between"),
        ('checkpoint_every = "10"', "audit.checkpoint_every is a whole number"),
        ("retention_years = -1", "retention_years is between"),
        ("keep = 1", "unknown setting(s) in [audit]: keep"),
    ],
)
def test_a_bad_audit_section_is_refused(tmp_path: Path, audit: str, problem: str) -> None:
    (tmp_path / "rsa.pem").write_bytes(_pem(rsa.generate_private_key(65537, 2048)))
    (tmp_path / "junk.pem").write_text("not a key")
    (tmp_path / "service.toml").write_text(f"[audit]\n{audit}\n")
    with pytest.raises(ServiceConfigError, match=__import__("re").escape(problem)):
        load_config(tmp_path / "service.toml")


def test_the_migration_refuses_unchained_records(store_url: str) -> None:
    from alembic import command  # noqa: PLC0415

    store = Store(store_url)
    try:
        with store._transaction(write=True) as connection:
            command.upgrade(store._alembic_config(connection), "0001")
        sql(store, "INSERT INTO audit_records (verification_id, time_us, verdict, reason_codes, "
            "policy) VALUES ('a', 1, 'genuine', '', 'strict')")  # fmt: skip
        with pytest.raises(RuntimeError, match="holds 1 record"):
            store.migrate()
        assert store.schema_revision() == "0001"
    finally:
        store.close()


# -- mrtd audit --------------------------------------------------------------------------------


@pytest.fixture
def service_toml(store_url: str, tmp_path: Path) -> Path:
    (tmp_path / "key.pem").write_bytes(_pem(KEY))
    config = tmp_path / "service.toml"
    audit = f'[audit]\nsigning_key = "key.pem"\ncheckpoint_every = {EVERY}\n'
    config.write_text(f'[database]\nurl = "{store_url}"\n{audit}')
    store = Store(store_url, audit=load_config(config).audit_settings())
    store.migrate()
    year = datetime.now(UTC).year
    append(store, year - 1, 5)
    append(store, year, 6)
    store.close()
    return config


def test_the_commands(
    service_toml: Path, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(service_toml)
    pub = tmp_path / "pub.pem"
    assert main(["audit", "keygen", str(tmp_path / "new.pem"), "--public-out", str(pub)]) == 0
    assert (tmp_path / "new.pem").stat().st_mode & 0o777 == 0o600
    assert "BEGIN PUBLIC KEY" in capsys.readouterr().out
    assert main(["audit", "keygen", str(tmp_path / "new.pem")]) == 2  # never overwrites
    assert "exists" in capsys.readouterr().err

    assert main(["audit", "verify", "--config", config]) == 0
    assert "intact" in capsys.readouterr().out
    assert main(["audit", "verify", "--config", config, "--public-key", str(pub)]) == 1
    assert "signed by another key" in capsys.readouterr().err

    export = tmp_path / "audit.jsonl"
    assert main(["audit", "export", "--config", config, "--out", str(export)]) == 0
    capsys.readouterr()
    (tmp_path / "good.pem").write_bytes(
        KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                      serialization.PublicFormat.SubjectPublicKeyInfo)
    )  # fmt: skip
    offline = [
        "audit",
        "verify",
        "--export",
        str(export),
        "--public-key",
        str(tmp_path / "good.pem"),
    ]
    assert main(offline) == 0
    capsys.readouterr()
    export.write_text(export.read_text().replace('"person-3"', '"person-4"', 1))
    assert main([*offline, "--json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["first_break"]["position"] == 3
    assert "broken at year" in captured.err
    assert "position 3" in captured.err

    assert main(["audit", "seal", "--config", config]) == 0
    assert "interval checkpoint" in capsys.readouterr().out
    assert main(["audit", "purge", "--config", config, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["deleted"] == {}
    year = datetime.now(UTC).year
    store = Store(store_url)
    try:
        sql(store, "UPDATE audit_records SET verdict = 'failed' WHERE year = :y AND position = 2",
            y=year - 1)  # fmt: skip
    finally:
        store.close()
    assert main(["audit", "verify", "--config", config, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["first_break"] == {
        "year": year - 1, "position": 2, "verification_id": vid(year - 1, 2),
        "problem": "hash does not match the record's fields",
    }  # fmt: skip
    assert main(["audit", "purge", "--config", config, "--before-year", str(year)]) == 0
    assert "5 record(s)" in capsys.readouterr().out
    assert main(["audit", "verify", "--config", config, "--json"]) == 1  # inside the retention
    assert json.loads(capsys.readouterr().out)["first_break"]["year"] == year - 1


def test_command_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify", "--config", str(tmp_path / "absent.toml")]) == 2
    assert "cannot read" in capsys.readouterr().err
    (tmp_path / "bad.jsonl").write_text('{"format": "something else"}\n')
    assert main(["audit", "verify", "--export", str(tmp_path / "bad.jsonl")]) == 2
    assert "not a header" in capsys.readouterr().err
    assert main(["audit"]) == 2


def test_verify_without_a_key_says_unsigned(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "service.toml"
    config.write_text(f'[database]\nurl = "{store_url}"\n')
    store = Store(store_url)
    store.migrate()
    append(store, datetime.now(UTC).year, 2)
    store.close()
    assert main(["audit", "verify", "--config", str(config)]) == 1
    assert "not checked against a key" in capsys.readouterr().err


def _row(each: AuditRecord) -> dict[str, object]:
    from mrtd.service.store import _audit_row  # noqa: PLC0415

    return _audit_row(each)


def test_checkpoint_statement_is_canonical() -> None:
    cp = Checkpoint(2026, 4, "interval", "ab" * 32, 4, 1, "k", None)
    assert cp.statement() == (
        b'{"count":4,"head":"' + b"ab" * 32 + b'","key_id":"k","kind":"interval",'
        b'"position":4,"time_us":1,"v":"mrtd-audit-checkpoint/1","year":2026}'
    )


def test_the_service_signs_with_the_configured_key(tmp_path: Path) -> None:
    from mrtd.service.app import create_app  # noqa: PLC0415
    from mrtd.verify.trust import TrustStore  # noqa: PLC0415

    (tmp_path / "key.pem").write_bytes(_pem(KEY))
    (tmp_path / "service.toml").write_text(
        '[audit]\nsigning_key = "key.pem"\ncheckpoint_every = 2\n'
    )
    app = create_app(load_config(tmp_path / "service.toml"), trust=TrustStore())
    store: Store = app.state.service.store
    try:
        assert store.audit.key_id == key_id(KEY.public_key())
        assert store.audit.checkpoint_every == 2
        append(store, 2026, 2)
        assert [cp.key_id for cp in store.audit_log().checkpoints] == [store.audit.key_id]
        assert verify_audit(store, KEY.public_key()).intact
    finally:
        store.close()
