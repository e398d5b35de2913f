"""Resume after tag loss: the card leaves the field mid-read and comes back (or not)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from mrtd.access.keys import MRZKey
from mrtd.errors import CardRemovedError
from mrtd.pipeline.read_chip import read_document
from mrtd.pipeline.session import Session
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.profile import Profile, ProfileError

DEFAULT = Profile.default()
KEY = MRZKey.from_mrz(DEFAULT.mrz)


def _hashes(files: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}


def _on_chip(chip: SimulatedChip) -> dict[str, str]:
    return _hashes({f.name: f.data for f in chip.files.values()})


def _profile(**faults: Any) -> Profile:
    return Profile.from_dict({"faults": faults})


REFERENCE = read_document(SimulatedReader(SimulatedChip(DEFAULT)), KEY)


@pytest.mark.parametrize("at", [1, 2, 3, 4, 5, 6, 7, 20, 50, 100, 106, 107])
def test_removal_at_any_apdu_resumes_to_the_same_files(at: int) -> None:
    chip = SimulatedChip(_profile(remove_at_apdu=at, return_after_ms=300))
    document = read_document(SimulatedReader(chip), KEY)
    assert _hashes(dict(document.files)) == _on_chip(chip)
    assert document.stats.resumes == 1
    # A restart would cost the APDUs up to the loss plus a whole read again; a resume costs
    # as much when the loss came during access (APDUs 1-3 and the first read), less after.
    restart = at + REFERENCE.stats.apdus
    if at <= 4:
        assert document.stats.apdus <= restart
    else:
        assert document.stats.apdus < restart
    # What a resume costs: the lost APDU, SELECT + BAC again (3), maybe a SELECT of the file,
    # and the chunk that was in flight.
    assert document.stats.apdus <= REFERENCE.stats.apdus + 1 + 3 + 1 + 1


def test_several_losses() -> None:
    chip = SimulatedChip(_profile(remove_at_apdu=[10, 40, 80], return_after_ms=100))
    document = read_document(SimulatedReader(chip), KEY)
    assert _hashes(dict(document.files)) == _on_chip(chip)
    assert document.stats.resumes == 3


def test_card_that_never_returns_keeps_the_files_read_so_far() -> None:
    chip = SimulatedChip(_profile(remove_at_apdu=30, return_after_ms=-1))
    with pytest.raises(CardRemovedError, match="did not come back within 2 s") as caught:
        read_document(SimulatedReader(chip), KEY, resume_timeout=2.0)
    partial = caught.value.partial
    assert partial is not None
    assert set(partial.files) == {"EF.COM", "EF.SOD", "DG1"}  # DG2 was being read
    assert _hashes(partial.files) == {k: v for k, v in _on_chip(chip).items() if k != "DG2"}
    assert chip.modeled_seconds >= 2.0  # it waited the whole timeout (modeled time)


def test_card_that_returns_too_late() -> None:
    chip = SimulatedChip(_profile(remove_at_apdu=30, return_after_ms=3000))
    with pytest.raises(CardRemovedError):
        read_document(SimulatedReader(chip), KEY, resume_timeout=2.0)


def test_resume_can_be_switched_off() -> None:
    chip = SimulatedChip(_profile(remove_at_apdu=30))
    session = Session(SimulatedReader(chip), resume_timeout=0)
    with pytest.raises(CardRemovedError, match="left the field"):
        session.read_document(KEY)


def test_fault_settings_are_validated() -> None:
    with pytest.raises(ProfileError, match="remove_at_apdu"):
        _profile(remove_at_apdu=[0])
    with pytest.raises(ProfileError, match="wrong type"):
        _profile(return_after_ms="soon")
