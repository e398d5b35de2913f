"""docs/privacy.md, tested: after a run of verifications — genuine, failed, incomplete, refused,
replayed, with the holder's data returned — nothing personal is in the database's files or the
logs, on SQLite and on PostgreSQL. Only what the audit log may hold stays: the document number,
the caller's subject identifier and the client's address."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mrtd.pipeline.document import Document
from mrtd.pipeline.read_chip import read_document
from mrtd.service.app import create_app
from mrtd.service.config import ServiceConfig
from mrtd.service.store import Store
from tests.service import chips
from tests.service.postgres import PostgresCluster


def _personal(document: Document) -> set[bytes]:
    """Every value of the holder the service sees and must not keep (as text and as bytes)."""
    mrz = document.mrz
    assert mrz is not None
    values = {mrz.surname, mrz.given_names, *mrz.lines, mrz.birth_date_text}
    values |= {part for part in f"{mrz.surname} {mrz.given_names}".split() if len(part) >= 4}
    if mrz.birth_date is not None:
        values.add(mrz.birth_date.isoformat())
    found = {v.encode() for v in values if len(v) >= 4}
    for name in ("DG1", "DG2", "DG11", "DG12", "DG15"):
        data = document.files.get(name)
        if data is not None and len(data) >= 48:
            middle = len(data) // 2
            found.add(data[middle : middle + 24])  # a slice of the file: the face, the data
            found.add(base64.b64encode(data[middle - middle % 3 : middle - middle % 3 + 24]))
    return found


def _run_verifications(http: TestClient) -> list[Document]:
    read: list[Document] = []
    for chip, clone in ((chips.AA_RSA, False), (chips.AA_ECDSA, True), (chips.CA_ONLY, False)):
        answer = http.post("/v1/challenges").json()
        document = chips.read(chip, base64.b64decode(answer["nonce"]), clone=clone)
        read.append(document)
        body = chips.upload(document, answer["id"])
        assert http.post("/v1/verifications", json=body).status_code == 200
        if document.active_signature is not None:
            assert http.post("/v1/verifications", json=body).status_code == 409  # replayed
    document = chips.read(chips.NO_KEYS, None)
    read.append(document)
    files = chips.upload(document)["files"]
    assert isinstance(files, dict)
    for broken in ({**files, "SOD": files["EF.SOD"]}, {**files, "DG2": files["DG1"]}):
        assert http.post("/v1/verifications", json={"files": broken}).status_code in (400, 422)
    return read


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def _check(stored: bytes, logged: str, documents: list[Document]) -> None:
    assert stored, "nothing was scanned"
    for document in documents:
        for value in _personal(document):
            assert value not in stored, value
            assert value.decode("latin-1") not in logged, value
        assert document.mrz is not None
        assert document.mrz.document_number not in logged  # the audit log's, not the logs'
    # the scan sees what is stored: the audit log's own fields are there
    assert b"customer-4711" in stored
    assert documents[0].mrz is not None
    assert documents[0].mrz.document_number.encode() in stored


def _app(store: Store) -> TestClient:
    config = ServiceConfig(database_url="unused://", return_holder_data=True)
    return TestClient(create_app(config, store=store, trust=chips.trust()))


def test_sqlite_keeps_nothing_personal(tmp_path: Path, logs: pytest.LogCaptureFixture) -> None:
    store = Store(f"sqlite:///{tmp_path / 'audit.sqlite3'}")
    with _app(store) as http:
        documents = _run_verifications(http)
    records = store.audit_records()
    store.close()
    stored = b"".join(path.read_bytes() for path in sorted(tmp_path.glob("audit.sqlite3*")))
    _check(stored, logs.text, documents)
    assert len(records) == 3
    assert {r.document_number for r in records} >= {
        d.mrz.document_number for d in documents if d.mrz
    }


def test_postgresql_keeps_nothing_personal(
    postgres_cluster: PostgresCluster, logs: pytest.LogCaptureFixture
) -> None:
    url = postgres_cluster.create_database("privacy")
    store = Store(url)
    with _app(store) as http:
        documents = _run_verifications(http)
    store.close()
    postgres_cluster.checkpoint()  # what the server holds in memory, written to its files
    stored = b"".join(
        path.read_bytes() for path in sorted(postgres_cluster.data.rglob("*")) if path.is_file()
    )
    _check(stored, logs.text + postgres_cluster.log_tail(10_000), documents)
    postgres_cluster.drop_database("privacy")


def test_relay_sessions_keep_nothing_personal(
    tmp_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    """Remote chip authentication: the files, the password and the keys a relay session
    carries are gone with it; the database and the logs hold none of the holder's values."""
    from mrtd.service.relay_client import prove_remotely  # noqa: PLC0415
    from tests.service.test_relay import (  # noqa: PLC0415
        CA_ONLY,
        PACE_CAM,
        chip,
        mrz_key,
        serve_in_thread,
    )

    store = Store(f"sqlite:///{tmp_path / 'audit.sqlite3'}")
    store.migrate()
    app = create_app(ServiceConfig(database_url="unused://", return_holder_data=True),
                     store=store, trust=chips.trust())  # fmt: skip
    documents = []
    with serve_in_thread(app) as url:
        for settings in (CA_ONLY, PACE_CAM):
            reader, profile = chip(settings)
            answer = prove_remotely(url, reader, mrz_key(profile), subject="customer-4711")
            assert answer["verdict"]["status"] == "genuine"
            local_reader, _ = chip(settings)
            documents.append(read_document(local_reader, mrz_key(profile)))
    assert app.state.relay.open == 0
    records = store.audit_records()
    store.close()
    stored = b"".join(path.read_bytes() for path in sorted(tmp_path.glob("audit.sqlite3*")))
    _check(stored, logs.text, documents)
    assert len(records) == 2
