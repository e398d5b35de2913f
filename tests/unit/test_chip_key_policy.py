"""The chip's keys and EF.CardSecurity's signer under the policy (`decide`): a chip key below the
policy's floor fails the document (`clone.chip_key_weak`), and a PACE-CAM pass counts only
while EF.CardSecurity's Document Signer meets the policy as EF.SOD's must."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from mrtd.errors import PolicyError
from mrtd.verify.algorithms import Algorithms
from mrtd.verify.outcome import CheckOutcome, CheckStatus, KeyInfo
from mrtd.verify.policy import STRICT, CloneDetection, Policy, Revocation
from mrtd.verify.signature import SignatureInfo
from mrtd.verify.verdict import Evidence, SignerEvidence, VerdictStatus, decide

PASSED = CheckOutcome(CheckStatus.PASSED)
NO_DG14 = CheckOutcome(CheckStatus.NOT_SUPPORTED, "no DG14", "chip.no_key")
NO_DG15 = CheckOutcome(CheckStatus.NOT_SUPPORTED, "no DG15", "active.no_key")
GOOD = Algorithms(
    "sha256",
    "sha256",
    SignatureInfo("ecdsa", "sha256", KeyInfo("ec", 256, "secp256r1")),
    SignatureInfo("rsassa_pss", "sha256", KeyInfo("rsa", 3072)),
)
RSA_1024 = KeyInfo("rsa", 1024)
DH_1024 = KeyInfo("dh", 1024)
EC_192 = KeyInfo("ec", 192, "brainpoolP192r1")
AA_1024 = CheckOutcome(CheckStatus.PASSED, "RSA-1024 ISO/IEC 9796-2, SHA-256", "active.passed",
                       RSA_1024)  # fmt: skip
PROVEN = Evidence(
    passive=PASSED,
    revocation=PASSED,
    algorithms=GOOD,
    active=AA_1024,
    chip=NO_DG14,
    expiry=PASSED,
    access=PASSED,
    binding=PASSED,
    completeness=PASSED,
    issuing_state="UTO",
    document_code="P",
)
BANK = Policy(name="bank", min_chip_rsa_bits=2048, min_chip_dh_bits=2048, min_chip_ec_bits=256)


# -- the policy's chip-key floors -----------------------------------------------------------


def test_the_strict_floors_admit_what_9303_11_admits() -> None:
    assert (STRICT.min_chip_rsa_bits, STRICT.min_chip_dh_bits, STRICT.min_chip_ec_bits) == (
        1024, 1024, 192
    )  # fmt: skip
    assert STRICT.as_dict()["min_chip_rsa_bits"] == 1024
    assert {"min_chip_dh_bits", "min_chip_ec_bits"} <= set(STRICT.as_dict())


def test_chip_key_floors_from_toml_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "bank.toml"
    path.write_text("min_chip_rsa_bits = 2048\nmin_chip_dh_bits = 2048\nmin_chip_ec_bits = 256\n")
    policy = Policy.from_toml(path)
    assert (policy.min_chip_rsa_bits, policy.min_chip_dh_bits, policy.min_chip_ec_bits) == (
        2048, 2048, 256
    )  # fmt: skip
    assert policy.min_rsa_bits == STRICT.min_rsa_bits  # the Document Signer's floor apart
    assert Policy.from_mapping(policy.as_dict()) == policy
    assert policy.as_dict()["min_chip_ec_bits"] == 256


@pytest.mark.parametrize("name", ["min_chip_rsa_bits", "min_chip_dh_bits", "min_chip_ec_bits"])
@pytest.mark.parametrize("value", ["-1", "'2048'", "true", "20000", "1.5"])
def test_bad_chip_key_floors_are_refused_by_name(tmp_path: Path, name: str, value: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(f"{name} = {value}\n")
    with pytest.raises(PolicyError, match=re.escape(f"{name} is a whole number")):
        Policy.from_toml(path)


@pytest.mark.parametrize("name", ["min_chip_rsa_bits", "min_chip_dh_bits", "min_chip_ec_bits",
                                  "min_rsa_bits", "min_ec_bits"])  # fmt: skip
def test_bad_floors_in_code_are_refused_by_name(name: str) -> None:
    for value in (-1, 16_385, True, "2048"):
        with pytest.raises(PolicyError, match=re.escape(f"{name} is a whole number")):
            Policy(**{name: value})  # type: ignore[arg-type]


# -- a chip key below the floor --------------------------------------------------------------


def test_a_1024_bit_aa_key_is_genuine_under_strict_and_reported() -> None:
    verdict = decide(PROVEN)
    assert verdict.genuine
    assert verdict.active.key == RSA_1024
    assert verdict.as_dict()["checks"]["active"]["key"] == {"type": "rsa", "bits": 1024}  # type: ignore[index]


@pytest.mark.parametrize(
    ("which", "key"),
    [("active", RSA_1024), ("chip", DH_1024), ("chip", EC_192), ("active", EC_192)],
)
def test_a_chip_key_below_the_floor_fails(which: str, key: KeyInfo) -> None:
    code = f"{which}.passed"
    proof = CheckOutcome(CheckStatus.PASSED, "proven", code, key)
    evidence = replace(PROVEN, active=NO_DG15, chip=NO_DG14)
    evidence = replace(evidence, **{which: proof})  # type: ignore[arg-type]
    assert decide(evidence).genuine
    for policy in (BANK, replace(BANK, clone_detection=CloneDetection.DATA_ONLY_ACCEPTED)):
        verdict = decide(evidence, policy)
        assert verdict.status is VerdictStatus.FAILED
        assert verdict.codes == ("clone.chip_key_weak",)
        clone = verdict.checks["clone_detection"]
        assert f"{which} {key}" in clone.reason
        assert "bank" in clone.reason


def test_a_weak_key_fails_even_beside_a_strong_one() -> None:
    strong = CheckOutcome(CheckStatus.PASSED, "ECDH", "chip.passed", KeyInfo("ec", 256, "P-256"))
    verdict = decide(replace(PROVEN, chip=strong), BANK)
    assert verdict.codes == ("clone.chip_key_weak",)
    assert "active rsa-1024" in verdict.checks["clone_detection"].reason
    assert decide(replace(PROVEN, active=NO_DG15, chip=strong), BANK).genuine


def test_a_key_of_unknown_size_is_not_accepted_and_no_key_is_not_judged() -> None:
    unknown = replace(AA_1024, key=KeyInfo("rsa"))
    assert decide(replace(PROVEN, active=unknown)).codes == ("clone.chip_key_weak",)
    other = replace(AA_1024, key=KeyInfo("unknown", 4096))
    assert decide(replace(PROVEN, active=other)).codes == ("clone.chip_key_weak",)
    assert decide(replace(PROVEN, active=PASSED), BANK).genuine  # no key described


def test_the_key_takes_no_part_in_comparing_outcomes() -> None:
    assert replace(AA_1024, key=None) == AA_1024
    assert "key" not in replace(AA_1024, key=None).as_dict()


# -- EF.CardSecurity's signer, when PACE-CAM rests on it -------------------------------------

CAM = CheckOutcome(CheckStatus.PASSED, "PACE-CAM", "chip.cam_passed", KeyInfo("ec", 256, "P-256"))
CAM_PROVEN = replace(PROVEN, active=NO_DG15, chip=CAM,
                     card_security=SignerEvidence(PASSED, GOOD, timedelta(days=1)))  # fmt: skip


def weak_signer(**changes: object) -> Algorithms:
    return replace(GOOD, **changes)  # type: ignore[arg-type]


def test_a_cam_pass_with_a_signer_the_policy_accepts_is_genuine() -> None:
    verdict = decide(CAM_PROVEN)
    assert verdict.genuine
    assert verdict.chip.code == "chip.cam_passed"


RSA_1024_DS = SignatureInfo("rsassa_pkcs1v15", "sha256", RSA_1024)
SHA1_DS = SignatureInfo("rsassa_pkcs1v15", "sha1", KeyInfo("rsa", 2048))
REVOKED = CheckOutcome(CheckStatus.FAILED, "revoked", "passive.ds_revoked")
NO_CRL = CheckOutcome(CheckStatus.NOT_CHECKED, "no CRL", "passive.no_crl")


@pytest.mark.parametrize(
    ("signer", "why"),
    [
        (SignerEvidence(PASSED, weak_signer(signed_attributes_hash="sha1")), "sha1"),
        (
            SignerEvidence(PASSED, weak_signer(ds_signature=RSA_1024_DS)),
            "DS signature key rsa-1024",
        ),
        (SignerEvidence(PASSED, weak_signer(ds_signature=SHA1_DS)), "DS signature hash sha1"),
        (SignerEvidence(REVOKED, GOOD), "revoked"),
        (SignerEvidence(NO_CRL, GOOD), "requires a current CRL"),
        (SignerEvidence(PASSED, None), "no signature was verified"),
        (None, "not known"),
    ],
)
def test_a_cam_pass_whose_signer_the_policy_refuses_proves_nothing(
    signer: SignerEvidence | None, why: str
) -> None:
    evidence = replace(CAM_PROVEN, card_security=signer)
    data_only = Policy(name="data-only", clone_detection=CloneDetection.DATA_ONLY_ACCEPTED)
    for policy in (STRICT, data_only):
        verdict = decide(evidence, policy)
        assert not verdict.genuine
        chip = verdict.chip
        assert (chip.status, chip.code) == (CheckStatus.NOT_CHECKED, "chip.cam_unverified")
        assert why in chip.reason
        assert "EF.CardSecurity's signer" in chip.reason
        assert chip.key == CAM.key
        assert verdict.checks["clone_detection"].code == "clone.not_proven"


def test_the_cam_signer_is_judged_by_the_same_policy_settings() -> None:
    sha1 = replace(CAM_PROVEN, card_security=SignerEvidence(PASSED, weak_signer(
        signed_attributes_hash="sha1")))  # fmt: skip
    legacy = Policy(name="legacy", hashes=frozenset({"sha1", "sha256"}))
    assert decide(sha1, legacy).genuine
    no_crl = replace(CAM_PROVEN, card_security=SignerEvidence(
        CheckOutcome(CheckStatus.NOT_CHECKED, "no CRL", "passive.no_crl"), GOOD))  # fmt: skip
    assert decide(no_crl, Policy(revocation=Revocation.BEST_EFFORT)).genuine
    old = replace(CAM_PROVEN, card_security=SignerEvidence(PASSED, GOOD, timedelta(days=30)))
    verdict = decide(old, Policy(max_trust_age=timedelta(days=7)))
    assert verdict.chip.code == "chip.cam_unverified"
    assert "older" in verdict.chip.reason


def test_another_proof_still_proves_the_chip_when_the_cam_signer_is_refused() -> None:
    refused = replace(CAM_PROVEN, active=AA_1024, card_security=None)
    verdict = decide(refused)
    assert verdict.chip.code == "chip.cam_unverified"
    assert verdict.genuine  # Active Authentication proved the chip
