"""The chip's keys and EF.CardSecurity's signer judged by the policy, through reads of the
simulated chip (`read_document("sim:PROFILE.toml", ...)`), `verify_files` and `verify_upload`:

1. Every clone-detection outcome names the chip key it used (type and size). Under the strict
   default the keys real passports carry (RSA-1024 AA, DH-1024 CA) read genuine; a policy that
   raises the chip-key floor fails them (`clone.chip_key_weak`).
2. PACE-CAM proves the chip through EF.CardSecurity's signature, so its Document Signer is held
   to the policy as EF.SOD's is: a revoked one, one no current CRL cleared, a SHA-1 or RSA-1024
   one under the strict policy leaves PACE-CAM unproven (`chip.cam_unverified`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms

from mrtd import STRICT, CheckStatus, MRZKey, Policy, TrustStore, read_document, verify_files
from mrtd.lds.security.oids import SECURITY_OBJECT_OID
from mrtd.lds.sod import sign_content
from mrtd.pipeline.upload import parse_upload, verify_upload
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.files import ChipFile
from mrtd.sim.pki import export_csca
from mrtd.sim.pki_builder import GeneratedPKI, generate_pki
from mrtd.sim.profile import Profile
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


# -- 2. EF.CardSecurity's signer under the policy ----------------------------------------------


def cam_reader(pki: GeneratedPKI, hash_algorithm: str = "sha256") -> SimulatedReader:
    """A PACE-CAM chip whose EF.CardSecurity (the genuine SecurityInfos, the chip's own key) is
    signed by `pki`'s Document Signer instead of the test one."""
    reader = SimulatedReader(SimulatedChip(Profile.from_dict({"chip": {
        "access": ["pace", "bac"], "pace": {"mapping": "CAM"}}})))  # fmt: skip
    chip = reader.chip
    fid = next(fid for fid, f in chip.master_files.items() if f.name == "EF.CardSecurity")
    genuine = chip.master_files[fid]
    content = cms.ContentInfo.load(genuine.data)["content"]["encap_content_info"]["content"]
    signed = sign_content(SECURITY_OBJECT_OID, bytes(content.__bytes__()),
                          signer_key=pki.ds.key, signer_cert=pki.ds.certificate,
                          hash_algorithm=hash_algorithm)  # fmt: skip
    chip.master_files[fid] = ChipFile(genuine.name, genuine.fid, genuine.sfi, signed)
    return reader


def with_pki(trust: TrustStore, pki: GeneratedPKI, *, revoked: bool = False,
             crl: bool = True) -> TrustStore:  # fmt: skip
    """`trust` and `pki`'s CSCA (the simulated state's country), with a current CRL of it that
    revokes its Document Signer or not (`crl` False: none)."""
    store = TrustStore.from_paths([], allow_test_pki=True)
    for certificate in (*trust.certificates, pki.csca.certificate):
        store.add_certificate(certificate)
    for certificate_list in trust.crls:
        store.add_crl(certificate_list)
    if crl:
        serials = [(pki.ds.certificate.serial_number, datetime(2026, 1, 2, tzinfo=UTC))]
        store.add_crl(pki.crl(serials if revoked else ()))
    return store


@pytest.fixture(scope="module")
def sound_pki() -> GeneratedPKI:
    return generate_pki(country="UT", csca_key="ec-P-256", ds_key="ec-P-256")


@pytest.fixture(scope="module")
def rsa_1024_pki() -> GeneratedPKI:
    return generate_pki(country="UT", csca_key="ec-P-256", ds_key="rsa-1024")


def read_cam(pki: GeneratedPKI, store: TrustStore, policy: Policy = STRICT, **sign: str) -> Any:
    reader = cam_reader(pki, **sign)
    try:
        return read(reader, store, policy)
    finally:
        reader.close()


def unproven(document: Any, why: str) -> None:
    chip = document.verdict.chip
    assert (chip.status, chip.code) == (CheckStatus.NOT_CHECKED, "chip.cam_unverified")
    assert why in chip.reason
    assert document.verdict.checks["clone_detection"].code == "clone.not_proven"
    assert not document.verdict.genuine
    assert document.passive.outcome.status is CheckStatus.PASSED  # EF.SOD is the genuine one


def test_a_sound_card_security_signer_under_another_csca_proves_pace_cam(
    trust: TrustStore, sound_pki: GeneratedPKI
) -> None:
    document = read_cam(sound_pki, with_pki(trust, sound_pki))
    assert document.verdict.chip.code == "chip.cam_passed"
    assert document.verdict.genuine, document.verdict.codes


def test_a_revoked_card_security_signer_proves_nothing(
    trust: TrustStore, sound_pki: GeneratedPKI
) -> None:
    store = with_pki(trust, sound_pki, revoked=True)
    unproven(read_cam(sound_pki, store), "revoked")
    # The files verified later: EF.CardSecurity's signer revoked fails Passive Authentication
    files = read_cam(sound_pki, store).files
    checked = verify_files(files, trust=store)
    assert checked.passive.card_security is not None
    assert checked.passive.card_security.outcome.code == "passive.ds_revoked"
    assert checked.verdict.failed


def test_a_card_security_signer_no_current_crl_cleared_proves_nothing_under_strict(
    trust: TrustStore, sound_pki: GeneratedPKI
) -> None:
    store = with_pki(trust, sound_pki, crl=False)
    unproven(read_cam(sound_pki, store), "requires a current CRL")
    lenient = Policy(name="best-effort", revocation=Revocation.BEST_EFFORT)
    assert read_cam(sound_pki, store, lenient).verdict.genuine


def test_an_rsa_1024_card_security_signer_proves_nothing_under_strict(
    trust: TrustStore, rsa_1024_pki: GeneratedPKI
) -> None:
    store = with_pki(trust, rsa_1024_pki)
    document = read_cam(rsa_1024_pki, store)
    unproven(document, "DS signature key rsa-1024")
    legacy = Policy(name="legacy", min_rsa_bits=1024)
    assert read_cam(rsa_1024_pki, store, legacy).verdict.genuine
    # what the policy judged is in the report of EF.CardSecurity verified as a file
    report = verify_files(document.files, trust=store).passive.card_security
    assert report is not None
    algorithms = report.as_dict()["algorithms"]
    assert algorithms["ds_signature"]["key"] == {"type": "rsa", "bits": 1024}
    assert report.as_dict()["revocation"]["status"] == "passed"


def test_a_sha1_card_security_signature_proves_nothing_under_strict(
    trust: TrustStore, sound_pki: GeneratedPKI
) -> None:
    store = with_pki(trust, sound_pki)
    unproven(read_cam(sound_pki, store, hash_algorithm="sha1"), "sha1")
    legacy = Policy(name="legacy", hashes=STRICT.hashes | {"sha1"})
    assert read_cam(sound_pki, store, legacy, hash_algorithm="sha1").verdict.genuine


def test_the_json_of_a_read_names_the_chip_key(
    profile: Callable[[str], str], trust: TrustStore
) -> None:
    document = read(profile('aa = "rsa-1024-sha256"'), trust)
    printed = json.loads(json.dumps(document.verdict.as_dict()))
    assert printed["checks"]["active"]["key"] == {"type": "rsa", "bits": 1024}
    assert printed["policy"]["min_chip_rsa_bits"] == 1024
