"""The simulated chip's PACE material: the variants it offers, EF.CardAccess that advertises
them, its chip-authentication key and EF.CardSecurity that publishes that key, signed by the
test Document Signer (ICAO 9303-11 §9.2; BSI TR-03110-3 A.1.2).

A clone's EF.CardSecurity (`[faults] hostile = "card-security-self-signed"` or
"card-security-unsigned") publishes the clone's own key: signed by a Document Signer of a
self-made CSCA that bears the test PKI's names (`forged_signer`), or not signed at all.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import cache
from typing import Literal

from asn1crypto import cms, x509
from cryptography.hazmat.primitives.asymmetric import ec

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
from mrtd.lds.sod import SignerKey, sign_content
from mrtd.sim.pace_chip import ChipPACEOption
from mrtd.sim.pki import TestPKI
from mrtd.sim.pki_builder import Issued, issue_certificate
from mrtd.sim.profile import Profile

Signing = Literal["test", "forged", "none"]


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


def static_key(profile: Profile, curve: ECCurve, *, clone: bool = False) -> KeyPair:
    """The chip's chip-authentication key: derived from the document, so one chip keeps it
    across sessions and another document gets another key (`clone`: a clone's own key)."""
    kind = "|clone" if clone else ""
    seed = hashlib.sha512(f"mrtd-sim-ca{kind}|{curve.name}|{profile.mrz.lines}".encode()).digest()
    private = int.from_bytes(seed, "big") % (curve.n - 1) + 1
    return KeyPair(private, ECAgreement(curve).group.mul(private))


def pace_infos(options: list[ChipPACEOption]) -> tuple[SecurityInfo, ...]:
    """A PACEInfo per variant, and the explicit domain parameters it needs: EF.CardAccess,
    and DG14 of a chip that offers PACE."""
    infos: list[SecurityInfo] = []
    for option in options:
        infos.append(option.info)
        parameter_id = option.info.parameter_id
        if parameter_id is not None and parameter_id >= FIRST_PROPRIETARY_ID:
            mapping = option.info.mapping
            infos.append(PACEDomainParameterInfo.build(mapping, option.domain, parameter_id))
    return tuple(infos)


def card_access(options: list[ChipPACEOption]) -> bytes:
    """EF.CardAccess: a PACEInfo per variant, and the explicit domain parameters it needs."""
    return SecurityInfos(pace_infos(options)).to_bytes()


def card_security(
    profile: Profile,
    options: list[ChipPACEOption],
    keys: dict[str, KeyPair],
    signing: Signing = "test",
) -> bytes:
    """EF.CardSecurity: the PACEInfos and the chip-authentication public keys, signed by the
    test Document Signer ("test"), by a forged one ("forged": `forged_signer`) or not at all
    ("none": a SignedData without SignerInfo)."""
    infos: list[SecurityInfo] = [option.info for option in options]
    for n, option in enumerate(options):
        key = keys.get(option.domain.name)
        if option.info.mapping is Mapping.CAM and key is not None:
            infos.append(
                ChipAuthenticationPublicKeyInfo.build(
                    option.domain, key.public, n + 1, DomainEncoding.NAMED
                )
            )
    content = SecurityInfos(tuple(infos)).to_bytes()
    if signing == "none":
        return _unsigned(content)
    if signing == "forged":
        signer_key, certificate = forged_signer()
    else:
        signer_key, certificate = TestPKI().document_signer(profile.chip.signer)  # type: ignore[arg-type]
    return sign_content(
        SECURITY_OBJECT_OID,
        content,
        signer_key=signer_key,
        signer_cert=certificate,
        hash_algorithm=profile.chip.hash_algorithm,
    )


@cache
def forged_signer() -> tuple[SignerKey, x509.Certificate]:
    """A Document Signer under a self-made CSCA, both named as the test PKI's ECDSA ones
    ("mrtd test CSCA ECDSA", "mrtd test DS ECDSA", C=UT), with keys of their own: what a
    cloner can make, and no trust store holding the test CSCA trusts."""
    csca_key = _derived_key("csca", ec.BrainpoolP384R1())
    ds_key = _derived_key("ds", ec.BrainpoolP256R1())
    begin, end = datetime(2025, 1, 1, tzinfo=UTC), datetime(2045, 1, 1, tzinfo=UTC)
    csca = issue_certificate(subject_country="UT", subject_name="mrtd test CSCA ECDSA",
                             public_key=csca_key, issuer=None, signing_key=csca_key, serial=1,
                             not_before=begin, not_after=end, ca=True)  # fmt: skip
    ds = issue_certificate(subject_country="UT", subject_name="mrtd test DS ECDSA",
                           public_key=ds_key, issuer=Issued(csca_key, csca), serial=2,
                           not_before=begin, not_after=datetime(2036, 1, 1, tzinfo=UTC),
                           ca=False, document_signer=True)  # fmt: skip
    return ds_key, ds


def _derived_key(name: str, curve: ec.EllipticCurve) -> ec.EllipticCurvePrivateKey:
    seed = hashlib.sha512(f"mrtd-sim-forged-pki|{name}".encode()).digest()
    return ec.derive_private_key(int.from_bytes(seed[:24], "big") + 1, curve)  # < n


def _unsigned(content: bytes) -> bytes:
    """A CMS SignedData over `content` (id-SecurityObject) without a SignerInfo."""
    signed_data = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [],
            "encap_content_info": {"content_type": SECURITY_OBJECT_OID, "content": content},
            "signer_infos": [],
        }
    )
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())
