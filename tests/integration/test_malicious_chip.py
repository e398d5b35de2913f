"""The malicious-chip campaign (mrtd.sim.campaign): a hostile chip ends the read with a specific
`mrtd.errors` exception that keeps the files read and verified before the fault, or the read
completes and its verdict says why it fails; within 5 s and 64 MB. Removing the card at every
APDU of a BAC read and of a PACE read resumes every time."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from mrtd.errors import CardTimeoutError as ReaderTimeout
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.campaign import CASES, MEMORY_LIMIT, TIME_LIMIT, Case, check, run_case, sweep_indices
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.profile import Profile, ProfileError
from tests.conftest import ROOT

TABLE = ROOT / "docs" / "security.md"


def _param(case: Case, *values: object, id: str) -> Any:  # noqa: A002 - pytest's name
    marks = [pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
    return pytest.param(case, *values, id=id, marks=marks)


@pytest.mark.parametrize("case", [_param(c, id=c.id) for c in CASES if not c.sweep])
def test_hostile_chip(case: Case) -> None:
    outcome = run_case(case)
    problems = check(case, outcome)
    assert not problems, f"{outcome.summary()}: {problems}"
    assert outcome.seconds < TIME_LIMIT
    assert outcome.peak_bytes < MEMORY_LIMIT


@pytest.mark.parametrize(
    ("case", "index"),
    [_param(c, i, id=f"{c.id}-{i}") for c in CASES if c.sweep for i in sweep_indices(c)],
)
def test_card_removal_at_every_apdu(case: Case, index: int) -> None:
    outcome = run_case(case, remove_at=index)
    problems = check(case, outcome)
    assert not problems, f"removed at APDU {index}: {outcome.summary()}: {problems}"


def test_the_table_lists_exactly_the_cases() -> None:
    text = TABLE.read_text(encoding="utf-8")
    body = text[text.index("<!-- campaign:begin -->") : text.index("<!-- campaign:end -->")]
    rows = [line for line in body.splitlines() if line.startswith("| ")][1:]  # no header
    cells = [[cell.strip().replace("\\|", "|") for cell in row.strip("| ").split(" | ")]
             for row in rows]  # fmt: skip
    assert [(c[0], c[1]) for c in cells] == [(case.fault, case.where) for case in CASES]
    assert not any("UNEXPECTED" in c[2] for c in cells)


def test_case_ids_are_unique() -> None:
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize(
    ("faults", "message"),
    [
        ({"hostile": "bit-flip"}, "unknown hostile fault 'bit-flip'"),
        ({"hostile": "stall", "delay": 10}, "has no setting 'delay'"),
        ({"hostile": "wrong-mac", "target_file": "DG99"}, "no LDS file"),
        ({"hostile": "wrong-mac", "target_step": "TA"}, "target_step must be one of"),
        ({"hostile": "replay", "at_apdu": -1}, "must not be negative"),
        ({"hostile": "replay", "times": -1}, "must not be negative"),
        ({"hostile": "replay", "at_apdu": 1.5}, "whole numbers"),
        ({"hostile": "truncate", "size": -2}, "size must be"),
        ({"hostile": "overlong", "size": 1 << 25}, "size must be"),
        ({"hostile": "claim-length", "target_file": "DG1", "size": 1 << 32}, "size must be"),
        ({"hostile": "deep-nesting", "target_file": "DG1", "depth": 0}, "depth must be"),
        ({"hostile": "stall", "delay_ms": -1}, "delay_ms must be"),
        ({"hostile": "stall", "target_step": True}, "wrong type"),
        ({"hostile": "deep-nesting"}, "give target_file only"),
        ({"hostile": "claim-length", "target_file": "DG1", "at_apdu": 3}, "target_file only"),
        ({"hostile": "unknown-oids", "target_file": "DG2"}, "EF.CardAccess or DG14"),
        ({"target_file": "DG2"}, "target_file need a hostile fault"),
        ({"size": 10, "times": 2}, "size, times need a hostile fault"),
        ({"hostile": "com-duplicate-dg14", "target_file": "DG14"}, "takes no target_file"),
        ({"hostile": "card-access-absent", "times": 2}, "card-access-absent takes no times"),
    ],
)
def test_bad_fault_settings_are_refused(faults: dict[str, Any], message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        Profile.from_dict({"faults": faults})


def test_a_content_fault_needs_its_file_on_the_chip() -> None:
    profile = Profile.from_dict({"faults": {"hostile": "unknown-oids", "target_file": "DG14"}})
    with pytest.raises(ProfileError, match="the chip has no such file"):
        SimulatedChip(profile)


@pytest.mark.parametrize(
    ("chip", "fault", "message"),
    [
        ({}, "com-duplicate-dg14", "needs a chip with Chip Authentication"),
        ({"access": ["pace", "bac"]}, "card-security-unsigned", "needs a chip with PACE-CAM"),
        ({"aa": "rsa-1024-sha1"}, "dg15-unmapped-algorithm", "ECDSA Active Authentication"),
        ({}, "card-access-garbled", "needs a chip with PACE"),
    ],
)
def test_a_forgery_fault_needs_what_it_forges(
    chip: dict[str, Any], fault: str, message: str
) -> None:
    profile = Profile.from_dict({"chip": chip, "faults": {"hostile": fault}})
    with pytest.raises(ProfileError, match=message):
        SimulatedChip(profile)


def test_a_stall_is_modeled_under_a_reader_timeout_and_real_without_one() -> None:
    profile = Profile.from_dict({"faults": {"hostile": "stall", "delay_ms": 60}})
    chip = SimulatedChip(profile)
    select_mf = bytes.fromhex("00A4000C023F00")
    with pytest.raises(ReaderTimeout):
        SimulatedReader(chip, answer_timeout=0.05).transmit(select_mf)
    assert chip.modeled_seconds == pytest.approx(0.05)
    chip = SimulatedChip(profile)
    started = time.perf_counter()
    assert chip.transmit(select_mf)[-2:] == b"\x90\x00"  # vpcd, nfc_target: really late
    assert time.perf_counter() - started >= 0.05


def test_profile_files_with_hostile_faults_load(tmp_path: Path) -> None:
    path = tmp_path / "hostile.toml"
    path.write_text('[faults]\nhostile = "wrong-mac"\ntarget_file = "DG2"\ntimes = 0\n')
    faults = Profile.load(path).faults
    assert (faults.hostile, faults.target_file, faults.times) == ("wrong-mac", "DG2", 0)
