"""parse_upload: each format's names and encodings, auto-detection, and every kind of bad input
refused with an UploadError naming the field (never its value). verify_upload's argument
errors. The uploads' verification is tests/integration/test_verify_upload.py."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from mrtd import Upload, UploadError, parse_upload, verify_upload
from mrtd.pipeline.upload import MAX_FILES

DG1 = bytes.fromhex("615b5f1f58") + b"P<UTOSPECIMEN<<SECRET<<<" + b"<" * 64
SOD = bytes.fromhex("7703020100")
COM = bytes.fromhex("60055f0102")
SIG = bytes(range(64))
CHALLENGE = bytes.fromhex("0102030405060708")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def error(body: Any, format: str = "auto", **kwargs: Any) -> UploadError:  # noqa: A002
    with pytest.raises(UploadError) as caught:
        parse_upload(body, format, **kwargs)
    return caught.value


def test_mrtd_format_in_full() -> None:
    body = {
        "format": "mrtd-upload/1",
        "files": {"EF.COM": b64(COM), "EF.SOD": b64(SOD), "DG1": b64(DG1)},
        "active_authentication": {
            "challenge_id": "c-1",
            "challenge": b64(CHALLENGE),
            "signature": b64(SIG),
        },
        "subject": "user 42",
    }
    for given in (body, json.dumps(body), json.dumps(body).encode()):
        upload = parse_upload(given)
        assert upload == Upload({"EF.COM": COM, "EF.SOD": SOD, "DG1": DG1}, "mrtd", "c-1",
                                CHALLENGE, SIG, "user 42")  # fmt: skip
    assert parse_upload({"files": {"DG1": b64(DG1)}}) == Upload({"DG1": DG1}, "mrtd")


def test_repr_names_files_not_content() -> None:
    upload = parse_upload({"files": {"DG1": b64(DG1)}, "subject": "Alice Secret"})
    assert repr(upload) == "Upload(mrtd: DG1 93 B)"
    assert "SECRET" not in repr(upload)
    assert "Alice" not in repr(upload)


def test_nfcpassportreader_format() -> None:
    body = {"COM": b64(COM), "SOD": b64(SOD), "DG1": b64(DG1),
            "AAChallenge": b64(CHALLENGE), "AASignature": b64(SIG)}  # fmt: skip
    upload = parse_upload(json.dumps(body))
    assert upload.format == "nfcpassportreader"
    assert upload.files == {"EF.COM": COM, "EF.SOD": SOD, "DG1": DG1}
    assert (upload.challenge, upload.aa_signature) == (CHALLENGE, SIG)


def test_jmrtd_format() -> None:
    body = {"com": COM.hex(), "sod": SOD.hex().upper(), "dg1": DG1.hex()}
    upload = parse_upload(body)
    assert upload.format == "jmrtd"
    assert upload.files == {"EF.COM": COM, "EF.SOD": SOD, "DG1": DG1}
    assert upload.aa_signature is None


def test_zeropass_format() -> None:
    body = {"uid": b64(b"user"), "sod": b64(SOD), "dg15": b64(b"\x6f\x01\x00"),
            "dg14": b64(b"\x6e\x01\x00"), "cid": "7fab", "csigs": [b64(SIG)] * 4,
            "override": None}  # fmt: skip
    upload = parse_upload(body)
    assert upload.format == "zeropass"
    assert set(upload.files) == {"EF.SOD", "DG15", "DG14"}
    assert upload.aa_signature == (SIG,) * 4
    assert (upload.challenge_id, upload.subject, upload.challenge) == ("7fab", b64(b"user"), None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"files": {"SOD": b64(SOD)}}, "/files/SOD"),  # NFCPassportReader's name in mrtd's
        ({"files": {"dg1": b64(DG1)}}, "/files/dg1"),
        ({"files": {"DG1": b64(DG1)}, "extra": 1}, "/extra"),
        ({"files": {"DG1": b64(DG1)}, "format": "mrtd-upload/2"}, "/format"),
        ({"format": "mrtd-upload/1"}, "/files"),
        ({"files": [b64(DG1)]}, "/files"),
        ({"files": {"DG1": 12}}, "/files/DG1"),
        ({"files": {"DG1": b64(DG1)[:-1]}}, "/files/DG1"),  # bad padding
        ({"files": {"DG1": b64(DG1)[:8] + "\n" + b64(DG1)[8:]}}, "/files/DG1"),  # not strict
        ({"files": {"DG1": b64(DG1).replace("+", "-").replace("/", "_") + "-_"}}, "/files/DG1"),
        ({"files": {"DG1": ""}}, "/files/DG1"),  # empty
        ({"files": {"a/b~": b64(DG1)}}, "/files/a~1b~0"),  # a JSON pointer, escaped
        ({"files": {"DG1": b64(DG1)}, "subject": "a\nb"}, "/subject"),
        ({"files": {"DG1": b64(DG1)}, "subject": "x" * 129}, "/subject"),
        ({"files": {"DG1": b64(DG1)}, "subject": 7}, "/subject"),
        ({"files": {}, "active_authentication": []}, "/active_authentication"),
        (
            {"files": {}, "active_authentication": {"challenge": b64(CHALLENGE)}},
            "/active_authentication/signature",
        ),
        (
            {"files": {}, "active_authentication": {"signature": b64(SIG), "nonce": "AA=="}},
            "/active_authentication/nonce",
        ),
        (
            {
                "files": {},
                "active_authentication": {"signature": b64(SIG), "challenge": b64(b"1234567")},
            },
            "/active_authentication/challenge",
        ),
        (
            {"files": {}, "active_authentication": {"signature": b64(bytes(1025))}},
            "/active_authentication/signature",
        ),
        ({"SOD": b64(SOD), "dg1": b64(DG1)}, "/dg1"),  # NFCPassportReader, a JMRTD name
        ({"SOD": b64(SOD), "AASignature": "*"}, "/AASignature"),
        ({"sod": "0g"}, "/sod"),  # JMRTD: bad hex
        ({"sod": "7 7"}, "/sod"),  # no spaces
        ({"sod": "770"}, "/sod"),  # odd length
        ({"sod": b64(SOD), "cid": "xyz", "csigs": [b64(SIG)] * 4}, "/cid"),
        ({"sod": b64(SOD), "cid": "01", "csigs": [b64(SIG)] * 3}, "/csigs"),
        ({"sod": b64(SOD), "cid": "01", "csigs": [b64(SIG)] * 3 + [5]}, "/csigs/3"),
        ({"sod": b64(SOD), "cid": "01", "dg1": b64(DG1)}, "/dg1"),
        ({"sod": b64(SOD), "cid": "01", "override": "yes"}, "/override"),
    ],
)
def test_bad_fields_are_named(body: dict[str, Any], field: str) -> None:
    exc = error(body)
    assert exc.field == field
    for secret in ("SPECIMEN", "SECRET", b64(DG1)[:12], b64(SIG)[:12], "7fab"):
        assert secret not in str(exc)  # the field's name, never its value


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe{}",  # not UTF-8
        b"{",  # not JSON
        "[1, 2]",  # not an object
        '"files"',
        "{}",  # no format fits
        {"unknown": 1},
        {"files": {}, "SOD": b64(SOD)},  # mrtd and NFCPassportReader: ambiguous
        "[" * 100_000 + "]" * 100_000,  # deep nesting
        12,
    ],
)
def test_unusable_bodies(body: Any) -> None:
    assert error(body).field == ""


def test_duplicates_are_named_where_they_are() -> None:
    value = b64(DG1)
    text = f'{{"files": {{"DG1": "{value}", "DG1": "{value}"}}}}'
    assert error(text).field == "/files/DG1"
    assert error('{"SOD": "AAAA", "SOD": "AAAA"}').field == "/SOD"


def test_size_and_count_limits() -> None:
    body = json.dumps({"files": {"DG2": b64(bytes(3000))}})
    assert error(body, max_bytes=1000).field == ""
    assert error(body.encode(), max_bytes=1000).field == ""
    assert error({"files": {"DG2": b64(bytes(3000))}}, max_bytes=1000).field == "/files"
    many = {f"DG{n}": b64(DG1) for n in range(1, 17)}
    many |= {"EF.COM": b64(COM), "EF.SOD": b64(SOD), "EF.CardAccess": b64(SOD),
             "EF.CardSecurity": b64(SOD)}  # fmt: skip
    assert len(parse_upload({"files": many}).files) == MAX_FILES
    assert error({"files": many | {"EF.DIR": b64(SOD)}}).field.startswith("/files")


def test_format_is_forced_or_refused() -> None:
    assert error({"files": {}}, "nfcpassportreader").field == "/files"
    assert error({"dg1": DG1.hex()}, "zeropass").field == "/dg1"
    assert error({"files": {}}, "pkcs7").field == ""
    assert parse_upload({"sod": SOD.hex()}, "jmrtd").files == {"EF.SOD": SOD}


def test_verify_upload_argument_errors() -> None:
    files = {"DG1": DG1}
    with pytest.raises(UploadError) as caught:
        verify_upload(files, signature=SIG)
    assert caught.value.field == "/active_authentication/challenge"
    assert isinstance(caught.value, ValueError)
    with pytest.raises(UploadError, match="8 bytes per signature"):
        verify_upload(files, challenge=bytes(9), signature=SIG)
    with pytest.raises(UploadError, match="8 bytes per signature"):
        verify_upload(files, challenge=bytes(8), signature=[SIG, SIG])
    with pytest.raises(UploadError) as caught:
        verify_upload(files, challenge=bytes(8), signature=b"")
    assert caught.value.field == "/active_authentication/signature"
    with pytest.raises(UploadError) as caught:
        verify_upload({"SOD": SOD})
    assert caught.value.field == "/files/SOD"
    with pytest.raises(UploadError) as caught:
        verify_upload({"DG1": b""})
    assert caught.value.field == "/files/DG1"


def test_verify_upload_takes_the_challenge_of_the_upload_unless_given() -> None:
    upload = Upload({"DG1": DG1}, aa_signature=SIG)
    with pytest.raises(UploadError, match="needs the challenge"):
        verify_upload(upload)
    document = verify_upload(upload, challenge=CHALLENGE)
    assert document.verdict.active.code == "active.no_key"  # no DG15 to check it with
