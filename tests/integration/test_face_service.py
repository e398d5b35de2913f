"""Face comparison in the verification service (docs/service.md, "Face comparison"): a capture
sent with an upload is compared with DG2, the answer's `face` field says how, `accepted` needs a
match only under `face_match = "required"`, the verdict never changes, and the capture is never
stored or logged."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("dlib", reason="needs the face extra (mrtd[face])")
pytest.importorskip("fastapi", reason="needs the service extra (mrtd[service])")
cv2 = pytest.importorskip("cv2")
np = pytest.importorskip("numpy")

from fastapi.testclient import TestClient  # noqa: E402

from mrtd.errors import UploadError  # noqa: E402
from mrtd.face.degrade import adjust_light, encode_jpeg  # noqa: E402
from mrtd.lds.dg2 import DG2File  # noqa: E402
from mrtd.pipeline.upload import parse_upload  # noqa: E402
from mrtd.service.app import create_app  # noqa: E402
from mrtd.service.config import ServiceConfig  # noqa: E402
from mrtd.service.store import Store  # noqa: E402
from mrtd.verify.policy import ActiveAuthentication, FaceMatch, Policy  # noqa: E402
from tests.service import chips  # noqa: E402


@pytest.fixture(scope="module")
def capture() -> bytes:
    """A capture of the simulated holder: the chip's portrait, darker, as a camera's JPEG."""
    document = chips.read(chips.NO_KEYS, None)
    [face] = DG2File.from_bytes(document.files["DG2"]).faces
    pixels = cv2.imdecode(np.frombuffer(face.image, np.uint8), cv2.IMREAD_COLOR)
    return encode_jpeg(adjust_light(pixels, gamma=1.4), 85)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(f"sqlite:///{tmp_path / 'audit.sqlite3'}")
    opened.migrate()
    yield opened
    opened.close()


def _client(store: Store, face_match: str) -> TestClient:
    policy = Policy(
        active_authentication=ActiveAuthentication.REQUIRED, face_match=FaceMatch(face_match)
    )
    config = ServiceConfig(database_url="unused://", policy=policy)
    return TestClient(create_app(config, store=store, trust=chips.trust()))


def _verify(http: TestClient, capture: bytes | None) -> dict[str, Any]:
    answer = http.post("/v1/challenges").json()
    document = chips.read(chips.AA_RSA, base64.b64decode(answer["nonce"]))
    body = chips.upload(document, answer["id"])
    if capture is not None:
        body["capture"] = base64.b64encode(capture).decode()
    response = http.post("/v1/verifications", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    assert result["verdict"]["status"] == "genuine", result["verdict"]["reasons"]
    return result


def test_a_matching_capture_is_reported_and_accepted(store: Store, capture: bytes) -> None:
    with _client(store, "required") as http:
        body = _verify(http, capture)
    face = body["face"]
    assert face["decision"] == "match"
    assert face["required"] is True
    assert face["distance"] <= face["threshold"]
    assert "calibrated_for" in face
    assert body["accepted"] is True


def test_without_a_match_the_verdict_stands_and_a_requiring_policy_refuses(
    store: Store, capture: bytes
) -> None:
    blank = encode_jpeg(np.full((480, 640, 3), 128, np.uint8))
    with _client(store, "required") as http:
        refused = _verify(http, blank)
        missing = _verify(http, None)
    assert refused["face"] == {"required": True, "decision": "refused", "reason": "no_face",
                               "image": "capture"}  # fmt: skip
    assert refused["accepted"] is False
    assert missing["face"]["decision"] == "not_compared"
    assert missing["accepted"] is False
    with _client(store, "not_required") as http:
        optional = _verify(http, blank)
        none = _verify(http, None)
    assert optional["face"]["decision"] == "refused"
    assert optional["accepted"] is True  # the verdict alone decides
    assert none["face"] == {"required": False, "decision": "not_compared", "reason": "no_capture"}
    assert none["accepted"] is True


def test_the_capture_is_never_stored_or_logged(
    store: Store, capture: bytes, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with _client(store, "required") as http:
        _verify(http, capture)
    stored = b"".join(path.read_bytes() for path in sorted(tmp_path.glob("audit.sqlite3*")))
    assert stored
    middle = len(capture) // 2
    for piece in (capture[middle : middle + 24], capture[:64][-24:]):
        assert piece not in stored
        assert piece.decode("latin-1") not in caplog.text
    text = base64.b64encode(capture).decode()
    assert text[len(text) // 2 : len(text) // 2 + 32] not in caplog.text


def test_a_capture_is_parsed_in_mrtds_format_only(capture: bytes) -> None:
    files = {"EF.SOD": base64.b64encode(b"\x77\x00").decode()}
    upload = parse_upload({"files": files, "capture": base64.b64encode(capture).decode()})
    assert upload.capture == capture
    assert parse_upload({"files": files}).capture is None
    for bad in (base64.b64encode(b"GIF89a....").decode(), "not base64!", 42):
        with pytest.raises(UploadError) as caught:
            parse_upload({"files": files, "capture": bad})
        assert caught.value.field == "/capture"


def test_the_policy_setting() -> None:
    assert Policy().face_match is FaceMatch.NOT_REQUIRED
    assert "face_match" not in Policy().as_dict()  # the default is not printed
    required = Policy.from_mapping({"face_match": "required"})
    assert required.face_match is FaceMatch.REQUIRED
    assert Policy.from_mapping(required.as_dict()) == required
    with pytest.raises(ValueError, match="face_match"):
        Policy.from_mapping({"face_match": "sometimes"})
