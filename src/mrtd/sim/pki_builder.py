"""Build test PKIs for eMRTD back-ends: CSCA, Document Signer, link certificates, CRLs and CSCA
master lists, with every signature algorithm ICAO 9303-12 allows.

pyca/cryptography's builders cannot sign certificates with RSASSA-PSS parameters of our choice,
nor write an EC key with explicit domain parameters (X9.62 SpecifiedECDomain), both of which
real CSCAs do. So the structures are asn1crypto's and only the private-key operations are
pyca/cryptography's (`mrtd.lds.sod.sign_message`). Explicit parameters are spelled out from the
curve data of `mrtd.crypto.domains`.

The profile is 9303-12 §7.1's basics: C, O and CN in names; BasicConstraints (CA, pathLen 0)
and KeyUsage keyCertSign + cRLSign for CSCA and link certificates; KeyUsage digitalSignature
for Document and Master List Signers; SubjectKeyIdentifier and AuthorityKeyIdentifier
everywhere; the documentTypeList extension for Document Signers when asked for.

Keys and certificates made here are TEST material: never trust them outside tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypeAlias, TypeVar

from asn1crypto import core, crl, keys, x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from mrtd.crypto.domains import CURVES_BY_NAME
from mrtd.crypto.spki import DomainEncoding, encode_public_key
from mrtd.lds.sod import (
    CRYPTOGRAPHY_CURVES,
    SignerKey,
    sign_content,
    sign_message,
    signature_algorithm_id,
)
from mrtd.verify.master_list import CSCA_MASTER_LIST_OID, CscaMasterList

__all__ = [
    "CSCA_MASTER_LIST_OID",
    "DOCUMENT_TYPE_LIST_OID",
    "MASTER_LIST_SIGNING_KEY_OID",
    "CscaMasterList",
    "DocumentTypeList",
    "GeneratedPKI",
    "Issued",
    "PublicKey",
    "Scheme",
    "build_master_list",
    "generate_key",
    "generate_pki",
    "issue_certificate",
    "issue_crl",
    "link_certificate",
    "public_key_info",
]

#: id-icao-cscaMasterListSigningKey, the extended key usage of a Master List Signer.
MASTER_LIST_SIGNING_KEY_OID = "2.23.136.1.1.3"
#: id-icao-mrtd-security-extensions-documentTypeList (9303-12 §7.1.1.3).
DOCUMENT_TYPE_LIST_OID = "2.23.136.1.1.6.2"

#: Signature schemes, named as `mrtd.lds.sod.SIGNATURE_ALGORITHMS` names them.
Scheme = Literal["rsassa_pss", "rsassa_pkcs1v15", "ecdsa"]
#: A subject public key: a pyca/cryptography key (private keys give their public half) or a
#: SubjectPublicKeyInfo taken as it is.
PublicKey: TypeAlias = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | SignerKey | keys.PublicKeyInfo

_ORGANIZATION = "mrtd test PKI"
_Value = TypeVar("_Value", x509.Certificate, crl.CertificateList)
_RSA_SIZES = range(1024, 8193)


class DocumentTypeList(core.Sequence):  # type: ignore[misc]
    """DocumentTypeListSyntax ::= SEQUENCE { version INTEGER (0), docTypeList SET OF
    PrintableString (SIZE(1..2)) } (9303-12 §7.1.1.3)."""

    _fields = [  # noqa: RUF012 - asn1crypto's declarative spec
        ("version", core.Integer),
        ("doc_type_list", core.SetOf, {"spec": core.PrintableString}),
    ]


@dataclass(frozen=True)
class Issued:
    """A private key and the certificate for its public key."""

    key: SignerKey
    certificate: x509.Certificate


# -- keys -------------------------------------------------------------------------------------


def generate_key(spec: str) -> SignerKey:
    """A new private key: "rsa-2048", "rsa-3072", ... or "ec-" and a curve name of
    `mrtd.crypto.domains` that pyca/cryptography implements ("ec-P-256",
    "ec-brainpoolP256r1", "ec-brainpoolP384r1", "ec-P-521", ...). RSA keys take a while."""
    kind, _, detail = spec.partition("-")
    if kind == "rsa" and detail.isdigit() and int(detail) in _RSA_SIZES:
        return rsa.generate_private_key(65537, int(detail))
    if kind == "ec" and detail in CRYPTOGRAPHY_CURVES:
        return ec.generate_private_key(CRYPTOGRAPHY_CURVES[detail])
    curves = ", ".join(f"ec-{name}" for name in CRYPTOGRAPHY_CURVES)
    raise ValueError(f"key spec {spec!r} is not rsa-<bits> (1024 to 8192) or one of {curves}")


def public_key_info(key: PublicKey, *, explicit_parameters: bool = False) -> keys.PublicKeyInfo:
    """The SubjectPublicKeyInfo of `key`; an EC key with `explicit_parameters` spells out its
    curve (SpecifiedECDomain version 1: prime field, a, b, uncompressed base point, order,
    cofactor; RFC 3279 §2.3.5) instead of naming it."""
    if isinstance(key, keys.PublicKeyInfo):
        if explicit_parameters:
            raise ValueError("explicit_parameters applies to a key, not a SubjectPublicKeyInfo")
        return key
    public = (
        key.public_key() if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) else key
    )
    if explicit_parameters:
        if not isinstance(public, ec.EllipticCurvePublicKey):
            raise ValueError("explicit domain parameters are for EC keys")
        point = public.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        curve = CURVES_BY_NAME[_curve_name(public.curve)]
        return keys.PublicKeyInfo.load(encode_public_key(curve, DomainEncoding.EXPLICIT, point))
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return keys.PublicKeyInfo.load(der)


def _curve_name(curve: ec.EllipticCurve) -> str:
    for name, known in CRYPTOGRAPHY_CURVES.items():
        if known.name == curve.name:
            return name
    raise ValueError(f"curve {curve.name} has no domain parameters in mrtd.crypto.domains")


# -- certificates -----------------------------------------------------------------------------


def issue_certificate(
    *,
    subject_country: str,
    subject_name: str,
    public_key: PublicKey,
    issuer: Issued | None,
    signing_key: SignerKey | None = None,
    serial: int,
    not_before: datetime,
    not_after: datetime,
    ca: bool,
    scheme: Scheme | None = None,
    hash_algorithm: str = "sha256",
    explicit_parameters: bool = False,
    document_signer: bool = False,
    document_types: Sequence[str] = ("P",),
    extended_key_usage: Sequence[str] = (),
    organization: str = _ORGANIZATION,
) -> x509.Certificate:
    """An X.509 v3 certificate for `public_key`, named C=`subject_country`, O=`organization`,
    CN=`subject_name`.

    `issuer` None makes it self-signed (a CSCA) with `signing_key`; otherwise `issuer`'s key
    signs it, or `signing_key` when given (to make a certificate that does not verify).
    `ca` makes a CSCA or link certificate; otherwise KeyUsage is digitalSignature, with the
    documentTypeList `document_types` for a `document_signer` (none if empty) and the
    `extended_key_usage` OIDs given (`MASTER_LIST_SIGNING_KEY_OID` for a Master List Signer).
    `scheme` None means rsassa_pkcs1v15 for RSA signing keys and ecdsa for EC ones.
    """
    if not (len(subject_country) == 2 and subject_country.isascii() and subject_country.isupper()):
        raise ValueError(f"country {subject_country!r} is not an ISO 3166-1 alpha-2 code")
    name = x509.Name.build(
        {
            "country_name": subject_country,
            "organization_name": organization,
            "common_name": subject_name,
        }
    )
    spki = public_key_info(public_key, explicit_parameters=explicit_parameters)
    if issuer is None:
        if signing_key is None:
            raise ValueError("a self-signed certificate needs signing_key")
        issuer_name, issuer_key_id = name, spki.sha1
    else:
        signing_key = signing_key or issuer.key
        issuer_name, issuer_key_id = issuer.certificate.subject, _key_identifier(issuer)
    extensions = _extensions(
        spki,
        issuer_key_id,
        ca=ca,
        document_types=document_types if document_signer else (),
        extended_key_usage=extended_key_usage,
    )
    return _sign_certificate(
        {
            "serial_number": serial,
            "issuer": issuer_name,
            "validity": _validity(not_before, not_after),
            "subject": name,
            "subject_public_key_info": spki,
            "extensions": extensions,
        },
        signing_key,
        scheme,
        hash_algorithm,
    )


def link_certificate(
    old: Issued,
    new: Issued,
    serial: int,
    *,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    scheme: Scheme | None = None,
    hash_algorithm: str = "sha256",
) -> x509.Certificate:
    """A CSCA link certificate (9303-12 §5.5.2): the new CSCA's subject and public key (its
    SubjectPublicKeyInfo as it is, explicit parameters included), issued by the old CSCA.
    The validity defaults to the new CSCA certificate's."""
    extensions = _extensions(
        new.certificate.public_key,
        _key_identifier(old),
        ca=True,
        document_types=(),
        extended_key_usage=(),
    )
    return _sign_certificate(
        {
            "serial_number": serial,
            "issuer": old.certificate.subject,
            "validity": _validity(
                not_before or new.certificate.not_valid_before,
                not_after or new.certificate.not_valid_after,
            ),
            "subject": new.certificate.subject,
            "subject_public_key_info": new.certificate.public_key,
            "extensions": extensions,
        },
        old.key,
        scheme,
        hash_algorithm,
    )


def _sign_certificate(
    fields: dict[str, object], key: SignerKey, scheme: Scheme | None, hash_algorithm: str
) -> x509.Certificate:
    """Sign the TBSCertificate `fields` (version and signature algorithm added here)."""
    chosen = _default_scheme(key, scheme)
    algorithm = signature_algorithm_id(key, hash_algorithm, chosen)
    tbs = x509.TbsCertificate({"version": "v3", "signature": algorithm, **fields})
    _, signature = sign_message(key, tbs.dump(), hash_algorithm, chosen)
    certificate = x509.Certificate(
        {"tbs_certificate": tbs, "signature_algorithm": algorithm, "signature_value": signature}
    )
    return _reloaded(x509.Certificate, certificate.dump())


def _extensions(
    spki: keys.PublicKeyInfo,
    issuer_key_id: bytes,
    *,
    ca: bool,
    document_types: Sequence[str],
    extended_key_usage: Sequence[str],
) -> list[dict[str, object]]:
    usage = {"key_cert_sign", "crl_sign"} if ca else {"digital_signature"}
    extensions: list[dict[str, object]] = []
    if ca:
        constraints = {"ca": True, "path_len_constraint": 0}
        extensions.append(
            {"extn_id": "basic_constraints", "critical": True, "extn_value": constraints}
        )
    extensions += [
        {"extn_id": "key_usage", "critical": True, "extn_value": usage},
        {"extn_id": "key_identifier", "extn_value": spki.sha1},
        {"extn_id": "authority_key_identifier", "extn_value": {"key_identifier": issuer_key_id}},
    ]
    if extended_key_usage:
        extensions.append({"extn_id": "extended_key_usage", "extn_value": list(extended_key_usage)})
    if document_types:
        value = DocumentTypeList({"version": 0, "doc_type_list": list(document_types)})
        extensions.append({"extn_id": DOCUMENT_TYPE_LIST_OID, "extn_value": value.dump()})
    return extensions


def _key_identifier(issued: Issued) -> bytes:
    """The issuer's SubjectKeyIdentifier (RFC 5280 §4.2.1.1), or the SHA-1 of its key."""
    identifier = issued.certificate.key_identifier
    return (
        bytes(identifier) if identifier is not None else bytes(issued.certificate.public_key.sha1)
    )


def _default_scheme(key: SignerKey, scheme: Scheme | None) -> Scheme:
    if scheme is not None:
        return scheme
    return "ecdsa" if isinstance(key, ec.EllipticCurvePrivateKey) else "rsassa_pkcs1v15"


def _validity(not_before: datetime, not_after: datetime) -> dict[str, x509.Time]:
    validity = {"not_before": _x509_time(not_before), "not_after": _x509_time(not_after)}
    if not_after <= not_before:
        raise ValueError("not_after must be later than not_before")
    return validity


def _x509_time(when: datetime) -> x509.Time:
    """RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050."""
    if when.tzinfo is None:
        raise ValueError("certificate and CRL times must be timezone-aware")
    name = "utc_time" if when.year < 2050 else "general_time"
    return x509.Time(name=name, value=when.astimezone(UTC))


# -- CRLs and master lists --------------------------------------------------------------------


def issue_crl(
    issuer: Issued,
    revoked: Iterable[tuple[int, datetime]] = (),
    *,
    this_update: datetime,
    next_update: datetime,
    scheme: Scheme | None = None,
    hash_algorithm: str = "sha256",
    number: int = 1,
) -> crl.CertificateList:
    """A v2 CRL by the CSCA `issuer` (9303-12 §7.1.4): the `revoked` (serial number,
    revocation date) pairs, AuthorityKeyIdentifier and CRLNumber `number`."""
    entries = [
        {"user_certificate": serial, "revocation_date": _x509_time(when)}
        for serial, when in revoked
    ]
    key, chosen = issuer.key, _default_scheme(issuer.key, scheme)
    algorithm = signature_algorithm_id(key, hash_algorithm, chosen)
    tbs_fields: dict[str, object] = {
        "version": "v2",
        "signature": algorithm,
        "issuer": issuer.certificate.subject,
        "this_update": _x509_time(this_update),
        "next_update": _x509_time(next_update),
        "crl_extensions": [
            {
                "extn_id": "authority_key_identifier",
                "extn_value": {"key_identifier": _key_identifier(issuer)},
            },
            {"extn_id": "crl_number", "extn_value": number},
        ],
    }
    if entries:  # RFC 5280 §5.1.2.6: absent, not empty, when nothing is revoked
        tbs_fields["revoked_certificates"] = entries
    tbs = crl.TbsCertList(tbs_fields)
    _, signature = sign_message(key, tbs.dump(), hash_algorithm, chosen)
    certificate_list = crl.CertificateList(
        {"tbs_cert_list": tbs, "signature_algorithm": algorithm, "signature": signature}
    )
    return _reloaded(crl.CertificateList, certificate_list.dump())


def build_master_list(
    signer: Issued,
    certificates: Iterable[x509.Certificate],
    *,
    hash_algorithm: str = "sha256",
    scheme: Scheme | None = None,
    signing_time: datetime | None = None,
) -> bytes:
    """A CSCA master list (9303-12 §9): CMS SignedData over a CscaMasterList of
    `certificates`, signed by the Master List Signer `signer` (a certificate a CSCA issued)."""
    content = CscaMasterList({"version": 0, "cert_list": list(certificates)}).dump()
    return sign_content(
        CSCA_MASTER_LIST_OID,
        content,
        signer_key=signer.key,
        signer_cert=signer.certificate,
        hash_algorithm=hash_algorithm,
        signature_algorithm=scheme,
        signing_time=signing_time,
    )


def _reloaded(cls: type[_Value], der: bytes) -> _Value:
    """`der` parsed back, as a reader would see it (and every lazily computed field fresh)."""
    value = cls.load(der, strict=True)
    _ = value.native
    return value


# -- a whole PKI ------------------------------------------------------------------------------

_CSCA_VALIDITY = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2045, 1, 1, tzinfo=UTC))
_DS_VALIDITY = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2036, 1, 1, tzinfo=UTC))


@dataclass
class GeneratedPKI:
    """A CSCA and a Document Signer it issued, with what else a test PKI needs from them.

    Certificates issued later (`issue`, `new_csca`, `master_list`) take the next serial
    numbers, so no two certificates of one PKI share one.
    """

    country: str
    csca: Issued
    ds: Issued
    scheme: Scheme | None = None
    hash_algorithm: str = "sha256"
    explicit_parameters: bool = False
    next_serial: int = 0x100

    def issue(
        self,
        key: SignerKey | str,
        name: str,
        *,
        not_before: datetime = _DS_VALIDITY[0],
        not_after: datetime = _DS_VALIDITY[1],
        document_signer: bool = True,
        extended_key_usage: Sequence[str] = (),
    ) -> Issued:
        """Another end-entity certificate under this CSCA (a second DS, an expired one, a
        Master List Signer); `key` is a private key or a `generate_key` spec."""
        private = _key(key)
        certificate = issue_certificate(
            subject_country=self.country,
            subject_name=name,
            public_key=private,
            issuer=self.csca,
            serial=self._serial(),
            not_before=not_before,
            not_after=not_after,
            ca=False,
            scheme=self.scheme,
            hash_algorithm=self.hash_algorithm,
            explicit_parameters=self._explicit(private),
            document_signer=document_signer,
            extended_key_usage=extended_key_usage,
        )
        return Issued(private, certificate)

    def new_csca(
        self, key: SignerKey | str, name: str = "mrtd test CSCA (new)"
    ) -> tuple[Issued, x509.Certificate]:
        """A new self-signed CSCA of the same country, and the link certificate from this
        CSCA to it (a CSCA key rollover, 9303-12 §5.5.2). The new CSCA signs itself with this
        PKI's scheme if its key can, else with its key type's default."""
        private = _key(key)
        scheme = self.scheme if (self.scheme == "ecdsa") == _is_ec(private) else None
        new = _self_signed_csca(
            self.country,
            name,
            private,
            self._serial(),
            _CSCA_VALIDITY,
            scheme=scheme,
            hash_algorithm=self.hash_algorithm,
            explicit_parameters=self._explicit(private),
        )
        link = link_certificate(
            self.csca, new, self._serial(), scheme=self.scheme, hash_algorithm=self.hash_algorithm
        )
        return new, link

    def crl(
        self,
        revoked: Iterable[tuple[int, datetime]] = (),
        *,
        this_update: datetime = _DS_VALIDITY[0],
        next_update: datetime = _DS_VALIDITY[1],
        number: int = 1,
    ) -> crl.CertificateList:
        """A CRL of this CSCA revoking the `revoked` (serial, date) pairs."""
        return issue_crl(
            self.csca,
            revoked,
            this_update=this_update,
            next_update=next_update,
            scheme=self.scheme,
            hash_algorithm=self.hash_algorithm,
            number=number,
        )

    def master_list(
        self,
        certificates: Iterable[x509.Certificate] | None = None,
        *,
        signer_key: SignerKey | str = "ec-P-256",
    ) -> tuple[bytes, Issued]:
        """A master list of `certificates` (default: this CSCA) and its Master List Signer,
        newly issued by this CSCA with extended key usage cscaMasterListSigningKey."""
        signer = self.issue(
            signer_key,
            "mrtd test Master List Signer",
            document_signer=False,
            extended_key_usage=(MASTER_LIST_SIGNING_KEY_OID,),
        )
        listed = [self.csca.certificate] if certificates is None else list(certificates)
        return build_master_list(signer, listed, hash_algorithm=self.hash_algorithm), signer

    def _serial(self) -> int:
        self.next_serial += 1
        return self.next_serial - 1

    def _explicit(self, key: SignerKey) -> bool:
        return self.explicit_parameters and _is_ec(key)


def generate_pki(
    *,
    country: str = "UT",
    csca_key: SignerKey | str = "rsa-3072",
    ds_key: SignerKey | str = "rsa-2048",
    scheme: Scheme | None = None,
    explicit_parameters: bool = False,
    csca_validity: tuple[datetime, datetime] = _CSCA_VALIDITY,
    ds_validity: tuple[datetime, datetime] = _DS_VALIDITY,
    hash_algorithm: str = "sha256",
) -> GeneratedPKI:
    """A new CSCA (self-signed, serial 1) and a Document Signer it issued (serial 2).

    Keys are private keys or `generate_key` specs. `scheme` and `hash_algorithm` sign the
    certificates (scheme None: by key type), and `explicit_parameters` spells out the curve of
    every EC subject key. EF.SODs are signed with `mrtd.lds.sod.build_sod` and `pki.ds`.
    """
    csca_private = _key(csca_key)
    csca = _self_signed_csca(
        country,
        f"mrtd test CSCA {country}",
        csca_private,
        1,
        csca_validity,
        scheme=scheme,
        hash_algorithm=hash_algorithm,
        explicit_parameters=explicit_parameters and _is_ec(csca_private),
    )
    # The CSCA stands in for the DS until the PKI has issued it, with serial number 2.
    pki = GeneratedPKI(country, csca, csca, scheme, hash_algorithm, explicit_parameters, 2)
    pki.ds = pki.issue(
        ds_key, f"mrtd test DS {country}", not_before=ds_validity[0], not_after=ds_validity[1]
    )
    return pki


def _self_signed_csca(
    country: str,
    name: str,
    key: SignerKey,
    serial: int,
    validity: tuple[datetime, datetime],
    *,
    scheme: Scheme | None,
    hash_algorithm: str,
    explicit_parameters: bool,
) -> Issued:
    certificate = issue_certificate(
        subject_country=country,
        subject_name=name,
        public_key=key,
        issuer=None,
        signing_key=key,
        serial=serial,
        not_before=validity[0],
        not_after=validity[1],
        ca=True,
        scheme=scheme,
        hash_algorithm=hash_algorithm,
        explicit_parameters=explicit_parameters,
    )
    return Issued(key, certificate)


def _key(key: SignerKey | str) -> SignerKey:
    return generate_key(key) if isinstance(key, str) else key


def _is_ec(key: SignerKey) -> bool:
    return isinstance(key, ec.EllipticCurvePrivateKey)
