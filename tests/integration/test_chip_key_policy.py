"""The chip's keys judged by the policy, through reads of the simulated chip
(`read_document("sim:PROFILE.toml", ...)`) and `verify_upload`:

1. Every clone-detection outcome names the chip key it used (type and size). Under the strict
   default the keys real passports carry (RSA-1024 AA, DH-1024 CA) read genuine; a policy that
   raises the chip-key floor fails them (`clone.chip_key_weak`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mrtd import STRICT, CheckStatus, MRZKey, Policy, TrustStore, read_document
from mrtd.pipeline.upload import parse_upload, verify_upload
from mrtd.sim.pki import export_csca
from mrtd.verify.policy import ActiveAuthentication, Revocation

KEY = ("U0R45C7D3", "880517", "350930")  # the default simulated passport
CAM = 'access = ["pace", "bac"]\npace = { mapping = "CAM" }'
BANK = Policy(name="bank", min_chip_rsa_bits=2048, min_chip_dh_bits=2048, min_chip_ec_bits=384)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def trust(tmp_path_factory: pytest.TempPathFactory) -> TrustStore:
    """The simulated state's test CSCAs with a current CRL each: the strict policy's needs."""
    return TrustStore.from_paths(
        [export_csca(tmp_path_factory.mktemp("csca") / "csca.pem")], allow_test_pki=True
    )


@pytest.fixture
def profile(tmp_path: Path) -> Callable[[str], str]:
    def write(chip: str) -> str:
        path = tmp_path / "chip.toml"
        path.write_text(f"[chip]\n{chip}\n", encoding="utf-8")
        return f"sim:{path}"

    return write


def read(source: Any, trust: TrustStore, policy: Policy = STRICT) -> Any:
    with MRZKey(*KEY) as key:
        return read_document(source, key, trust=trust, policy=policy)


# -- 1. the chip's key, reported and judged --------------------------------------------------


@pytest.mark.parametrize(
    ("chip", "which", "key"),
    [
        ('aa = "rsa-1024-sha256"', "active", {"type": "rsa", "bits": 1024}),
        ('ca = "dh-1024-3des"', "chip", {"type": "dh", "bits": 1024}),
        (
            'aa = "ecdsa-brainpoolP256r1-sha256"',
            "active",
            {"type": "ec", "bits": 256, "curve": "brainpoolP256r1"},
        ),
        (
            'ca = "ecdh-brainpoolP256r1-aes128"',
            "chip",
            {"type": "ec", "bits": 256, "curve": "brainpoolP256r1"},
        ),
        (CAM, "chip", {"type": "ec", "bits": 256, "curve": "brainpoolP256r1"}),
    ],
)
def test_a_chip_key_is_reported_genuine_under_strict_and_refused_above_its_size(
    profile: Callable[[str], str], trust: TrustStore, chip: str, which: str, key: dict[str, Any]
) -> None:
    document = read(profile(chip), trust)
    assert document.verdict.genuine, document.verdict.codes
    reported = document.verdict.checks[which].as_dict()["key"]
    assert {k: reported[k] for k in key} == key
    assert document.redacted()["checks"][which]["key"] == reported  # the JSON a read prints

    refused = read(profile(chip), trust, BANK)
    assert refused.verdict.summary == "failed"
    assert refused.verdict.codes == ("clone.chip_key_weak",)
    assert refused.verdict.checks[which].status is CheckStatus.PASSED  # proven, and refused
    assert f"{key['type']}-{key['bits']}" in refused.verdict.checks["clone_detection"].reason


def test_a_raised_floor_that_the_key_meets_still_reads_genuine(
    profile: Callable[[str], str], trust: TrustStore
) -> None:
    document = read(profile('aa = "rsa-2048-sha256"\nextended_length = true'), trust, BANK)
    assert document.verdict.genuine
    assert document.verdict.active.key is not None
    assert document.verdict.active.key.bits == 2048


def test_a_policy_file_raising_the_floor_refuses_a_1024_bit_aa_key(
    profile: Callable[[str], str], trust: TrustStore, tmp_path: Path
) -> None:
    path = tmp_path / "bank.toml"
    path.write_text('revocation = "required"\nmin_chip_rsa_bits = 2048\n')
    policy = Policy.from_toml(path)
    document = read(profile('aa = "rsa-1024-sha256"'), trust, policy)
    assert "clone.chip_key_weak" in document.verdict.codes
    assert document.verdict.as_dict()["policy"]["min_chip_rsa_bits"] == 2048


def test_an_uploaded_aa_signature_is_judged_by_the_key_size_too() -> None:
    trust = TrustStore.from_paths([ROOT / "src/mrtd/sim/pki_data/csca_ecdsa.cert.pem",
                                   ROOT / "src/mrtd/sim/pki_data/csca_rsa.cert.pem"],
                                  allow_test_pki=True)  # fmt: skip
    upload = parse_upload((ROOT / "fixtures/uploads/mrtd-aa-ecdsa-ca.json").read_bytes())
    issued = bytes.fromhex("4d52544420414121")
    service = Policy(name="service", active_authentication=ActiveAuthentication.REQUIRED,
                     revocation=Revocation.BEST_EFFORT)  # fmt: skip
    document = verify_upload(upload, challenge=issued, trust=trust, policy=service)
    assert document.verdict.genuine
    key = document.verdict.active.key
    assert key is not None
    assert (key.type, key.bits) == ("ec", 256)
    raised = replace(service, name="raised", min_chip_ec_bits=384)
    refused = verify_upload(upload, challenge=issued, trust=trust, policy=raised)
    assert refused.verdict.codes == ("clone.chip_key_weak",)


def test_the_json_of_a_read_names_the_chip_key(
    profile: Callable[[str], str], trust: TrustStore
) -> None:
    document = read(profile('aa = "rsa-1024-sha256"'), trust)
    printed = json.loads(json.dumps(document.verdict.as_dict()))
    assert printed["checks"]["active"]["key"] == {"type": "rsa", "bits": 1024}
    assert printed["policy"]["min_chip_rsa_bits"] == 1024
