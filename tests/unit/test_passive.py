"""Passive Authentication, document part: data-group hashes against EF.SOD and EF.SOD's
signature (RSA PKCS#1 v1.5, RSASSA-PSS, ECDSA incl. explicit parameters)."""

from __future__ import annotations

import pytest
from asn1crypto import algos, keys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from mrtd.lds.sod import SODFile, build_sod
from mrtd.sim.pki import TestPKI
from mrtd.verify.outcome import CheckStatus
from mrtd.verify.passive import check_hashes, check_signature, check_sod
from mrtd.verify.signature import verify
from tests.shared_data import shared_data_path
from tests.sim_files import sim_files

# The BSI data sets (shared data) and the simulated chip's files (EF.SOD over DG1-4, DG11, DG12,
# DG14 and DG15, ECDSA brainpoolP256r1 by the test Document Signer).
DATASETS = {
    "bsi2008": (1, 2, 3, 14),
    "bsi-dataset-2": (1, 2, 3, 4, 14),
    "simulated": (1, 2, 3, 4, 11, 12, 14, 15),
}


def _raw_sod(name: str) -> bytes:
    if name == "simulated":
        return sim_files()["EF.SOD"]
    return shared_data_path("lds", name, "EF_SOD.bin").read_bytes()


def _dataset(name: str) -> tuple[SODFile, dict[str, bytes]]:
    sod = SODFile.from_bytes(_raw_sod(name))
    if name == "simulated":
        return sod, {f"DG{n}": sim_files()[f"DG{n}"] for n in DATASETS[name]}
    folder = shared_data_path("lds", name)
    files = {f"DG{n}": (folder / f"Datagroup{n}.bin").read_bytes() for n in DATASETS[name]}
    return sod, files


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_bsi_datasets_pass_hashes_and_signature(name: str) -> None:
    # bsi2008: ECDSA-SHA1 by a DS key with explicit brainpoolP224r1 parameters, a curve
    # pyca/cryptography has no class for (verified with the library's own EC group);
    # bsi-dataset-2: RSASSA-PSS SHA-256.
    sod, files = _dataset(name)
    result = check_sod(sod, files)
    assert {n: c.status for n, c in result.data_groups.items()} == dict.fromkeys(
        files, CheckStatus.PASSED
    )
    assert result.signature.status is CheckStatus.PASSED
    assert result.failed == ()


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_a_changed_byte_fails_that_data_group_by_name(name: str) -> None:
    sod, files = _dataset(name)
    for group, data in files.items():
        changed = dict(files)
        changed[group] = data[:-1] + bytes((data[-1] ^ 1,))
        result = check_sod(sod, changed)
        assert result.failed == (group,)
        assert group in result.data_groups[group].reason


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_a_changed_signature_fails(name: str) -> None:
    raw = bytearray(_raw_sod(name))
    sod = SODFile.from_bytes(bytes(raw))
    at = bytes(raw).rindex(sod.signature) + len(sod.signature) // 2
    raw[at] ^= 0x01
    outcome = check_signature(SODFile.from_bytes(bytes(raw)))
    assert outcome.status is CheckStatus.FAILED
    assert "does not verify" in outcome.reason


def test_unread_and_unvouched_groups() -> None:
    sod, files = _dataset("bsi2008")
    del files["DG3"]
    files["DG11"] = b"\x6b\x03\x5f\x0e\x00"
    outcomes = check_hashes(sod, files)
    assert outcomes["DG3"].status is CheckStatus.NOT_CHECKED
    assert outcomes["DG11"].status is CheckStatus.FAILED
    assert "no hash" in outcomes["DG11"].reason


@pytest.mark.parametrize(
    ("signer", "scheme"),
    [("rsa", "rsassa_pss"), ("rsa", "rsassa_pkcs1v15"), ("ecdsa", "ecdsa")],
)
@pytest.mark.parametrize("hash_algorithm", ["sha1", "sha256", "sha384", "sha512"])
def test_generated_sods_verify(signer: str, scheme: str, hash_algorithm: str) -> None:
    key, certificate = TestPKI().document_signer(signer)  # type: ignore[arg-type]
    groups = {1: b"\x61\x03\x5f\x1f\x00", 2: b"\x75\x02\x7f\x61"}
    raw = build_sod(
        groups,
        signer_key=key,
        signer_cert=certificate,
        hash_algorithm=hash_algorithm,
        signature_algorithm=scheme,
    )
    result = check_sod(SODFile.from_bytes(raw), {f"DG{n}": d for n, d in groups.items()})
    assert result.failed == ()
    assert result.signature.status is CheckStatus.PASSED


@pytest.mark.parametrize(
    ("oid", "plain"),
    [
        ("1.2.840.10045.2.1", False),  # id-ecPublicKey as signatureAlgorithm, hash from digest
        ("0.4.0.127.0.7.1.1.4.1.3", True),  # BSI TR-03111 ecdsa-plain-SHA256: r || s
    ],
)
def test_ecdsa_signature_algorithms_seen_in_the_field(oid: str, plain: bool) -> None:
    private = ec.generate_private_key(ec.BrainpoolP256R1())
    message = b"signed attributes"
    der = private.sign(message, ec.ECDSA(hashes.SHA256()))
    r, s = utils.decode_dss_signature(der)
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") if plain else der
    public = keys.PublicKeyInfo.load(
        private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    algorithm = algos.SignedDigestAlgorithm({"algorithm": oid})
    assert verify(public, algorithm, "sha256", message, signature)
    assert not verify(public, algorithm, "sha256", message + b"!", signature)
    assert not verify(public, algorithm, "sha256", message, signature[:-1])
