"""Which PACE variant to run when EF.CardAccess offers several (9303-11 §4.2: the terminal
chooses), and what a read reports about the access it got."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mrtd.access.pace.mapping import integrated_mapping_supported
from mrtd.crypto.domains import Domain, ECCurve
from mrtd.crypto.kdf import Cipher
from mrtd.lds.security.infos import KeyAgreement, Mapping, PACEInfo, SecurityInfos

# Symmetric strength in bits: two-key 3DES gives 80 against known attacks (NIST SP 800-57).
CIPHER_BITS = {Cipher.DES3: 80, Cipher.AES128: 128, Cipher.AES192: 192, Cipher.AES256: 256}
# CAM also authenticates the chip; IM and GM are equally strong, GM is the more common.
MAPPING_RANK = {Mapping.CAM: 2, Mapping.GM: 1, Mapping.IM: 0}
DH_BITS = {1024: 80, 2048: 112, 3072: 128}  # NIST SP 800-57 for MODP groups


@dataclass(frozen=True, slots=True)
class PACEChoice:
    info: PACEInfo
    domain: Domain

    @property
    def strength(self) -> int:
        """Security in bits: the weaker of the cipher and the group."""
        if isinstance(self.domain, ECCurve):
            group_bits = self.domain.n.bit_length() // 2
        else:
            group_bits = DH_BITS.get(self.domain.p.bit_length(), 80)
        return min(CIPHER_BITS[self.info.cipher], group_bits)

    def describe(self) -> dict[str, str]:
        return {
            "mapping": self.info.mapping.value,
            "domain": self.domain.name,
            "cipher": self.info.cipher.value,
            "key_agreement": self.info.key_agreement.value,
        }


def supported(info: PACEInfo, domain: Domain | None) -> bool:
    """Whether this library can run the variant (and it is one the standards define)."""
    if domain is None:
        return False
    if (info.key_agreement is KeyAgreement.ECDH) != isinstance(domain, ECCurve):
        return False
    # PACEInfo itself refuses the undefined combinations (CAM with DH or 3DES).
    if info.mapping is Mapping.IM and isinstance(domain, ECCurve):
        return integrated_mapping_supported(domain)
    return True


def choose(infos: SecurityInfos) -> PACEChoice | None:
    """The strongest supported variant: bits of security first, then the mapping (CAM, which
    also proves the chip genuine, before GM before IM), then the cipher."""
    choices = [
        PACEChoice(info, domain)
        for info in infos.pace
        if (domain := infos.pace_domain(info)) is not None and supported(info, domain)
    ]
    if not choices:
        return None
    return max(
        choices,
        key=lambda c: (c.strength, MAPPING_RANK[c.info.mapping], CIPHER_BITS[c.info.cipher]),
    )


@dataclass
class AccessReport:
    """How the chip was opened. `downgraded` is True when the chip offered PACE but the read
    used BAC (PACE failed, EF.CardAccess was absent or garbled, or BAC was asked for while the
    signed DG14 lists PACE); `reason` says why. `chip_authentication` is PACE-CAM's: after
    access, whether the chip's mapping data matched a key of EF.CardSecurity; after the read's
    chip check, whether PACE-CAM proved the chip ("passed" only when EF.CardSecurity verified
    to a trusted CSCA, "not_checked" when it did not)."""

    protocol: str = ""  # "PACE" or "BAC"
    pace: dict[str, str] = field(default_factory=dict)  # mapping, domain, cipher, key_agreement
    downgraded: bool = False
    reason: str = ""
    chip_authentication: str = "not_checked"  # PACE-CAM: passed / failed / not_checked

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"protocol": self.protocol, "downgraded": self.downgraded}
        if self.pace:
            out["pace"] = dict(self.pace)
            if self.pace.get("mapping") == "CAM":
                out["pace"]["chip_authentication"] = self.chip_authentication
        if self.reason:
            out["reason"] = self.reason
        return out
