"""SecurityInfos: what a chip says it supports (ICAO 9303-11 §9.2, BSI TR-03110-3 Appendix A).

EF.CardAccess (PACE), DG14 (Chip and Active Authentication) and EF.CardSecurity (the same, signed)
each hold a SET OF SecurityInfo, a SEQUENCE { protocol OID, requiredData, optionalData }.
The SET must be well formed or the whole file is refused (`DecodeError`). One SecurityInfo that
this library does not know, or knows but finds malformed, is kept as `UnknownSecurityInfo` (with
a `problem` for the latter): a chip that adds a field we have not seen must not lose PACE.

`SecurityInfos.to_bytes()` writes the SET in the order held, so a parsed DER file re-encodes to
the same bytes, and the simulated chip writes its files with the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from asn1crypto import cms

from mrtd import tlv
from mrtd.crypto.domains import STANDARD_DOMAINS, DHGroup, Domain, ECCurve
from mrtd.crypto.spki import DomainEncoding, decode_domain, decode_public_key
from mrtd.der import OID, SEQUENCE, SET, decode_oid, der, read_integer, read_oid
from mrtd.errors import DecodeError
from mrtd.lds.security.kinds import (
    ActiveAuthenticationInfo,
    ChipAuthenticationDomainParameterInfo,
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    PACEDomainParameterInfo,
    PACEInfo,
    SecurityInfo,
    UnknownSecurityInfo,
    key_agreement_of,
)
from mrtd.lds.security.oids import (
    AA_OID,
    CA_BY_OID,
    PACE_BY_OID,
    PACE_DOMAIN_BY_OID,
    PK_BY_OID,
    SECURITY_OBJECT_OID,
    KeyAgreement,
    Mapping,
)

__all__ = [
    "MAX_INFOS",
    "MAX_SIZE",
    "ActiveAuthenticationInfo",
    "ChipAuthenticationDomainParameterInfo",
    "ChipAuthenticationInfo",
    "ChipAuthenticationPublicKeyInfo",
    "DomainEncoding",
    "KeyAgreement",
    "Mapping",
    "PACEDomainParameterInfo",
    "PACEInfo",
    "SecurityInfo",
    "SecurityInfos",
    "UnknownSecurityInfo",
]

MAX_SIZE = 1 << 16  # a real EF.CardAccess or DG14 has a few hundred bytes
MAX_CARD_SECURITY_SIZE = 1 << 18  # EF.CardSecurity also carries the signer's certificate
MAX_INFOS = 64
MAX_DEPTH = 16  # SET > PrivilegedTerminalInfo > SET > SecurityInfo > key > parameters > ...
FIRST_PROPRIETARY_ID = 32  # parameter ids 0-31 are standardized (TR-03110-3 A.1.1.1)
DG14_TAG = 0x6E
_ASN1_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError)
_Info = TypeVar("_Info")
Fields = tuple[tlv.TLV, ...]


@dataclass(frozen=True, slots=True)
class SecurityInfos:
    """The SecurityInfos of one file, in file order."""

    infos: tuple[SecurityInfo, ...]

    @classmethod
    def from_bytes(cls, data: bytes) -> SecurityInfos:
        """EF.CardAccess: a SET OF SecurityInfo (tag 31), nothing before or after it."""
        top = _decode_top(data, "SecurityInfos")
        if top.tag != SET:
            raise DecodeError(f"SecurityInfos must be a SET (tag 31), not tag {top.tag:X}")
        return cls._from_set(top)

    @classmethod
    def from_dg14(cls, data: bytes) -> SecurityInfos:
        """DG14: tag 6E around the SET (9303-10 §4.7.14)."""
        top = _decode_top(data, "DG14")
        if top.tag != DG14_TAG:
            raise DecodeError(f"DG14 must have tag 6E, not {top.tag:X}")
        content = top.children()
        if len(content) != 1 or content[0].tag != SET:
            raise DecodeError("DG14 must hold exactly one SET OF SecurityInfo")
        return cls._from_set(content[0])

    @classmethod
    def from_card_security(cls, data: bytes) -> SecurityInfos:
        """EF.CardSecurity: a CMS SignedData whose eContent (id-SecurityObject) is the SET.

        Only the structure is read; the signature is verified elsewhere.
        """
        if len(data) > MAX_CARD_SECURITY_SIZE:
            raise DecodeError(f"EF.CardSecurity: more than {MAX_CARD_SECURITY_SIZE} bytes")
        try:
            content = _card_security_content(bytes(data))
        except DecodeError:
            raise
        except (*_ASN1_ERRORS, AttributeError) as exc:
            raise DecodeError(f"EF.CardSecurity: malformed CMS ({type(exc).__name__})") from None
        return cls.from_bytes(content)

    @classmethod
    def _from_set(cls, top: tlv.TLV) -> SecurityInfos:
        elements = top.children()
        if len(elements) > MAX_INFOS:
            raise DecodeError(f"{len(elements)} SecurityInfos, more than the {MAX_INFOS} allowed")
        return cls(tuple(_parse_info(index, element) for index, element in enumerate(elements)))

    def to_bytes(self) -> bytes:
        """The SET OF SecurityInfo (EF.CardAccess, or the content of DG14 and CardSecurity)."""
        return der(SET, *(info.to_bytes() for info in self.infos))

    def to_dg14(self) -> bytes:
        return tlv.encode(DG14_TAG, self.to_bytes())

    def sorted(self) -> SecurityInfos:
        """The same infos in DER SET OF order (X.690 §11.6), for files a chip writes anew."""
        return SecurityInfos(tuple(sorted(self.infos, key=lambda info: info.to_bytes())))

    @property
    def pace(self) -> tuple[PACEInfo, ...]:
        return _of_type(self.infos, PACEInfo)

    @property
    def pace_domains(self) -> tuple[PACEDomainParameterInfo, ...]:
        return _of_type(self.infos, PACEDomainParameterInfo)

    @property
    def chip_authentication(self) -> tuple[ChipAuthenticationInfo, ...]:
        return _of_type(self.infos, ChipAuthenticationInfo)

    @property
    def chip_authentication_domains(self) -> tuple[ChipAuthenticationDomainParameterInfo, ...]:
        return _of_type(self.infos, ChipAuthenticationDomainParameterInfo)

    @property
    def chip_authentication_keys(self) -> tuple[ChipAuthenticationPublicKeyInfo, ...]:
        return _of_type(self.infos, ChipAuthenticationPublicKeyInfo)

    @property
    def active_authentication(self) -> ActiveAuthenticationInfo | None:
        return next(iter(_of_type(self.infos, ActiveAuthenticationInfo)), None)

    @property
    def unknown(self) -> tuple[UnknownSecurityInfo, ...]:
        return _of_type(self.infos, UnknownSecurityInfo)

    def pace_domain(self, info: PACEInfo) -> ECCurve | DHGroup | None:
        """The domain `info` runs on, or None if the chip did not say unambiguously.

        Ids 0-31 are standardized (9303-11 §9.5.1; reserved ids give None); higher ids name the
        PACEDomainParameterInfo of the same protocol and id; without an id, the only
        PACEDomainParameterInfo of the protocol. A domain of the wrong kind (a DH group for
        ECDH) gives None.
        """
        domain: Domain | None
        if info.parameter_id is not None and info.parameter_id < FIRST_PROPRIETARY_ID:
            domain = STANDARD_DOMAINS.get(info.parameter_id)
        else:
            matches = [
                candidate.domain
                for candidate in self.pace_domains
                if candidate.oid == info.protocol
                and (info.parameter_id is None or candidate.parameter_id == info.parameter_id)
            ]
            domain = matches[0] if len(matches) == 1 else None
        if domain is None or key_agreement_of(domain) is not info.key_agreement:
            return None
        return domain


# -- reading ---------------------------------------------------------------------------------


def _decode_top(data: bytes, what: str) -> tlv.TLV:
    if len(data) > MAX_SIZE:
        raise DecodeError(f"{what}: more than {MAX_SIZE} bytes")
    top = tlv.decode_one(bytes(data), max_depth=MAX_DEPTH, max_length=MAX_SIZE)
    if not top.constructed:
        raise DecodeError(f"{what}: tag {top.tag:X} is not constructed")
    return top


def _card_security_content(data: bytes) -> bytes:
    info = cms.ContentInfo.load(data, strict=True)
    if info["content_type"].native != "signed_data":
        raise DecodeError("EF.CardSecurity: ContentInfo is not SignedData")
    signed_data = info["content"]
    _ = signed_data.native  # asn1crypto parses lazily: parse everything now, inside the try
    encapsulated = signed_data["encap_content_info"]
    if encapsulated["content_type"].dotted != SECURITY_OBJECT_OID:
        raise DecodeError("EF.CardSecurity: eContentType is not id-SecurityObject")
    content = encapsulated["content"]
    if content.native is None:
        raise DecodeError("EF.CardSecurity: the SecurityInfos are absent")
    return bytes(content.__bytes__())


def _parse_info(index: int, element: tlv.TLV) -> SecurityInfo:
    """One SecurityInfo; only a SEQUENCE without a protocol OID is fatal."""
    if element.tag != SEQUENCE or not element.constructed:
        raise DecodeError(f"SecurityInfo {index} is not a SEQUENCE")
    fields = element.children()
    if not fields or fields[0].tag != OID:
        raise DecodeError(f"SecurityInfo {index} does not start with a protocol OID")
    try:
        oid = decode_oid(fields[0].value)
    except DecodeError as exc:
        raise DecodeError(f"SecurityInfo {index}: {exc}") from None
    raw = element.encode()
    reader = _READERS.get(oid)
    if reader is None:
        return UnknownSecurityInfo(oid, raw)
    try:
        return reader(oid, fields[1:])
    except ValueError as exc:  # DecodeError, or a check in a constructor
        return UnknownSecurityInfo(oid, raw, str(exc))


def _read_pace(oid: str, fields: Fields) -> SecurityInfo:
    if oid in PACE_DOMAIN_BY_OID:
        _count(fields, 1, 2, "PACEDomainParameterInfo")
        domain, encoding = decode_domain(fields[0])
        return PACEDomainParameterInfo(oid, domain, _optional(fields, 1, "parameterId"), encoding)
    _count(fields, 1, 2, "PACEInfo")
    key_agreement, mapping, cipher = PACE_BY_OID[oid]
    version = read_integer(fields[0], "PACEInfo version")
    return PACEInfo(
        oid, version, _optional(fields, 1, "parameterId"), key_agreement, mapping, cipher
    )


def _read_ca(oid: str, fields: Fields) -> SecurityInfo:
    key_agreement, cipher = CA_BY_OID[oid]
    if cipher is None and fields and fields[0].tag == SEQUENCE:
        _count(fields, 1, 2, "ChipAuthenticationDomainParameterInfo")
        domain, encoding = decode_domain(fields[0])
        key_id = _optional(fields, 1, "keyId")
        return ChipAuthenticationDomainParameterInfo(oid, domain, key_id, encoding)
    _count(fields, 1, 2, "ChipAuthenticationInfo")
    version = read_integer(fields[0], "ChipAuthenticationInfo version")
    return ChipAuthenticationInfo(
        oid, version, _optional(fields, 1, "keyId"), key_agreement, cipher
    )


def _read_pk(oid: str, fields: Fields) -> SecurityInfo:
    _count(fields, 1, 2, "ChipAuthenticationPublicKeyInfo")
    domain, encoding, key = decode_public_key(fields[0])
    key_id = _optional(fields, 1, "keyId")
    return ChipAuthenticationPublicKeyInfo(oid, PK_BY_OID[oid], domain, key, key_id, encoding)


def _read_aa(oid: str, fields: Fields) -> SecurityInfo:
    _count(fields, 2, 2, "ActiveAuthenticationInfo")
    version = read_integer(fields[0], "ActiveAuthenticationInfo version")
    return ActiveAuthenticationInfo(oid, version, read_oid(fields[1], "signatureAlgorithm"))


_READERS = {
    **dict.fromkeys((*PACE_BY_OID, *PACE_DOMAIN_BY_OID), _read_pace),
    **dict.fromkeys(CA_BY_OID, _read_ca),
    **dict.fromkeys(PK_BY_OID, _read_pk),
    AA_OID: _read_aa,
}


def _count(fields: Fields, low: int, high: int, what: str) -> None:
    """Check the number of fields after the protocol OID (the message counts the OID too)."""
    if not low <= len(fields) <= high:
        expected = f"{low + 1}" if low == high else f"{low + 1} or {high + 1}"
        raise DecodeError(f"{what} has {len(fields) + 1} fields, expected {expected}")


def _optional(fields: Fields, index: int, what: str) -> int | None:
    return read_integer(fields[index], what) if len(fields) > index else None


def _of_type(infos: tuple[Any, ...], kind: type[_Info]) -> tuple[_Info, ...]:
    return tuple(info for info in infos if isinstance(info, kind))
