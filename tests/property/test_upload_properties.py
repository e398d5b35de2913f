"""Property tests for parse_upload: each format round-trips any files byte for byte, and
arbitrary input is either an Upload or an UploadError, never another exception."""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mrtd import Upload, UploadError, parse_upload
from mrtd.pipeline.upload import UPLOAD_NAMES

CONTENT = st.binary(min_size=1, max_size=64)
FILES = st.dictionaries(st.sampled_from(UPLOAD_NAMES), CONTENT, min_size=1, max_size=8)
GROUPS = st.dictionaries(
    st.sampled_from(["EF.COM", "EF.SOD", *(f"DG{n}" for n in range(1, 17))]),
    CONTENT,
    min_size=1,
    max_size=8,
)
SUBJECT = st.text(min_size=1, max_size=128).filter(str.isprintable)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@given(FILES, st.none() | st.binary(min_size=8, max_size=8), st.binary(min_size=1, max_size=512),
       st.none() | SUBJECT)  # fmt: skip
def test_mrtd_format_round_trip(
    files: dict[str, bytes], challenge: bytes | None, signature: bytes, subject: str | None
) -> None:
    aa: dict[str, str] = {"signature": b64(signature)}
    if challenge is not None:
        aa["challenge"] = b64(challenge)
    body: dict[str, Any] = {"files": {n: b64(d) for n, d in files.items()},
                            "active_authentication": aa}  # fmt: skip
    if subject is not None:
        body["subject"] = subject
    upload = parse_upload(json.dumps(body))
    assert upload == Upload(files, "mrtd", None, challenge, signature, subject)


@given(GROUPS, st.booleans())
def test_nfcpassportreader_and_jmrtd_round_trip(files: dict[str, bytes], upper: bool) -> None:
    nfc = {name.removeprefix("EF."): b64(data) for name, data in files.items()}
    assert parse_upload(json.dumps(nfc)).files == files
    jmrtd = {
        name.removeprefix("EF.").lower(): data.hex().upper() if upper else data.hex()
        for name, data in files.items()
    }
    upload = parse_upload(json.dumps(jmrtd))
    assert (upload.format, upload.files) == ("jmrtd", files)


@given(st.binary(max_size=300))
@settings(max_examples=300)
def test_any_bytes_are_an_upload_or_an_upload_error(body: bytes) -> None:
    with contextlib.suppress(UploadError):
        parse_upload(body)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
NAMES = st.sampled_from(["files", "format", "subject", "active_authentication", "SOD", "DG1",
                         "dg1", "sod", "csigs", "cid", "uid", "AASignature", "EF.SOD"])  # fmt: skip


@given(st.dictionaries(NAMES | st.text(max_size=8), JSON | st.text(max_size=40), max_size=5))
@settings(max_examples=300)
def test_any_object_is_an_upload_or_an_upload_error(body: dict[str, Any]) -> None:
    field = None
    try:
        upload = parse_upload(body)
    except UploadError as exc:
        field = exc.field
    if field is not None:
        assert field == "" or field.startswith("/")
    else:
        assert all(isinstance(v, bytes) and v for v in upload.files.values())
        assert set(upload.files) <= set(UPLOAD_NAMES)


@given(st.text(min_size=1, max_size=40).filter(lambda s: not s.isprintable()))
def test_a_subject_that_is_not_printable_is_refused(subject: str) -> None:
    with pytest.raises(UploadError) as caught:
        parse_upload({"files": {"DG1": b64(b"\x61\x00")}, "subject": subject})
    assert caught.value.field == "/subject"
    assert subject not in str(caught.value)
