"""The object identifiers of SecurityInfos, and the DER primitives needed to read them.

ICAO 9303-11 §9.2 and BSI TR-03110-3 Appendix A name each protocol by an OID under bsi-de
(0.4.0.127.0.7): the protocol, then the key agreement, then (for PACE and Chip Authentication)
the cipher suite. The tables below are the only place these numbers are written down; every
other module asks them.
"""

from __future__ import annotations

import enum
import re

from mrtd import tlv
from mrtd.crypto.kdf import Cipher
from mrtd.errors import DecodeError

__all__ = [
    "AA_OID",
    "CA_BY_OID",
    "CA_PROTOCOLS",
    "CIPHER_SUFFIXES",
    "DH_PUBLIC_NUMBER_OID",
    "EC_PUBLIC_KEY_OID",
    "PACE_BY_OID",
    "PACE_DOMAIN_BY_OID",
    "PACE_PROTOCOLS",
    "PK_BY_OID",
    "PK_PROTOCOLS",
    "PRIME_FIELD_OID",
    "SECURITY_OBJECT_OID",
    "STANDARDIZED_DOMAIN_OID",
    "KeyAgreement",
    "Mapping",
    "ca_oid",
    "decode_integer",
    "decode_oid",
    "der",
    "encode_integer",
    "encode_oid",
    "pace_oid",
    "read_integer",
    "read_oid",
    "read_primitive",
    "read_sequence",
]


class KeyAgreement(enum.Enum):
    DH = "DH"
    ECDH = "ECDH"


class Mapping(enum.Enum):
    """PACE mapping: Generic, Integrated, Chip Authentication (9303-11 §4.4.3.3)."""

    GM = "GM"
    IM = "IM"
    CAM = "CAM"


_BSI = "0.4.0.127.0.7"
_PROTOCOLS = f"{_BSI}.2.2"

#: id-PACE-<ka>-<mapping> (TR-03110-3 A.1.1.1); the cipher suite is one more arc.
PACE_PROTOCOLS: dict[tuple[KeyAgreement, Mapping], str] = {
    (KeyAgreement.DH, Mapping.GM): f"{_PROTOCOLS}.4.1",
    (KeyAgreement.ECDH, Mapping.GM): f"{_PROTOCOLS}.4.2",
    (KeyAgreement.DH, Mapping.IM): f"{_PROTOCOLS}.4.3",
    (KeyAgreement.ECDH, Mapping.IM): f"{_PROTOCOLS}.4.4",
    (KeyAgreement.ECDH, Mapping.CAM): f"{_PROTOCOLS}.4.6",
}
#: id-CA-DH, id-CA-ECDH (TR-03110-3 A.1.1.2): alone, ChipAuthenticationDomainParameterInfo.
CA_PROTOCOLS: dict[KeyAgreement, str] = {
    KeyAgreement.DH: f"{_PROTOCOLS}.3.1",
    KeyAgreement.ECDH: f"{_PROTOCOLS}.3.2",
}
#: id-PK-DH, id-PK-ECDH: ChipAuthenticationPublicKeyInfo (9303-11 §9.2.6).
PK_PROTOCOLS: dict[KeyAgreement, str] = {
    KeyAgreement.DH: f"{_PROTOCOLS}.1.1",
    KeyAgreement.ECDH: f"{_PROTOCOLS}.1.2",
}
#: The last arc naming the cipher suite: 3DES-CBC-CBC, AES-CBC-CMAC-128/-192/-256.
CIPHER_SUFFIXES: dict[Cipher, int] = {
    Cipher.DES3: 1,
    Cipher.AES128: 2,
    Cipher.AES192: 3,
    Cipher.AES256: 4,
}

#: id-icao-mrtd-security-aaProtocolObject (9303-11 §9.2.8).
AA_OID = "2.23.136.1.1.5"
#: id-SecurityObject, the eContentType of EF.CardSecurity (TR-03110-3 A.1.2.2).
SECURITY_OBJECT_OID = f"{_BSI}.3.2.1"
#: standardizedDomainParameters: AlgorithmIdentifier parameter is an INTEGER id (A.2.1.1).
STANDARDIZED_DOMAIN_OID = f"{_BSI}.1.2"
EC_PUBLIC_KEY_OID = "1.2.840.10045.2.1"  # RFC 5480
PRIME_FIELD_OID = "1.2.840.10045.1.1"  # X9.62 prime-field
DH_PUBLIC_NUMBER_OID = "1.2.840.10046.2.1"  # X9.42 dhpublicnumber (RFC 3279 §2.3.3)


def pace_oid(mapping: Mapping, key_agreement: KeyAgreement, cipher: Cipher) -> str:
    """The PACEInfo protocol OID; ValueError for a combination no standard defines."""
    base = PACE_PROTOCOLS.get((key_agreement, mapping))
    if base is None:
        raise ValueError(f"PACE has no {key_agreement.value} {mapping.value} mapping")
    if mapping is Mapping.CAM and cipher is Cipher.DES3:
        raise ValueError("PACE-CAM is defined for AES only")
    return f"{base}.{CIPHER_SUFFIXES[cipher]}"


def ca_oid(key_agreement: KeyAgreement, cipher: Cipher | None) -> str:
    """The ChipAuthenticationInfo protocol OID (no cipher: the bare id-CA-DH / id-CA-ECDH)."""
    base = CA_PROTOCOLS[key_agreement]
    return base if cipher is None else f"{base}.{CIPHER_SUFFIXES[cipher]}"


def _pace_table() -> dict[str, tuple[KeyAgreement, Mapping, Cipher]]:
    table = {}
    for (key_agreement, mapping), _base in PACE_PROTOCOLS.items():
        for cipher in Cipher:
            try:
                table[pace_oid(mapping, key_agreement, cipher)] = (key_agreement, mapping, cipher)
            except ValueError:
                continue
    return table


#: PACEInfo protocol OID -> what it means.
PACE_BY_OID: dict[str, tuple[KeyAgreement, Mapping, Cipher]] = _pace_table()
#: PACEDomainParameterInfo protocol OID (no cipher arc) -> key agreement and mapping.
PACE_DOMAIN_BY_OID: dict[str, tuple[KeyAgreement, Mapping]] = {
    oid: key for key, oid in PACE_PROTOCOLS.items()
}
#: ChipAuthenticationInfo protocol OID -> key agreement and cipher (None: no cipher arc).
CA_BY_OID: dict[str, tuple[KeyAgreement, Cipher | None]] = {
    ca_oid(key_agreement, cipher): (key_agreement, cipher)
    for key_agreement in KeyAgreement
    for cipher in (None, *Cipher)
}
PK_BY_OID: dict[str, KeyAgreement] = {oid: ka for ka, oid in PK_PROTOCOLS.items()}


# -- DER primitives (X.690 §8.3, §8.19) ------------------------------------------------------

INTEGER = 0x02
BIT_STRING = 0x03
OCTET_STRING = 0x04
NULL = 0x05
OID = 0x06
SEQUENCE = 0x30
SET = 0x31
_TYPE_NAMES = {
    INTEGER: "an INTEGER",
    BIT_STRING: "a BIT STRING",
    OCTET_STRING: "an OCTET STRING",
    NULL: "NULL",
    OID: "an OBJECT IDENTIFIER",
    SEQUENCE: "a SEQUENCE",
    SET: "a SET",
}
MAX_OID_BYTES = 64  # far above any real OID (the longest here has 11 bytes)
_DOTTED = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+")


def decode_oid(value: bytes) -> str:
    """The dotted form of an OBJECT IDENTIFIER's content octets; DecodeError if malformed."""
    if not value:
        raise DecodeError("empty OBJECT IDENTIFIER")
    if len(value) > MAX_OID_BYTES:
        raise DecodeError(f"OBJECT IDENTIFIER longer than {MAX_OID_BYTES} bytes")
    if value[-1] & 0x80:
        raise DecodeError("OBJECT IDENTIFIER ends inside a subidentifier")
    arcs: list[int] = []
    number = 0
    starts = True
    for byte in value:
        if starts and byte == 0x80:
            raise DecodeError("OBJECT IDENTIFIER subidentifier with a leading 0x80 byte")
        number = number << 7 | byte & 0x7F
        starts = not byte & 0x80
        if starts:
            arcs.append(number)
            number = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(map(str, (first, arcs[0] - 40 * first, *arcs[1:])))


def encode_oid(dotted: str) -> bytes:
    """The content octets of an OBJECT IDENTIFIER; ValueError if `dotted` is not one."""
    if not _DOTTED.fullmatch(dotted):
        raise ValueError(f"{dotted!r} is not a dotted OBJECT IDENTIFIER")
    first, second, *rest = (int(arc) for arc in dotted.split("."))
    if first > 2 or (first < 2 and second >= 40):
        raise ValueError(f"{dotted!r} has an impossible first or second arc")
    out = bytearray()
    for arc in (40 * first + second, *rest):
        groups = max(1, (arc.bit_length() + 6) // 7)  # base 128, high bit on all but the last
        out += bytes((arc >> 7 * i) & 0x7F | (0x80 if i else 0) for i in reversed(range(groups)))
    if len(out) > MAX_OID_BYTES:
        raise ValueError(f"{dotted!r} is longer than {MAX_OID_BYTES} bytes encoded")
    return bytes(out)


def decode_integer(value: bytes, what: str, *, max_bytes: int) -> int:
    """A non-negative INTEGER of at most `max_bytes` content octets (leading zeros tolerated)."""
    if not value:
        raise DecodeError(f"{what}: empty INTEGER")
    if value[0] & 0x80:
        raise DecodeError(f"{what}: negative INTEGER")
    if len(value.lstrip(b"\0")) > max_bytes:
        raise DecodeError(f"{what}: INTEGER longer than {max_bytes} bytes")
    return int.from_bytes(value, "big")


def encode_integer(number: int) -> bytes:
    """The minimal content octets of a non-negative INTEGER."""
    if number < 0:
        raise ValueError("only non-negative INTEGERs are encoded here")
    return number.to_bytes(number.bit_length() // 8 + 1, "big")


def read_sequence(
    item: tlv.TLV, what: str, *, min_fields: int = 0, max_fields: int = 64
) -> tuple[tlv.TLV, ...]:
    """The fields of a SEQUENCE, checking their number; DecodeError naming `what` if not."""
    if item.tag != SEQUENCE:
        raise DecodeError(f"{what} is not a SEQUENCE")
    fields = item.children()
    if not min_fields <= len(fields) <= max_fields:
        expected = str(min_fields) if min_fields == max_fields else f"{min_fields}..{max_fields}"
        raise DecodeError(f"{what} has {len(fields)} fields, expected {expected}")
    return fields


def read_primitive(item: tlv.TLV, tag: int, what: str) -> bytes:
    """The content octets of a primitive of universal type `tag` (INTEGER, OCTET STRING...)."""
    if item.tag != tag:
        raise DecodeError(f"{what} is not {_TYPE_NAMES.get(tag, f'tag {tag:X}')}")
    return item.value


def read_oid(item: tlv.TLV, what: str) -> str:
    return decode_oid(read_primitive(item, OID, what))


def read_integer(item: tlv.TLV, what: str, *, max_bytes: int = 8) -> int:
    return decode_integer(read_primitive(item, INTEGER, what), what, max_bytes=max_bytes)


def der(tag: int, *parts: bytes) -> bytes:
    """One DER data object holding `parts` back to back."""
    return tlv.encode(tag, b"".join(parts))
