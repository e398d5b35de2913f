"""Hostile bodies against POST /v1/verifications, generated: whatever arrives, the answer is a
verdict (200) or a 4xx problem document — never a 500, never a traceback, never the body's
values echoed back."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mrtd.service.app import create_app
from mrtd.service.config import ServiceConfig
from mrtd.service.store import Store
from tests.service import chips

KEYS = ["format", "files", "active_authentication", "subject", "challenge_id", "signature",
        "challenge", "EF.COM", "EF.SOD", "DG1", "DG2", "DG15", "SOD", "COM", "dg1", "sod",
        "activeAuthenticationChallenge", "activeAuthenticationSignature", "csigs", "x"]  # fmt: skip
ANSWERS = {200, 400, 409, 413, 415, 422}


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder: Path = tmp_path_factory.mktemp("hostile")
    store = Store(f"sqlite:///{folder / 'audit.sqlite3'}")
    app = create_app(ServiceConfig(max_body_bytes=256 * 1024), store=store, trust=chips.trust())
    with TestClient(app) as client:
        yield client
    store.close()


@pytest.fixture(scope="module")
def genuine_files() -> dict[str, str]:
    document = chips.read(chips.NO_KEYS, None)
    return {name: base64.b64encode(data).decode() for name, data in document.files.items()}


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode()),
    st.binary(max_size=64).map(bytes.hex),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=20,
)


def _check(answer: Any, sent: bytes) -> None:
    assert answer.status_code in ANSWERS, answer.text
    assert "Traceback" not in answer.text
    if answer.status_code != 200:
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["status"] == answer.status_code
        for value in _strings(sent):  # nothing of the body comes back
            assert value not in str(problem.get("detail", "")), value


def _strings(body: bytes) -> list[str]:
    try:
        data = json.loads(body)
    except ValueError:
        return []
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str) and len(value) >= 12:
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    return found


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=values)
def test_any_json_body(http: TestClient, body: object) -> None:
    raw = json.dumps(body).encode()
    answer = http.post(
        "/v1/verifications", content=raw, headers={"content-type": "application/json"}
    )
    _check(answer, raw)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=512))
def test_any_bytes(http: TestClient, raw: bytes) -> None:
    answer = http.post(
        "/v1/verifications", content=raw, headers={"content-type": "application/json"}
    )
    _check(answer, raw)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(["EF.COM", "EF.SOD", "DG1", "DG2"]),
    cut=st.integers(min_value=0, max_value=4000),
    flip=st.integers(min_value=0, max_value=4000),
)
def test_a_genuine_upload_damaged(
    http: TestClient, genuine_files: dict[str, str], name: str, cut: int, flip: int
) -> None:
    """Truncated or altered files of a real read: a failed verdict or a 422 naming the file."""
    data = bytearray(base64.b64decode(genuine_files[name]))
    if data:
        data[flip % len(data)] ^= 0x5A
    data = data[: max(1, len(data) - cut % len(data))] if cut % 2 else data
    files = {**genuine_files, name: base64.b64encode(bytes(data)).decode()}
    raw = json.dumps({"files": files}).encode()
    answer = http.post(
        "/v1/verifications", content=raw, headers={"content-type": "application/json"}
    )
    _check(answer, raw)
    if answer.status_code == 200:
        assert answer.json()["verdict"]["status"] != "genuine"
    else:
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["pointer"].startswith("/files/")
