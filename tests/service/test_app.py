"""The verification service in process (FastAPI's TestClient), on SQLite and on PostgreSQL:
the flow challenge -> read with AA -> upload -> verdict -> audit record, replays, what an
upload can and cannot prove, hostile requests as RFC 9457 problem documents."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mrtd.errors import ServiceConfigError
from mrtd.service.app import create_app
from mrtd.service.config import ServiceConfig, load_config
from mrtd.service.store import Store
from mrtd.verify.policy import Policy
from tests.service import chips

PROBLEM = "application/problem+json"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _client(store: Store, clock: Clock, **settings: Any) -> TestClient:
    config = ServiceConfig(database_url="unused://", **settings)
    return TestClient(create_app(config, store=store, trust=chips.trust(), clock=clock))


@pytest.fixture
def http(store: Store, clock: Clock) -> Iterator[TestClient]:
    with _client(store, clock) as client:
        yield client


def _challenge(http: TestClient) -> tuple[str, bytes]:
    answer = http.post("/v1/challenges")
    assert answer.status_code == 201
    body = answer.json()
    expires = datetime.fromisoformat(body["expires"].replace("Z", "+00:00"))
    assert timedelta(minutes=4) < expires - datetime.now(UTC) <= timedelta(minutes=5, seconds=5)
    return body["id"], base64.b64decode(body["nonce"])


def _verify(http: TestClient, body: object, **params: str) -> Any:
    return http.post("/v1/verifications", json=body, params=params)


def _problem(answer: Any, status: int, slug: str, pointer: str | None = None) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    problem: dict[str, Any] = answer.json()
    assert problem["type"] == f"urn:mrtd:problem:{slug}"
    assert problem["status"] == status
    if pointer is not None:
        assert problem["errors"][0]["pointer"] == pointer
    return problem


# -- the flow ---------------------------------------------------------------------------------


@pytest.mark.parametrize("chip", [chips.AA_RSA, chips.AA_ECDSA], ids=["rsa", "ecdsa"])
def test_the_flow_ends_genuine_with_one_audit_record(
    http: TestClient, store: Store, chip: dict[str, str]
) -> None:
    challenge_id, nonce = _challenge(http)
    document = chips.read(chip, nonce)
    answer = _verify(http, chips.upload(document, challenge_id))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["verdict"]["status"] == "genuine", body["verdict"]["reasons"]
    assert body["verdict"]["checks"]["active"]["status"] == "passed"
    assert body["proven_by_server"]["active"] == "passed"
    assert "holder" not in body  # not asked for
    [record] = store.audit_records()
    assert record.verification_id == body["verification_id"]
    assert record.challenge_id == challenge_id
    assert record.verdict == "genuine"
    assert record.reason_codes == ()
    assert record.subject == "customer-4711"
    assert record.client_ip == "testclient"
    assert record.policy == "strict"
    assert document.mrz is not None
    assert record.document_number == document.mrz.document_number


def test_a_replayed_challenge_is_refused_and_nothing_is_recorded(
    http: TestClient, store: Store
) -> None:
    challenge_id, nonce = _challenge(http)
    body = chips.upload(chips.read(chips.AA_RSA, nonce), challenge_id)
    assert _verify(http, body).status_code == 200
    _problem(_verify(http, body), 409, "challenge-used", "/active_authentication/challenge_id")
    assert len(store.audit_records()) == 1


def test_a_signature_over_another_challenge_fails(http: TestClient) -> None:
    challenge_id, _ = _challenge(http)
    _, other_nonce = _challenge(http)
    body = chips.upload(chips.read(chips.AA_RSA, other_nonce), challenge_id)
    verdict = _verify(http, body).json()["verdict"]
    assert verdict["status"] == "failed"
    assert "clone.proof_failed" in [r["code"] for r in verdict["reasons"]]


def test_a_clone_fails(http: TestClient) -> None:
    challenge_id, nonce = _challenge(http)
    body = chips.upload(chips.read(chips.AA_RSA, nonce, clone=True), challenge_id)
    assert _verify(http, body).json()["verdict"]["status"] == "failed"


def test_active_authentication_cannot_be_skipped(http: TestClient, store: Store) -> None:
    document = chips.read(chips.AA_RSA, None)
    # no signature: the policy of the service requires AA when EF.SOD lists DG15
    verdict = _verify(http, chips.upload(document)).json()["verdict"]
    assert verdict["status"] == "incomplete"
    assert [r["code"] for r in verdict["reasons"]] == ["clone.active_required"]
    # DG15 left out: EF.SOD still lists it
    verdict = _verify(http, chips.upload(document, leave_out=("DG15",))).json()["verdict"]
    assert verdict["status"] != "genuine"
    assert "completeness.dg_withheld" in [r["code"] for r in verdict["reasons"]]
    assert [r.verdict for r in store.audit_records()] == ["incomplete", "incomplete"]


def test_chip_authentication_run_by_the_client_proves_nothing(http: TestClient) -> None:
    body = _verify(http, chips.upload(chips.read(chips.CA_ONLY, None))).json()
    assert body["verdict"]["status"] == "incomplete"
    assert body["verdict"]["checks"]["chip"]["status"] == "not_checked"
    assert "prove nothing" in body["proven_by_server"]["chip"]


def test_holder_data_is_returned_only_when_configured(store: Store, clock: Clock) -> None:
    document = chips.read(chips.AA_RSA, None)
    assert document.mrz is not None
    with _client(store, clock, return_holder_data=True) as http:
        holder = _verify(http, chips.upload(document)).json()["holder"]
    assert holder["surname"] == document.mrz.surname
    assert holder["document_number"] == document.mrz.document_number


def test_nothing_personal_is_stored_or_logged(
    tmp_path: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "audit.sqlite3"
    store = Store(f"sqlite:///{database}")
    store.migrate()
    caplog.set_level(logging.DEBUG)
    with _client(store, clock) as http:
        challenge_id, nonce = _challenge(http)
        document = chips.read(chips.AA_RSA, nonce)
        assert _verify(http, chips.upload(document, challenge_id)).status_code == 200
    store.close()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("audit.sqlite3*"))
    logged = caplog.text
    for value in chips.personal_values(document):
        assert value.encode() not in stored, value
        assert value not in logged, value
    assert document.files["DG2"][-64:] not in stored  # no face
    assert base64.b64encode(nonce).decode() not in logged


# -- challenges -------------------------------------------------------------------------------


def test_an_expired_challenge_is_refused(http: TestClient, clock: Clock, store: Store) -> None:
    challenge_id, nonce = _challenge(http)
    body = chips.upload(chips.read(chips.AA_RSA, nonce), challenge_id)
    clock.now += timedelta(minutes=6)
    _problem(_verify(http, body), 422, "challenge-expired")
    assert store.audit_records() == []


@pytest.mark.parametrize("challenge_id", ["A" * 22, "not a challenge"])
def test_an_unknown_challenge_is_refused(http: TestClient, challenge_id: str) -> None:
    body = chips.upload(chips.read(chips.AA_RSA, None), challenge_id)
    _problem(_verify(http, body), 422, "challenge-unknown", "/active_authentication/challenge_id")


def test_a_challenge_id_that_cannot_be_one_is_refused_as_input(http: TestClient) -> None:
    body = chips.upload(chips.read(chips.AA_RSA, None), "x" * 500)
    _problem(_verify(http, body), 400, "upload-invalid", "/active_authentication/challenge_id")


def test_a_signature_must_answer_a_challenge_of_the_service(http: TestClient) -> None:
    document = chips.read(chips.AA_RSA, None)
    body = chips.upload(document)
    body["active_authentication"] = {
        "challenge": base64.b64encode(document.active_challenge or b"").decode(),
        "signature": base64.b64encode(document.active_signature or b"").decode(),
    }
    _problem(_verify(http, body), 400, "challenge-missing")


# -- hostile requests -------------------------------------------------------------------------


def test_bad_requests_are_problem_documents(http: TestClient) -> None:
    files = chips.upload(chips.read(chips.NO_KEYS, None))["files"]
    assert isinstance(files, dict)
    json_type = {"content-type": "application/json"}
    bad_dg1 = base64.b64encode(b"\x61\x03\x5f\x1f\x00").decode()
    cases: list[tuple[Any, int, str, str | None]] = [
        (http.post("/v1/verifications", content=b"{", headers=json_type),
         400, "upload-invalid", None),
        (http.post("/v1/verifications", content=b"\xff\xfe", headers=json_type),
         400, "upload-invalid", None),
        (http.post("/v1/verifications", content=b"files=1", headers={"content-type": "text/plain"}),
         415, "unsupported-media-type", None),
        (_verify(http, {"files": {**files, "SOD": files["EF.SOD"]}}), 400, "upload-invalid",
         "/files/SOD"),
        (_verify(http, {"files": {**files, "DG1": "not base64!"}}), 400, "upload-invalid",
         "/files/DG1"),
        (_verify(http, {"files": {**files, "DG1": 42}}), 400, "upload-invalid", "/files/DG1"),
        (_verify(http, ["files"]), 400, "upload-invalid", None),
        (_verify(http, {"files": files}, format="pdf"), 400, "format-unknown", "/format"),
        (_verify(http, {"files": {**files, "DG1": bad_dg1}}), 422, "file-unparsable", "/files/DG1"),
        (http.get("/v1/nothing"), 404, "not-found", None),
        (http.get("/v1/verifications"), 405, "method-not-allowed", None),
    ]  # fmt: skip
    for answer, status, slug, pointer in cases:
        problem = _problem(answer, status, slug, pointer)
        assert "Traceback" not in json.dumps(problem)


def test_a_body_over_the_limit_is_refused_before_it_is_read(store: Store, clock: Clock) -> None:
    with _client(store, clock, max_body_bytes=2048) as http:
        _problem(_verify(http, {"files": {"DG1": "A" * 4096}}), 413, "body-too-large")

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
            yield b'{"files": {"DG1": "'
            for _ in range(64):
                yield b"A" * 64
            yield b'"}}'

        streamed = http.post(
            "/v1/verifications", content=chunks(), headers={"content-type": "application/json"}
        )
        _problem(streamed, 413, "body-too-large")


def test_problem_details_never_echo_the_upload(http: TestClient) -> None:
    document = chips.read(chips.NO_KEYS, None)
    files = chips.upload(document)["files"]
    assert isinstance(files, dict)
    assert document.mrz is not None
    answer = _verify(http, {"files": {**files, "dg1": files["DG1"]}})
    text = answer.text
    assert files["DG1"] not in text
    assert document.mrz.surname not in text


# -- operations -------------------------------------------------------------------------------


def test_healthz_and_metrics_say_the_trust_material_s_age(http: TestClient, clock: Clock) -> None:
    clock.now += timedelta(seconds=90)
    health = http.get("/healthz").json()
    assert health["status"] == "ok"
    assert health["trust"]["certificates"] >= 2
    assert health["trust"]["crls"] >= 2
    assert health["trust"]["loaded_seconds_ago"] == pytest.approx(90, abs=1)
    assert health["trust"]["crl_expires_in_seconds"] > 0
    _verify(http, chips.upload(chips.read(chips.NO_KEYS, None)))
    http.post("/v1/verifications", content=b"{", headers={"content-type": "application/json"})
    metrics = http.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'mrtd_verifications_total{verdict="incomplete"} 1.0' in text
    assert 'mrtd_problems_total{type="upload-invalid"} 1.0' in text
    assert "mrtd_trust_loaded_age_seconds 90" in text
    assert "mrtd_verification_seconds_count 1.0" in text


def test_healthz_says_when_the_database_is_gone(tmp_path: Path, clock: Clock) -> None:
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    store.migrate()
    with _client(store, clock) as http:
        store.close()
        (tmp_path / "db.sqlite3").unlink()
        (tmp_path / "db.sqlite3").mkdir()  # no longer a database file
        answer = http.get("/healthz")
        assert answer.status_code == 503
        assert answer.json()["database"]["status"] == "unavailable"


def test_the_openapi_document_names_the_routes(http: TestClient) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    assert {"/v1/challenges", "/v1/verifications", "/healthz", "/metrics"} <= set(paths)


# -- configuration ----------------------------------------------------------------------------


def test_the_configuration_file(tmp_path: Path) -> None:
    path = tmp_path / "service.toml"
    path.write_text(
        '[service]\nport = 9000\nchallenge_ttl_seconds = 60\n[database]\nurl = "sqlite:///a.db"\n'
        '[trust]\npaths = ["csca"]\n[policy]\nname = "uto"\nissuing_states = ["UTO"]\n'
    )
    config = load_config(path)
    assert config.port == 9000
    assert config.challenge_ttl == timedelta(seconds=60)
    assert config.database_url == f"sqlite:///{tmp_path / 'a.db'}"
    assert config.trust_paths == (tmp_path / "csca",)
    assert config.policy.name == "uto"
    assert config.policy.active_authentication == "required"
    assert load_config(None).policy.active_authentication == "required"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[servce]\n", "unknown section"),
        ("[service]\nprot = 1\n", "unknown setting"),
        ("[service]\nport = '80'\n", "service.port"),
        ("[service]\nworkers = 0\n", "service.workers"),
        ("[policy]\nactive_authentication = 'optional'\n", "must be 'required'"),
        ("[policy]\nclone_detection = 'maybe'\n", "clone_detection"),
        ("[database]\nmigrate = 'yes'\n", "database.migrate"),
        ("not toml = = \n", "not TOML"),
    ],
)
def test_a_bad_configuration_names_the_setting(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "service.toml"
    path.write_text(text)
    with pytest.raises(ServiceConfigError, match=message):
        load_config(path)


def test_a_policy_given_in_code_must_require_active_authentication() -> None:
    with pytest.raises(ServiceConfigError, match="must be 'required'"):
        ServiceConfig(policy=Policy())


# -- callers ----------------------------------------------------------------------------------


def test_with_api_tokens_only_a_caller_with_one_is_served(store: Store, clock: Clock) -> None:
    tokens = ("first-caller-token", "second-caller-token")
    hashes = tuple(hashlib.sha256(t.encode()).digest() for t in tokens)
    with _client(store, clock, api_token_hashes=hashes) as http:
        wrong = ["Bearer wrong", "Basic x", f"Basic {tokens[0]}", "Bearer ", tokens[0]]
        for headers in [{}, *({"authorization": w} for w in wrong)]:
            refused = http.post("/v1/challenges", headers=headers)
            _problem(refused, 401, "unauthorized")
            assert refused.headers["www-authenticate"] == "Bearer"
        body = chips.upload(chips.read(chips.NO_KEYS, None))
        _problem(_verify(http, body), 401, "unauthorized")
        for token in tokens:
            auth = {"authorization": f"Bearer {token}"}
            assert http.post("/v1/challenges", headers=auth).status_code == 201
            assert http.post("/v1/verifications", json=body, headers=auth).status_code == 200
        assert http.get("/healthz").status_code == 200  # operations stay open


def test_the_configuration_holds_token_hashes_not_tokens(tmp_path: Path) -> None:
    digest = hashlib.sha256(b"token").hexdigest()
    path = tmp_path / "service.toml"
    path.write_text(f'[service]\napi_tokens = ["sha256:{digest}"]\n')
    assert load_config(path).api_token_hashes == (bytes.fromhex(digest),)
    for bad in ('"token"', f'"sha1:{digest}"', f'"sha256:{digest[:-2]}zz"'):
        path.write_text(f"[service]\napi_tokens = [{bad}]\n")
        with pytest.raises(ServiceConfigError, match="api_tokens"):
            load_config(path)


# -- document status --------------------------------------------------------------------------


def test_a_document_on_the_status_list_is_never_genuine(
    store: Store, clock: Clock, tmp_path: Path
) -> None:
    from mrtd.status.base import StatusQuery  # noqa: PLC0415
    from mrtd.status.local import ListedDocument, build_status_list  # noqa: PLC0415

    key = bytes(range(32))
    (tmp_path / "list.key").write_bytes(key)
    config = tmp_path / "service.toml"
    config.write_text('[status]\nprovider = "list"\nlist = "listed.txt"\nkey_file = "list.key"\n')
    document = chips.read(chips.AA_RSA, None)
    assert document.mrz is not None
    row = ListedDocument(StatusQuery.from_mrz(document.mrz), "stolen", source="UTO police")
    (tmp_path / "listed.txt").write_text(build_status_list([row], key))
    status = load_config(config).status
    assert status is not None
    with _client(store, clock, status=status) as http:
        assert http.get("/healthz").json()["status_provider"] == "list listed.txt"
        challenge_id, nonce = _challenge(http)
        body = chips.upload(chips.read(chips.AA_RSA, nonce), challenge_id)
        verdict = _verify(http, body).json()["verdict"]
        assert verdict["status"] == "failed"
        assert [r["code"] for r in verdict["reasons"]] == ["status.listed"]
        (tmp_path / "listed.txt").unlink()  # the list gone: fail closed
        challenge_id, nonce = _challenge(http)
        body = chips.upload(chips.read(chips.AA_RSA, nonce), challenge_id)
        verdict = _verify(http, body).json()["verdict"]
        assert verdict["status"] == "incomplete"
        assert [r["code"] for r in verdict["reasons"]] == ["status.unavailable"]
    assert [r.reason_codes for r in store.audit_records()] == [
        ("status.listed",),
        ("status.unavailable",),
    ]
    config.write_text('[status]\nprovider = "list"\nlist = "listed.txt"\n')
    with pytest.raises(ServiceConfigError, match=r"\[status\]: status.key_file"):
        load_config(config)
