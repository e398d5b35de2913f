"""Passive Authentication across every signature algorithm: EF.SOD built and signed by a
generated Document Signer, parsed, and checked by mrtd.verify.passive; the DS certificate, the
CRL and a master list verified against their issuers with mrtd.verify.signature.

Each case also signs its certificates and CRL with its own scheme and hash, so the matrix
covers X.509 signatures as well as CMS ones.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import pytest
from asn1crypto import algos, cms, keys, x509
from asn1crypto import parser as asn1_parser
from cryptography.hazmat.primitives.asymmetric import utils

from mrtd.crypto.domains import CURVES_BY_NAME
from mrtd.crypto.ec import ECGroup
from mrtd.crypto.spki import DomainEncoding, encode_public_key
from mrtd.lds.sod import SignerKey, SODFile, build_sod
from mrtd.sim.pki import TestPKI
from mrtd.sim.pki_builder import GeneratedPKI, Scheme, generate_key, generate_pki, issue_certificate
from mrtd.verify.outcome import CheckStatus
from mrtd.verify.passive import check_sod, passive_authentication
from mrtd.verify.signature import verify
from mrtd.verify.trust import TrustStore

STORED = TestPKI()
GROUPS = {
    1: b"\x61\x5b\x5f\x1f\x58" + b"P<UTOERIKSSON<<ANNA<MARIA" + bytes(63),
    2: b"\x75\x82\x01\x00" + bytes(range(256)),
    11: b"\x6b\x10\x5c\x02\x5f\x0e\x5f\x0e\x0a" + b"ANNA MARIA",
    14: b"\x6e\x06" + bytes(6),
    15: b"\x6f\x04" + bytes(4),
}
FILES = {f"DG{n}": data for n, data in GROUPS.items()}


@dataclass(frozen=True)
class Case:
    csca_key: str
    ds_key: str
    scheme: Scheme
    hash_algorithm: str
    explicit_parameters: bool = False

    @property
    def id(self) -> str:
        explicit = "-explicit" if self.explicit_parameters else ""
        return f"{self.ds_key}{explicit}-{self.scheme}-{self.hash_algorithm}"


CASES = [
    Case("rsa", "rsa", "rsassa_pkcs1v15", "sha256"),
    Case("rsa", "rsa", "rsassa_pss", "sha256"),
    Case("rsa", "rsa", "rsassa_pss", "sha512"),
    Case("ec-P-256", "ec-P-256", "ecdsa", "sha256"),
    Case("ec-brainpoolP384r1", "ec-brainpoolP256r1", "ecdsa", "sha256", explicit_parameters=True),
    Case("ec-brainpoolP384r1", "ec-brainpoolP384r1", "ecdsa", "sha384"),
    Case("ec-P-521", "ec-P-521", "ecdsa", "sha512"),
    # the older hashes 9303 still allows for EF.SOD
    Case("rsa", "rsa", "rsassa_pkcs1v15", "sha1"),
    Case("rsa", "rsa", "rsassa_pss", "sha1"),
    Case("rsa", "rsa", "rsassa_pkcs1v15", "sha224"),
    Case("rsa", "rsa", "rsassa_pss", "sha384"),
    Case("ec-P-256", "ec-P-256", "ecdsa", "sha1"),
    Case("ec-P-256", "ec-P-256", "ecdsa", "sha224"),
    Case("ec-brainpoolP384r1", "ec-brainpoolP256r1", "ecdsa", "sha224", explicit_parameters=True),
]
IDS = [case.id for case in CASES]


def key(spec: str, role: str) -> SignerKey:
    """RSA keys are the stored test keys (generating them is slow); EC keys are new."""
    if spec == "rsa":
        return (
            STORED.csca_private_key("rsa") if role == "csca" else STORED.document_signer("rsa")[0]
        )
    return generate_key(spec)


@cache
def pki(case: Case) -> GeneratedPKI:
    return generate_pki(
        csca_key=key(case.csca_key, "csca"),
        ds_key=key(case.ds_key, "ds"),
        scheme=case.scheme,
        hash_algorithm=case.hash_algorithm,
        explicit_parameters=case.explicit_parameters,
    )


@cache
def sod_bytes(case: Case) -> bytes:
    ds = pki(case).ds
    return build_sod(
        GROUPS,
        signer_key=ds.key,
        signer_cert=ds.certificate,
        hash_algorithm=case.hash_algorithm,
        signature_algorithm=case.scheme,
        signing_time=datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC),
        lds_version="0108",
    )


def verifies(
    public_key: keys.PublicKeyInfo,
    algorithm: algos.SignedDigestAlgorithm,
    message: bytes,
    signature: bytes,
) -> bool:
    return verify(public_key, algorithm, "sha256", message, signature)


# -- EF.SOD -----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_every_data_group_and_the_signature_pass(case: Case) -> None:
    sod = SODFile.from_bytes(sod_bytes(case))
    assert sod.hash_algorithm == case.hash_algorithm
    assert sod.signature_algorithm.signature_algo == case.scheme
    if case.explicit_parameters:
        assert sod.signer_certificate is not None
        assert sod.signer_certificate.public_key["algorithm"]["parameters"].name == "specified"
    result = check_sod(sod, FILES)
    assert {name: c.status for name, c in result.data_groups.items()} == dict.fromkeys(
        FILES, CheckStatus.PASSED
    )
    assert result.signature.status is CheckStatus.PASSED
    assert result.failed == ()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_changed_byte_fails_exactly_that_data_group(case: Case) -> None:
    sod = SODFile.from_bytes(sod_bytes(case))
    for name, data in FILES.items():
        changed = dict(FILES)
        at = len(data) // 2
        changed[name] = data[:at] + bytes((data[at] ^ 0x20,)) + data[at + 1 :]
        result = check_sod(sod, changed)
        assert result.failed == (name,)
        assert result.signature.status is CheckStatus.PASSED


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_changed_signature_byte_fails_the_signature(case: Case) -> None:
    raw = sod_bytes(case)
    signature = SODFile.from_bytes(raw).signature
    start = raw.rindex(signature)
    for at in (start + 8, start + len(signature) // 2, start + len(signature) - 1):
        damaged = bytearray(raw)
        damaged[at] ^= 0x01
        result = check_sod(SODFile.from_bytes(bytes(damaged)), FILES)
        assert result.failed == ("signature",)
        assert "does not verify" in result.signature.reason


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_signature_by_another_key_fails(case: Case) -> None:
    """EF.SOD signed by an impostor with the DS's name and serial, then given the real DS
    certificate: the signature must not verify under the certificate's key."""
    generated = pki(case)
    ds = generated.ds.certificate
    impostor_key = (
        STORED.csca_private_key("rsa") if case.ds_key == "rsa" else key(case.ds_key, "ds")
    )
    impostor = issue_certificate(
        subject_country="UT",
        subject_name="mrtd test DS UT",
        public_key=impostor_key,
        issuer=generated.csca,
        serial=ds.serial_number,
        not_before=ds.not_valid_before,
        not_after=ds.not_valid_after,
        ca=False,
        scheme=case.scheme,
        hash_algorithm=case.hash_algorithm,
        explicit_parameters=case.explicit_parameters,
    )
    forged = build_sod(
        GROUPS,
        signer_key=impostor_key,
        signer_cert=impostor,
        hash_algorithm=case.hash_algorithm,
        signature_algorithm=case.scheme,
    )
    content_info = cms.ContentInfo.load(asn1_parser.parse(forged)[4])
    content_info["content"]["certificates"] = [ds]
    swapped = SODFile.from_bytes(bytes(asn1_parser.emit(1, 1, 23, content_info.dump())))
    assert swapped.signer_certificate is not None
    assert swapped.signer_certificate.dump() == ds.dump()

    result = check_sod(swapped, FILES)
    assert result.failed == ("signature",)
    assert all(c.status is CheckStatus.PASSED for c in result.data_groups.values())


# -- certificates, CRLs and master lists ------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_certificates_verify_against_their_issuer(case: Case) -> None:
    generated = pki(case)
    csca, ds = generated.csca.certificate, generated.ds.certificate
    for certificate in (csca, ds):
        assert certificate["signature_algorithm"].signature_algo == case.scheme
        if case.explicit_parameters:
            assert certificate.public_key["algorithm"]["parameters"].name == "specified"

    algorithm, signature = ds["signature_algorithm"], ds["signature_value"].native
    tbs = ds["tbs_certificate"].dump()
    assert verifies(csca.public_key, algorithm, tbs, signature)
    forged = tbs.replace(b"mrtd test DS", b"mrtd test XX")
    assert not verifies(csca.public_key, algorithm, forged, signature)
    assert not verifies(ds.public_key, algorithm, tbs, signature)
    self_signature = csca["signature_algorithm"], csca["signature_value"].native
    assert verifies(
        csca.public_key, self_signature[0], csca["tbs_certificate"].dump(), self_signature[1]
    )


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_crl_verifies_against_its_issuer(case: Case) -> None:
    generated = pki(case)
    crl = generated.crl(
        [(generated.ds.certificate.serial_number, datetime(2026, 1, 1, tzinfo=UTC))]
    )
    tbs, signature = crl["tbs_cert_list"].dump(), crl["signature"].native
    public_key = generated.csca.certificate.public_key
    assert verifies(public_key, crl["signature_algorithm"], tbs, signature)
    assert not verifies(public_key, crl["signature_algorithm"], tbs + b"\x00", signature)


@pytest.mark.parametrize("case", CASES[:7], ids=IDS[:7])
def test_master_list_signature_verifies(case: Case) -> None:
    generated = pki(case)
    data, signer = generated.master_list(signer_key=key(case.ds_key, "ds"))
    signed_data = cms.ContentInfo.load(data)["content"]
    signer_info = signed_data["signer_infos"][0]
    content = signed_data["encap_content_info"]["content"].native
    digests = [
        a["values"][0].native
        for a in signer_info["signed_attrs"]
        if a["type"].native == "message_digest"
    ]
    assert digests == [hashlib.new(case.hash_algorithm, content).digest()]
    message = bytes(asn1_parser.emit(0, 1, 17, signer_info["signed_attrs"].contents))
    certificate = signed_data["certificates"][0].chosen
    assert certificate.dump() == signer.certificate.dump()
    assert verify(
        certificate.public_key,
        signer_info["signature_algorithm"],
        signer_info["digest_algorithm"]["algorithm"].native,
        message,
        signer_info["signature"].native,
    )
    assert verifies(
        generated.csca.certificate.public_key,
        certificate["signature_algorithm"],
        certificate["tbs_certificate"].dump(),
        certificate["signature_value"].native,
    )


# -- curves pyca/cryptography lacks: the library's own ECDSA ----------------------------------


@pytest.mark.parametrize("curve_name", ["brainpoolP224r1", "brainpoolP320r1"])
def test_ecdsa_on_a_curve_cryptography_lacks(curve_name: str) -> None:
    """Signed here by textbook ECDSA (SEC 1 §4.1.3) with the library's EC group, verified by
    verify() through its own arithmetic (the key has explicit parameters, as real DS keys on
    such curves do)."""
    curve = CURVES_BY_NAME[curve_name]
    group = ECGroup(curve)
    private = secrets.randbelow(curve.n - 1) + 1
    public = keys.PublicKeyInfo.load(
        encode_public_key(curve, DomainEncoding.EXPLICIT, group.mul(private))
    )
    message = b"signed attributes"
    e = int.from_bytes(hashlib.sha256(message).digest()) >> max(0, 256 - curve.n.bit_length())
    nonce = secrets.randbelow(curve.n - 1) + 1
    r = int.from_bytes(group.x(group.mul(nonce))) % curve.n
    s = pow(nonce, -1, curve.n) * (e + r * private) % curve.n
    algorithm = algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"})

    assert verify(public, algorithm, "sha256", message, utils.encode_dss_signature(r, s))
    assert not verify(public, algorithm, "sha256", message + b".", utils.encode_dss_signature(r, s))
    assert not verify(public, algorithm, "sha256", message, utils.encode_dss_signature(r, s ^ 1))
    assert not verify(public, algorithm, "sha256", message, b"\x30\x00")


# -- the whole of Passive Authentication, chain included --------------------------------------


def trust_for(*certificates: x509.Certificate) -> TrustStore:
    trust = TrustStore(allow_test_pki=True)
    for certificate in certificates:
        trust.add_certificate(certificate)
    return trust


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_passive_authentication_passes_against_its_csca(case: Case) -> None:
    report = passive_authentication(
        SODFile.from_bytes(sod_bytes(case)), FILES, trust_for(pki(case).csca.certificate),
        issuing_state="UTO",
    )  # fmt: skip
    assert report.outcome.status is CheckStatus.PASSED, report.outcome
    assert report.chain.status is CheckStatus.PASSED
    assert report.csca["country"] == "UT"


@pytest.mark.parametrize("case", CASES[:5], ids=IDS[:5])
def test_an_unknown_csca_fails_the_chain(case: Case) -> None:
    other = pki(CASES[3] if case is not CASES[3] else CASES[4]).csca.certificate
    sod = SODFile.from_bytes(sod_bytes(case))
    report = passive_authentication(sod, FILES, trust_for(other), issuing_state="UTO")
    assert report.outcome.status is CheckStatus.FAILED
    assert report.chain.status is CheckStatus.FAILED
    assert report.signature.status is CheckStatus.PASSED  # the DS signed it; nobody trusts the DS


@pytest.mark.parametrize("case", CASES[:5], ids=IDS[:5])
def test_a_revoked_document_signer_fails(case: Case) -> None:
    authority = pki(case)
    revoked = authority.crl(
        [(authority.ds.certificate.serial_number, datetime(2026, 1, 1, tzinfo=UTC))]
    )
    trust = trust_for(authority.csca.certificate)
    trust.add_crl(revoked)
    report = passive_authentication(SODFile.from_bytes(sod_bytes(case)), FILES, trust)
    assert report.outcome.status is CheckStatus.FAILED
    assert report.revocation.status is CheckStatus.FAILED
    assert "revoked" in report.outcome.reason


def test_a_csca_expired_at_signing_time_fails() -> None:
    expired = generate_pki(
        csca_key="ec-P-256",
        ds_key="ec-P-256",
        csca_validity=(datetime(2020, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)),
        ds_validity=(datetime(2020, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC)),
    )
    sod = build_sod(GROUPS, signer_key=expired.ds.key, signer_cert=expired.ds.certificate,
                    signing_time=datetime(2026, 5, 4, tzinfo=UTC))  # fmt: skip
    report = passive_authentication(
        SODFile.from_bytes(sod), FILES, trust_for(expired.csca.certificate)
    )
    assert report.outcome.status is CheckStatus.FAILED
    assert "expired" in report.chain.reason


def test_a_changed_data_group_fails_the_whole_check_by_name() -> None:
    case = CASES[4]  # brainpoolP256r1, explicit parameters
    for name, data in FILES.items():
        changed = dict(FILES, **{name: data[:-1] + bytes((data[-1] ^ 0x80,))})
        report = passive_authentication(
            SODFile.from_bytes(sod_bytes(case)), changed, trust_for(pki(case).csca.certificate)
        )
        assert report.outcome.status is CheckStatus.FAILED
        assert report.outcome.reason == f"{name} does not match its hash in EF.SOD"


def test_a_sod_without_its_certificate_uses_the_pkd_document_signer() -> None:
    case = CASES[3]  # P-256
    content = cms.ContentInfo.load(asn1_parser.parse(sod_bytes(case))[4])
    signed = content["content"]
    signed["certificates"] = None  # some issuers leave the DS certificate to the PKD
    bare = asn1_parser.emit(1, 1, 23, content.dump(force=True))
    sod = SODFile.from_bytes(bare)
    assert sod.signer_certificate is None
    trust = trust_for(pki(case).csca.certificate)
    assert passive_authentication(sod, FILES, trust).outcome.status is CheckStatus.NOT_CHECKED
    ds = base64.b64encode(pki(case).ds.certificate.dump()).decode()
    ldif = f"version: 1\n\ndn: cn=ds,o=dsc,c=UT\nuserCertificate;binary:: {ds}\n"
    trust.add_bytes(ldif.encode(), "dsc.ldif")
    report = passive_authentication(sod, FILES, trust)
    assert report.outcome.status is CheckStatus.PASSED, report.outcome
