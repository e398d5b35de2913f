"""What a phone or kiosk read from a chip, verified by a back-end: the raw files and, when the
chip has DG15, its Active Authentication signature over a challenge the back-end issued.

`parse_upload` reads an upload body (mrtd's own JSON, or what NFCPassportReader, JMRTD-based
apps and ZeroPass Port send: docs/verify.md, "Verifying an upload") into an `Upload`;
`verify_upload` verifies it as `verify_files` does, plus Active Authentication over the
verifier's challenge. Bytes are hashed exactly as sent: a file re-encoded on the way (another
BER length form, say) no longer matches EF.SOD and fails Passive Authentication.

What an upload cannot prove: Chip Authentication and PACE-CAM run by the client, since
whoever holds the session keys can fake them (`chip.client_side`). Parsing is strict: an
unknown or duplicate name, bad base64 or hex, a wrong type, an empty file is an `UploadError`
naming the field (a JSON pointer), never ignored; messages never carry a value.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from mrtd.errors import DecodeError, UploadError
from mrtd.lds.files import LDS_FILES
from mrtd.lds.security.infos import SecurityInfos
from mrtd.lds.security.oids import Mapping as PACEMapping
from mrtd.lds.sod import parse_sod
from mrtd.pipeline.clone_checks import _active_key, vouched
from mrtd.pipeline.document import Document, _verify_given
from mrtd.status.base import StatusProvider
from mrtd.verify.active import CHALLENGE_SIZE, check_active_authentication
from mrtd.verify.outcome import CheckOutcome, CheckStatus
from mrtd.verify.policy import STRICT, Policy

if TYPE_CHECKING:
    from mrtd.verify.trust import TrustStore

__all__ = [
    "FORMATS",
    "MAX_CAPTURE",
    "MAX_FILES",
    "MAX_SIGNATURE",
    "MAX_UPLOAD_BYTES",
    "MRTD_FORMAT",
    "Upload",
    "parse_upload",
    "verify_upload",
]

PASSED, FAILED = CheckStatus.PASSED, CheckStatus.FAILED
NOT_SUPPORTED, NOT_CHECKED = CheckStatus.NOT_SUPPORTED, CheckStatus.NOT_CHECKED

MAX_UPLOAD_BYTES = 4 << 20  # a body larger than this is refused before it is parsed
MAX_FILES = 20  # EF.COM, EF.SOD, EF.CardAccess, EF.CardSecurity, DG1..DG16
MAX_SIGNATURE = 1024  # RSA-8192; ECDSA signatures are far shorter
MAX_SUBJECT = 128
MAX_CAPTURE = 2 << 20  # a live capture of the face (JPEG or PNG) sent with the files
_CAPTURE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")
MRTD_FORMAT = "mrtd-upload/1"
FORMATS = ("mrtd", "nfcpassportreader", "jmrtd", "zeropass")
UPLOAD_NAMES = ("EF.COM", "EF.SOD", "EF.CardAccess", "EF.CardSecurity",
                *(f"DG{n}" for n in range(1, 17)))  # fmt: skip
CLIENT_SIDE = "Chip Authentication run by the client proves nothing to the verifier of an upload"
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})*")

# NFCPassportReader's dumpPassportData: DataGroupId.getName() -> base64; AA under its own keys
_NFC_NAMES = {"COM": "EF.COM", "SOD": "EF.SOD", **{f"DG{n}": f"DG{n}" for n in range(1, 17)}}
_NFC_AA = ("AAChallenge", "AASignature")
# JMRTD-based Android apps: lower-case file names -> hex
_JMRTD_NAMES = {"com": "EF.COM", "sod": "EF.SOD", **{f"dg{n}": f"DG{n}" for n in range(1, 17)}}
# ZeroPass Port's port.register parameters: base64 files, hex challenge id, base64 signatures
_ZEROPASS_FILES = {"sod": "EF.SOD", "dg15": "DG15", "dg14": "DG14"}
_ZEROPASS_OTHER = ("uid", "cid", "csigs", "override")
_ZEROPASS_CHUNKS = 4  # Port's 32-byte challenge is signed in 8-byte chunks, one signature each


@dataclass(frozen=True, slots=True, repr=False)
class Upload:
    """Files a client read from a chip, by mrtd's LDS names ("EF.COM", "EF.SOD",
    "EF.CardAccess", "EF.CardSecurity", "DG1".."DG16"), and what it says about Active
    Authentication: `challenge_id` (the service's id of the challenge the signature answers),
    `challenge` (the nonce the client says it had signed: for offline use only, a server uses
    its own) and `aa_signature` (one signature over the 8-byte challenge, or ZeroPass Port's
    tuple of four, one per 8-byte chunk of a 32-byte challenge). `subject` is the caller's
    identifier of the holder (printable, at most 128 characters). `format` is what the body
    was ("mrtd", "nfcpassportreader", "jmrtd", "zeropass"). `capture` is a live capture of the
    holder's face (JPEG or PNG, mrtd's format only) to compare with DG2 (docs/face.md); it is
    personal data, never stored or logged. `repr()` names the files only."""

    files: Mapping[str, bytes]
    format: str = "mrtd"
    challenge_id: str | None = None
    challenge: bytes | None = None
    aa_signature: bytes | tuple[bytes, ...] | None = None
    subject: str | None = None
    capture: bytes | None = None

    def __repr__(self) -> str:
        files = ", ".join(f"{name} {len(data)} B" for name, data in self.files.items())
        signed = "; an AA signature" if self.aa_signature is not None else ""
        return f"Upload({self.format}: {files or 'no files'}{signed})"


def parse_upload(
    body: bytes | str | Mapping[str, object],
    format: str = "auto",  # noqa: A002 (the API's name: the upload format)
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> Upload:
    """The `Upload` in `body` (JSON text, UTF-8 bytes, or the object already decoded), in
    `format` ("mrtd", "nfcpassportreader", "jmrtd", "zeropass"), or "auto": told from its keys.

    Raises `UploadError` (`.field` a JSON pointer) for a body over `max_bytes`, not UTF-8, not
    JSON, not an object; an unknown or ambiguous format; an unknown, duplicate or empty file;
    bad base64 (strict) or hex; a value of the wrong type; too many files; a subject not
    printable or too long; a challenge or signature of the wrong size. File bytes are kept
    exactly as decoded."""
    if format != "auto" and format not in FORMATS:
        raise UploadError(f"unknown upload format (one of auto, {', '.join(FORMATS)})", "")
    data = _decode_body(body, max_bytes)
    chosen = _detect(data) if format == "auto" else format
    upload = _IMPORTERS[chosen](data)
    total = sum(len(content) for content in upload.files.values())
    if total > max_bytes:
        raise UploadError(f"the files are larger than {max_bytes} bytes in all", "/files")
    return upload


def verify_upload(
    upload: Upload | Mapping[str, bytes],
    *,
    challenge: bytes | None = None,
    signature: bytes | Sequence[bytes] | None = None,
    trust: TrustStore | None = None,
    policy: Policy = STRICT,
    today: date | None = None,
    now: datetime | None = None,
    status: StatusProvider | None = None,
) -> Document:
    """Verify an upload as `verify_files` does (Passive Authentication of the bytes as sent,
    block padding cut, EF.CardSecurity verified, the verdict under `policy`), with Active
    Authentication over the verifier's own `challenge`.

    `upload` is an `Upload` or files by LDS name. `signature` (else `upload.aa_signature`) is
    the chip's over `challenge` (else `upload.challenge`): 8 bytes for one signature, 8 per
    signature for several (ZeroPass Port's chunks: each must verify). A server passes its
    own challenge, never the client's. A signature without a challenge, a challenge of the
    wrong size or an empty signature is an `UploadError` (a `ValueError`).

    Active Authentication runs with DG15's key once EF.SOD vouches for DG15 (and DG14, whose
    ActiveAuthenticationInfo names the ECDSA hash). Without a signature it is `not_checked`
    (`active.not_uploaded`) when the document has DG15 or EF.SOD lists it, else
    `not_supported` (`active.no_key`). Chip Authentication and PACE-CAM cannot be proven by
    an upload: `not_checked` (`chip.client_side`) when the document has a key for them, else
    `not_supported` (`chip.no_key`). `status` (a `mrtd.status` provider) is asked whether
    the document is listed."""
    if isinstance(upload, Upload):
        files = upload.files
        challenge = challenge if challenge is not None else upload.challenge
        signature = signature if signature is not None else upload.aa_signature
    else:
        files = upload
    _check_files(files)
    signatures = _signatures(signature, challenge)

    def clone_checks(found: Mapping[str, bytes]) -> tuple[CheckOutcome, CheckOutcome]:
        return _active_outcome(found, challenge, signatures), _chip_outcome(found)

    return _verify_given(files, trust=trust, today=today, now=now, policy=policy,
                         clone_checks=clone_checks, status=status)  # fmt: skip


def _check_files(files: Mapping[str, bytes]) -> None:
    if len(files) > MAX_FILES:
        raise UploadError(f"more than {MAX_FILES} files", "/files")
    for name, content in files.items():
        if name not in UPLOAD_NAMES:
            raise UploadError("not an LDS file name (EF.COM, EF.SOD, DG1, ...)", _pointer(name))
        if not isinstance(content, bytes | bytearray):
            raise UploadError("a file must be bytes", _pointer(name))
        if not content:
            raise UploadError("the file is empty", _pointer(name))


def _signatures(
    signature: bytes | Sequence[bytes] | None, challenge: bytes | None
) -> tuple[bytes, ...]:
    if signature is None:
        return ()
    where = "/active_authentication"
    signatures = (signature,) if isinstance(signature, bytes | bytearray) else tuple(signature)
    if not signatures or not all(isinstance(s, bytes | bytearray) and s for s in signatures):
        raise UploadError("an Active Authentication signature must be non-empty bytes",
                          f"{where}/signature")  # fmt: skip
    if challenge is None:
        raise UploadError("an Active Authentication signature needs the challenge it answers",
                          f"{where}/challenge")  # fmt: skip
    if not isinstance(challenge, bytes | bytearray) or len(challenge) != CHALLENGE_SIZE * len(
        signatures
    ):
        raise UploadError(f"the challenge must be {CHALLENGE_SIZE} bytes per signature",
                          f"{where}/challenge")  # fmt: skip
    return tuple(bytes(s) for s in signatures)


def _active_outcome(
    files: Mapping[str, bytes], challenge: bytes | None, signatures: tuple[bytes, ...]
) -> CheckOutcome:
    """Active Authentication of an upload (see `verify_upload`)."""
    if not signatures:
        if "DG15" in files or _listed(files, 15):
            return CheckOutcome(NOT_CHECKED, "the document has an Active Authentication key, "
                                "but no Active Authentication signature was uploaded",
                                "active.not_uploaded")  # fmt: skip
        return CheckOutcome(NOT_SUPPORTED, "no DG15: the chip has no Active Authentication key",
                            "active.no_key")  # fmt: skip
    assert challenge is not None
    key = _active_key(files)
    if isinstance(key, CheckOutcome):
        return key
    dg15, info = key
    outcome = CheckOutcome(FAILED, "no signature", "active.failed")
    for index, signature in enumerate(signatures):
        chunk = challenge[index * CHALLENGE_SIZE : (index + 1) * CHALLENGE_SIZE]
        outcome = check_active_authentication(dg15, info, chunk, signature)
        if outcome.status is not PASSED:
            if len(signatures) > 1:
                reason = f"signature {index + 1} of {len(signatures)}: {outcome.reason}"
                return CheckOutcome(outcome.status, reason, outcome.code)
            return outcome
    if len(signatures) > 1:
        reason = f"{outcome.reason}; {len(signatures)} signatures, one per 8-byte chunk"
        return CheckOutcome(PASSED, reason, outcome.code)
    return outcome


def _chip_outcome(files: Mapping[str, bytes]) -> CheckOutcome:
    """`chip.client_side` when the document has a Chip Authentication key (DG14, given or
    listed in EF.SOD, with a CA key or unreadable) or offers PACE-CAM (EF.CardAccess or
    EF.CardSecurity); else `chip.no_key`."""
    claims = _listed(files, 14) and "DG14" not in files
    dg14 = files.get("DG14")
    if dg14 is not None:
        _, problem = vouched(files, 14, "chip")
        try:
            claims |= bool(SecurityInfos.from_dg14(dg14).chip_authentication_keys)
        except DecodeError:
            claims = True  # a DG14 that cannot be read may hold a key: not "no key"
        claims |= problem is not None and problem.status is FAILED
    for name, parse in (("EF.CardAccess", SecurityInfos.from_bytes),
                        ("EF.CardSecurity", SecurityInfos.from_card_security)):  # fmt: skip
        if name in files:
            try:
                claims |= any(p.mapping is PACEMapping.CAM for p in parse(files[name]).pace)
            except DecodeError:
                claims = True
    if claims:
        return CheckOutcome(NOT_CHECKED, CLIENT_SIDE, "chip.client_side")
    return CheckOutcome(NOT_SUPPORTED, "no DG14: the chip has no Chip Authentication key",
                        "chip.no_key")  # fmt: skip


def _listed(files: Mapping[str, bytes], number: int) -> bool:
    raw = files.get("EF.SOD")
    if raw is None:
        return False
    try:
        return number in parse_sod(raw).data_group_hashes
    except DecodeError:
        return False


# --- parsing ---------------------------------------------------------------------------------


def _decode_body(body: bytes | str | Mapping[str, object], max_bytes: int) -> dict[str, object]:
    if isinstance(body, Mapping):
        return dict(body)
    if isinstance(body, str):
        if len(body) > max_bytes:  # characters: at least as many bytes
            raise UploadError(f"the upload is larger than {max_bytes} bytes", "")
        text = body
    elif isinstance(body, bytes | bytearray):
        if len(body) > max_bytes:
            raise UploadError(f"the upload is larger than {max_bytes} bytes", "")
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            raise UploadError("the upload is not UTF-8", "") from None
    else:
        raise UploadError("the upload must be JSON text or an object", "")
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise UploadError(f"the upload is larger than {max_bytes} bytes", "")
    try:
        data = json.loads(text, object_pairs_hook=_Object.from_pairs)
    except (ValueError, RecursionError):
        raise UploadError("the upload is not JSON", "") from None
    if not isinstance(data, dict):
        raise UploadError("the upload is not a JSON object", "")
    twice = _duplicate(data, "")
    if twice is not None:
        raise UploadError("a name appears twice", twice)
    return data


class _Object(dict[str, object]):
    """A JSON object that remembers a name given twice (JSON allows it; an upload may not)."""

    duplicate: str | None = None

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, object]]) -> _Object:
        made = cls()
        for key, value in pairs:
            if key in made and made.duplicate is None:
                made.duplicate = key
            made[key] = value
        return made


def _duplicate(value: object, where: str) -> str | None:
    """The JSON pointer of the first name given twice in `value`, None if there is none."""
    pending = [(value, where)]
    while pending:
        item, at = pending.pop()
        if isinstance(item, _Object):
            if item.duplicate is not None:
                return _pointer(item.duplicate, at)
            pending.extend((v, _pointer(k, at)) for k, v in item.items())
        elif isinstance(item, list):
            pending.extend((v, f"{at}/{i}") for i, v in enumerate(item))
    return None


def _detect(data: Mapping[str, object]) -> str:
    """The format `data`'s keys show; UploadError when none or several fit."""
    keys = set(data)
    found = []
    if keys & {"files", "format"}:
        found.append("mrtd")
    if keys & {*_NFC_NAMES, *_NFC_AA}:
        found.append("nfcpassportreader")
    if keys & {"uid", "cid", "csigs"}:
        found.append("zeropass")
    elif keys and keys <= set(_JMRTD_NAMES):
        found.append("jmrtd")
    if len(found) != 1:
        what = "is ambiguous" if found else "is not one mrtd knows"
        raise UploadError(f"the upload's format {what} (give it: {', '.join(FORMATS)})", "")
    return found[0]


def _import_mrtd(data: Mapping[str, object]) -> Upload:
    """mrtd's own JSON (docs/verify.md, "Verifying an upload")."""
    _only(data, ("format", "files", "active_authentication", "subject", "capture"), "")
    if "format" in data and data["format"] != MRTD_FORMAT:
        raise UploadError(f"format must be {MRTD_FORMAT!r}", "/format")
    files_value = data.get("files")
    if not isinstance(files_value, dict):
        raise UploadError("files must be an object of base64 strings", "/files")
    _count(files_value)
    files = {}
    for name, value in files_value.items():
        if name not in UPLOAD_NAMES:
            raise UploadError("not an LDS file name (EF.COM, EF.SOD, DG1, ...)", _pointer(name))
        files[name] = _file(_base64(value, _pointer(name)), _pointer(name))
    challenge_id = challenge = signature = None
    aa = data.get("active_authentication")
    if aa is not None:
        where = "/active_authentication"
        if not isinstance(aa, dict):
            raise UploadError("active_authentication must be an object", where)
        _only(aa, ("challenge_id", "challenge", "signature"), where)
        if "signature" not in aa:
            raise UploadError("active_authentication needs a signature", f"{where}/signature")
        signature = _signature(_base64(aa["signature"], f"{where}/signature"),
                               f"{where}/signature")  # fmt: skip
        if aa.get("challenge") is not None:
            challenge = _challenge(_base64(aa["challenge"], f"{where}/challenge"),
                                   f"{where}/challenge")  # fmt: skip
        if aa.get("challenge_id") is not None:
            challenge_id = _text(aa["challenge_id"], f"{where}/challenge_id")
    subject = _text(data["subject"], "/subject") if data.get("subject") is not None else None
    capture = _capture(data["capture"]) if data.get("capture") is not None else None
    return Upload(files, "mrtd", challenge_id, challenge, signature, subject, capture)


def _capture(value: object) -> bytes:
    content = _base64(value, "/capture")
    if not 0 < len(content) <= MAX_CAPTURE or not content.startswith(_CAPTURE_MAGIC):
        raise UploadError(f"the capture is a JPEG or PNG image of at most {MAX_CAPTURE} bytes",
                          "/capture")  # fmt: skip
    return content


def _import_nfcpassportreader(data: Mapping[str, object]) -> Upload:
    """NFCPassportReader's `dumpPassportData(selectedDataGroups:includeActiveAuthentication
    Data:)`: "COM", "SOD", "DG1".."DG16" to base64, "AAChallenge" and "AASignature"."""
    _only(data, (*_NFC_NAMES, *_NFC_AA), "")
    _count(data)
    files = {
        _NFC_NAMES[key]: _file(_base64(value, f"/{key}"), f"/{key}")
        for key, value in data.items()
        if key in _NFC_NAMES
    }
    challenge = signature = None
    if "AASignature" in data:
        signature = _signature(_base64(data["AASignature"], "/AASignature"), "/AASignature")
    if "AAChallenge" in data:
        challenge = _challenge(_base64(data["AAChallenge"], "/AAChallenge"), "/AAChallenge")
    return Upload(files, "nfcpassportreader", None, challenge, signature)


def _import_jmrtd(data: Mapping[str, object]) -> Upload:
    """JMRTD-based Android apps: "com", "sod", "dg1".."dg16" to hex; no AA fields."""
    _only(data, tuple(_JMRTD_NAMES), "")
    _count(data)
    files = {_JMRTD_NAMES[key]: _file(_hex(value, f"/{key}"), f"/{key}")
             for key, value in data.items()}  # fmt: skip
    return Upload(files, "jmrtd")


def _import_zeropass(data: Mapping[str, object]) -> Upload:
    """ZeroPass Port's `port.register` parameters: "sod", "dg15", "dg14" (optional) base64,
    "cid" the challenge id in hex, "csigs" four base64 signatures (one per 8-byte chunk of
    the 32-byte challenge), "uid" the user id (base64, kept as the subject), "override"."""
    _only(data, (*_ZEROPASS_FILES, *_ZEROPASS_OTHER), "")
    files = {
        _ZEROPASS_FILES[key]: _file(_base64(value, f"/{key}"), f"/{key}")
        for key, value in data.items()
        if key in _ZEROPASS_FILES
    }
    if data.get("override") not in (None, True, False):
        raise UploadError("override must be true, false or null", "/override")
    challenge_id = None
    if data.get("cid") is not None:
        cid = _text(data["cid"], "/cid")
        if not _HEX.fullmatch(cid) or not cid:
            raise UploadError("cid must be hex", "/cid")
        challenge_id = cid
    signature: tuple[bytes, ...] | None = None
    csigs = data.get("csigs")
    if csigs is not None:
        if not isinstance(csigs, list) or len(csigs) != _ZEROPASS_CHUNKS:
            raise UploadError(f"csigs must be a list of {_ZEROPASS_CHUNKS} base64 signatures",
                              "/csigs")  # fmt: skip
        signature = tuple(_signature(_base64(s, f"/csigs/{i}"), f"/csigs/{i}")
                          for i, s in enumerate(csigs))  # fmt: skip
    subject = _text(data["uid"], "/uid") if data.get("uid") is not None else None
    return Upload(files, "zeropass", challenge_id, None, signature, subject)


_IMPORTERS = {
    "mrtd": _import_mrtd,
    "nfcpassportreader": _import_nfcpassportreader,
    "jmrtd": _import_jmrtd,
    "zeropass": _import_zeropass,
}


def _only(data: Mapping[str, object], known: Sequence[str], where: str) -> None:
    for key in data:
        if key not in known:
            raise UploadError("an unknown name for this upload format", _pointer(key, where))


def _count(files: Mapping[str, object]) -> None:
    if len(files) > MAX_FILES:
        raise UploadError(f"more than {MAX_FILES} files", "/files")


def _base64(value: object, where: str) -> bytes:
    if not isinstance(value, str):
        raise UploadError("must be a base64 string", where)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise UploadError("not valid base64", where) from None


def _hex(value: object, where: str) -> bytes:
    if not isinstance(value, str):
        raise UploadError("must be a hex string", where)
    if not _HEX.fullmatch(value):
        raise UploadError("not valid hex (pairs of 0-9, a-f)", where)
    return bytes.fromhex(value)


def _file(content: bytes, where: str) -> bytes:
    if not content:
        raise UploadError("the file is empty", where)
    return content


def _signature(content: bytes, where: str) -> bytes:
    if not content or len(content) > MAX_SIGNATURE:
        raise UploadError(f"a signature is 1 to {MAX_SIGNATURE} bytes", where)
    return content


def _challenge(content: bytes, where: str) -> bytes:
    if len(content) != CHALLENGE_SIZE:
        raise UploadError(f"the challenge must be {CHALLENGE_SIZE} bytes", where)
    return content


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise UploadError("must be a string", where)
    if not value or len(value) > MAX_SUBJECT or not value.isprintable():
        raise UploadError(f"must be 1 to {MAX_SUBJECT} printable characters", where)
    return value


def _pointer(name: str, where: str = "/files") -> str:
    """A JSON pointer (RFC 6901) to `name` under `where`."""
    return f"{where}/{name.replace('~', '~0').replace('/', '~1')}"


assert set(UPLOAD_NAMES) <= set(LDS_FILES)
