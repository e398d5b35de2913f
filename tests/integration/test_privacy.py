"""No personal data or key material reaches logs, exception texts, reprs or the CLI's text.

Full simulated reads (BAC, PACE GM/IM/CAM with the MRZ or the CAN, Active and Chip
Authentication, a clone, a PACE failure that falls back to BAC) and failing ones (a wrong MRZ
or CAN, the card leaving the field for good) run with every `mrtd` logger at DEBUG, captured
twice (pytest's caplog, and a handler of our own on the root logger). Then every log record,
every exception (str, repr, chained causes, formatted traceback), the repr and str of the
Document, its MRZ and parsed files, the verdict, the keys and every secure channel, and the
text output of `mrtd read` are searched for the document number, names, dates in every
printed form, the MRZ lines and the key material in hex, escaped and raw form.

Only the data APIs the caller asks for carry the values: `MRZ` attributes, `Document.files`
and `mrtd read --json`; the tests check they still do (so the search is known to work).
"""

from __future__ import annotations

import ast
import base64
import json
import logging
import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from mrtd.access.bac import derive_bac_keys
from mrtd.access.keys import AccessKey, CANKey, MRZKey
from mrtd.access.pace.suite import Suite
from mrtd.cli import main
from mrtd.crypto.kdf import Cipher
from mrtd.errors import AccessDeniedError, CardRemovedError, MRTDError
from mrtd.pipeline.document import Document
from mrtd.pipeline.read_chip import read_document
from mrtd.pipeline.result import ReadResult
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.profile import Profile
from mrtd.sm import SecureChannel

SRC = Path(__file__).resolve().parents[2] / "src" / "mrtd"

BIRTH, EXPIRY = date(1983, 7, 29), date(2031, 11, 14)
DOCUMENT: dict[str, Any] = {
    "surname": "Quixworth",
    "given_names": "Zephyrine Margold",
    "document_number": "K7Q2M9X41",
    "birth_date": BIRTH,
    "expiry_date": EXPIRY,
}
DETAILS: dict[str, Any] = {
    "place_of_birth": ["VELMORANT"],
    "address": ["17 BRAMBLEFOOT LANE"],
    "personal_number": "PN4471902",
}
CAN = "418273"
PACE_GM = {"mapping": "GM", "domain": "brainpoolP256r1", "cipher": "AES-128"}
AA, CA = "ecdsa-brainpoolP256r1-sha256", "ecdh-brainpoolP256r1-aes128"
ALL_GROUPS = [1, 2, 11, 12, 14, 15]


def _profile(chip: dict[str, Any], faults: dict[str, Any] | None = None) -> Profile:
    return Profile.from_dict(
        {
            "document": DOCUMENT,
            "details": DETAILS,
            "chip": {"can": CAN, **chip},
            "faults": faults or {},
        }
    )


# -- what must not appear ---------------------------------------------------------------------


def date_forms(value: date) -> list[str]:
    """A date as an MRZ, ISO, European, American, compact, spelled and repr'd."""
    return [
        value.strftime("%y%m%d"),
        value.isoformat(),
        value.strftime("%Y%m%d"),
        value.strftime("%d.%m.%Y"),
        value.strftime("%d/%m/%Y"),
        value.strftime("%m/%d/%Y"),
        value.strftime("%d %b %Y"),
        value.strftime("%d %B %Y"),
        value.strftime("%B %d, %Y"),
        repr(value),
    ]


def byte_forms(secret: bytes) -> list[str]:
    """Key material as hex (both cases), as escaped in a bytes repr, raw and in base64."""
    return [
        secret.hex(),
        secret.hex().upper(),
        secret.hex(" "),
        repr(secret)[2:-1],
        secret.decode("latin-1"),
        base64.b64encode(secret).decode(),
    ]


@dataclass
class Secrets:
    texts: set[str] = field(default_factory=set)
    keys: set[bytes] = field(default_factory=set)

    def add_mrz_key(self, key: MRZKey) -> None:
        information = key.mrz_information
        self.texts.add(information)
        self.texts.add(information[:10])  # the number with its check digit
        self.keys.add(key.password)
        self.keys.add(key.key_seed)
        keys = derive_bac_keys(key)
        self.keys.update((bytes(keys.enc), bytes(keys.mac)))
        self.add_password(key)

    def add_password(self, key: AccessKey) -> None:
        for cipher in Cipher:
            self.keys.add(Suite(cipher).password_key(key))

    def forms(self) -> Iterator[tuple[str, str]]:
        for text in self.texts:
            yield text, text
        for secret in self.keys:
            for form in byte_forms(secret):
                yield form, f"key material {secret.hex()[:8]}..."


def document_secrets(profile: Profile) -> Secrets:
    mrz = profile.mrz
    secrets = Secrets()
    secrets.texts.update((mrz.document_number, *mrz.lines, mrz.text, CAN))
    for name in (mrz.surname, mrz.given_names):
        secrets.texts.update(name.split())
    for value in (BIRTH, EXPIRY):
        secrets.texts.update(date_forms(value))
    secrets.texts.update(("VELMORANT", "BRAMBLEFOOT", "PN4471902"))
    secrets.add_mrz_key(MRZKey.from_mrz(mrz))
    secrets.add_password(CANKey(CAN))
    return secrets


def leaks(texts: dict[str, str], secrets: Secrets) -> list[str]:
    """Where each secret appears (case-insensitive for words)."""
    found = []
    for where, text in texts.items():
        folded = text.casefold()
        for form, label in secrets.forms():
            if form and (form in text or (form.isalpha() and form.casefold() in folded)):
                found.append(f"{label!r} in {where}: {text[:300]!r}")
    return found


# -- capture ----------------------------------------------------------------------------------


class Collector(logging.Handler):
    """Every record, formatted as an application would (message, args, traceback, stack)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.format(record))
        self.lines.append(repr(record.args))


@pytest.fixture
def collector(caplog: pytest.LogCaptureFixture) -> Iterator[Collector]:
    caplog.set_level(logging.DEBUG, logger="mrtd")
    handler = Collector()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


@pytest.fixture
def channels(monkeypatch: pytest.MonkeyPatch) -> list[tuple[SecureChannel, bytes, bytes]]:
    """Every secure channel made (terminal and chip side) with its keys as made."""
    made: list[tuple[SecureChannel, bytes, bytes]] = []
    init = SecureChannel.__init__

    def record(self: SecureChannel, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        made.append((self, bytes(self.k_enc), bytes(self.k_mac)))

    monkeypatch.setattr(SecureChannel, "__init__", record)
    return made


def exception_texts(exc: BaseException) -> dict[str, str]:
    texts = {}
    seen: BaseException | None = exc
    depth = 0
    while seen is not None and depth < 10:
        texts[f"str({type(seen).__name__})"] = str(seen)
        texts[f"repr({type(seen).__name__})"] = repr(seen)
        texts[f"args({type(seen).__name__})"] = repr(seen.args)
        seen = seen.__cause__ or seen.__context__
        depth += 1
    texts["traceback"] = "".join(traceback.format_exception(exc))
    return texts


def object_texts(document: Document | None, result: ReadResult) -> dict[str, str]:
    texts = {"repr(ReadResult)": repr(result), "repr(access)": repr(result.access)}
    if document is None:
        return texts
    texts.update(
        {
            "repr(Document)": repr(document),
            "str(Document)": str(document),
            "Document.redacted()": json.dumps(document.redacted(), ensure_ascii=False),
            "repr(verdict)": repr(document.verdict),
            "verdict.reasons": "\n".join(document.verdict.reasons),
            "repr(passive)": repr(document.passive),
            "repr(stats)": repr(document.stats),
            "problems": "\n".join(document.problems),
        }
    )
    if document.mrz is not None:
        texts["repr(MRZ)"] = repr(document.mrz)
        texts["str(MRZ)"] = str(document.mrz)
        texts["MRZ.errors"] = "\n".join((*document.mrz.errors, *document.mrz.warnings))
    for name, parsed in document.parsed.items():
        texts[f"repr({name})"] = repr(parsed)
        texts[f"str({name})"] = str(parsed)
    for n, face in enumerate(document.faces):
        texts[f"repr(face {n})"] = repr(face)
    return texts


# -- the reads --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    chip: dict[str, Any]
    faults: dict[str, Any] = field(default_factory=dict)
    key: str = "mrz"  # "mrz", "can", "wrong-mrz", "wrong-can"
    fails: type[MRTDError] | None = None


CASES = {
    "bac-aa-ca-all-groups": Case({"access": ["bac"], "aa": AA, "ca": CA,
                                  "data_groups": ALL_GROUPS}),
    "bac-aa-rsa": Case({"access": ["bac"], "aa": "rsa-1024-sha256"}),
    "pace-gm-aa-ca": Case({"access": ["pace", "bac"], "pace": PACE_GM, "aa": AA, "ca": CA,
                           "data_groups": ALL_GROUPS}),
    "pace-im": Case({"access": ["pace"], "pace": {**PACE_GM, "mapping": "IM"}}),
    "pace-cam-aa": Case({"access": ["pace"], "pace": {**PACE_GM, "mapping": "CAM"}, "aa": AA,
                         "data_groups": ALL_GROUPS}),
    "pace-gm-3des-can": Case({"access": ["pace"], "pace": {**PACE_GM, "cipher": "3DES"}},
                             key="can"),
    "clone": Case({"access": ["pace", "bac"], "pace": PACE_GM, "aa": AA, "ca": CA,
                   "data_groups": ALL_GROUPS}, {"clone": True}),
    "pace-fails-falls-back-to-bac": Case({"access": ["pace", "bac"], "pace": PACE_GM},
                                         {"pace_token": True}),
    "card-removed-and-back": Case({"access": ["bac"]}, {"remove_at_apdu": [40]}),
    "wrong-mrz-bac": Case({"access": ["bac"]}, key="wrong-mrz", fails=AccessDeniedError),
    "wrong-mrz-pace": Case({"access": ["pace"], "pace": PACE_GM}, key="wrong-mrz",
                           fails=AccessDeniedError),
    "wrong-can": Case({"access": ["pace"], "pace": PACE_GM}, key="wrong-can",
                      fails=AccessDeniedError),
    "card-removed-for-good": Case({"access": ["pace", "bac"], "pace": PACE_GM, "ca": CA,
                                   "data_groups": ALL_GROUPS},
                                  {"remove_at_apdu": [25], "return_after_ms": -1},
                                  fails=CardRemovedError),
}  # fmt: skip
WRONG_MRZ = ("X1234567", date(1980, 1, 1), date(2030, 1, 1))


def _key(case: Case, profile: Profile, secrets: Secrets) -> AccessKey:
    if case.key == "can":
        return CANKey(CAN)
    if case.key == "wrong-can":
        secrets.texts.add("654321")
        secrets.add_password(CANKey("654321"))
        return CANKey("654321")
    if case.key == "wrong-mrz":
        number, birth, expiry = WRONG_MRZ
        key = MRZKey(number, birth, expiry)
        secrets.texts.update((number, *date_forms(birth), *date_forms(expiry)))
        secrets.add_mrz_key(key)
        return key
    return MRZKey.from_mrz(profile.mrz)


@pytest.mark.parametrize("name", list(CASES))
def test_a_read_leaks_nothing(
    name: str, collector: Collector, channels: list[tuple[SecureChannel, bytes, bytes]]
) -> None:
    case = CASES[name]
    profile = _profile(case.chip, case.faults)
    secrets = document_secrets(profile)
    key = _key(case, profile, secrets)
    document: Document | None = None
    error: MRTDError | None = None
    try:
        document = read_document(SimulatedReader(SimulatedChip(profile)), key)
    except MRTDError as exc:
        error = exc
    if error is not None and error.partial is not None:  # what a failed read carries
        result = error.partial
    elif document is not None:
        result = ReadResult(document.access, dict(document.files), stats=document.stats)
    else:
        result = ReadResult()

    if case.fails is None:
        assert error is None, f"{name}: {error!r}"
        assert document is not None
        assert document.mrz is not None
        assert document.mrz.document_number == DOCUMENT["document_number"]  # data API: values
    else:
        assert isinstance(error, case.fails), f"{name}: {error!r}"
    if document is not None:  # the scenario ran as meant
        assert document.access.downgraded == (name == "pace-fails-falls-back-to-bac")
        assert document.stats.resumes == (name == "card-removed-and-back")
        failed = name in ("clone", "pace-fails-falls-back-to-bac")  # cloned; downgraded
        assert (document.verdict.summary == "failed") == failed
    for _, k_enc, k_mac in channels:
        secrets.keys.update((k_enc, k_mac))
    assert channels or case.key.startswith("wrong")

    texts = {f"log {n}": line for n, line in enumerate(collector.lines)}
    texts.update({f"caplog {n}": r.getMessage() for n, r in enumerate(collector.records)})
    texts.update(object_texts(document, result))
    texts.update({"repr(key)": repr(key), "str(key)": str(key)})
    texts.update({f"repr(channel {n})": repr(c) for n, (c, _, _) in enumerate(channels)})
    if error is not None:
        texts.update(exception_texts(error))
    assert not leaks(texts, secrets), "\n".join(leaks(texts, secrets))
    assert collector.records, "a read logs what it does"


def test_the_read_logs_useful_safe_records(
    collector: Collector, caplog: pytest.LogCaptureFixture
) -> None:
    profile = _profile({"access": ["pace", "bac"], "pace": PACE_GM, "aa": AA, "ca": CA})
    read_document(SimulatedReader(SimulatedChip(profile)), MRZKey.from_mrz(profile.mrz))
    messages = [r.getMessage() for r in caplog.records]
    assert "access open: PACE-GM brainpoolP256r1 AES-128" in messages
    assert any(m.startswith("read DG2: ") and m.endswith(" bytes") for m in messages)
    assert any(m.startswith("chip authentication: passed") for m in messages)
    assert any(m.startswith("active authentication: passed") for m in messages)
    assert any(m.startswith("verdict incomplete (passive not_checked") for m in messages)
    apdus = [r for r in caplog.records if r.name == "mrtd.apdu"]
    assert all(r.levelno == logging.DEBUG for r in apdus)
    assert apdus[0].getMessage().startswith("> CommandAPDU(")
    assert any(m.getMessage().startswith("< ResponseAPDU(") for m in apdus)
    assert {
        "mrtd.apdu",
        "mrtd.pipeline.session",
        "mrtd.pipeline.document",
        "mrtd.access.pace.protocol",
    } <= {r.name for r in caplog.records}
    assert all(r.name.startswith("mrtd.") for r in caplog.records)


def test_apdu_logging_costs_nothing_when_disabled(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="mrtd")
    profile = _profile({"access": ["bac"]})
    read_document(SimulatedReader(SimulatedChip(profile)), MRZKey.from_mrz(profile.mrz))
    assert not [r for r in caplog.records if r.name == "mrtd.apdu"]
    assert any(r.getMessage() == "access open: BAC" for r in caplog.records)


# -- the command line -------------------------------------------------------------------------


def _profile_file(tmp_path: Path, chip: str) -> str:
    path = tmp_path / "card.toml"
    path.write_text(
        '[document]\nsurname = "Quixworth"\ngiven_names = "Zephyrine Margold"\n'
        'document_number = "K7Q2M9X41"\nbirth_date = 1983-07-29\nexpiry_date = 2031-11-14\n'
        '[details]\nplace_of_birth = ["VELMORANT"]\naddress = ["17 BRAMBLEFOOT LANE"]\n'
        'personal_number = "PN4471902"\n'
        f'[chip]\ncan = "{CAN}"\ndata_groups = [1, 2, 11, 12, 14, 15]\n{chip}'
    )
    return str(path)


@pytest.mark.parametrize(
    ("chip", "key", "code"),
    [
        ('access = ["bac"]\naa = "rsa-1024-sha256"\n', "mrz", 1),
        ('access = ["pace", "bac"]\nca = "ecdh-brainpoolP256r1-aes128"\n', "mrz", 1),
        ('access = ["pace"]\n', "can", 1),
        ('access = ["bac"]\n', "wrong-mrz", 3),
        ('access = ["pace"]\n', "wrong-can", 3),
    ],
)
def test_cli_text_output_leaks_nothing(
    capsys: pytest.CaptureFixture[str],
    collector: Collector,
    tmp_path: Path,
    chip: str,
    key: str,
    code: int,
) -> None:
    profile = _profile({})
    secrets = document_secrets(profile)
    reader = ["--reader", f"sim:{_profile_file(tmp_path, chip)}", "--no-progress"]
    arguments = {
        "mrz": ["--mrz", *profile.mrz.lines],
        "can": ["--can", CAN],
        "wrong-mrz": ["--doc-number", "X1234567", "--birth", "800101", "--expiry", "300101"],
        "wrong-can": ["--can", "654321"],
    }[key]
    secrets.texts.update(("X1234567", "800101", "300101", "654321"))
    assert main(["read", *reader, *arguments]) == code
    out, err = capsys.readouterr()
    texts = {"stdout": out, "stderr": err}
    texts.update({f"log {n}": line for n, line in enumerate(collector.lines)})
    assert not leaks(texts, secrets), "\n".join(leaks(texts, secrets))
    if code == 1:
        assert "holder           Q•••, Z••• M•••" in out
        main(["read", *reader, *arguments, "--json"])  # asked for: the data is there
        report = json.loads(capsys.readouterr().out)
        assert report["document"]["document_number"] == "K7Q2M9X41"
        assert report["document"]["birth_date"] == "1983-07-29"


def test_the_search_finds_the_data_where_it_belongs() -> None:
    """The data APIs hold the values: a search that found nothing there would be broken."""
    profile = _profile({})
    secrets = document_secrets(profile)
    texts = {"MRZ.to_dict()": json.dumps(profile.mrz.to_dict()), "MRZ.text": profile.mrz.text}
    found = leaks(texts, secrets)
    for expected in ("K7Q2M9X41", "QUIXWORTH", "ZEPHYRINE", "1983-07-29", "2031-11-14"):
        assert any(f"'{expected}' in" in line for line in found), expected
    key = MRZKey.from_mrz(profile.mrz)
    assert leaks({"hex": key.key_seed.hex()}, secrets)
    assert leaks({"raw": repr(key.password)}, secrets)


# -- messages in the source -------------------------------------------------------------------

PERSONAL_NAMES = re.compile(
    r"^(document_number|surname|given_names|full_name|birth_date\w*|expiry_date\w*|mrz|"
    r"mrz_information|mrz_text|lines?|best_guess|place_of_birth|address|personal_number|"
    r"password|can|key_seed|seed|k_enc|k_mac|k_pi|k_ifd|k_icc|secret|shared|plain)$"
)

LOG_CALLS = ("debug", "info", "warning", "error", "exception", "critical", "log")


def _interpolated(node: ast.AST) -> Iterator[str]:
    """Names interpolated into f-strings under `node`, except under len() / type()."""
    for child in ast.walk(node):
        if isinstance(child, ast.FormattedValue):
            value = child.value
            if isinstance(value, ast.Call) and getattr(value.func, "id", "") in ("len", "type"):
                continue
            if isinstance(value, ast.Name):
                yield value.id
            elif isinstance(value, ast.Attribute):
                yield value.attr


def test_no_error_or_log_message_interpolates_personal_data() -> None:
    """Exceptions raised and log calls made anywhere in the library name fields, not values."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            target: ast.AST | None = None
            if isinstance(node, ast.Raise):
                target = node.exc
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") in LOG_CALLS:
                target = node
            if target is None:
                continue
            line = getattr(node, "lineno", 0)
            for name in _interpolated(target):
                if PERSONAL_NAMES.match(name):
                    found.append(f"{path.relative_to(SRC)}:{line}: {{{name}}}")
            if isinstance(target, ast.Call) and isinstance(target.func, ast.Attribute):
                for arg in target.args[1:]:  # lazy %-arguments of log calls
                    name = getattr(arg, "id", getattr(arg, "attr", ""))
                    if PERSONAL_NAMES.match(name):
                        found.append(f"{path.relative_to(SRC)}:{line}: {name}")
    assert not found, "\n".join(found)
