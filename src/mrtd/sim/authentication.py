"""The simulated chip's clone-detection keys: Active Authentication (DG15) and Chip
Authentication (DG14), from the profile's specs or a real data set's key files.

The files (DG14, DG15, and EF.SOD over them) always carry the genuine document's public keys.
The chip normally holds the matching private keys; a clone (`[faults] clone = true`, or one of
the clone faults that try to hide it) holds keys of its own, as a copy of a real chip must: the
private keys never leave it. DG14 also lists the PACE variants of a chip that offers PACE
(9303-11 §9.2: signed, unlike EF.CardAccess, so a reader can tell a PACE chip read with BAC).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mrtd.lds.security.infos import (
    ActiveAuthenticationInfo,
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    SecurityInfo,
    SecurityInfos,
)
from mrtd.sim.active_auth_chip import ChipActiveAuthentication
from mrtd.sim.chip_auth_chip import ChipChipAuthentication
from mrtd.sim.profile import CLONE_FAULTS, Profile, ProfileError

#: ecdsa-with-SHA3-256 (NIST CSOR): a real ECDSA algorithm mrtd maps to no hash.
UNMAPPED_AA_ALGORITHM = "2.16.840.1.101.3.4.3.10"

__all__ = ["ChipKeys", "authentication_files", "chip_keys", "genuine_keys"]


@dataclass(frozen=True, slots=True)
class ChipKeys:
    active: ChipActiveAuthentication | None = None
    chip: ChipChipAuthentication | None = None


def genuine_keys(profile: Profile) -> ChipKeys:
    """The document's own keys: derived from its MRZ, so every run makes the same ones."""
    return _keys(profile, _seed(profile, "genuine"))


def chip_keys(profile: Profile) -> ChipKeys:
    """The keys the chip answers with: the genuine ones, or a clone's."""
    if not is_clone(profile):
        return genuine_keys(profile)
    if profile.chip.dataset:
        raise ProfileError("[faults] clone needs generated keys ([chip] aa/ca), not a dataset")
    return _keys(profile, _seed(profile, "clone"))


def is_clone(profile: Profile) -> bool:
    """Whether the chip holds keys of its own, not the document's."""
    return profile.faults.clone or profile.faults.hostile in CLONE_FAULTS


def authentication_files(
    keys: ChipKeys, pace: Sequence[SecurityInfo] = (), *, fault: str = ""
) -> dict[int, bytes]:
    """DG14 and DG15 for these keys and the PACE infos `pace` (no DG14 when there are none of
    them). `fault` writes DG14 as an issuer might and mrtd cannot use: "dg14-ca-v2-only",
    "dg14-key-id-mismatch", "dg15-unmapped-algorithm" (`FaultSettings`)."""
    files: dict[int, bytes] = {}
    infos: list[SecurityInfo] = list(pace)
    if keys.chip is not None:
        infos.extend(_chip_infos(keys.chip, fault))
    if keys.active is not None:
        files[15] = keys.active.dg15()
        aa_info = keys.active.security_info()
        if aa_info is not None and fault == "dg15-unmapped-algorithm":
            aa_info = ActiveAuthenticationInfo.build(UNMAPPED_AA_ALGORITHM)
        if aa_info is not None:
            infos.append(aa_info)
    if infos:
        files[14] = SecurityInfos(tuple(infos)).to_dg14()
    return files


def _chip_infos(chip: ChipChipAuthentication, fault: str) -> tuple[SecurityInfo, ...]:
    info, key = chip.security_infos()
    assert isinstance(info, ChipAuthenticationInfo)
    assert isinstance(key, ChipAuthenticationPublicKeyInfo)
    if fault == "dg14-ca-v2-only":
        info = ChipAuthenticationInfo.build(info.key_agreement, info.cipher, info.key_id, 2)
    elif fault == "dg14-key-id-mismatch":
        info = ChipAuthenticationInfo.build(info.key_agreement, info.cipher, 1)
        key = ChipAuthenticationPublicKeyInfo.build(key.domain, key.public_key, 2,
                                                    key.domain_encoding)  # fmt: skip
    return info, key


def _keys(profile: Profile, seed: bytes) -> ChipKeys:
    chip = profile.chip
    if chip.dataset:
        return _dataset_keys(Path(chip.dataset))
    return ChipKeys(
        ChipActiveAuthentication.from_spec(chip.aa, seed) if chip.aa != "none" else None,
        ChipChipAuthentication.from_spec(chip.ca, seed) if chip.ca != "none" else None,
    )


def _dataset_keys(folder: Path) -> ChipKeys:
    """A data set's private keys (DG15_sk.pkcs8, DG14_sk.pkcs8), where it has them."""
    active = chip = None
    aa_key, ca_key = folder / "DG15_sk.pkcs8", folder / "DG14_sk.pkcs8"
    if aa_key.is_file():
        active = ChipActiveAuthentication.from_private_key_file(aa_key, "sha256")
    if ca_key.is_file():
        dg14 = (folder / "Datagroup14.bin").read_bytes()
        chip = ChipChipAuthentication.from_private_key(ca_key.read_bytes(), dg14)
    return ChipKeys(active, chip)


def _seed(profile: Profile, kind: str) -> bytes:
    return hashlib.sha512(f"mrtd-sim-clone-keys|{kind}|{profile.mrz.lines}".encode()).digest()
