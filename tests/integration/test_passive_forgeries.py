"""Forged documents against the whole verdict (issue 17): Document Signers outside their profile,
dates the signer chose, organisations without a CSCA country, and the algorithms a policy must
see. Each document is DG1 (an MRZ) and EF.SOD signed by a certificate made here, read with
`Document.from_files` at a fixed time of verification, as `mrtd verify` reads a dump."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mrtd.lds.dg1 import build_dg1
from mrtd.lds.sod import build_sod
from mrtd.mrz import MRZFormat, generate_mrz
from mrtd.pipeline.document import Document
from mrtd.sim.pki_builder import (
    DOCUMENT_TYPE_LIST_OID,
    MASTER_LIST_SIGNING_KEY_OID,
    DocumentTypeList,
    GeneratedPKI,
    Issued,
    generate_key,
    generate_pki,
    issue_certificate,
)
from mrtd.verify.outcome import CheckStatus
from mrtd.verify.trust import TrustStore

PASSED, FAILED = CheckStatus.PASSED, CheckStatus.FAILED
NOT_CHECKED = CheckStatus.NOT_CHECKED
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
TODAY = NOW.date()
DS_VALIDITY = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2036, 1, 1, tzinfo=UTC))
DG2 = b"\x75\x04\x7f\x61\x01\x00"  # EF.SOD hashes at least two groups


@cache
def authority(country: str = "UT") -> GeneratedPKI:
    return generate_pki(country=country, csca_key="ec-P-256", ds_key="ec-P-256")


def trust_for(pki: GeneratedPKI) -> TrustStore:
    trust = TrustStore()
    trust.add_certificate(pki.csca.certificate)
    return trust


def signer(
    pki: GeneratedPKI,
    *,
    ca: bool = False,
    document_types: Sequence[str] = ("P",),
    extended_key_usage: Sequence[str] = (),
    validity: tuple[datetime, datetime] = DS_VALIDITY,
    key: str = "ec-P-256",
    hash_algorithm: str = "sha256",
) -> Issued:
    """A certificate for a new key, issued by `pki`'s CSCA with the given profile."""
    private = generate_key(key)
    certificate = issue_certificate(
        subject_country=pki.country,
        subject_name="forged DS",
        public_key=private,
        issuer=pki.csca,
        serial=pki._serial(),
        not_before=validity[0],
        not_after=validity[1],
        ca=ca,
        hash_algorithm=hash_algorithm,
        document_signer=True,
        document_types=document_types,
        extended_key_usage=extended_key_usage,
    )
    return Issued(private, certificate)


def key_usage_signer(pki: GeneratedPKI, usage: dict[str, bool] | None) -> Issued:
    """A DS certificate with exactly the keyUsage bits `usage` (None: no keyUsage at all), no
    basicConstraints, and a documentTypeList of "P" (pyca/cryptography's builder)."""
    private = ec.generate_private_key(ec.SECP256R1())
    csca = x509.load_der_x509_certificate(pki.csca.certificate.dump())
    types = DocumentTypeList({"version": 0, "doc_type_list": ["P"]}).dump()
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name.from_rfc4514_string(f"CN=forged DS,C={pki.country}"))
        .issuer_name(csca.subject)
        .public_key(private.public_key())
        .serial_number(pki._serial())
        .not_valid_before(DS_VALIDITY[0])
        .not_valid_after(DS_VALIDITY[1])
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(csca.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .add_extension(
            x509.UnrecognizedExtension(x509.ObjectIdentifier(DOCUMENT_TYPE_LIST_OID), types),
            critical=False,
        )
    )
    if usage is not None:
        bits = dict.fromkeys(
            ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
             "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"),
            False,
        )  # fmt: skip
        builder = builder.add_extension(x509.KeyUsage(**(bits | usage)), critical=True)
    signed = builder.sign(pki.csca.key, hashes.SHA256())
    der = signed.public_bytes(serialization.Encoding.DER)
    return Issued(private, asn1_x509.Certificate.load(der))


def read(
    ds: Issued,
    trust: TrustStore,
    *,
    code: str = "P",
    state: str = "UTO",
    expiry: date | str = date(2035, 9, 30),
    signing_time: datetime | None = None,
    hash_algorithm: str = "sha256",
) -> Document:
    """DG1 and EF.SOD, signed by `ds`, read as a dump at NOW."""
    layout = MRZFormat.TD1 if code.startswith("I") else MRZFormat.TD3
    mrz = generate_mrz(
        layout,
        document_code=code,
        issuing_state=state,
        surname="SPECIMEN",
        given_names="TEST",
        document_number="X1234567",
        nationality=state,
        birth_date=date(1980, 1, 1),
        sex="F",
        expiry_date=expiry,
    )
    dg1 = build_dg1(mrz)
    sod = build_sod(
        {1: dg1, 2: DG2},
        signer_key=ds.key,
        signer_cert=ds.certificate,
        hash_algorithm=hash_algorithm,
        signing_time=signing_time,
    )
    files = {"EF.SOD": sod, "DG1": dg1, "DG2": DG2}
    return Document.from_files(files, trust=trust, now=NOW, today=TODAY)


def chain(document: Document) -> tuple[CheckStatus, str]:
    return document.passive.chain.status, document.passive.chain.code


def test_a_well_formed_document_signer_passes() -> None:
    pki = authority()
    document = read(signer(pki), trust_for(pki))
    assert document.passive.outcome.status is PASSED, document.passive.outcome
    assert document.verdict.expiry.status is PASSED


# -- finding 7: the Document Signer profile (9303-12 §7.1.1) -------------------------------------


def test_a_ca_certificate_cannot_sign_ef_sod() -> None:
    pki = authority()
    document = read(signer(pki, ca=True), trust_for(pki))  # cA, keyCertSign + cRLSign
    assert chain(document) == (FAILED, "passive.ds_profile")
    assert document.passive.outcome.status is FAILED
    assert "CA certificate" in document.passive.chain.reason


@pytest.mark.parametrize(
    ("usage", "why"),
    [
        ({"key_cert_sign": True}, "keyCertSign"),
        ({"key_cert_sign": True, "digital_signature": True}, "keyCertSign"),
        ({"key_encipherment": True}, "lacks digitalSignature"),
        (None, "no keyUsage"),
    ],
)
def test_the_key_usage_must_be_a_document_signers(usage: dict[str, bool] | None, why: str) -> None:
    pki = authority()
    document = read(key_usage_signer(pki, usage), trust_for(pki))
    assert chain(document) == (FAILED, "passive.ds_profile")
    assert why in document.passive.chain.reason


@pytest.mark.parametrize(
    "purpose",
    [MASTER_LIST_SIGNING_KEY_OID, "2.23.136.1.1.8", "1.3.6.1.5.5.7.3.1"],
    ids=["master-list-signer", "deviation-list-signer", "tls-server"],
)
def test_a_document_signer_has_no_extended_key_usage(purpose: str) -> None:
    pki = authority()
    document = read(signer(pki, extended_key_usage=(purpose,)), trust_for(pki))
    assert chain(document) == (FAILED, "passive.ds_profile")
    assert purpose in document.passive.chain.reason


@pytest.mark.parametrize(
    ("types", "code", "status"),
    [
        (("V",), "P", FAILED),
        (("ID",), "P", FAILED),
        (("PD",), "P", FAILED),  # two letters admit that type alone
        (("I", "V"), "P", FAILED),
        (("P",), "P", PASSED),
        (("P",), "PD", PASSED),  # one letter admits every type starting with it
        (("V", "P"), "P", PASSED),
        (("I",), "ID", PASSED),
        (("ID",), "ID", PASSED),
        (("ID",), "IR", FAILED),
    ],
)
def test_the_document_type_list_must_admit_the_document(
    types: tuple[str, ...], code: str, status: CheckStatus
) -> None:
    pki = authority()
    document = read(signer(pki, document_types=types), trust_for(pki), code=code)
    assert document.passive.chain.status is status, document.passive.chain
    if status is FAILED:
        assert document.passive.chain.code == "passive.ds_document_type"
        assert f"not {code}" in document.passive.chain.reason


# -- finding 8: time ------------------------------------------------------------------------------


def test_a_signing_time_in_the_future_fails() -> None:
    pki = authority()
    document = read(signer(pki), trust_for(pki), signing_time=NOW + timedelta(days=2))
    assert chain(document) == (FAILED, "passive.signing_time_future")
    assert document.passive.outcome.status is FAILED


def test_a_document_signer_not_yet_valid_fails_whatever_its_signing_time() -> None:
    pki = authority()
    later = (datetime(2026, 9, 1, tzinfo=UTC), datetime(2037, 1, 1, tzinfo=UTC))
    ds = signer(pki, validity=later)
    signed_then = datetime(2026, 10, 1, tzinfo=UTC)  # inside the DS validity, after NOW
    document = read(ds, trust_for(pki), signing_time=signed_then)
    assert chain(document) == (FAILED, "passive.ds_not_valid_now")
    assert "not yet valid" in document.passive.chain.reason


def test_an_expired_document_signer_with_a_backdated_signing_time_fails() -> None:
    pki = authority()
    old = (datetime(2015, 1, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC))
    ds = signer(pki, validity=old)
    document = read(ds, trust_for(pki), signing_time=datetime(2020, 1, 1, tzinfo=UTC))
    assert chain(document) == (FAILED, "passive.ds_not_valid_now")
    assert document.verdict.summary == "failed"


def test_the_document_must_expire_inside_the_document_signer_validity() -> None:
    pki = authority()
    document = read(signer(pki), trust_for(pki), expiry=date(2037, 3, 1))
    assert chain(document) == (FAILED, "passive.document_outlives_ds")
    assert "2037" not in document.passive.chain.reason  # the holder's date stays out
    assert read(signer(pki), trust_for(pki), expiry=date(2035, 12, 31)).passive.chain.status is (
        PASSED
    )


def test_a_signing_time_outside_the_document_signer_validity_fails() -> None:
    pki = authority()
    document = read(signer(pki), trust_for(pki), signing_time=datetime(2024, 6, 1, tzinfo=UTC))
    assert chain(document) == (FAILED, "passive.signing_time_outside_ds")


def test_an_expiry_of_94_is_1994_and_the_document_expired() -> None:
    pki = authority()
    document = read(signer(pki), trust_for(pki), expiry="940623")
    assert document.mrz is not None
    assert document.mrz.expiry_date == date(1994, 6, 23)
    assert document.verdict.expiry.status is FAILED
    assert document.verdict.summary == "failed"


# -- finding 9: the issuing state bound to the CSCA country -------------------------------------


@pytest.mark.parametrize(
    ("state", "country", "code"),
    [
        ("UNO", "UT", "passive.country_mismatch"),
        ("EUE", "UT", "passive.country_mismatch"),
        ("XPO", "UT", "passive.country_unmapped"),
        ("XOM", "UT", "passive.country_unmapped"),
        ("UNO", "UN", ""),
        ("EUE", "EU", ""),
    ],
)
def test_an_organisations_document_needs_its_own_csca(state: str, country: str, code: str) -> None:
    pki = authority(country)
    document = read(pki.ds, trust_for(pki), state=state)
    expected = (FAILED, code) if code else (PASSED, "")
    assert chain(document) == expected, document.passive.chain


# -- finding 12: every algorithm, reported ---------------------------------------------------------


def test_the_report_names_every_algorithm_weak_ones_included() -> None:
    pki = generate_pki(csca_key="ec-brainpoolP384r1", ds_key="rsa-1024", hash_algorithm="sha1")
    document = read(pki.ds, trust_for(pki), hash_algorithm="sha1")
    report = document.passive
    assert report.outcome.status is PASSED  # judging them is a policy's job, not this check's
    algorithms = report.algorithms
    assert algorithms is not None
    assert (algorithms.data_group_hash, algorithms.signed_attributes_hash) == ("sha1", "sha1")
    ds = algorithms.ds_signature
    assert ds is not None
    assert ds.key is not None
    assert (ds.scheme, ds.hash, ds.key.type, ds.key.bits) == ("rsassa_pss", "sha1", "rsa", 1024)
    csca = algorithms.csca_signature
    assert csca is not None
    assert csca.key is not None
    assert (csca.scheme, csca.hash) == ("ecdsa", "sha1")
    assert (csca.key.type, csca.key.bits, csca.key.curve) == ("ec", 384, "brainpoolP384r1")
    exported = json.loads(json.dumps(report.as_dict()))["algorithms"]
    assert exported == {
        "data_group_hash": "sha1",
        "signed_attributes_hash": "sha1",
        "ds_signature": {
            "scheme": "rsassa_pss",
            "hash": "sha1",
            "key": {"type": "rsa", "bits": 1024},
        },
        "csca_signature": {
            "scheme": "ecdsa",
            "hash": "sha1",
            "key": {
                "type": "ec",
                "bits": 384,
                "curve": "brainpoolP384r1",
                "explicit_parameters": False,
            },
        },
    }


def test_codes_travel_with_reasons_in_the_json() -> None:
    pki = authority()
    document = read(signer(pki, document_types=("V",)), trust_for(pki))
    exported = json.loads(json.dumps(document.passive.as_dict()))
    assert exported["status"] == "failed"
    assert exported["code"] == "passive.ds_document_type"
    assert exported["chain"]["code"] == "passive.ds_document_type"
    assert exported["revocation"] == {
        "status": "not_checked",
        "reason": "no CRL from this CSCA",
        "code": "passive.no_crl",
    }
    assert exported["data_groups"]["DG1"] == {"status": "passed"}
