"""Remote chip authentication (`/v1/relay`): the service proves the chip through the client's
reader. In process (uvicorn on loopback in a thread, the library's client), end to end against
`mrtd serve` as a process, and through `mrtd read --remote-proof`: a CA-only chip, a PACE-CAM
chip and an AA chip read `genuine` with the proof the service's own, their clones do not, in
at most six round trips; relaying every APDU (the baseline) reaches the same verdicts."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mrtd.access.keys import AccessKey, CANKey, MRZKey
from mrtd.errors import ServiceError
from mrtd.pipeline.read_chip import read_document
from mrtd.readers.simulated import SimulatedReader
from mrtd.service.app import create_app
from mrtd.service.config import ServiceConfig
from mrtd.service.relay import RelayEndpoint, RelaySettings
from mrtd.service.relay_client import RelayStats, prove_remotely, relay_url
from mrtd.service.store import Store
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.profile import Profile
from tests.service import chips
from tests.service.servers import MRTD, serving, write_config

CA_ONLY = chips.CA_ONLY
AA_ONLY = chips.AA_RSA
PACE_CAM: dict[str, object] = {
    "access": ["pace", "bac"],
    "can": "123456",
    "pace": {"mapping": "CAM", "domain": "brainpoolP256r1", "cipher": "AES-128"},
}
OTHER_DOCUMENT = {"document_number": "L898902C3", "surname": "Other"}
MAX_ROUND_TRIPS = 6


def chip(
    settings: Mapping[str, object],
    *,
    clone: bool = False,
    document: Mapping[str, object] | None = None,
) -> tuple[SimulatedReader, Profile]:
    """A simulated chip of `settings` ([chip]) in a reader, and its profile."""
    data: dict[str, object] = {"chip": dict(settings)}
    if clone:
        data["faults"] = {"clone": True}
    if document is not None:
        data["document"] = dict(document)
    profile = Profile.from_dict(data)
    return SimulatedReader(SimulatedChip(profile)), profile


def mrz_key(profile: Profile) -> MRZKey:
    return MRZKey.from_mrz(profile.mrz)


@dataclass
class Served:
    url: str
    app: FastAPI

    @property
    def relay(self) -> RelayEndpoint:
        endpoint: RelayEndpoint = self.app.state.relay
        return endpoint

    def wait_closed(self, timeout: float = 5.0) -> None:
        """Until no relay session is open in the service (they end with their socket)."""
        deadline = time.monotonic() + timeout
        while self.relay.open and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.relay.open == 0, "a relay session outlived its connection"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve_in_thread(app: FastAPI) -> Iterator[str]:
    """`app` under uvicorn (its WebSocket server) on loopback, in a thread: the base URL."""
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            ws="websockets-sansio", lifespan="off")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="relay-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "uvicorn did not start"
        assert time.monotonic() < deadline, "uvicorn did not start in time"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        assert not thread.is_alive()


def make_app(store: Store, **settings: Any) -> FastAPI:
    config = ServiceConfig(database_url="unused://", **settings)
    return create_app(config, store=store, trust=chips.trust())


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'relay.sqlite3'}")
    store.migrate()
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def served(sqlite_store: Store) -> Iterator[Served]:
    app = make_app(sqlite_store)
    with serve_in_thread(app) as url:
        yield Served(url, app)


def prove(
    served: Served, reader: SimulatedReader, key: AccessKey, **options: Any
) -> dict[str, Any]:
    stats = RelayStats()
    answer = prove_remotely(served.url, reader, key, stats=stats, **options)
    assert answer["relay"]["round_trips"] == stats.round_trips  # both sides count alike
    return answer


def codes(answer: Mapping[str, Any]) -> list[str]:
    return [reason["code"] for reason in answer["verdict"]["reasons"]]


# -- the designed flows ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "flow", "proven"),
    [
        (CA_ONLY, "handover", "chip"),
        (PACE_CAM, "pace-cam", "chip"),
        (AA_ONLY, "handover", "active"),
    ],
    ids=["bac-ca", "pace-cam", "bac-aa"],
)
def test_a_chip_is_proven_genuine_by_the_service_in_few_round_trips(
    store: Store, settings: dict[str, object], flow: str, proven: str
) -> None:
    app = make_app(store)
    with serve_in_thread(app) as url:
        reader, profile = chip(settings)
        answer = prove(Served(url, app), reader, mrz_key(profile), subject="customer-4711")
        Served(url, app).wait_closed()
    assert answer["verdict"]["status"] == "genuine", codes(answer)
    assert answer["proven_by_server"][proven] == "passed"
    assert answer["proven_by_server"]["passive"] == "passed"
    assert answer["relay"]["flow"] == flow
    assert answer["relay"]["round_trips"] <= MAX_ROUND_TRIPS
    assert answer["relay"]["apdus_relayed"] <= 8  # the proof, not the files
    assert set(answer) >= {"verification_id", "time", "verdict", "proven_by_server"}
    [record] = store.audit_records()
    assert record.verification_id == answer["verification_id"]
    assert (record.verdict, record.subject, record.challenge_id) == (
        "genuine",
        "customer-4711",
        None,
    )


@pytest.mark.parametrize(
    "settings", [CA_ONLY, PACE_CAM, AA_ONLY], ids=["bac-ca", "pace-cam", "bac-aa"]
)
def test_a_clone_is_not_genuine(served: Served, settings: dict[str, object]) -> None:
    reader, profile = chip(settings, clone=True)
    answer = prove(served, reader, mrz_key(profile))
    assert answer["verdict"]["status"] == "failed"
    assert "clone.proof_failed" in codes(answer)
    assert "failed" in (answer["proven_by_server"]["chip"], answer["proven_by_server"]["active"])
    assert answer["proven_by_server"]["passive"] == "passed"  # the copied data is authentic
    served.wait_closed()


def test_pace_cam_with_the_can(served: Served) -> None:
    reader, _ = chip(PACE_CAM)
    answer = prove(served, reader, CANKey("123456"))
    assert answer["verdict"]["status"] == "genuine", codes(answer)
    assert answer["proven_by_server"]["chip"] == "passed"
    assert answer["relay"]["round_trips"] <= MAX_ROUND_TRIPS


def test_a_chip_with_both_keys_proves_both_in_one_batch(served: Served) -> None:
    reader, profile = chip({**CA_ONLY, **AA_ONLY})
    answer = prove(served, reader, mrz_key(profile))
    assert answer["verdict"]["status"] == "genuine", codes(answer)
    assert answer["proven_by_server"] | {"passive": "passed"} == {
        "passive": "passed", "active": "passed", "chip": "passed"}  # fmt: skip
    assert answer["relay"]["round_trips"] == 3


def test_a_wrong_password_for_the_service_s_pace_is_refused(served: Served) -> None:
    reader, _ = chip(PACE_CAM)
    with pytest.raises(ServiceError, match="access-denied"):
        prove_remotely(served.url, reader, CANKey("654321"))
    served.wait_closed()


def test_relaying_every_apdu_reaches_the_same_verdicts(served: Served) -> None:
    cases: list[tuple[dict[str, object], bool]] = [
        (dict(CA_ONLY), False),
        (PACE_CAM, False),
        (dict(CA_ONLY), True),
    ]
    for settings, clone in cases:
        reader, profile = chip(settings, clone=clone)
        answer = prove(served, reader, mrz_key(profile), mode="relay")
        assert answer["relay"]["flow"] == "relay"
        assert answer["relay"]["round_trips"] > 100  # every APDU of the read crosses
        assert answer["verdict"]["status"] == ("failed" if clone else "genuine"), codes(answer)
        assert answer["proven_by_server"]["chip"] == ("failed" if clone else "passed")
    served.wait_closed()


def test_with_api_tokens_the_handshake_needs_one(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(sqlite_store, api_token_hashes=(hashlib.sha256(b"kiosk-token").digest(),))
    with serve_in_thread(app) as url:
        reader, profile = chip(CA_ONLY)
        monkeypatch.delenv("MRTD_SERVICE_TOKEN", raising=False)
        with pytest.raises(ServiceError):
            prove_remotely(url, reader, mrz_key(profile))
        monkeypatch.setenv("MRTD_SERVICE_TOKEN", "kiosk-token")
        reader, profile = chip(CA_ONLY)
        assert prove_remotely(url, reader, mrz_key(profile))["verdict"]["status"] == "genuine"
        Served(url, app).wait_closed()


def test_the_relay_runs_under_the_test_client_too(sqlite_store: Store) -> None:
    """FastAPI's TestClient speaks WebSocket: a hello for a CA chip is answered `read`."""
    with TestClient(make_app(sqlite_store)) as http, http.websocket_connect("/v1/relay") as ws:
        ws.send_json({"v": 1, "type": "hello", "mode": "proof"})
        assert ws.receive_json() == {"v": 1, "type": "read"}


def test_relay_urls() -> None:
    assert relay_url("https://verify.example") == "wss://verify.example/v1/relay"
    assert relay_url("http://127.0.0.1:8000/") == "ws://127.0.0.1:8000/v1/relay"
    assert relay_url("ws://host/base/v1/relay") == "ws://host/base/v1/relay"
    with pytest.raises(ServiceError):
        relay_url("ftp://host")


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MRTD_RELAY_STEP_TIMEOUT", "2.5")
    assert RelaySettings.from_environment().step_timeout == 2.5
    monkeypatch.setenv("MRTD_RELAY_STEP_TIMEOUT", "never")
    with pytest.raises(ValueError, match="MRTD_RELAY_STEP_TIMEOUT"):
        RelaySettings.from_environment()


# -- end to end: mrtd serve as a process -----------------------------------------------------


def test_mrtd_serve_proves_ca_and_pace_cam_chips_and_refuses_their_clones(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'serve.sqlite3'}")
    with serving(config) as url:
        for settings in (CA_ONLY, PACE_CAM):
            for clone in (False, True):
                reader, profile = chip(settings, clone=clone)
                answer = prove_remotely(url, reader, mrz_key(profile))
                assert answer["verdict"]["status"] == ("failed" if clone else "genuine")
                assert answer["proven_by_server"]["chip"] == ("failed" if clone else "passed")
                assert answer["relay"]["round_trips"] <= MAX_ROUND_TRIPS


@pytest.mark.parametrize(
    ("settings", "clone", "status"),
    [(PACE_CAM, False, 0), (CA_ONLY, True, 1)],
    ids=["pace-cam", "ca-clone"],
)
def test_mrtd_read_remote_proof(
    tmp_path: Path, settings: dict[str, object], clone: bool, status: int
) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    profile_path = tmp_path / "chip.toml"
    _, profile = chip(settings, clone=clone)
    profile_path.write_text(_toml(settings, clone))
    with serving(config) as url:
        done = subprocess.run(
            [str(MRTD), "read", "--reader", f"sim:{profile_path}", "--mrz", *profile.mrz.lines,
             "--submit", url, "--remote-proof", "--subject", "kiosk-7", "--json"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert done.returncode == status, done.stderr
    report = json.loads(done.stdout)
    assert report["service"]["verdict"]["status"] == ("failed" if clone else "genuine")
    assert report["service"]["relay"]["round_trips"] <= MAX_ROUND_TRIPS


def _toml(settings: Mapping[str, object], clone: bool) -> str:
    lines = ["[chip]"]
    nested = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            nested[key] = value
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    for name, table in nested.items():
        lines.append(f"[chip.{name}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in table.items()]
    if clone:
        lines += ["[faults]", "clone = true"]
    return "\n".join(lines) + "\n"


# -- the remote proof agrees with a local read -----------------------------------------------

MORE_CHIPS: dict[str, dict[str, object]] = {
    "pace-gm+ca": {**PACE_CAM, "pace": {"mapping": "GM", "domain": "brainpoolP256r1",
                                        "cipher": "AES-128"}, "ca": "ecdh-brainpoolP256r1-aes128"},
    "ca-3des": {"ca": "ecdh-brainpoolP256r1-3des"},
    "ca-dh-1024": {"ca": "dh-1024-3des"},
    "pace-cam+ca": {**PACE_CAM, "ca": "ecdh-brainpoolP256r1-aes128"},
    "pace-cam+aa": {**PACE_CAM, "aa": "ecdsa-brainpoolP256r1-sha256"},
    "aa-rsa-2048-extended": {"aa": "rsa-2048-sha256", "extended_length": True},
}  # fmt: skip


@pytest.mark.parametrize("clone", [False, True], ids=["genuine", "clone"])
@pytest.mark.parametrize("name", list(MORE_CHIPS))
def test_the_service_s_verdict_is_a_local_read_s(served: Served, name: str, clone: bool) -> None:
    """Differential: the chip proven through the relay and read in one local session (the
    service's trust and policy) come to the same verdict and the same chip checks."""
    settings = MORE_CHIPS[name]
    reader, profile = chip(settings, clone=clone)
    remote = prove(served, reader, mrz_key(profile))
    reader, profile = chip(settings, clone=clone)
    local = read_document(reader, mrz_key(profile), trust=chips.trust(),
                          policy=ServiceConfig().policy)  # fmt: skip
    assert remote["verdict"]["status"] == str(local.verdict.status)
    assert sorted(codes(remote)) == sorted(local.verdict.codes)
    assert remote["proven_by_server"]["chip"] == str(local.verdict.chip.status)
    assert remote["proven_by_server"]["active"] == str(local.verdict.active.status)
    assert remote["relay"]["round_trips"] <= MAX_ROUND_TRIPS + ("aa" in settings)


def test_a_listed_document_fails_through_the_relay_too(sqlite_store: Store, tmp_path: Path) -> None:
    """The relay's verdict asks the service's status provider, as an upload's does."""
    from mrtd.status.base import StatusQuery  # noqa: PLC0415
    from mrtd.status.local import ListedDocument, LocalListProvider, build_status_list  # noqa: PLC0415

    reader, profile = chip(CA_ONLY)
    key = bytes(range(32))
    listed = ListedDocument(StatusQuery.from_mrz(profile.mrz), "stolen", source="UTO police")
    (tmp_path / "listed.txt").write_text(build_status_list([listed], key))
    app = make_app(sqlite_store, status=LocalListProvider(tmp_path / "listed.txt", key))
    with serve_in_thread(app) as url:
        answer = prove(Served(url, app), reader, mrz_key(profile))
        reader, _ = chip(CA_ONLY)
        relayed = prove(Served(url, app), reader, mrz_key(profile), mode="relay")
    assert answer["verdict"]["status"] == "failed"
    assert codes(answer) == ["status.listed"]
    assert answer["proven_by_server"]["chip"] == "passed"
    assert codes(relayed) == ["status.listed"]  # relaying every APDU asks the list too
