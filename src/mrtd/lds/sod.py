"""EF.SOD, the Document Security Object (ICAO 9303-10 §4.6.2).

EF.SOD is tag 0x77 around a CMS ContentInfo (RFC 5652) of type SignedData. Its encapsulated
content (eContentType id-icao-mrtd-security-ldsSecurityObject) is an LDSSecurityObject: the hash
of every data group on the chip. The Document Signer (DS) signs it; the DS certificate usually
travels in SignedData.certificates.

`SODFile.from_bytes` parses and checks structure only. It exposes what Passive Authentication
needs (signature input, signature, algorithms, message digest, DS certificate) but verifies
nothing cryptographic: that is `mrtd.verify`'s job. `build_sod` is the other direction, used by
the simulated chip.

CMS and X.509 are parsed with asn1crypto, which parses lazily: `from_bytes` forces a full parse
so that every malformed input fails there, as `DecodeError`, and never later in an accessor.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from asn1crypto import algos, cms, core, keys, x509
from asn1crypto import parser as asn1_parser
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from mrtd import tlv
from mrtd.crypto.spki import decode_public_key
from mrtd.errors import DecodeError

__all__ = [
    "CRYPTOGRAPHY_CURVES",
    "CRYPTOGRAPHY_HASHES",
    "HASH_ALGORITHMS",
    "ID_DATA_OID",
    "LDS_SECURITY_OBJECT_OID",
    "MAX_SOD_SIZE",
    "SIGNATURE_ALGORITHMS",
    "DataGroupHash",
    "LDSSecurityObject",
    "LDSVersionInfo",
    "SODContentTypeError",
    "SODFile",
    "SignerKey",
    "build_sod",
    "find_signer_certificate",
    "parse_sod",
    "sign_content",
    "sign_message",
    "signature_algorithm_id",
]

#: id-icao-mrtd-security-ldsSecurityObject (9303-10 §4.6.2.3).
LDS_SECURITY_OBJECT_OID = "2.23.136.1.1.1"

#: id-data (RFC 5652 §4): some states (China among them) encapsulate the LDSSecurityObject
#: under it. Accepted when the content parses as an LDSSecurityObject, and reported as a quirk.
ID_DATA_OID = "1.2.840.113549.1.7.1"

_ECONTENT_TYPES = (LDS_SECURITY_OBJECT_OID, ID_DATA_OID)

#: Hash algorithms 9303-12 allows for the LDSSecurityObject, with their digest sizes.
HASH_ALGORITHMS: Mapping[str, int] = MappingProxyType(
    {"sha1": 20, "sha224": 28, "sha256": 32, "sha384": 48, "sha512": 64}
)

#: Signature schemes `build_sod` can produce (names as asn1crypto's `signature_algo`).
SIGNATURE_ALGORITHMS = ("rsassa_pss", "rsassa_pkcs1v15", "ecdsa")

#: A real EF.SOD is a few kB (one DS certificate); refuse anything absurd before parsing.
MAX_SOD_SIZE = 1 << 20

#: The Document Signer's private key, as `build_sod` accepts it.
SignerKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

_SOD_TAG = (1, 1, 23)  # class application, constructed, number 23: the byte 0x77
# Real EF.SODs nest constructed values about 13 deep (a certificate's explicit EC parameters
# are the deepest part). asn1crypto parses by recursion, so anything much deeper would stop
# at Python's recursion limit: at a depth that depends on the caller's stack.
_MAX_DEPTH = 32
_MAX_DATA_GROUPS = 16  # ub-DataGroups; dataGroupHashValues is SIZE (2..ub-DataGroups)
_MIN_DATA_GROUPS = 2
# What asn1crypto raises on malformed input (it has no exception class of its own).
_CERTIFICATE_CACHE_SIZE = 256  # Document Signers a long-running back-end meets
_ASN1_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError)


class SODContentTypeError(DecodeError):
    """EF.SOD's eContentType is neither id-icao-mrtd-security-ldsSecurityObject nor id-data:
    Passive Authentication reports it as `passive.content_type`."""


# -- ASN.1 (9303-10 §4.6.2.3) -----------------------------------------------------------------


class DataGroupHash(core.Sequence):  # type: ignore[misc]
    """DataGroupHash ::= SEQUENCE { dataGroupNumber, dataGroupHashValue OCTET STRING }."""

    _fields = [  # noqa: RUF012 - asn1crypto's declarative spec
        ("data_group_number", core.Integer),
        ("data_group_hash_value", core.OctetString),
    ]


class DataGroupHashValues(core.SequenceOf):  # type: ignore[misc]
    _child_spec = DataGroupHash


class LDSVersionInfo(core.Sequence):  # type: ignore[misc]
    """LDSVersionInfo ::= SEQUENCE { ldsVersion "aabb", unicodeVersion "aabbcc" }."""

    _fields = [  # noqa: RUF012
        ("lds_version", core.PrintableString),
        ("unicode_version", core.PrintableString),
    ]


class LDSSecurityObject(core.Sequence):  # type: ignore[misc]
    """LDSSecurityObject: v0 (LDS 1.7) or v1 with ldsVersionInfo (LDS 1.8)."""

    _fields = [  # noqa: RUF012
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", DataGroupHashValues),
        ("lds_version_info", LDSVersionInfo, {"optional": True}),
    ]


# -- parsing ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class SODFile:
    """A parsed EF.SOD. Build it with `from_bytes`; equality is equality of `raw`.

    `hash_algorithm` and `data_group_hashes` come from the LDSSecurityObject; the accessors
    below read the (first) SignerInfo, which is what Passive Authentication checks
    (9303-11 §5.1: signature over the signed attributes, messageDigest = hash of the
    encapsulated content, then DG hashes, then the DS certificate under a CSCA).
    """

    hash_algorithm: str
    data_group_hashes: Mapping[int, bytes]
    lds_version: str | None
    signer_certificate: x509.Certificate | None
    signed_data: cms.SignedData
    raw: bytes

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> SODFile:
        """Parse EF.SOD; every malformed input raises `DecodeError`.

        Tolerates indefinite-length BER in the CMS (a real-world quirk: docs/design.md,
        "Principles", 4).
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"EF.SOD must be bytes, not {type(data).__name__}")
        raw = bytes(data)
        if len(raw) > MAX_SOD_SIZE:
            raise DecodeError(f"EF.SOD: {len(raw)} bytes is more than the {MAX_SOD_SIZE} allowed")
        try:
            return _decode(cls, raw)
        except DecodeError:
            raise
        except _ASN1_ERRORS as exc:
            detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
            raise DecodeError(f"EF.SOD: malformed ASN.1: {detail}") from exc

    # -- what Passive Authentication needs ----------------------------------------------------

    @property
    def signer_info(self) -> cms.SignerInfo:
        """The first SignerInfo (9303-10 recommends exactly one)."""
        return self.signed_data["signer_infos"][0]

    @property
    def signed_attributes(self) -> cms.CMSAttributes:
        """The SignerInfo's signed attributes (mandatory in 9303-10, so never absent here)."""
        return self.signer_info["signed_attrs"]

    @property
    def signature_input(self) -> bytes:
        """The bytes the DS signed: the signed attributes as a DER SET (RFC 5652 §5.4).

        Built from the attributes' original content octets, only the [0] tag is replaced.
        """
        return bytes(asn1_parser.emit(0, 1, 17, self.signed_attributes.contents))

    @property
    def message_digest(self) -> bytes:
        """The messageDigest signed attribute: must equal the hash of `encapsulated_content`."""
        return bytes(_single_attribute(self.signed_attributes, "message_digest").native)

    @property
    def signed_content_type(self) -> str:
        """The contentType signed attribute (dotted OID); must be the ldsSecurityObject OID."""
        return str(_single_attribute(self.signed_attributes, "content_type").dotted)

    @property
    def signing_time(self) -> datetime | None:
        """The optional signingTime signed attribute."""
        for attribute in self.signed_attributes:
            if attribute["type"].native == "signing_time" and len(attribute["values"]) == 1:
                value: datetime = attribute["values"][0].native
                return value
        return None

    @property
    def encapsulated_content(self) -> bytes:
        """The eContent octets (the encoded LDSSecurityObject), chunks of BER merged."""
        return bytes(self.signed_data["encap_content_info"]["content"].__bytes__())

    @property
    def encapsulated_content_type(self) -> str:
        """The eContentType (dotted OID): the ldsSecurityObject OID, or id-data (a quirk)."""
        return str(self.signed_data["encap_content_info"]["content_type"].dotted)

    @property
    def quirks(self) -> tuple[str, ...]:
        """Tolerated departures from 9303-10, for the report: "eContentType id-data"."""
        return ("eContentType id-data",) if self.encapsulated_content_type == ID_DATA_OID else ()

    @property
    def digest_algorithm(self) -> str:
        """The SignerInfo digestAlgorithm (asn1crypto name, e.g. "sha256")."""
        return str(self.signer_info["digest_algorithm"]["algorithm"].native)

    @property
    def signature_algorithm(self) -> algos.SignedDigestAlgorithm:
        """The SignerInfo signatureAlgorithm, with parameters (RSASSA-PSS carries them).

        `.signature_algo` is "rsassa_pkcs1v15", "rsassa_pss" or "ecdsa"; `.hash_algo` may
        fail for bare id-ecPublicKey / rsaEncryption, where `digest_algorithm` applies.
        """
        return self.signer_info["signature_algorithm"]

    @property
    def signature(self) -> bytes:
        """The signature value (DER Ecdsa-Sig-Value for ECDSA)."""
        return bytes(self.signer_info["signature"].native)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SODFile) and other.raw == self.raw

    def __hash__(self) -> int:
        return hash(self.raw)

    def __repr__(self) -> str:
        signer = "none"
        if self.signer_certificate is not None:
            signer = repr(self.signer_certificate.subject.human_friendly)
        return (
            f"SODFile(hash_algorithm={self.hash_algorithm!r}, "
            f"data_groups={sorted(self.data_group_hashes)}, lds_version={self.lds_version!r}, "
            f"signer={signer}, size={len(self.raw)})"
        )


def _decode(cls: type[SODFile], raw: bytes) -> SODFile:
    _check_depth(raw)
    class_, method, tag, _header, contents, _trailer = asn1_parser.parse(raw, strict=True)
    if (class_, method, tag) != _SOD_TAG:
        raise DecodeError(f"EF.SOD: expected tag 0x77, found 0x{raw[0]:02X}")
    content_info = cms.ContentInfo.load(contents, strict=True)
    if content_info["content_type"].native != "signed_data":
        raise DecodeError("EF.SOD: ContentInfo is not SignedData")
    signed_data = content_info["content"]
    for name in ("version", "digest_algorithms", "encap_content_info", "crls"):
        _parse_all(signed_data[name])
    for number, signer_info in enumerate(signed_data["signer_infos"]):
        for name, *_ in signer_info._fields:  # the first sid: see find_signer_certificate
            if name != "sid" or number:
                _parse_all(signer_info[name])
    certificates = _certificates(signed_data)

    encap = signed_data["encap_content_info"]
    if encap["content_type"].dotted not in _ECONTENT_TYPES:
        raise SODContentTypeError(
            "EF.SOD: eContentType is not id-icao-mrtd-security-ldsSecurityObject (nor id-data)"
        )
    if isinstance(encap["content"], core.Void):
        raise DecodeError("EF.SOD: encapsulated content is absent")
    lso = LDSSecurityObject.load(encap["content"].__bytes__(), strict=True)
    _parse_all(lso)
    hash_algorithm, hashes_by_dg, lds_version = _read_lds_security_object(lso)

    signer_infos = signed_data["signer_infos"]
    if len(signer_infos) == 0:
        raise DecodeError("EF.SOD: SignedData has no SignerInfo")
    for signer_info in signer_infos:
        _check_signed_attributes(signer_info)
    return cls(
        hash_algorithm=hash_algorithm,
        data_group_hashes=MappingProxyType(hashes_by_dg),
        lds_version=lds_version,
        signer_certificate=find_signer_certificate(certificates, signer_infos[0]),
        signed_data=signed_data,
        raw=raw,
    )


def _check_depth(data: bytes) -> None:
    """DecodeError if constructed values nest deeper than `_MAX_DEPTH` (X.690 §8.1: BER,
    indefinite lengths included), found without recursion before asn1crypto recurses.

    Only the nesting is judged: at anything malformed the scan stops and leaves the verdict
    to asn1crypto's parse.
    """
    ends: list[int] = []  # where each open constructed value ends; -1: at its 00 00
    pos, size = 0, len(data)
    while pos < size:
        while ends and 0 <= ends[-1] <= pos:
            ends.pop()
        if ends and ends[-1] < 0 and data[pos : pos + 2] == b"\0\0":
            ends.pop()
            pos += 2
            continue
        identifier = data[pos]
        pos += 1
        if identifier & 0x1F == 0x1F:  # high tag number: base-128 bytes, the last below 0x80
            while pos < size and data[pos] & 0x80:
                pos += 1
            pos += 1
        if pos >= size:
            return
        first = data[pos]
        pos += 1
        if first == 0x80:  # indefinite length
            end = -1
        elif first > 0x80:
            count = first & 0x7F
            end = pos + count + int.from_bytes(data[pos : pos + count], "big")
            pos += count
        else:
            end = pos + first
        if identifier & 0x20:
            ends.append(end)
            if len(ends) > _MAX_DEPTH:
                raise DecodeError(f"EF.SOD: nested more than {_MAX_DEPTH} levels deep")
        elif end < 0:
            return  # a primitive value with indefinite length: asn1crypto refuses it
        else:
            pos = end


@lru_cache(maxsize=4)
def parse_sod(raw: bytes) -> SODFile:
    """`SODFile.from_bytes`, remembered for the last few files: a read consults EF.SOD to
    choose groups, to vouch for DG15 and for Passive Authentication, and parses it once."""
    return SODFile.from_bytes(raw)


def _certificates(signed_data: Any) -> tuple[x509.Certificate, ...]:
    """SignedData.certificates, each parsed completely; other choices are parsed and left out.

    A Document Signer signs thousands of documents: its certificate, the most costly part of
    EF.SOD to parse, is parsed once per process (`_parsed_certificate`)."""
    choices = signed_data["certificates"]
    if isinstance(choices, core.Void):
        return ()
    found = []
    for choice in choices:
        if choice.name == "certificate":
            found.append(_parsed_certificate(choice.chosen.dump()))
        else:
            _parse_all(choice)
    return tuple(found)


@lru_cache(maxsize=_CERTIFICATE_CACHE_SIZE)
def _parsed_certificate(der: bytes) -> x509.Certificate:
    certificate = x509.Certificate.load(der, strict=True)
    _parse_all(certificate)
    return certificate


def _parse_all(value: Any) -> None:
    """asn1crypto parses lazily: compute `.native` so every nested value is parsed now."""
    try:
        _ = value.native
    except AttributeError as exc:
        # Some universal types (REAL, INSTANCE OF, ObjectDescriptor) in ANY positions have
        # no `.native` in asn1crypto 1.5; no EF.SOD legitimately contains them.
        raise DecodeError(f"EF.SOD: unsupported ASN.1 type: {exc}") from exc


def _read_lds_security_object(lso: Any) -> tuple[str, dict[int, bytes], str | None]:
    version = lso["version"].native
    has_version_info = not isinstance(lso["lds_version_info"], core.Void)
    if version not in (0, 1):
        raise DecodeError(f"EF.SOD: LDSSecurityObject version {version} is not 0 or 1")
    if has_version_info != (version == 1):
        raise DecodeError("EF.SOD: ldsVersionInfo must be present exactly in version 1")
    hash_algorithm = lso["hash_algorithm"]["algorithm"].native
    if hash_algorithm not in HASH_ALGORITHMS:
        raise DecodeError(f"EF.SOD: unsupported hash algorithm {hash_algorithm!r}")
    entries = lso["data_group_hash_values"]
    if not _MIN_DATA_GROUPS <= len(entries) <= _MAX_DATA_GROUPS:
        raise DecodeError(f"EF.SOD: {len(entries)} data group hashes, expected 2 to 16")
    hashes_by_dg: dict[int, bytes] = {}
    for entry in entries:
        number = entry["data_group_number"].native
        value = entry["data_group_hash_value"].native
        if not 1 <= number <= _MAX_DATA_GROUPS:
            raise DecodeError(f"EF.SOD: data group number {number} is not 1 to 16")
        if number in hashes_by_dg:
            raise DecodeError(f"EF.SOD: data group {number} is hashed twice")
        if len(value) != HASH_ALGORITHMS[hash_algorithm]:
            raise DecodeError(f"EF.SOD: DG{number} hash is not a {hash_algorithm} digest")
        hashes_by_dg[number] = bytes(value)
    lds_version = lso["lds_version_info"]["lds_version"].native if has_version_info else None
    return hash_algorithm, dict(sorted(hashes_by_dg.items())), lds_version


def _single_attribute(attributes: Any, name: str) -> Any:
    """The one value of the signed attribute `name` (checked by `_check_signed_attributes`)."""
    for attribute in attributes:
        if attribute["type"].native == name:
            return attribute["values"][0]
    raise DecodeError(f"EF.SOD: signed attribute {name} is missing")  # pragma: no cover


def _check_signed_attributes(signer_info: Any) -> None:
    """Signed attributes are mandatory (9303-10 §4.6.2.2) and need exactly one contentType and
    one messageDigest, each single-valued (RFC 5652 §5.3, §11)."""
    attributes = signer_info["signed_attrs"]
    if isinstance(attributes, core.Void):
        raise DecodeError("EF.SOD: SignerInfo has no signed attributes")
    for name in ("content_type", "message_digest"):
        found = [a for a in attributes if a["type"].native == name]
        if len(found) != 1 or len(found[0]["values"]) != 1:
            raise DecodeError(f"EF.SOD: signed attributes need exactly one {name} value")


def find_signer_certificate(
    certificates: Iterable[x509.Certificate], signer_info: Any
) -> x509.Certificate | None:
    """The certificate of `certificates` (EF.SOD's own, or a PKD's Document Signers) that the
    SignerInfo's sid names, if any."""
    sid = signer_info["sid"]
    for certificate in certificates:
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            # Equal encodings first: comparing Names (RFC 5280 §7.1 string preparation) costs
            # more than the rest of the parse, and a DS copies its issuer's encoding.
            if certificate.serial_number == wanted["serial_number"].native and (
                certificate.issuer.dump() == wanted["issuer"].dump()  # parsed, as the issuer's
                or certificate.issuer == wanted["issuer"]
            ):
                return certificate
        elif certificate.key_identifier == sid.chosen.native:
            return certificate
    _parse_all(sid)  # no certificate's name vouches for its encoding: parse it all
    return None


# -- building (the simulated chip) ------------------------------------------------------------


def build_sod(
    data_groups: Mapping[int, bytes],
    *,
    signer_key: SignerKey,
    signer_cert: x509.Certificate,
    hash_algorithm: str = "sha256",
    signature_algorithm: str | None = None,
    signing_time: datetime | None = None,
    lds_version: str | None = None,
    unicode_version: str = "040000",
    content_type: str = LDS_SECURITY_OBJECT_OID,
) -> bytes:
    """Build EF.SOD (tag 0x77 included) over the encoded data groups `data_groups`.

    `signer_cert` is the DS certificate as an asn1crypto `Certificate` (the type
    `SODFile.signer_certificate` has); it must hold `signer_key`'s public key. The same
    `hash_algorithm` hashes the data groups and the signed attributes. `signature_algorithm`
    is one of `SIGNATURE_ALGORITHMS`; None means "rsassa_pss" for RSA keys (9303-12's
    recommendation) and "ecdsa" for EC keys. `lds_version` ("0108") makes a version-1
    LDSSecurityObject with ldsVersionInfo; None makes version 0. `content_type` is the
    eContentType (and the signed contentType): `ID_DATA_OID` makes the id-data quirk.
    """
    if hash_algorithm not in HASH_ALGORITHMS:
        raise ValueError(f"unsupported hash algorithm {hash_algorithm!r}")
    if not _MIN_DATA_GROUPS <= len(data_groups) <= _MAX_DATA_GROUPS:
        raise ValueError("an EF.SOD hashes 2 to 16 data groups")
    if any(not 1 <= number <= _MAX_DATA_GROUPS for number in data_groups):
        raise ValueError("data group numbers are 1 to 16")
    if not isinstance(signer_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise TypeError(f"unsupported signer key type {type(signer_key).__name__}")

    lso: dict[str, Any] = {
        "version": 0 if lds_version is None else 1,
        "hash_algorithm": {"algorithm": hash_algorithm},
        "data_group_hash_values": [
            {
                "data_group_number": number,
                "data_group_hash_value": hashlib.new(hash_algorithm, data_groups[number]).digest(),
            }
            for number in sorted(data_groups)
        ],
    }
    if lds_version is not None:
        lso["lds_version_info"] = {"lds_version": lds_version, "unicode_version": unicode_version}
    encapsulated = LDSSecurityObject(lso).dump()
    content_info = sign_content(
        content_type,
        encapsulated,
        signer_key=signer_key,
        signer_cert=signer_cert,
        hash_algorithm=hash_algorithm,
        signature_algorithm=signature_algorithm,
        signing_time=signing_time,
    )
    return bytes(asn1_parser.emit(*_SOD_TAG, content_info))


def sign_content(
    content_type: str,
    content: bytes,
    *,
    signer_key: SignerKey,
    signer_cert: x509.Certificate,
    hash_algorithm: str = "sha256",
    signature_algorithm: str | None = None,
    signing_time: datetime | None = None,
) -> bytes:
    """A CMS ContentInfo (SignedData) over `content` with signed attributes, as a Document
    Signer makes EF.SOD's and EF.CardSecurity's (9303-10 §4.6.2, TR-03110-3 A.1.2.2)."""
    if hash_algorithm not in HASH_ALGORITHMS:
        raise ValueError(f"unsupported hash algorithm {hash_algorithm!r}")
    _check_key_matches_certificate(signer_key, signer_cert)
    attributes = [
        {"type": "content_type", "values": [content_type]},
        {"type": "message_digest", "values": [hashlib.new(hash_algorithm, content).digest()]},
    ]
    if signing_time is not None:
        attributes.append({"type": "signing_time", "values": [_time(signing_time)]})
    signed_attrs = cms.CMSAttributes(attributes)  # a SET OF: asn1crypto sorts it (DER)
    algorithm, signature = sign_message(
        signer_key, signed_attrs.dump(), hash_algorithm, signature_algorithm
    )

    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                name="issuer_and_serial_number",
                value={"issuer": signer_cert.issuer, "serial_number": signer_cert.serial_number},
            ),
            "digest_algorithm": {"algorithm": hash_algorithm},
            "signed_attrs": signed_attrs,
            "signature_algorithm": algorithm,
            "signature": signature,
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [{"algorithm": hash_algorithm}],
            "encap_content_info": {"content_type": content_type, "content": content},
            "certificates": [signer_cert],
            "signer_infos": [signer_info],
        }
    )
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())


def _time(when: datetime) -> cms.Time:
    """RFC 5652 §11.3: UTCTime for 1950 to 2049, GeneralizedTime otherwise."""
    if when.tzinfo is None:
        raise ValueError("signing_time must be timezone-aware")
    name = "utc_time" if 1950 <= when.year <= 2049 else "generalized_time"
    return cms.Time(name=name, value=when)


def signature_algorithm_id(
    key: SignerKey, hash_algorithm: str = "sha256", scheme: str | None = None
) -> algos.SignedDigestAlgorithm:
    """The AlgorithmIdentifier of a `scheme` signature by `key` over a `hash_algorithm` digest.

    `scheme` is one of `SIGNATURE_ALGORITHMS`; None means "rsassa_pss" for RSA keys and
    "ecdsa" for EC keys. RSASSA-PSS names its parameters: MGF1 with the same hash, a salt as
    long as the digest, trailer field BC (RFC 4055 §3.1). ValueError if they do not fit.
    """
    if hash_algorithm not in HASH_ALGORITHMS:
        raise ValueError(f"unsupported hash algorithm {hash_algorithm!r}")
    chosen = _scheme(key, scheme)
    if chosen == "rsassa_pss":
        params = {
            "hash_algorithm": {"algorithm": hash_algorithm},
            "mask_gen_algorithm": {
                "algorithm": "mgf1",
                "parameters": {"algorithm": hash_algorithm},
            },
            "salt_length": HASH_ALGORITHMS[hash_algorithm],
        }
        return algos.SignedDigestAlgorithm({"algorithm": "rsassa_pss", "parameters": params})
    if chosen == "rsassa_pkcs1v15":  # parameters NULL (RFC 4055 §5), for SHA-1 too
        name = f"{hash_algorithm}_rsa"
        return algos.SignedDigestAlgorithm({"algorithm": name, "parameters": core.Null()})
    return algos.SignedDigestAlgorithm({"algorithm": f"{hash_algorithm}_ecdsa"})  # absent


def sign_message(
    key: SignerKey, message: bytes, hash_algorithm: str = "sha256", scheme: str | None = None
) -> tuple[algos.SignedDigestAlgorithm, bytes]:
    """Sign `message`: the AlgorithmIdentifier (`signature_algorithm_id`) and the signature
    (a DER Ecdsa-Sig-Value for ECDSA), for CMS SignerInfos, certificates and CRLs alike."""
    algorithm = signature_algorithm_id(key, hash_algorithm, scheme)
    digest = CRYPTOGRAPHY_HASHES[hash_algorithm]()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return algorithm, key.sign(message, ec.ECDSA(digest))
    if algorithm.signature_algo == "rsassa_pss":
        pss = padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
        return algorithm, key.sign(message, pss, digest)
    return algorithm, key.sign(message, padding.PKCS1v15(), digest)


def _scheme(key: SignerKey, scheme: str | None) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        allowed: tuple[str, ...] = ("rsassa_pss", "rsassa_pkcs1v15")
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        allowed = ("ecdsa",)
    else:
        raise TypeError(f"unsupported signer key type {type(key).__name__}")
    chosen = scheme or allowed[0]
    if chosen not in allowed:
        raise ValueError(f"signature algorithm {scheme!r} does not fit a {type(key).__name__}")
    return chosen


def _check_key_matches_certificate(key: SignerKey, certificate: x509.Certificate) -> None:
    """ValueError unless `certificate` holds `key`'s public key.

    An EC key with explicit domain parameters (X9.62 SpecifiedECDomain, which
    pyca/cryptography 46 refuses to load and 51 loads for some curves) is matched here, in
    every version: when the parameters are those of the key's curve and the point is the
    key's point.
    """
    if not isinstance(certificate, x509.Certificate):
        raise TypeError("signer_cert must be an asn1crypto.x509.Certificate")
    info = certificate.public_key
    if _has_explicit_parameters(info):
        matches = isinstance(key, ec.EllipticCurvePrivateKey) and _explicit_ec_key_matches(
            key.public_key(), info
        )
    else:
        spki = serialization.PublicFormat.SubjectPublicKeyInfo
        ours = key.public_key().public_bytes(serialization.Encoding.DER, spki)
        try:
            theirs = serialization.load_der_public_key(info.dump())
        except (ValueError, UnsupportedAlgorithm):
            raise ValueError("signer_cert's public key cannot be read") from None
        matches = ours == theirs.public_bytes(serialization.Encoding.DER, spki)
    if not matches:
        raise ValueError("signer_key does not belong to signer_cert")


def _has_explicit_parameters(info: keys.PublicKeyInfo) -> bool:
    algorithm = info["algorithm"]
    return bool(
        algorithm["algorithm"].native == "ec" and algorithm["parameters"].name == "specified"
    )


def _explicit_ec_key_matches(key: ec.EllipticCurvePublicKey, info: keys.PublicKeyInfo) -> bool:
    try:
        curve, _, point = decode_public_key(tlv.decode_one(info.dump()))
    except DecodeError:
        return False
    known = CRYPTOGRAPHY_CURVES.get(curve.name)
    if known is None or known.name != key.curve.name:
        return False
    form = serialization.PublicFormat.UncompressedPoint
    if point[0] != 0x04:
        form = serialization.PublicFormat.CompressedPoint
    return key.public_bytes(serialization.Encoding.X962, form) == point


CRYPTOGRAPHY_HASHES: Mapping[str, type[hashes.HashAlgorithm]] = MappingProxyType(
    {
        "sha1": hashes.SHA1,
        "sha224": hashes.SHA224,
        "sha256": hashes.SHA256,
        "sha384": hashes.SHA384,
        "sha512": hashes.SHA512,
    }
)

#: pyca/cryptography's curve for each curve of `mrtd.crypto.domains` that it implements.
CRYPTOGRAPHY_CURVES: Mapping[str, ec.EllipticCurve] = MappingProxyType(
    {
        "P-192": ec.SECP192R1(),
        "P-224": ec.SECP224R1(),
        "P-256": ec.SECP256R1(),
        "P-384": ec.SECP384R1(),
        "P-521": ec.SECP521R1(),
        "brainpoolP256r1": ec.BrainpoolP256R1(),
        "brainpoolP384r1": ec.BrainpoolP384R1(),
        "brainpoolP512r1": ec.BrainpoolP512R1(),
    }
)
