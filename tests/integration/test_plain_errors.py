"""Chips that answer errors under secure messaging as bare status words (no DO'99'/DO'8E'),
as some real chips do (issue 18): the simulated chip's `plain_errors = true`. The reader
takes such an answer as the error it is, keeps the channel in step, and reads on."""

from __future__ import annotations

from typing import Any

import pytest

from mrtd.access.keys import MRZKey
from mrtd.pipeline.document import Document
from mrtd.pipeline.read_chip import read_document
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.pki import TestPKI
from mrtd.sim.profile import Profile, ProfileError
from mrtd.verify.trust import TrustStore

BAC: dict[str, Any] = {"access": ["bac"], "aa": "ecdsa-brainpoolP256r1-sha256",
                       "data_groups": [1, 2, 3]}  # fmt: skip
PACE: dict[str, Any] = {"access": ["pace", "bac"], "ca": "ecdh-brainpoolP256r1-aes128",
                        "data_groups": [1, 2, 3, 11]}  # fmt: skip


class Recording(SimulatedChip):
    """Keeps every answer's raw bytes."""

    def __init__(self, profile: Profile) -> None:
        super().__init__(profile)
        self.answers: list[bytes] = []

    def transmit(self, raw: bytes) -> bytes:
        answer = super().transmit(raw)
        self.answers.append(answer)
        return answer


@pytest.fixture(scope="module")
def trust() -> TrustStore:
    store = TrustStore(allow_test_pki=True)
    store.add_bytes(TestPKI().all_csca_pem(), source="test CSCA")
    return store


def read(chip: SimulatedChip, trust: TrustStore) -> Document:
    return read_document(SimulatedReader(chip), MRZKey.from_mrz(chip.profile.mrz), trust=trust)


@pytest.mark.parametrize("settings", [BAC, PACE], ids=["bac", "pace"])
@pytest.mark.parametrize("sfi", [True, False], ids=["sfi", "no-sfi"])
def test_bare_error_answers_read_as_protected_ones(
    settings: dict[str, Any], sfi: bool, trust: TrustStore
) -> None:
    protected = Recording(Profile.from_dict({"chip": {**settings, "sfi": sfi}}))
    plain = Recording(Profile.from_dict({"chip": {**settings, "sfi": sfi, "plain_errors": True}}))
    expected, got = read(protected, trust), read(plain, trust)

    bare = [a for a in plain.answers if len(a) == 2 and a[0] not in (0x90, 0x61, 0x62, 0x63)]
    assert bare, "the chip answered no error bare"
    assert b"\x69\x82" in bare  # DG3 behind EAC, refused without SM
    assert sorted(got.files) == sorted(expected.files)
    assert got.denied == expected.denied == ("DG3",)
    assert got.access.protocol == expected.access.protocol
    assert got.verdict.status == expected.verdict.status
    assert got.verdict.passive.status == "passed"
    assert got.verdict.chip.status == expected.verdict.chip.status
    assert got.verdict.active.status == expected.verdict.active.status


def test_the_setting_is_a_boolean() -> None:
    with pytest.raises(ProfileError, match="plain_errors has the wrong type"):
        Profile.from_dict({"chip": {"plain_errors": "yes"}})
