"""Small test PKIs for the trust-store and chain tests, built with pyca/cryptography's builders
and handed over as asn1crypto objects (what the library reads). Keys are cached per label so a
test run generates each one once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import NameOID

from mrtd.lds.sod import SignerKey, sign_content
from mrtd.verify.master_list import CSCA_MASTER_LIST_OID, CscaMasterList

UTC = dt.UTC
AT = dt.datetime(2026, 6, 1, tzinfo=UTC)  # "signing time" of the test documents
START = dt.datetime(2020, 1, 1, tzinfo=UTC)
END = dt.datetime(2040, 1, 1, tzinfo=UTC)


@cache
def key(label: str, kind: str = "ecdsa") -> SignerKey:
    """A private key per label: "ecdsa" (P-256), "brainpool" (brainpoolP256r1) or "rsa"."""
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    curve = ec.BrainpoolP256R1() if kind == "brainpool" else ec.SECP256R1()
    return ec.generate_private_key(curve)


@dataclass(frozen=True)
class Issued:
    key: SignerKey
    certificate: asn1_x509.Certificate
    crypto: x509.Certificate

    @property
    def der(self) -> bytes:
        return self.crypto.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.crypto.public_bytes(serialization.Encoding.PEM)


def name(common_name: str, country: str = "UT") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Utopia"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def csca(
    label: str = "csca",
    *,
    country: str = "UT",
    kind: str = "ecdsa",
    not_before: dt.datetime = START,
    not_after: dt.datetime = END,
) -> Issued:
    """A self-signed CSCA certificate (cA, keyCertSign, cRLSign, SKI)."""
    private = key(label, kind)
    subject = name(f"CSCA {label}", country)
    return _build(
        subject, subject, private.public_key(), private, ca=True, start=not_before, end=not_after
    )


def issue(
    issuer: Issued,
    label: str,
    *,
    subject: x509.Name | None = None,
    kind: str = "ecdsa",
    ca: bool = False,
    country: str | None = None,
    not_before: dt.datetime = START,
    not_after: dt.datetime = END,
    signing_key: SignerKey | None = None,
    pss: bool = False,
    serial: int | None = None,
) -> Issued:
    """A certificate for `label`'s key issued by `issuer` (or signed by `signing_key` instead,
    under `issuer`'s name and key identifier)."""
    private = key(label, kind)
    issuer_country = issuer.crypto.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
    subject = subject or name(f"DS {label}", country or str(issuer_country[0].value))
    return _build(
        subject,
        issuer.crypto.subject,
        private.public_key(),
        signing_key or issuer.key,
        ca=ca,
        start=not_before,
        end=not_after,
        issuer_public=issuer.key.public_key(),
        private=private,
        pss=pss,
        serial=serial,
    )


def _build(
    subject: x509.Name,
    issuer: x509.Name,
    public: CertificatePublicKeyTypes,
    signer: SignerKey,
    *,
    ca: bool,
    start: dt.datetime,
    end: dt.datetime,
    issuer_public: CertificatePublicKeyTypes | None = None,
    private: SignerKey | None = None,
    pss: bool = False,
    serial: int | None = None,
) -> Issued:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public or public),  # type: ignore[arg-type]
            critical=False,
        )
    )
    if ca:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=True, path_length=0), critical=True
        ).add_extension(_key_usage(sign=False), critical=True)
    else:
        builder = builder.add_extension(_key_usage(sign=True), critical=True)
    rsa_padding = None
    if pss and isinstance(signer, rsa.RSAPrivateKey):
        rsa_padding = padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH)
    crypto = builder.sign(signer, hashes.SHA256(), rsa_padding=rsa_padding)
    der = crypto.public_bytes(serialization.Encoding.DER)
    owner = private or signer
    return Issued(owner, asn1_x509.Certificate.load(der), crypto)


def _key_usage(*, sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not sign,
        crl_sign=not sign,
        encipher_only=False,
        decipher_only=False,
    )


def crl(
    issuer: Issued,
    revoked: Iterable[int] = (),
    *,
    this_update: dt.datetime = dt.datetime(2026, 1, 1, tzinfo=UTC),
    next_update: dt.datetime = dt.datetime(2027, 1, 1, tzinfo=UTC),
    signing_key: SignerKey | None = None,
) -> asn1_crl.CertificateList:
    """A CRL in `issuer`'s name listing `revoked` serial numbers (signed by `signing_key`
    instead of the issuer's key, to make a bad one)."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.crypto.subject)
        .last_update(this_update)
        .next_update(next_update)
    )
    for serial in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(dt.datetime(2026, 3, 1, tzinfo=UTC))
            .build()
        )
    signed = builder.sign(signing_key or issuer.key, hashes.SHA256())
    return asn1_crl.CertificateList.load(signed.public_bytes(serialization.Encoding.DER))


def crl_der(certificate_list: asn1_crl.CertificateList) -> bytes:
    return bytes(certificate_list.dump())


def master_list(
    certificates: Iterable[Issued | asn1_x509.Certificate], signer: Issued, *, version: int = 0
) -> bytes:
    """A CMS CSCA master list of `certificates`, signed by `signer`."""
    entries = [c.certificate if isinstance(c, Issued) else c for c in certificates]
    content = CscaMasterList({"version": version, "cert_list": entries}).dump()
    return sign_content(
        CSCA_MASTER_LIST_OID, content, signer_key=signer.key, signer_cert=signer.certificate
    )
