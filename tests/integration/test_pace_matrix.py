"""PACE against the simulated chip over every mapping x domain x cipher the standards define.

Excluded, because no standard defines them (the profile refuses them too):
- the integrated mapping on NIST P-224 (id 10): its point encoding f_G needs p = 3 mod 4;
- the chip authentication mapping with DH groups or with 3DES: CAM has ECDH-AES OIDs only.
Each case runs PACE and reads EF.COM and DG1 under the new channel: one case per combination,
with the MRZ and the CAN as password in turn.
"""

from __future__ import annotations

from typing import Any

import pytest

from mrtd.access.keys import AccessKey, CANKey, MRZKey
from mrtd.crypto.domains import STANDARD_DOMAINS, DHGroup
from mrtd.lds import LDS_FILES
from mrtd.pipeline.session import Session
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.profile import Profile

CAN = "314159"
CIPHERS = ("3DES", "AES-128", "AES-192", "AES-256")


def _combinations() -> list[tuple[str, int, str]]:
    cases = []
    for domain_id, domain in STANDARD_DOMAINS.items():
        dh = isinstance(domain, DHGroup)
        for cipher in CIPHERS:
            cases.append(("GM", domain_id, cipher))
            if domain.name != "P-224":
                cases.append(("IM", domain_id, cipher))
            if not dh and cipher != "3DES":
                cases.append(("CAM", domain_id, cipher))
    return cases


COMBINATIONS = _combinations()


def pace_profile(mapping: str, domain: int | str, cipher: str, **chip: Any) -> Profile:
    table: dict[str, Any] = {
        "access": ["pace", "bac"],
        "can": CAN,
        "pace": {"mapping": mapping, "domain": str(domain), "cipher": cipher},
        # DH-2048 public values do not fit a short APDU.
        "extended_length": str(domain) in ("1", "2"),
    }
    return Profile.from_dict({"chip": {**table, **chip}})


def test_the_matrix_covers_every_defined_combination() -> None:
    assert len(COMBINATIONS) == 14 * 4 + 13 * 4 + 11 * 3  # GM, IM (not P-224), CAM (EC, AES)


@pytest.mark.parametrize(("mapping", "domain_id", "cipher"), COMBINATIONS)
def test_pace_then_secure_messaging(mapping: str, domain_id: int, cipher: str) -> None:
    profile = pace_profile(mapping, domain_id, cipher)
    key: AccessKey = (
        CANKey(CAN) if COMBINATIONS.index((mapping, domain_id, cipher)) % 2
        else MRZKey.from_mrz(profile.mrz)
    )  # fmt: skip
    chip = SimulatedChip(profile)
    session = Session(SimulatedReader(chip), access="pace")
    report = session.open_access(key)
    assert report.protocol == "PACE"
    assert not report.downgraded
    assert report.pace["mapping"] == mapping
    assert report.pace["domain"] == STANDARD_DOMAINS[domain_id].name
    assert report.pace["cipher"] == cipher
    if mapping == "CAM":
        assert report.chip_authentication == "passed"
    for name in ("EF.COM", "DG1"):
        info = LDS_FILES[name]
        assert session.read_file(info) == chip.files[info.fid].data
