"""SecurityInfos, what a chip says it supports (ICAO 9303-11 §9.2, BSI TR-03110-3 Appendix A):
`oids` (the protocol OIDs and what they mean), `kinds` (one dataclass per kind of SecurityInfo)
and `infos` (the SET read from EF.CardAccess, DG14 or EF.CardSecurity)."""

from __future__ import annotations

from mrtd.lds.security.infos import (
    ActiveAuthenticationInfo,
    ChipAuthenticationDomainParameterInfo,
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    KeyAgreement,
    Mapping,
    PACEDomainParameterInfo,
    PACEInfo,
    SecurityInfo,
    SecurityInfos,
    UnknownSecurityInfo,
)

__all__ = [
    "ActiveAuthenticationInfo",
    "ChipAuthenticationDomainParameterInfo",
    "ChipAuthenticationInfo",
    "ChipAuthenticationPublicKeyInfo",
    "KeyAgreement",
    "Mapping",
    "PACEDomainParameterInfo",
    "PACEInfo",
    "SecurityInfo",
    "SecurityInfos",
    "UnknownSecurityInfo",
]
