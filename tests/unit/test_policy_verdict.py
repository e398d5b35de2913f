"""The policy and the verdict: `decide` is a pure function of the evidence and the policy, and it
fails closed (issue: no clone, downgrade, withheld file or foreign signer reads genuine)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from mrtd.errors import PolicyError
from mrtd.verify.algorithms import Algorithms
from mrtd.verify.outcome import CheckOutcome, CheckStatus
from mrtd.verify.policy import STRICT, ActiveAuthentication, CloneDetection, Policy, Revocation
from mrtd.verify.signature import KeyInfo, SignatureInfo
from mrtd.verify.verdict import Evidence, VerdictStatus, decide

PASSED = CheckOutcome(CheckStatus.PASSED)
GOOD_ALGORITHMS = Algorithms(
    data_group_hash="sha256",
    signed_attributes_hash="sha256",
    ds_signature=SignatureInfo("ecdsa", "sha256", KeyInfo("ec", 256, "secp256r1")),
    csca_signature=SignatureInfo("rsassa_pss", "sha256", KeyInfo("rsa", 3072)),
)
PROVEN = Evidence(
    passive=PASSED,
    revocation=PASSED,
    algorithms=GOOD_ALGORITHMS,
    crl_age=timedelta(days=3),
    active=PASSED,
    chip=CheckOutcome(CheckStatus.NOT_SUPPORTED, "no DG14", "chip.no_key"),
    expiry=PASSED,
    access=PASSED,
    binding=PASSED,
    completeness=PASSED,
    issuing_state="UTO",
    document_code="P",
)
NO_KEYS = replace(
    PROVEN,
    active=CheckOutcome(CheckStatus.NOT_SUPPORTED, "no DG15", "active.no_key"),
    chip=CheckOutcome(CheckStatus.NOT_SUPPORTED, "no DG14", "chip.no_key"),
)


def test_everything_proven_is_genuine_under_the_strict_default() -> None:
    verdict = decide(PROVEN)
    assert verdict.genuine
    assert verdict.status is VerdictStatus.GENUINE
    assert verdict.reasons == ()
    assert verdict.policy is STRICT
    assert verdict.as_dict()["policy"]["name"] == "strict"  # type: ignore[index]


def test_no_chip_key_is_not_genuine_by_default_but_a_policy_may_accept_data_only() -> None:
    strict = decide(NO_KEYS)
    assert strict.status is VerdictStatus.INCOMPLETE
    assert strict.codes == ("clone.no_chip_key",)
    lenient = decide(NO_KEYS, Policy(clone_detection=CloneDetection.DATA_ONLY_ACCEPTED))
    assert lenient.genuine
    assert "data only" in lenient.checks["clone_detection"].reason


@pytest.mark.parametrize("which", ["active", "chip"])
def test_a_key_mrtd_cannot_use_is_never_no_key(which: str) -> None:
    unusable = CheckOutcome(CheckStatus.NOT_SUPPORTED, "CA v2 only", f"{which}.unsupported")
    changes: dict[str, Any] = {which: unusable}
    evidence = replace(NO_KEYS, **changes)
    for policy in (STRICT, Policy(clone_detection=CloneDetection.DATA_ONLY_ACCEPTED)):
        verdict = decide(evidence, policy)
        assert verdict.status is VerdictStatus.INCOMPLETE
        assert verdict.codes == ("clone.key_unusable",)


@pytest.mark.parametrize("code", ["chip.cam_unverified", "chip.cam_not_run"])
def test_a_pace_cam_key_shown_and_not_proven_is_never_data_only(code: str) -> None:
    """A chip that shows a PACE-CAM key (an EF.CardSecurity no trusted CSCA signed, a signed
    DG14 listing PACE-CAM and a read that ran GM) has a key: data-only proof does not cover it,
    while files read before (a dump: "not run") still may be data-only."""
    shown = replace(NO_KEYS, chip=CheckOutcome(CheckStatus.NOT_CHECKED, "not proven", code))
    data_only = Policy(clone_detection=CloneDetection.DATA_ONLY_ACCEPTED)
    for policy in (STRICT, data_only):
        verdict = decide(shown, policy)
        assert verdict.status is VerdictStatus.INCOMPLETE
        assert verdict.codes == ("clone.not_proven",)
    dump = replace(
        NO_KEYS,
        chip=CheckOutcome(CheckStatus.NOT_CHECKED, "not run", "chip.not_run"),
        active=CheckOutcome(CheckStatus.NOT_CHECKED, "not run", "active.not_run"),
    )
    assert decide(dump, data_only).genuine


def test_a_policy_may_require_active_authentication_when_sod_lists_dg15() -> None:
    """The service's rule: Chip Authentication run by a client proves nothing to a server, so
    a document with an AA key must pass AA over the server's challenge."""
    chip_only = replace(
        PROVEN,
        active=CheckOutcome(CheckStatus.NOT_CHECKED, "no signature uploaded", "active.not_run"),
        chip=PASSED,
        active_listed=True,
    )
    assert decide(chip_only).genuine  # by default any one proof suffices
    for clone_detection in CloneDetection:
        policy = Policy(
            clone_detection=clone_detection, active_authentication=ActiveAuthentication.REQUIRED
        )
        assert policy.active_authentication is ActiveAuthentication.REQUIRED
        verdict = decide(chip_only, policy)
        assert verdict.status is VerdictStatus.INCOMPLETE
        assert verdict.codes == ("clone.active_required",)
        assert "no signature uploaded" in verdict.reasons[0]
        # a document whose EF.SOD lists no DG15 has no AA to require
        assert decide(replace(chip_only, active_listed=False), policy).genuine
    assert decide(
        replace(PROVEN, active_listed=True),
        Policy(active_authentication=ActiveAuthentication.REQUIRED),
    ).genuine
    assert (
        Policy.from_mapping({"active_authentication": "required"}).as_dict()[
            "active_authentication"
        ]
        == "required"
    )


def test_a_failed_proof_fails_whatever_the_policy() -> None:
    evidence = replace(PROVEN, active=CheckOutcome(CheckStatus.FAILED, "bad", "active.failed"))
    for policy in (STRICT, Policy(clone_detection=CloneDetection.DATA_ONLY_ACCEPTED)):
        verdict = decide(evidence, policy)
        assert verdict.status is VerdictStatus.FAILED
        assert "active.failed" in verdict.codes
        assert "clone.proof_failed" in verdict.codes


def test_weak_algorithms_are_the_policy_s_to_refuse() -> None:
    weak = replace(
        GOOD_ALGORITHMS,
        data_group_hash="sha1",
        ds_signature=SignatureInfo("rsassa_pkcs1v15", "sha1", KeyInfo("rsa", 1024)),
    )
    verdict = decide(replace(PROVEN, algorithms=weak))
    assert verdict.status is VerdictStatus.FAILED
    assert verdict.codes == ("algorithms.not_accepted",)
    reason = verdict.reasons[0].text
    assert "data group hash sha1" in reason
    assert "DS signature key rsa-1024" in reason
    legacy = Policy(name="legacy", hashes=frozenset({"sha1", "sha256"}), min_rsa_bits=1024)
    assert decide(replace(PROVEN, algorithms=weak), legacy).genuine


def test_revocation_required_by_default_best_effort_by_choice() -> None:
    unchecked = replace(
        PROVEN, revocation=CheckOutcome(CheckStatus.NOT_CHECKED, "stale", "passive.crl_stale")
    )
    revoked_outcome = CheckOutcome(CheckStatus.FAILED, "revoked", "passive.ds_revoked")
    revoked = replace(PROVEN, revocation=revoked_outcome)
    assert decide(unchecked, Policy(revocation=Revocation.BEST_EFFORT)).genuine
    revoked_outcome = CheckOutcome(CheckStatus.FAILED, "revoked", "passive.ds_revoked")
    revoked = replace(PROVEN, revocation=revoked_outcome)
    assert decide(revoked, Policy(revocation=Revocation.BEST_EFFORT)).failed


def test_trust_material_older_than_the_policy_allows_is_not_proof() -> None:
    policy = Policy(max_trust_age=timedelta(days=2))
    assert decide(PROVEN, policy).codes == ("revocation.crl_too_old",)
    assert decide(PROVEN, Policy(max_trust_age=timedelta(days=30))).genuine


def test_issuer_and_document_type_come_from_the_policy() -> None:
    national = Policy(name="uto-passports", issuing_states=frozenset({"UTO"}),
                      document_types=frozenset({"P"}))  # fmt: skip
    assert decide(PROVEN, national).genuine
    assert decide(replace(PROVEN, issuing_state="D<<"), national).codes == ("issuer.not_accepted",)
    assert decide(replace(PROVEN, document_code="ID"), national).failed
    assert decide(replace(PROVEN, document_code="PD"), national).genuine  # "P" admits "PD"


def test_unverified_data_never_decides_the_issuer() -> None:
    unverified = replace(PROVEN, passive=CheckOutcome(CheckStatus.NOT_CHECKED, "no CSCA", "x.y"))
    verdict = decide(unverified, Policy(issuing_states=frozenset({"UTO"})))
    assert verdict.status is VerdictStatus.INCOMPLETE
    assert verdict.checks["issuer"].code == "issuer.not_verified"


@pytest.mark.parametrize("check", ["completeness", "expiry", "passive"])
def test_each_required_check_must_pass(check: str) -> None:
    withheld = CheckOutcome(CheckStatus.NOT_CHECKED, "DG2 withheld", "passive.dg_withheld")
    changes: dict[str, Any] = {check: withheld}
    verdict = decide(replace(PROVEN, **changes))
    assert verdict.status is VerdictStatus.INCOMPLETE
    assert "passive.dg_withheld" in verdict.codes


@pytest.mark.parametrize("check", ["access", "binding", "expiry", "completeness"])
def test_a_failed_check_fails(check: str) -> None:
    outcome = CheckOutcome(CheckStatus.FAILED, "no", f"{check}.bad")
    changes: dict[str, Any] = {check: outcome}
    assert decide(replace(PROVEN, **changes)).codes == (f"{check}.bad",)


def test_decide_is_pure() -> None:
    assert decide(NO_KEYS) == decide(NO_KEYS)


def test_a_reason_is_its_text_and_carries_its_code() -> None:
    (reason,) = decide(NO_KEYS).reasons
    assert reason.startswith("clone_detection: the document has no chip key")
    assert reason.code == "clone.no_chip_key"
    assert reason.as_dict() == {"code": reason.code, "text": str(reason)}


def test_a_policy_takes_plain_strings_and_refuses_unknown_ones() -> None:
    policy = Policy(revocation="best_effort", issuing_states=frozenset({"uto"}))  # type: ignore[arg-type]
    assert policy.revocation is Revocation.BEST_EFFORT
    assert policy.issuing_states == {"UTO"}
    with pytest.raises(PolicyError, match="clone_detection is one of"):
        Policy(clone_detection="sometimes")  # type: ignore[arg-type]


def test_policy_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "bank.toml"
    path.write_text(
        'issuing_states = ["uto"]\ndocument_types = ["P"]\nclone_detection = "data_only_accepted"\n'
        'revocation = "best_effort"\nmin_rsa_bits = 3072\nmax_trust_age_days = 30\n'
    )
    policy = Policy.from_toml(path)
    assert policy.name == "bank"
    assert policy.issuing_states == {"UTO"}
    assert policy.document_types == {"P"}
    assert policy.clone_detection is CloneDetection.DATA_ONLY_ACCEPTED
    assert policy.revocation is Revocation.BEST_EFFORT
    assert policy.min_rsa_bits == 3072
    assert policy.max_trust_age == timedelta(days=30)
    assert Policy.from_mapping(policy.as_dict()) == policy
    table = tmp_path / "t.toml"
    table.write_text('[policy]\nname = "x"\nrevocation = "best_effort"\n')
    assert Policy.from_toml(table).name == "x"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('clone_detection = "maybe"\n', "clone_detection is one of"),
        ("issuing_state = ['UTO']\n", "unknown policy setting(s): issuing_state"),
        ("min_rsa_bits = '2048'\n", "min_rsa_bits is a whole number"),
        ("min_rsa_bits = true\n", "min_rsa_bits is a whole number"),
        ("hashes = ['md5']\n", "hashes: each entry is 4 to 10"),
        ("hashes = ['sha3x']\n", "hashes: only"),
        ("hashes = []\n", "at least one hash"),
        ("max_trust_age_days = -1\n", "max_trust_age_days is between"),
        ("issuing_states = 'UTO'\n", "issuing_states is a list of text"),
        ("issuing_states = ['UTOPIA']\n", "issuing_states: each entry is 1 to 3"),
        ("[policy]\nname = 'a'\n[other]\nx = 1\n", "in [policy] alone"),
        ("this is not toml", "is not TOML"),
    ],
)
def test_bad_policy_files_are_refused_by_name(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(PolicyError, match=re.escape(message)):
        Policy.from_toml(path)


def test_policy_file_limits(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        Policy.from_toml(tmp_path / "absent.toml")
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * 70_000)
    with pytest.raises(PolicyError, match="over"):
        Policy.from_toml(big)
