"""The kinds of SecurityInfo (ICAO 9303-11 §9.2, BSI TR-03110-3 A.1): fields, checks, encoding.

Each is a frozen dataclass whose constructor refuses inconsistent values (an OID that does not
match the key agreement and cipher, a domain of the wrong kind, a key of the wrong length), so
an info that exists can always be encoded. `build` picks the OID; `to_bytes` is its DER SEQUENCE.
Reading is `mrtd.lds.security.infos`' job.
"""

from __future__ import annotations

from dataclasses import dataclass

from mrtd.crypto.domains import DHGroup, Domain, ECCurve
from mrtd.crypto.kdf import Cipher
from mrtd.crypto.spki import (
    DomainEncoding,
    check_encodable,
    check_public_key,
    encode_domain,
    encode_public_key,
)
from mrtd.der import INTEGER, OID, SEQUENCE, der, encode_integer, encode_oid
from mrtd.lds.security.oids import (
    AA_OID,
    CA_BY_OID,
    PACE_BY_OID,
    PACE_DOMAIN_BY_OID,
    PACE_PROTOCOLS,
    PK_BY_OID,
    PK_PROTOCOLS,
    KeyAgreement,
    Mapping,
    ca_oid,
    pace_oid,
)

__all__ = [
    "ActiveAuthenticationInfo",
    "ChipAuthenticationDomainParameterInfo",
    "ChipAuthenticationInfo",
    "ChipAuthenticationPublicKeyInfo",
    "PACEDomainParameterInfo",
    "PACEInfo",
    "SecurityInfo",
    "UnknownSecurityInfo",
    "key_agreement_of",
]


@dataclass(frozen=True, slots=True)
class PACEInfo:
    """One way to run PACE; `parameter_id` picks the domain (see `SecurityInfos.pace_domain`)."""

    oid: str
    version: int
    parameter_id: int | None
    key_agreement: KeyAgreement
    mapping: Mapping
    cipher: Cipher

    def __post_init__(self) -> None:
        if PACE_BY_OID.get(self.oid) != (self.key_agreement, self.mapping, self.cipher):
            raise ValueError(f"{self.oid} is not the PACE OID of its key agreement and cipher")
        _check_small(self.version, self.parameter_id)

    @classmethod
    def build(
        cls,
        mapping: Mapping,
        key_agreement: KeyAgreement,
        cipher: Cipher,
        parameter_id: int | None,
        version: int = 2,
    ) -> PACEInfo:
        """The PACEInfo for a combination; ValueError if no standard defines it."""
        oid = pace_oid(mapping, key_agreement, cipher)
        return cls(oid, version, parameter_id, key_agreement, mapping, cipher)

    @property
    def protocol(self) -> str:
        """The OID without the cipher arc, as a matching PACEDomainParameterInfo names it."""
        return PACE_PROTOCOLS[self.key_agreement, self.mapping]

    def to_bytes(self) -> bytes:
        return _info(self.oid, _integer(self.version), _optional_integer(self.parameter_id))


@dataclass(frozen=True, slots=True)
class PACEDomainParameterInfo:
    """Proprietary PACE domain parameters; `oid` is id-PACE-<ka>-<mapping> (no cipher arc)."""

    oid: str
    domain: ECCurve | DHGroup
    parameter_id: int | None
    domain_encoding: DomainEncoding = DomainEncoding.EXPLICIT

    def __post_init__(self) -> None:
        if self.oid not in PACE_DOMAIN_BY_OID:
            raise ValueError(f"{self.oid} is not a PACE protocol OID")
        _check_domain(self.key_agreement, self.domain, self.domain_encoding)
        _check_small(self.parameter_id)

    @classmethod
    def build(
        cls,
        mapping: Mapping,
        domain: ECCurve | DHGroup,
        parameter_id: int | None,
        domain_encoding: DomainEncoding = DomainEncoding.EXPLICIT,
    ) -> PACEDomainParameterInfo:
        """Domain parameters for PACE with `mapping`; the key agreement follows the domain."""
        key_agreement = key_agreement_of(domain)
        oid = PACE_PROTOCOLS.get((key_agreement, mapping))
        if oid is None:
            raise ValueError(f"PACE has no {key_agreement.value} {mapping.value} mapping")
        return cls(oid, domain, parameter_id, domain_encoding)

    @property
    def key_agreement(self) -> KeyAgreement:
        return PACE_DOMAIN_BY_OID[self.oid][0]

    @property
    def mapping(self) -> Mapping:
        return PACE_DOMAIN_BY_OID[self.oid][1]

    def to_bytes(self) -> bytes:
        domain = encode_domain(self.domain, self.domain_encoding)
        return _info(self.oid, domain, _optional_integer(self.parameter_id))


@dataclass(frozen=True, slots=True)
class ChipAuthenticationInfo:
    """Chip Authentication version and cipher for the key `key_id` (9303-11 §9.2.5).

    `cipher` is None when the OID has no cipher arc: a bare id-CA-DH / id-CA-ECDH followed by
    a version, which the parser accepts rather than drop (an AlgorithmIdentifier there instead
    makes it a ChipAuthenticationDomainParameterInfo).
    """

    oid: str
    version: int
    key_id: int | None
    key_agreement: KeyAgreement
    cipher: Cipher | None

    def __post_init__(self) -> None:
        if CA_BY_OID.get(self.oid) != (self.key_agreement, self.cipher):
            raise ValueError(f"{self.oid} is not the CA OID of its key agreement and cipher")
        _check_small(self.version, self.key_id)

    @classmethod
    def build(
        cls,
        key_agreement: KeyAgreement,
        cipher: Cipher | None,
        key_id: int | None = None,
        version: int = 1,
    ) -> ChipAuthenticationInfo:
        return cls(ca_oid(key_agreement, cipher), version, key_id, key_agreement, cipher)

    def to_bytes(self) -> bytes:
        return _info(self.oid, _integer(self.version), _optional_integer(self.key_id))


@dataclass(frozen=True, slots=True)
class ChipAuthenticationDomainParameterInfo:
    """The domain of Chip Authentication key `key_id` (TR-03110-3 A.1.1.2): id-CA-DH/-ECDH
    followed by an AlgorithmIdentifier, as EF.CardAccess lists it for CA version 2."""

    oid: str
    domain: ECCurve | DHGroup
    key_id: int | None
    domain_encoding: DomainEncoding = DomainEncoding.EXPLICIT

    def __post_init__(self) -> None:
        if CA_BY_OID.get(self.oid, (None, Cipher.DES3))[1] is not None:
            raise ValueError(f"{self.oid} is not id-CA-DH or id-CA-ECDH")
        _check_domain(self.key_agreement, self.domain, self.domain_encoding)
        _check_small(self.key_id)

    @classmethod
    def build(
        cls,
        domain: ECCurve | DHGroup,
        key_id: int | None = None,
        domain_encoding: DomainEncoding = DomainEncoding.EXPLICIT,
    ) -> ChipAuthenticationDomainParameterInfo:
        return cls(ca_oid(key_agreement_of(domain), None), domain, key_id, domain_encoding)

    @property
    def key_agreement(self) -> KeyAgreement:
        return CA_BY_OID[self.oid][0]

    def to_bytes(self) -> bytes:
        domain = encode_domain(self.domain, self.domain_encoding)
        return _info(self.oid, domain, _optional_integer(self.key_id))


@dataclass(frozen=True, slots=True)
class ChipAuthenticationPublicKeyInfo:
    """The chip's static key (9303-11 §9.2.6): an EC point, or DH y as `domain.size` bytes."""

    oid: str
    key_agreement: KeyAgreement
    domain: ECCurve | DHGroup
    public_key: bytes
    key_id: int | None
    domain_encoding: DomainEncoding = DomainEncoding.EXPLICIT

    def __post_init__(self) -> None:
        if PK_BY_OID.get(self.oid) is not self.key_agreement:
            raise ValueError(f"{self.oid} is not the id-PK OID of its key agreement")
        _check_domain(self.key_agreement, self.domain, self.domain_encoding)
        check_public_key(self.domain, self.public_key)
        _check_small(self.key_id)

    @classmethod
    def build(
        cls,
        domain: ECCurve | DHGroup,
        public_key: bytes,
        key_id: int | None = None,
        domain_encoding: DomainEncoding = DomainEncoding.EXPLICIT,
    ) -> ChipAuthenticationPublicKeyInfo:
        key_agreement = key_agreement_of(domain)
        oid = PK_PROTOCOLS[key_agreement]
        return cls(oid, key_agreement, domain, bytes(public_key), key_id, domain_encoding)

    def to_bytes(self) -> bytes:
        key = encode_public_key(self.domain, self.domain_encoding, self.public_key)
        return _info(self.oid, key, _optional_integer(self.key_id))


@dataclass(frozen=True, slots=True)
class ActiveAuthenticationInfo:
    """Active Authentication with ECDSA (9303-11 §9.2.8): `signature_algorithm` is the dotted
    OID of the signature scheme, e.g. "1.2.840.10045.4.3.2" (ecdsa-with-SHA256)."""

    oid: str
    version: int
    signature_algorithm: str

    def __post_init__(self) -> None:
        if self.oid != AA_OID:
            raise ValueError(f"{self.oid} is not id-icao-mrtd-security-aaProtocolObject")
        _check_small(self.version)
        encode_oid(self.signature_algorithm)

    @classmethod
    def build(cls, signature_algorithm: str, version: int = 1) -> ActiveAuthenticationInfo:
        return cls(AA_OID, version, signature_algorithm)

    def to_bytes(self) -> bytes:
        return _info(
            self.oid, _integer(self.version), der(OID, encode_oid(self.signature_algorithm))
        )


@dataclass(frozen=True, slots=True)
class UnknownSecurityInfo:
    """A SecurityInfo kept as read: an unknown protocol (Terminal Authentication, CardInfoLocator,
    PrivilegedTerminalInfo...), or a known one whose content is malformed (`problem` says how).
    `raw` is the whole SEQUENCE, written back unchanged by `to_bytes`."""

    oid: str
    raw: bytes
    problem: str = ""

    def to_bytes(self) -> bytes:
        return self.raw

    def __repr__(self) -> str:
        problem = f", problem={self.problem!r}" if self.problem else ""
        return f"UnknownSecurityInfo(oid={self.oid!r}, {len(self.raw)} bytes{problem})"


SecurityInfo = (
    PACEInfo
    | PACEDomainParameterInfo
    | ChipAuthenticationInfo
    | ChipAuthenticationDomainParameterInfo
    | ChipAuthenticationPublicKeyInfo
    | ActiveAuthenticationInfo
    | UnknownSecurityInfo
)


# -- helpers ---------------------------------------------------------------------------------


def _info(oid: str, *parts: bytes) -> bytes:
    return der(SEQUENCE, der(OID, encode_oid(oid)), *parts)


def _integer(number: int) -> bytes:
    return der(INTEGER, encode_integer(number))


def _optional_integer(number: int | None) -> bytes:
    return b"" if number is None else _integer(number)


_MAX_SMALL = (1 << 63) - 1  # versions and ids: at most 8 content octets, as read_integer reads


def _check_small(*numbers: int | None) -> None:
    if any(n is not None and not 0 <= n <= _MAX_SMALL for n in numbers):
        raise ValueError("versions and ids must be integers from 0 to 2**63 - 1")


def key_agreement_of(domain: Domain) -> KeyAgreement:
    """ECDH for a curve, DH for a group."""
    return KeyAgreement.ECDH if isinstance(domain, ECCurve) else KeyAgreement.DH


def _check_domain(key_agreement: KeyAgreement, domain: Domain, encoding: DomainEncoding) -> None:
    if key_agreement_of(domain) is not key_agreement:
        raise ValueError(f"a {key_agreement.value} protocol with the domain {domain.name}")
    check_encodable(domain, encoding)
