"""The object identifiers of SecurityInfos (the DER primitives to read them: `mrtd.der`).

ICAO 9303-11 §9.2 and BSI TR-03110-3 Appendix A name each protocol by an OID under bsi-de
(0.4.0.127.0.7): the protocol, then the key agreement, then (for PACE and Chip Authentication)
the cipher suite. The tables below are the only place these numbers are written down; every
other module asks them.
"""

from __future__ import annotations

import enum

from mrtd.crypto.kdf import Cipher

__all__ = [
    "AA_OID",
    "CA_BY_OID",
    "CA_PROTOCOLS",
    "CIPHER_SUFFIXES",
    "PACE_BY_OID",
    "PACE_DOMAIN_BY_OID",
    "PACE_PROTOCOLS",
    "PK_BY_OID",
    "PK_PROTOCOLS",
    "SECURITY_OBJECT_OID",
    "KeyAgreement",
    "Mapping",
    "ca_oid",
    "pace_oid",
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
