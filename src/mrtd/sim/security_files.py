"""The simulated chip's PACE material: the variants it offers, EF.CardAccess that advertises
them, its chip-authentication key and EF.CardSecurity that publishes that key, signed by the
test Document Signer (ICAO 9303-11 §9.2; BSI TR-03110-3 A.1.2)."""

from __future__ import annotations

import hashlib

from mrtd.access.pace.groups import ECAgreement, KeyPair
from mrtd.crypto.domains import STANDARD_IDS, ECCurve, domain_by_name
from mrtd.crypto.kdf import Cipher
from mrtd.crypto.spki import DomainEncoding
from mrtd.lds.security.infos import (
    FIRST_PROPRIETARY_ID,
    ChipAuthenticationPublicKeyInfo,
    KeyAgreement,
    Mapping,
    PACEDomainParameterInfo,
    PACEInfo,
    SecurityInfo,
    SecurityInfos,
)
from mrtd.lds.security.oids import SECURITY_OBJECT_OID
from mrtd.lds.sod import sign_content
from mrtd.sim.pace_chip import ChipPACEOption
from mrtd.sim.pki import TestPKI
from mrtd.sim.profile import Profile


def pace_options(profile: Profile) -> list[ChipPACEOption]:
    """The PACE variants of the profile's [chip.pace] tables, in the order given."""
    options = []
    for n, settings in enumerate(profile.chip.pace):
        domain = domain_by_name(settings.domain)
        agreement = KeyAgreement.ECDH if isinstance(domain, ECCurve) else KeyAgreement.DH
        parameter_id = FIRST_PROPRIETARY_ID + n if settings.explicit else STANDARD_IDS[domain.name]
        info = PACEInfo.build(
            Mapping(settings.mapping), agreement, Cipher(settings.cipher), parameter_id
        )
        options.append(ChipPACEOption(info, domain))
    return options


def static_key(profile: Profile, curve: ECCurve) -> KeyPair:
    """The chip's chip-authentication key: derived from the document, so one chip keeps it
    across sessions and another document gets another key."""
    seed = hashlib.sha512(f"mrtd-sim-ca|{curve.name}|{profile.mrz.lines}".encode()).digest()
    private = int.from_bytes(seed, "big") % (curve.n - 1) + 1
    return KeyPair(private, ECAgreement(curve).group.mul(private))


def card_access(options: list[ChipPACEOption]) -> bytes:
    """EF.CardAccess: a PACEInfo per variant, and the explicit domain parameters it needs."""
    infos: list[SecurityInfo] = []
    for option in options:
        infos.append(option.info)
        parameter_id = option.info.parameter_id
        if parameter_id is not None and parameter_id >= FIRST_PROPRIETARY_ID:
            mapping = option.info.mapping
            infos.append(PACEDomainParameterInfo.build(mapping, option.domain, parameter_id))
    return SecurityInfos(tuple(infos)).to_bytes()


def card_security(
    profile: Profile, options: list[ChipPACEOption], keys: dict[str, KeyPair]
) -> bytes:
    """EF.CardSecurity: the PACEInfos and the chip-authentication public keys, signed."""
    infos: list[SecurityInfo] = [option.info for option in options]
    for n, option in enumerate(options):
        key = keys.get(option.domain.name)
        if option.info.mapping is Mapping.CAM and key is not None:
            infos.append(
                ChipAuthenticationPublicKeyInfo.build(
                    option.domain, key.public, n + 1, DomainEncoding.NAMED
                )
            )
    signer_key, certificate = TestPKI().document_signer(profile.chip.signer)  # type: ignore[arg-type]
    return sign_content(
        SECURITY_OBJECT_OID,
        SecurityInfos(tuple(infos)).to_bytes(),
        signer_key=signer_key,
        signer_cert=certificate,
        hash_algorithm=profile.chip.hash_algorithm,
    )
