"""The test-PKI builder: keys, the 9303-12 certificate profile, explicit EC parameters, link
certificates, CRLs and master lists. Where pyca/cryptography reads what we build with named
curves and RSA, it checks our signatures (a second implementation). Keys with explicit
parameters are checked against the curve data itself and verified by mrtd: what
pyca/cryptography makes of them depends on its version (46 refuses them, 51 loads brainpool
ones), and nothing here depends on which.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from functools import cache

import pytest
from asn1crypto import algos, cms, keys, x509
from asn1crypto import parser as asn1_parser
from cryptography import x509 as cryptography_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, utils

from mrtd import tlv
from mrtd.crypto.domains import CURVES_BY_NAME, ECCurve
from mrtd.crypto.ec import ECGroup
from mrtd.crypto.spki import DomainEncoding, decode_public_key, encode_public_key
from mrtd.lds.sod import SignerKey, build_sod, sign_content, signature_algorithm_id
from mrtd.sim.pki import TestPKI
from mrtd.sim.pki_builder import (
    CSCA_MASTER_LIST_OID,
    MASTER_LIST_SIGNING_KEY_OID,
    CscaMasterList,
    DocumentTypeList,
    GeneratedPKI,
    Issued,
    Scheme,
    generate_key,
    generate_pki,
    issue_certificate,
    issue_crl,
    link_certificate,
    public_key_info,
)
from mrtd.verify.signature import verify

START, END = datetime(2025, 1, 1, tzinfo=UTC), datetime(2036, 1, 1, tzinfo=UTC)
STORED = TestPKI()


@cache
def pki(kind: str) -> GeneratedPKI:
    """Built once per kind. RSA reuses the stored test keys: generating RSA keys is slow."""
    if kind == "rsa":
        return generate_pki(
            csca_key=STORED.csca_private_key("rsa"), ds_key=STORED.document_signer("rsa")[0]
        )
    if kind == "rsa-pss":
        return generate_pki(
            csca_key=STORED.csca_private_key("rsa"),
            ds_key=STORED.document_signer("rsa")[0],
            scheme="rsassa_pss",
            hash_algorithm="sha384",
        )
    if kind == "ecdsa":
        return generate_pki(csca_key="ec-P-384", ds_key="ec-P-256", hash_algorithm="sha384")
    assert kind == "explicit"
    return generate_pki(
        csca_key="ec-brainpoolP384r1", ds_key="ec-brainpoolP256r1", explicit_parameters=True
    )


def to_cryptography(certificate: x509.Certificate) -> cryptography_x509.Certificate:
    return cryptography_x509.load_der_x509_certificate(certificate.dump())


def signed_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """The certificate's signature checked with mrtd.verify.signature (explicit keys too)."""
    return verify(
        issuer.public_key,
        certificate["signature_algorithm"],
        "sha256",
        certificate["tbs_certificate"].dump(),
        certificate["signature_value"].native,
    )


def extension(certificate: x509.Certificate, name: str) -> x509.Extension | None:
    for item in certificate["tbs_certificate"]["extensions"]:
        if item["extn_id"].native == name:
            return item
    return None


# -- keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "curve"),
    [
        ("ec-P-256", "secp256r1"),
        ("ec-P-521", "secp521r1"),
        ("ec-brainpoolP256r1", "brainpoolP256r1"),
        ("ec-brainpoolP384r1", "brainpoolP384r1"),
        ("ec-brainpoolP512r1", "brainpoolP512r1"),
    ],
)
def test_generate_ec_keys(spec: str, curve: str) -> None:
    key = generate_key(spec)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.curve.name == curve


def test_generate_rsa_key() -> None:
    key = generate_key("rsa-1024")
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 1024


@pytest.mark.parametrize(
    "spec", ["rsa", "rsa-512", "rsa-big", "ec-P-999", "ec-secp256r1", "dsa-2048"]
)
def test_unknown_key_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="key spec"):
        generate_key(spec)


UNCOMPRESSED = (serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
SHA256_ECDSA = algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"})


@pytest.mark.parametrize(
    "curve", ["P-256", "P-384", "P-521", "brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1"]
)
def test_explicit_parameters_spell_out_the_curve(curve: str) -> None:
    key = generate_key(f"ec-{curve}")
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    info = public_key_info(key, explicit_parameters=True)
    expected = CURVES_BY_NAME[curve]

    # asn1crypto reads it as SpecifiedECDomain v1 over a prime field ...
    parameters = info["algorithm"]["parameters"]
    assert parameters.name == "specified"
    spec = parameters.chosen.native
    assert spec["version"] == "ecdpVer1"
    assert spec["field_id"] == {"field_type": "prime_field", "parameters": expected.p}
    p, a, b = expected.p, int.from_bytes(spec["curve"]["a"]), int.from_bytes(spec["curve"]["b"])
    assert (a, b) == (expected.a, expected.b)
    assert (spec["order"], spec["cofactor"]) == (expected.n, 1)
    # ... whose base point is the curve's generator as OpenSSL has it (the public key of the
    # scalar 1), on y^2 = x^3 + ax + b, and n its order: (n-1)*G = -G.
    generator = ec.derive_private_key(1, key.curve).public_key().public_bytes(*UNCOMPRESSED)
    assert spec["base"] == generator == expected.generator
    size = (p.bit_length() + 7) // 8
    x, y = int.from_bytes(generator[1 : 1 + size]), int.from_bytes(generator[1 + size :])
    assert (y * y - x * x * x - a * x - b) % p == 0
    minus_g = ec.derive_private_key(expected.n - 1, key.curve).public_key().public_numbers()
    assert (minus_g.x, minus_g.y) == (x, p - y)
    # mrtd maps the parameters to the named curve ...
    domain, encoding, point = decode_public_key(tlv.decode_one(info.dump()))
    assert (domain, encoding) == (expected, DomainEncoding.EXPLICIT)
    assert point == key.public_key().public_bytes(*UNCOMPRESSED)
    # ... and verifies the key's signatures through the explicit SubjectPublicKeyInfo.
    message = b"signed attributes"
    signature = key.sign(message, ec.ECDSA(hashes.SHA256()))
    assert verify(info, SHA256_ECDSA, "sha256", message, signature)
    assert not verify(info, SHA256_ECDSA, "sha256", message + b".", signature)
    stranger = public_key_info(generate_key(f"ec-{curve}"), explicit_parameters=True)
    assert not verify(stranger, SHA256_ECDSA, "sha256", message, signature)


def test_explicit_parameters_of_no_named_curve_are_verified_with_our_own_group() -> None:
    """P-256's field, a, b and n with 2G as the base point: no named curve. mrtd must neither
    take it for P-256 (a look-alike) nor refuse it: its own EC arithmetic verifies, whatever
    pyca/cryptography would make of such a key."""
    p256 = CURVES_BY_NAME["P-256"]
    doubled = ECGroup(p256).mul(2)
    size = (p256.p.bit_length() + 7) // 8
    gx, gy = int.from_bytes(doubled[1 : 1 + size]), int.from_bytes(doubled[1 + size :])
    curve = ECCurve("look-alike", "", p256.p, p256.a, p256.b, gx, gy, p256.n, p256.h)
    group = ECGroup(curve)
    private = 0x1234567890ABCDEF
    info = keys.PublicKeyInfo.load(
        encode_public_key(curve, DomainEncoding.EXPLICIT, group.mul(private))
    )
    domain, encoding, _ = decode_public_key(tlv.decode_one(info.dump()))
    assert encoding is DomainEncoding.EXPLICIT
    assert isinstance(domain, ECCurve)
    assert domain != p256
    assert (domain.gx, domain.gy) == (gx, gy)

    message = b"signed attributes"
    e = int.from_bytes(hashlib.sha256(message).digest())
    nonce = 0xFEDCBA9876543210
    r = int.from_bytes(group.x(group.mul(nonce))) % p256.n
    s = pow(nonce, -1, p256.n) * (e + r * private) % p256.n
    assert verify(info, SHA256_ECDSA, "sha256", message, utils.encode_dss_signature(r, s))
    assert not verify(
        info, SHA256_ECDSA, "sha256", message + b".", utils.encode_dss_signature(r, s)
    )
    # The same point read as a P-256 key (the standard generator) does not verify it.
    as_p256 = keys.PublicKeyInfo.load(
        encode_public_key(p256, DomainEncoding.NAMED, group.mul(private))
    )
    assert not verify(as_p256, SHA256_ECDSA, "sha256", message, utils.encode_dss_signature(r, s))


def test_named_parameters_are_what_cryptography_writes() -> None:
    key = generate_key("ec-brainpoolP256r1")
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public_key_info(key).dump() == der
    assert public_key_info(key.public_key()).dump() == der


def test_explicit_parameters_need_an_ec_key() -> None:
    with pytest.raises(ValueError, match="EC keys"):
        public_key_info(STORED.document_signer("rsa")[0], explicit_parameters=True)
    with pytest.raises(ValueError, match="not a SubjectPublicKeyInfo"):
        public_key_info(public_key_info(generate_key("ec-P-256")), explicit_parameters=True)


# -- the certificate profile ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["rsa", "rsa-pss", "ecdsa", "explicit"])
def test_csca_profile(kind: str) -> None:
    csca = pki(kind).csca.certificate
    assert csca["tbs_certificate"]["version"].native == "v3"
    assert csca.subject.native == {
        "country_name": "UT",
        "organization_name": "mrtd test PKI",
        "common_name": "mrtd test CSCA UT",
    }
    assert csca.issuer == csca.subject
    assert csca.serial_number == 1
    assert (csca.not_valid_before, csca.not_valid_after) == (
        START,
        datetime(2045, 1, 1, tzinfo=UTC),
    )
    constraints = extension(csca, "basic_constraints")
    assert constraints is not None
    assert constraints["critical"].native is True
    assert constraints["extn_value"].native == {"ca": True, "path_len_constraint": 0}
    usage = extension(csca, "key_usage")
    assert usage is not None
    assert usage["critical"].native is True
    assert usage["extn_value"].native == {"key_cert_sign", "crl_sign"}
    assert csca.key_identifier == csca.public_key.sha1
    assert csca.authority_key_identifier == csca.key_identifier
    assert signed_by(csca, csca)


@pytest.mark.parametrize("kind", ["rsa", "rsa-pss", "ecdsa", "explicit"])
def test_document_signer_profile(kind: str) -> None:
    generated = pki(kind)
    ds, csca = generated.ds.certificate, generated.csca.certificate
    assert ds.issuer == csca.subject
    assert ds.subject.native["common_name"] == "mrtd test DS UT"
    assert extension(ds, "basic_constraints") is None
    usage = extension(ds, "key_usage")
    assert usage is not None
    assert usage["extn_value"].native == {"digital_signature"}
    assert ds.key_identifier == ds.public_key.sha1
    assert ds.authority_key_identifier == csca.key_identifier
    types = extension(ds, "2.23.136.1.1.6.2")
    assert types is not None
    assert types["critical"].native is False
    assert DocumentTypeList.load(types["extn_value"].native).native == {
        "version": 0,
        "doc_type_list": ["P"],
    }
    assert ds.serial_number != csca.serial_number
    assert signed_by(ds, csca)
    assert not signed_by(csca, ds)


@pytest.mark.parametrize(
    ("kind", "algorithm"),
    [
        ("rsa", "sha256_rsa"),
        ("rsa-pss", "rsassa_pss"),
        ("ecdsa", "sha384_ecdsa"),
        ("explicit", "sha256_ecdsa"),
    ],
)
def test_certificate_signature_algorithms(kind: str, algorithm: str) -> None:
    ds = pki(kind).ds.certificate
    assert ds["signature_algorithm"]["algorithm"].native == algorithm
    assert ds["tbs_certificate"]["signature"].dump() == ds["signature_algorithm"].dump()


def test_pss_parameters_name_hash_mgf_and_salt() -> None:
    parameters = pki("rsa-pss").ds.certificate["signature_algorithm"]["parameters"].native
    assert parameters["hash_algorithm"]["algorithm"] == "sha384"
    assert parameters["mask_gen_algorithm"] == {
        "algorithm": "mgf1",
        "parameters": {"algorithm": "sha384", "parameters": None},
    }
    assert parameters["salt_length"] == 48


@pytest.mark.parametrize("kind", ["rsa", "rsa-pss", "ecdsa"])
def test_cryptography_verifies_what_we_sign(kind: str) -> None:
    generated = pki(kind)
    csca, ds = (
        to_cryptography(generated.csca.certificate),
        to_cryptography(generated.ds.certificate),
    )
    csca.verify_directly_issued_by(csca)
    ds.verify_directly_issued_by(csca)
    ski = csca.extensions.get_extension_for_class(cryptography_x509.SubjectKeyIdentifier).value
    assert ski == cryptography_x509.SubjectKeyIdentifier.from_public_key(csca.public_key())


def test_explicit_certificates_are_read_and_verified_by_mrtd() -> None:
    """Real CSCA and DS certificates spell out brainpool parameters: asn1crypto parses them,
    mrtd maps their keys to the named curves and checks the chain's signatures itself."""
    generated = pki("explicit")
    ds, csca = generated.ds.certificate, generated.csca.certificate
    assert x509.Certificate.load(ds.dump()).native["tbs_certificate"]["serial_number"] == 2
    for certificate, curve in ((ds, "brainpoolP256r1"), (csca, "brainpoolP384r1")):
        assert certificate.public_key["algorithm"]["parameters"].name == "specified"
        domain, encoding, _ = decode_public_key(tlv.decode_one(certificate.public_key.dump()))
        assert (domain, encoding) == (CURVES_BY_NAME[curve], DomainEncoding.EXPLICIT)
    assert signed_by(ds, csca)
    tbs = ds["tbs_certificate"].dump()
    changed = tbs[:-1] + bytes((tbs[-1] ^ 1,))
    algorithm, signature = ds["signature_algorithm"], ds["signature_value"].native
    assert not verify(csca.public_key, algorithm, "sha256", changed, signature)


def test_generalized_time_from_2050() -> None:
    key = generate_key("ec-P-256")
    certificate = issue_certificate(
        subject_country="UT",
        subject_name="long-lived",
        public_key=key,
        issuer=None,
        signing_key=key,
        serial=7,
        not_before=datetime(2049, 12, 31, tzinfo=UTC),
        not_after=datetime(2050, 1, 1, tzinfo=UTC),
        ca=True,
    )
    validity = certificate["tbs_certificate"]["validity"]
    assert (validity["not_before"].name, validity["not_after"].name) == ("utc_time", "general_time")
    assert certificate.not_valid_after == datetime(2050, 1, 1, tzinfo=UTC)


def test_document_types_can_be_left_out() -> None:
    generated = pki("ecdsa")
    key = generate_key("ec-P-256")
    certificate = issue_certificate(
        subject_country="UT",
        subject_name="DS without document types",
        public_key=key,
        issuer=generated.csca,
        serial=99,
        not_before=START,
        not_after=END,
        ca=False,
        document_signer=True,
        document_types=(),
    )
    assert extension(certificate, "2.23.136.1.1.6.2") is None
    assert signed_by(certificate, generated.csca.certificate)


def test_a_foreign_signing_key_makes_a_certificate_that_does_not_verify() -> None:
    generated = pki("ecdsa")
    certificate = issue_certificate(
        subject_country="UT",
        subject_name="forged DS",
        public_key=generate_key("ec-P-256"),
        issuer=generated.csca,
        signing_key=generate_key("ec-P-384"),
        serial=100,
        not_before=START,
        not_after=END,
        ca=False,
    )
    assert certificate.issuer == generated.csca.certificate.subject
    assert not signed_by(certificate, generated.csca.certificate)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"subject_country": "UTO"}, "alpha-2"),
        ({"subject_country": "ut"}, "alpha-2"),
        ({"issuer": None}, "signing_key"),
        ({"not_before": datetime(2025, 1, 1)}, "timezone-aware"),
        ({"not_after": START}, "later"),
        ({"scheme": "rsassa_pss"}, "does not fit"),
        ({"hash_algorithm": "md5"}, "hash algorithm"),
        ({"explicit_parameters": True, "public_key": STORED.document_signer("rsa")[0]}, "EC"),
    ],
)
def test_bad_certificate_requests_are_refused(changes: dict[str, object], message: str) -> None:
    request: dict[str, object] = {
        "subject_country": "UT",
        "subject_name": "DS",
        "public_key": generate_key("ec-P-256"),
        "issuer": pki("ecdsa").csca,
        "serial": 5,
        "not_before": START,
        "not_after": END,
        "ca": False,
    }
    request.update(changes)
    with pytest.raises(ValueError, match=message):
        issue_certificate(**request)  # type: ignore[arg-type]


def test_generated_serials_are_unique() -> None:
    generated = generate_pki(csca_key="ec-P-256", ds_key="ec-P-256")
    second = generated.issue("ec-P-256", "second DS")
    expired = generated.issue(
        "ec-P-256", "expired DS", not_before=START, not_after=START + timedelta(days=90)
    )
    new, link = generated.new_csca("ec-P-256")
    issued = (generated.csca, generated.ds, second, expired, new)
    serials = [link.serial_number, *(i.certificate.serial_number for i in issued)]
    assert len(set(serials)) == len(serials)
    assert expired.certificate.not_valid_after == START + timedelta(days=90)


# -- link certificates ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["rsa", "explicit"])
def test_link_certificate(kind: str) -> None:
    generated = pki(kind)
    new, link = generated.new_csca("ec-brainpoolP384r1")
    old = generated.csca.certificate
    assert link.subject == new.certificate.subject
    assert link.issuer == old.subject
    assert link.public_key.dump() == new.certificate.public_key.dump()
    assert link.key_identifier == new.certificate.key_identifier
    assert link.authority_key_identifier == old.key_identifier
    assert link.basic_constraints_value.native == {"ca": True, "path_len_constraint": 0}
    assert link.key_usage_value.native == {"key_cert_sign", "crl_sign"}
    assert (link.not_valid_before, link.not_valid_after) == (
        new.certificate.not_valid_before,
        new.certificate.not_valid_after,
    )
    assert signed_by(link, old)
    assert signed_by(new.certificate, new.certificate)
    # A DS of the new CSCA chains to the old one through the link certificate.
    ds = issue_certificate(
        subject_country="UT",
        subject_name="DS of the new CSCA",
        public_key=generate_key("ec-P-256"),
        issuer=new,
        serial=500,
        not_before=START,
        not_after=END,
        ca=False,
        document_signer=True,
    )
    assert signed_by(ds, link)


def test_rollover_to_another_key_type() -> None:
    generated = pki("rsa-pss")
    new, link = generated.new_csca("ec-P-256")
    assert link["signature_algorithm"].signature_algo == "rsassa_pss"
    assert new.certificate["signature_algorithm"].signature_algo == "ecdsa"
    assert signed_by(link, generated.csca.certificate)
    assert signed_by(new.certificate, new.certificate)


def test_link_certificate_validity_and_scheme_can_be_chosen() -> None:
    generated = pki("rsa")
    new = Issued(generated.csca.key, generated.csca.certificate)  # a re-keyed name, same key
    link = link_certificate(
        generated.csca, new, 77, not_after=END, scheme="rsassa_pss", hash_algorithm="sha512"
    )
    assert link.not_valid_after == END
    assert link["signature_algorithm"].signature_algo == "rsassa_pss"
    assert signed_by(link, generated.csca.certificate)


# -- CRLs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["rsa", "rsa-pss", "ecdsa", "explicit"])
def test_crl(kind: str) -> None:
    generated = pki(kind)
    when = datetime(2026, 3, 1, tzinfo=UTC)
    crl = generated.crl([(generated.ds.certificate.serial_number, when), (0x4242, when)], number=3)
    tbs = crl["tbs_cert_list"]
    assert tbs["version"].native == "v2"
    assert crl.issuer == generated.csca.certificate.subject
    assert crl.authority_key_identifier == generated.csca.certificate.key_identifier
    assert crl.crl_number_value.native == 3
    assert [
        (r["user_certificate"].native, r["revocation_date"].native)
        for r in tbs["revoked_certificates"]
    ] == [
        (2, when),
        (0x4242, when),
    ]
    assert verify(
        generated.csca.certificate.public_key,
        crl["signature_algorithm"],
        "sha256",
        tbs.dump(),
        crl["signature"].native,
    )
    assert not verify(
        generated.ds.certificate.public_key,
        crl["signature_algorithm"],
        "sha256",
        tbs.dump(),
        crl["signature"].native,
    )


def test_cryptography_reads_and_verifies_our_crl() -> None:
    generated = pki("rsa-pss")
    crl = cryptography_x509.load_der_x509_crl(generated.crl([(2, START)]).dump())
    assert crl.is_signature_valid(to_cryptography(generated.csca.certificate).public_key())  # type: ignore[arg-type]
    revoked = crl.get_revoked_certificate_by_serial_number(2)
    assert revoked is not None
    assert revoked.revocation_date_utc == START
    assert crl.extensions.get_extension_for_class(cryptography_x509.CRLNumber).value.crl_number == 1


def test_an_empty_crl_has_no_revoked_certificates_field() -> None:
    generated = pki("ecdsa")
    crl = issue_crl(generated.csca, this_update=START, next_update=END)
    assert crl["tbs_cert_list"]["revoked_certificates"].native is None
    assert b"\x30\x00" not in crl["tbs_cert_list"].dump()[-60:]


# -- master lists -----------------------------------------------------------------------------


def read_master_list(data: bytes) -> tuple[cms.SignedData, CscaMasterList]:
    content_info = cms.ContentInfo.load(data)
    assert content_info["content_type"].native == "signed_data"
    signed_data = content_info["content"]
    encap = signed_data["encap_content_info"]
    assert encap["content_type"].dotted == CSCA_MASTER_LIST_OID
    return signed_data, CscaMasterList.load(encap["content"].native)


@pytest.mark.parametrize("kind", ["rsa", "explicit"])
def test_master_list(kind: str) -> None:
    generated = pki(kind)
    other = pki("ecdsa").csca.certificate
    data, signer = generated.master_list([generated.csca.certificate, other])
    signed_data, master_list = read_master_list(data)

    assert master_list["version"].native == 0
    listed = {c.dump() for c in master_list["cert_list"]}
    assert listed == {generated.csca.certificate.dump(), other.dump()}
    # The Master List Signer: a CSCA-issued end-entity certificate with the ICAO EKU.
    certificate = signed_data["certificates"][0].chosen
    assert certificate.dump() == signer.certificate.dump()
    assert certificate.extended_key_usage_value.native == [MASTER_LIST_SIGNING_KEY_OID]
    assert certificate.key_usage_value.native == {"digital_signature"}
    assert signed_by(certificate, generated.csca.certificate)
    # The CMS signature over the signed attributes, whose messageDigest covers the list.
    signer_info = signed_data["signer_infos"][0]
    attributes = {a["type"].native: a["values"][0].native for a in signer_info["signed_attrs"]}
    content = signed_data["encap_content_info"]["content"].native
    assert attributes["message_digest"] == hashlib.sha256(content).digest()
    assert attributes["content_type"] == CSCA_MASTER_LIST_OID
    signature_input = bytes(asn1_parser.emit(0, 1, 17, signer_info["signed_attrs"].contents))
    args = (signer_info["signature_algorithm"], "sha256", signature_input)
    assert verify(certificate.public_key, *args, signer_info["signature"].native)
    stranger = pki("ecdsa").ds.certificate.public_key  # P-256, as the Master List Signer
    assert not verify(stranger, *args, signer_info["signature"].native)


def test_master_list_defaults_to_the_csca() -> None:
    generated = pki("ecdsa")
    data, _ = generated.master_list()
    _, master_list = read_master_list(data)
    assert [c.dump() for c in master_list["cert_list"]] == [generated.csca.certificate.dump()]


# -- signing EF.SOD with these certificates ---------------------------------------------------


@pytest.mark.parametrize("scheme", ["rsassa_pss", "rsassa_pkcs1v15"])
def test_build_sod_with_a_generated_rsa_document_signer(scheme: Scheme) -> None:
    ds = pki("rsa").ds
    raw = build_sod(
        {1: b"a", 2: b"b"},
        signer_key=ds.key,
        signer_cert=ds.certificate,
        signature_algorithm=scheme,
    )
    assert raw[0] == 0x77


def test_sign_content_accepts_explicit_parameters_of_the_right_key_only() -> None:
    ds = pki("explicit").ds
    assert sign_content("1.2.3", b"x", signer_key=ds.key, signer_cert=ds.certificate)
    stranger: SignerKey = generate_key("ec-brainpoolP256r1")
    with pytest.raises(ValueError, match="does not belong"):
        sign_content("1.2.3", b"x", signer_key=stranger, signer_cert=ds.certificate)
    other_curve: SignerKey = generate_key("ec-P-256")
    with pytest.raises(ValueError, match="does not belong"):
        sign_content("1.2.3", b"x", signer_key=other_curve, signer_cert=ds.certificate)
    with pytest.raises(ValueError, match="does not belong"):
        sign_content(
            "1.2.3", b"x", signer_key=STORED.document_signer("rsa")[0], signer_cert=ds.certificate
        )


@pytest.mark.parametrize("hash_algorithm", ["sha1", "sha224", "sha256", "sha384", "sha512"])
def test_algorithm_identifier_parameters(hash_algorithm: str) -> None:
    """PKCS#1 v1.5: NULL parameters, SHA-1 included (RFC 4055 §5); ECDSA: none (RFC 5758)."""
    rsa_key, ec_key = STORED.document_signer("rsa")[0], STORED.document_signer("ecdsa")[0]
    pkcs1 = signature_algorithm_id(rsa_key, hash_algorithm, "rsassa_pkcs1v15")
    assert pkcs1["parameters"].dump() == b"\x05\x00"
    ecdsa = signature_algorithm_id(ec_key, hash_algorithm, "ecdsa")
    oid = ecdsa["algorithm"].dump()
    assert ecdsa.dump() == b"\x30" + bytes((len(oid),)) + oid
    with pytest.raises(ValueError, match="does not fit"):
        signature_algorithm_id(ec_key, hash_algorithm, "rsassa_pss")
