"""Document status: the local list of keyed hashes, the check it becomes, and the verdict under
each policy (a listed document is never genuine; an unavailable provider fails closed)."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from mrtd.status.base import StatusAnswer, StatusKind, StatusQuery, check_status, status_outcome
from mrtd.status.config import load_status_provider
from mrtd.status.local import ListedDocument, LocalListProvider, build_status_list, key_id
from mrtd.verify.outcome import CheckOutcome, CheckStatus
from mrtd.verify.policy import DocumentStatus, Policy
from mrtd.verify.verdict import VerdictStatus, decide
from tests.unit.test_policy_verdict import PROVEN

KEY = bytes(range(32))
STOLEN = StatusQuery("UTO", "P", "L898902C3")
LOST_ID = StatusQuery("D<<", "ID", "T22000129")
CLEAN = StatusQuery("UTO", "P", "L898902C4")
ROWS = [
    ListedDocument(STOLEN, "stolen", date(2026, 1, 31), "UTO police"),
    ListedDocument(LOST_ID, "lost"),
]


def _list(tmp_path: Path, rows: list[ListedDocument] = ROWS, key: bytes = KEY) -> Path:
    path = tmp_path / "listed.txt"
    path.write_text(build_status_list(rows, key))
    return path


def test_a_listed_document_is_found_and_others_are_not(tmp_path: Path) -> None:
    provider = LocalListProvider(_list(tmp_path), KEY)
    answer = provider.check(STOLEN)
    assert answer.kind is StatusKind.LISTED
    assert (answer.reason, answer.source, answer.listed_on) == ("stolen", "UTO police",
                                                                date(2026, 1, 31))  # fmt: skip
    assert provider.check(StatusQuery("D", "ID", "t22000129")).reason == "lost"  # as MRZs write
    assert provider.check(CLEAN).kind is StatusKind.NOT_LISTED
    assert provider.check(StatusQuery("UTO", "ID", "L898902C3")).kind is StatusKind.NOT_LISTED
    assert len(provider) == 2


def test_the_list_file_holds_no_document_number(tmp_path: Path) -> None:
    text = _list(tmp_path).read_text()
    for query in (STOLEN, LOST_ID):
        assert query.document_number not in text
    assert text.splitlines()[0] == f"mrtd-status-list 1 {key_id(KEY)}"


def test_a_changed_list_is_reloaded(tmp_path: Path) -> None:
    path = _list(tmp_path)
    provider = LocalListProvider(path, KEY)
    assert provider.check(CLEAN).kind is StatusKind.NOT_LISTED
    replacement = tmp_path / "new.txt"
    replacement.write_text(build_status_list([*ROWS, ListedDocument(CLEAN, "revoked")], KEY))
    os.replace(replacement, path)  # how an operator replaces it: atomically
    assert provider.check(CLEAN).reason == "revoked"


@pytest.mark.parametrize(
    ("damage", "detail"),
    [
        (lambda text: text.replace("mrtd-status-list 1", "mrtd-status-list 2"), "line 1"),
        (lambda text: text + "not a line\n", "line 4"),
        (lambda text: text + "ab" * 32 + " misplaced - x\n", "line 4"),
        (lambda text: text + "zz" * 32 + " lost - x\n", "line 4"),
        (lambda text: text + "ab" * 32 + " lost 2026-13-01 x\n", "line 4"),
    ],
)
def test_a_list_that_does_not_parse_fails_closed(
    tmp_path: Path, damage: object, detail: str
) -> None:
    path = _list(tmp_path)
    path.write_text(damage(path.read_text()))  # type: ignore[operator]
    answer = LocalListProvider(path, KEY).check(CLEAN)
    assert answer.kind is StatusKind.UNAVAILABLE
    assert detail in answer.detail
    assert CLEAN.document_number not in answer.detail


def test_a_list_made_with_another_key_or_missing_is_unavailable(tmp_path: Path) -> None:
    path = _list(tmp_path, key=bytes(32))
    assert "another key" in LocalListProvider(path, KEY).check(STOLEN).detail
    gone = LocalListProvider(tmp_path / "missing.txt", KEY).check(STOLEN)
    assert gone.kind is StatusKind.UNAVAILABLE
    assert "cannot read" in gone.detail


def test_bad_rows_and_keys_are_refused_when_building() -> None:
    with pytest.raises(ValueError, match="reason"):
        build_status_list([ListedDocument(STOLEN, "misplaced")], KEY)
    with pytest.raises(ValueError, match="16 random bytes"):
        build_status_list(ROWS, b"short")
    with pytest.raises(ValueError, match=r"StatusQuery\.document_number"):
        StatusQuery("UTO", "P", "")
    with pytest.raises(ValueError, match=r"StatusQuery\.issuing_state"):
        StatusQuery("U|O", "P", "1")
    assert "L898902C3" not in repr(STOLEN)


def test_the_provider_from_a_file(tmp_path: Path) -> None:
    _list(tmp_path)
    (tmp_path / "list.key").write_text(KEY.hex() + "\n")
    config = tmp_path / "status.toml"
    config.write_text('[status]\nprovider = "list"\nlist = "listed.txt"\nkey_file = "list.key"\n')
    assert load_status_provider(config).check(STOLEN).kind is StatusKind.LISTED
    for text, message in [
        ('[status]\nprovider = "ldap"\n', "provider"),
        ('[status]\nprovider = "list"\nlist = "x"\nkey_file = "list.key"\nkeyfile = 1\n',
         "unknown status setting"),
        ('[status]\nprovider = "http"\nurl = "ftp://x"\n', "http"),
        ('[status]\nprovider = "http"\nurl = "https://x"\ntimeout_seconds = 9\n'
         "deadline_seconds = 1\n", "timeout"),
    ]:  # fmt: skip
        config.write_text(text)
        with pytest.raises(ValueError, match=message):
            load_status_provider(config)


# -- the check and the verdict ----------------------------------------------------------------


class Raising:
    name = "broken provider"

    def check(self, query: StatusQuery) -> StatusAnswer:
        raise RuntimeError(query.document_number)


def test_answers_become_checks() -> None:
    assert (
        status_outcome(StatusAnswer(StatusKind.NOT_LISTED, source="S")).status is CheckStatus.PASSED
    )
    listed = status_outcome(StatusAnswer(StatusKind.LISTED, "stolen", "S", date(2026, 1, 2)))
    assert listed == CheckOutcome(CheckStatus.FAILED, "listed as stolen by S since 2026-01-02",
                                  "status.listed")  # fmt: skip
    assert status_outcome(StatusAnswer.unavailable("timeout")).code == "status.unavailable"
    assert status_outcome(None).code == "status.no_provider"
    assert check_status(Raising(), None).code == "status.no_document_number"


def test_a_provider_that_raises_fails_closed(caplog: pytest.LogCaptureFixture) -> None:
    from mrtd.mrz import parse_mrz  # noqa: PLC0415

    mrz = parse_mrz(["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                     "L898902C36UTO7408122F1204159ZE184226B<<<<<10"])  # fmt: skip
    outcome = check_status(Raising(), mrz)
    assert outcome.code == "status.unavailable"
    assert "RuntimeError" in outcome.reason
    assert "L898902C3" not in caplog.text + outcome.reason


LISTED = CheckOutcome(CheckStatus.FAILED, "listed as stolen", "status.listed")
UNAVAILABLE = CheckOutcome(CheckStatus.NOT_CHECKED, "timeout", "status.unavailable")
NOT_LISTED = CheckOutcome(CheckStatus.PASSED, "not listed")


@pytest.mark.parametrize("setting", list(DocumentStatus))
def test_a_listed_document_is_never_genuine(setting: DocumentStatus) -> None:
    verdict = decide(replace(PROVEN, status=LISTED), Policy(document_status=setting))
    assert verdict.status is VerdictStatus.FAILED
    assert verdict.codes == ("status.listed",)


def test_an_unavailable_provider_fails_closed_unless_the_policy_accepts_it() -> None:
    evidence = replace(PROVEN, status=UNAVAILABLE)
    assert decide(evidence).codes == ("status.unavailable",)
    assert decide(evidence, Policy(document_status="required")).codes == ("status.unavailable",)  # type: ignore[arg-type]
    best_effort = decide(evidence, Policy(document_status=DocumentStatus.BEST_EFFORT))
    assert best_effort.genuine
    assert "best effort" in best_effort.checks["status"].reason


def test_no_provider_is_fine_unless_the_policy_requires_one() -> None:
    assert decide(PROVEN).genuine  # status.no_provider, policy if_configured
    required = decide(PROVEN, Policy(document_status=DocumentStatus.REQUIRED))
    assert required.codes == ("status.no_provider",)
    assert decide(replace(PROVEN, status=NOT_LISTED),
                  Policy(document_status=DocumentStatus.REQUIRED)).genuine  # fmt: skip
