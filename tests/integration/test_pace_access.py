"""Access policy and a hostile PACE chip: wrong passwords, invalid public values, downgrades,
several PACEInfos, explicit domain parameters, PACE-CAM's chip check, resume after tag loss."""

from __future__ import annotations

import os
from typing import Any

import pytest

from mrtd.access.keys import CANKey, MRZKey
from mrtd.access.pace.groups import DHAgreement
from mrtd.crypto.domains import STANDARD_DOMAINS, DHGroup, ECCurve
from mrtd.errors import BACError, InvalidPointError, PACEError
from mrtd.lds import LDS_FILES
from mrtd.pipeline.read_chip import read_document
from mrtd.pipeline.session import Session
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.profile import Profile
from mrtd.sim.security_files import static_key
from tests.integration.test_pace_matrix import CAN, pace_profile

EC = ("GM", "brainpoolP256r1", "AES-128")
DH = ("GM", 0, "AES-128")


def _key(profile: Profile) -> MRZKey:
    return MRZKey.from_mrz(profile.mrz)


def _hostile(variant: tuple[str, int | str, str], **faults: Any) -> Profile:
    base = pace_profile(*variant)
    pace = dict(zip(("mapping", "domain", "cipher"), map(str, variant), strict=True))
    data = {"chip": {"access": ["pace", "bac"], "can": CAN, "pace": pace}, "faults": faults}
    profile = Profile.from_dict(data)
    assert profile.mrz == base.mrz
    return profile


def test_wrong_can_is_a_wrong_key_and_never_falls_back() -> None:
    chip = SimulatedChip(pace_profile(*EC))
    with pytest.raises(PACEError, match="refused the password") as caught:
        Session(SimulatedReader(chip)).open_access(CANKey("000000"))
    assert caught.value.wrong_key


def test_wrong_mrz_key_with_pace_does_not_fall_back_to_bac() -> None:
    chip = SimulatedChip(pace_profile(*EC))
    wrong = MRZKey("X0000000", "800101", "300101")
    session = Session(SimulatedReader(chip))
    with pytest.raises(PACEError) as caught:
        session.open_access(wrong)
    assert caught.value.wrong_key
    assert session.access.protocol == ""


@pytest.mark.parametrize("variant", [EC, DH], ids=["ecdh", "dh"])
@pytest.mark.parametrize("step", ["mapping", "agreement"])
@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("off-curve", "invalid public value"),
        ("infinity", "invalid public value"),
        ("small-subgroup", "invalid public value"),
        ("echo", "echoed"),
    ],
)
def test_invalid_chip_public_values_are_refused(
    variant: tuple[str, int | str, str], step: str, fault: str, message: str
) -> None:
    profile = _hostile(variant, pace_public=fault, pace_step=step)
    session = Session(SimulatedReader(SimulatedChip(profile)), access="pace")
    with pytest.raises(PACEError, match=message) as caught:
        session.open_access(_key(profile))
    assert not caught.value.wrong_key


@pytest.mark.parametrize("domain_id", [0, 1, 2])
def test_dh_values_outside_the_order_q_subgroup_are_refused(domain_id: int) -> None:
    group = STANDARD_DOMAINS[domain_id]
    assert isinstance(group, DHGroup)
    agreement = DHAgreement(group)
    cases = [(group.p - 1, "out of range"), (1, "out of range"), (group.p, "out of range"),
             (2, "not in the prime-order subgroup")]  # fmt: skip
    for value, message in cases:
        with pytest.raises(InvalidPointError, match=message):
            agreement.validate(value.to_bytes(group.size, "big"))
    assert agreement.validate(agreement.keypair(os.urandom).public)


def test_wrong_chip_token_is_refused() -> None:
    profile = _hostile(EC, pace_token=True)
    session = Session(SimulatedReader(SimulatedChip(profile)), access="pace")
    with pytest.raises(PACEError, match="token does not verify"):
        session.open_access(_key(profile))


def test_auto_access_falls_back_to_bac_and_records_the_downgrade() -> None:
    profile = _hostile(EC, pace_public="off-curve")
    document = read_document(SimulatedReader(SimulatedChip(profile)), _key(profile))
    assert document.access.protocol == "BAC"
    assert document.access.downgraded
    assert "PACE failed" in document.access.reason
    assert document.access.as_dict()["downgraded"] is True
    assert "DG2" in document.files


def test_no_fallback_when_the_caller_forbids_it() -> None:
    profile = _hostile(EC, pace_public="infinity")
    with pytest.raises(PACEError):
        read_document(SimulatedReader(SimulatedChip(profile)), _key(profile), fallback=False)


def test_strongest_of_several_pace_infos_is_chosen() -> None:
    variants = [
        {"mapping": "GM", "domain": "brainpoolP256r1", "cipher": "AES-128"},
        {"mapping": "IM", "domain": "P-384", "cipher": "AES-256"},
        {"mapping": "CAM", "domain": "brainpoolP512r1", "cipher": "AES-192"},
        {"mapping": "GM", "domain": "0", "cipher": "3DES"},
    ]
    profile = Profile.from_dict({"chip": {"access": ["pace", "bac"], "pace": variants}})
    session = Session(SimulatedReader(SimulatedChip(profile)))
    report = session.open_access(_key(profile))
    # P-384 + AES-256 and brainpoolP512r1 + AES-192 both give 192 bits; CAM wins the tie.
    assert report.pace == {"mapping": "CAM", "domain": "brainpoolP512r1", "cipher": "AES-192",
                           "key_agreement": "ECDH"}  # fmt: skip
    assert report.chip_authentication == "passed"


def test_explicit_domain_parameters_are_mapped_to_the_named_curve() -> None:
    pace = {"mapping": "GM", "domain": "brainpoolP256r1", "cipher": "AES-128", "explicit": True}
    profile = Profile.from_dict({"chip": {"access": ["pace"], "pace": pace}})
    session = Session(SimulatedReader(SimulatedChip(profile)))
    assert session.open_access(_key(profile)).pace["domain"] == "brainpoolP256r1"


def test_pace_only_chip_refuses_bac_and_bac_only_chip_refuses_a_can() -> None:
    profile = pace_profile(*EC, access=["pace"])
    with pytest.raises(BACError, match="access denied"):
        Session(SimulatedReader(SimulatedChip(profile)), access="bac").open_access(_key(profile))
    bac_only = Profile.default()
    with pytest.raises(PACEError, match="CAN works with PACE only"):
        Session(SimulatedReader(SimulatedChip(bac_only))).open_access(CANKey(CAN))
    with pytest.raises(PACEError, match="offers no PACE"):
        Session(SimulatedReader(SimulatedChip(bac_only)), access="pace").open_access(_key(bac_only))


def test_cam_detects_a_chip_without_the_published_key() -> None:
    profile = pace_profile("CAM", "brainpoolP256r1", "AES-128")
    chip = SimulatedChip(profile)
    assert chip.pace is not None
    other = Profile.from_dict({"document": {"document_number": "X1234567"}})
    curve = chip.pace.options[0].domain
    assert isinstance(curve, ECCurve)
    chip.pace.static_keys = {"brainpoolP256r1": static_key(other, curve)}
    report = Session(SimulatedReader(chip)).open_access(_key(profile))
    assert report.protocol == "PACE"
    assert report.chip_authentication == "failed"


def test_read_resumes_with_pace_after_the_card_leaves() -> None:
    profile = pace_profile(*EC)
    profile_data = {"chip": {"access": ["pace", "bac"], "pace": {"mapping": "GM",
                    "domain": "brainpoolP256r1", "cipher": "AES-128"}},
                    "faults": {"remove_at_apdu": [30], "return_after_ms": 100}}  # fmt: skip
    faulty = Profile.from_dict(profile_data)
    chip = SimulatedChip(faulty)
    document = read_document(SimulatedReader(chip), _key(profile))
    assert document.stats.resumes == 1
    assert document.access.protocol == "PACE"
    assert document.files["DG2"] == chip.files[LDS_FILES["DG2"].fid].data
