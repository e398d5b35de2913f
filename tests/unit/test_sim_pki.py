"""The simulated chip's test PKI: stable, well-formed, chains verify, export works."""

from __future__ import annotations

import hashlib
import importlib.util
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from types import ModuleType

import pytest
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from mrtd.lds.sod import SODFile, build_sod
from mrtd.sim import pki
from mrtd.sim.pki import KINDS, Kind, TestPKI, all_csca_pem, export_csca
from tests.conftest import ROOT

PKI = TestPKI()

# SHA-256 over the DER of each stored CSCA. A change here means the CSCA was regenerated:
# every exported copy and every recorded trace stop verifying. Do it only on purpose.
CSCA_FINGERPRINTS = {
    "rsa": "58f1e2cb426498f9647da2b7e8dec125819ca022dea59596b1dc69c8bac8711b",
    "ecdsa": "b2ce3f9547cb899d3e443a323be978f76eed4a30c03b19343d7d4abf9379a3d2",
}
DOCUMENT_TYPE_LIST = x509.ObjectIdentifier("2.23.136.1.1.6.2")


def to_cryptography(certificate: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(certificate.dump())


def check_chain(csca: x509.Certificate, ds: x509.Certificate, kind: str) -> None:
    """What the stored and a freshly generated PKI must both satisfy (9303-12 basics)."""
    utc = datetime(2025, 1, 1, tzinfo=UTC), datetime(2045, 1, 1, tzinfo=UTC)
    assert (csca.not_valid_before_utc, csca.not_valid_after_utc) == utc
    assert ds.not_valid_before_utc == utc[0]
    assert ds.not_valid_after_utc == datetime(2036, 1, 1, tzinfo=UTC)
    for certificate in (csca, ds):
        assert certificate.version == x509.Version.v3
        assert certificate.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "UT"
        organization = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        assert organization[0].value == "mrtd test PKI"
        assert "test" in certificate.subject.rfc4514_string()
        assert certificate.serial_number > 0
        assert certificate.extensions.get_extension_for_class(x509.PrivateKeyUsagePeriod)
    assert csca.issuer == csca.subject
    assert ds.issuer == csca.subject
    csca.verify_directly_issued_by(csca)
    ds.verify_directly_issued_by(csca)

    constraints = csca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value.ca
    assert constraints.value.path_length == 0
    csca_usage = csca.extensions.get_extension_for_class(x509.KeyUsage)
    assert csca_usage.critical
    assert csca_usage.value.key_cert_sign
    assert csca_usage.value.crl_sign
    assert not csca_usage.value.digital_signature
    csca_ski = csca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert csca_ski == x509.SubjectKeyIdentifier.from_public_key(csca.public_key())

    ds_usage = ds.extensions.get_extension_for_class(x509.KeyUsage)
    assert ds_usage.critical
    assert ds_usage.value.digital_signature
    assert not ds_usage.value.key_cert_sign
    aki = ds.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == csca_ski.digest
    with pytest.raises(x509.ExtensionNotFound):
        ds.extensions.get_extension_for_class(x509.BasicConstraints)
    doc_types = ds.extensions.get_extension_for_oid(DOCUMENT_TYPE_LIST)
    assert not doc_types.critical

    csca_key, ds_key = csca.public_key(), ds.public_key()
    if kind == "rsa":
        assert isinstance(csca_key, rsa.RSAPublicKey)
        assert isinstance(ds_key, rsa.RSAPublicKey)
        assert (csca_key.key_size, ds_key.key_size) == (3072, 2048)
    else:
        assert isinstance(csca_key, ec.EllipticCurvePublicKey)
        assert isinstance(ds_key, ec.EllipticCurvePublicKey)
        assert (csca_key.curve.name, ds_key.curve.name) == ("brainpoolP384r1", "brainpoolP256r1")


@pytest.mark.parametrize("kind", KINDS)
def test_stored_chain_follows_the_profile(kind: Kind) -> None:
    csca = to_cryptography(PKI.csca_certificate(kind))
    ds = to_cryptography(PKI.document_signer(kind)[1])
    check_chain(csca, ds, kind)


@pytest.mark.parametrize("kind", KINDS)
def test_csca_is_stable(kind: Kind) -> None:
    der = PKI.csca_certificate(kind).dump()
    assert hashlib.sha256(der).hexdigest() == CSCA_FINGERPRINTS[kind]
    assert TestPKI().csca_certificate(kind).dump() == der


@pytest.mark.parametrize("kind", KINDS)
def test_private_keys_belong_to_their_certificates(kind: Kind) -> None:
    def spki(key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey) -> bytes:
        return key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    ds_key, ds_certificate = PKI.document_signer(kind)
    ds_public = to_cryptography(ds_certificate).public_key()
    assert isinstance(ds_public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
    assert spki(ds_key.public_key()) == spki(ds_public)
    csca_key = PKI.csca_private_key(kind)
    csca_public = to_cryptography(PKI.csca_certificate(kind)).public_key()
    assert isinstance(csca_public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
    assert spki(csca_key.public_key()) == spki(csca_public)


@pytest.mark.parametrize("kind", KINDS)
def test_sod_signed_by_the_document_signer_chains_to_the_csca(kind: Kind) -> None:
    key, certificate = PKI.document_signer(kind)
    sod = SODFile.from_bytes(build_sod({1: b"a", 2: b"b"}, signer_key=key, signer_cert=certificate))
    assert sod.signer_certificate is not None
    ds = to_cryptography(sod.signer_certificate)
    ds.verify_directly_issued_by(to_cryptography(PKI.csca_certificate(kind)))


def test_the_two_chains_are_distinct() -> None:
    rsa_csca, ecdsa_csca = (PKI.csca_certificate(kind) for kind in KINDS)
    assert rsa_csca.subject != ecdsa_csca.subject
    assert rsa_csca.key_identifier != ecdsa_csca.key_identifier
    with pytest.raises(ValueError, match="does not match"):
        to_cryptography(PKI.document_signer("rsa")[1]).verify_directly_issued_by(
            to_cryptography(ecdsa_csca)
        )


def test_instances_share_the_loaded_objects() -> None:
    assert TestPKI().document_signer("ecdsa") == PKI.document_signer("ecdsa")


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="rsa, ecdsa"):
        PKI.csca_certificate("dsa")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rsa, ecdsa"):
        PKI.document_signer("RSA")  # type: ignore[arg-type]


def test_all_csca_pem_holds_both_cscas() -> None:
    assert PKI.all_csca_pem() == all_csca_pem()
    certificates = x509.load_pem_x509_certificates(all_csca_pem())
    assert [c.public_bytes(serialization.Encoding.DER) for c in certificates] == [
        PKI.csca_certificate(kind).dump() for kind in KINDS
    ]


@pytest.mark.parametrize("kind", [None, *KINDS])
def test_export_csca(tmp_path: Path, kind: Kind | None) -> None:
    target = tmp_path / "csca.pem"
    assert export_csca(target, kind) == target
    certificates = x509.load_pem_x509_certificates(target.read_bytes())
    expected = KINDS if kind is None else (kind,)
    assert [c.public_bytes(serialization.Encoding.DER) for c in certificates] == [
        PKI.csca_certificate(k).dump() for k in expected
    ]
    assert PKI.export_csca(str(tmp_path / "again.pem"), kind).read_bytes() == target.read_bytes()


def test_exported_pem_has_no_private_key(tmp_path: Path) -> None:
    text = export_csca(tmp_path / "csca.pem").read_bytes()
    assert b"PRIVATE" not in text
    assert all(pem.detect(part) for part in text.split(b"-----END CERTIFICATE-----")[:-1])


def test_key_files_are_labelled_as_test_keys() -> None:
    folder = resources.files("mrtd.sim").joinpath("pki_data")
    names = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".pem"))
    assert names == [
        f"{role}_{kind}.{part}.pem"
        for role in ("csca", "ds")
        for kind in sorted(KINDS)
        for part in ("cert", "key")
    ]
    for name in names:
        if name.endswith(".key.pem"):
            assert folder.joinpath(name).read_text().startswith("mrtd TEST key material")


def test_pytest_does_not_collect_test_pki() -> None:
    assert pki.TestPKI.__test__ is False


# -- scripts/make_test_pki.py -----------------------------------------------------------------


def load_script() -> ModuleType:
    path = ROOT / "scripts" / "make_test_pki.py"
    spec = importlib.util.spec_from_file_location("make_test_pki", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_script_makes_a_pki_with_the_same_profile(tmp_path: Path) -> None:
    script = load_script()
    assert script.main(["--out", str(tmp_path)]) == 0
    for kind in KINDS:
        csca = x509.load_pem_x509_certificate((tmp_path / f"csca_{kind}.cert.pem").read_bytes())
        ds = x509.load_pem_x509_certificate((tmp_path / f"ds_{kind}.cert.pem").read_bytes())
        check_chain(csca, ds, kind)
        key = serialization.load_pem_private_key(
            (tmp_path / f"ds_{kind}.key.pem").read_bytes(), None
        )
        assert key.public_key() == ds.public_key()


def test_script_refuses_to_replace_without_force(tmp_path: Path) -> None:
    (tmp_path / "csca_rsa.cert.pem").write_bytes(b"old")
    script = load_script()
    assert script.main(["--out", str(tmp_path)]) == 2
    assert (tmp_path / "csca_rsa.cert.pem").read_bytes() == b"old"
