"""The simulated chip's files, built from a profile: EF.COM, DG1, DG2 (a real JPEG face),
the data groups a profile adds, DG14 and DG15 for its keys (DG14 also lists the PACE variants
of a chip that offers PACE) and an EF.SOD signed by the test PKI over all of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

from mrtd import tlv
from mrtd.lds import (
    LDS_FILES,
    build_com,
    build_dg1,
    build_dg2,
    build_dg11,
    build_dg12,
    image_size,
)
from mrtd.lds.sod import build_sod
from mrtd.sim.authentication import authentication_files, genuine_keys
from mrtd.sim.pki import TestPKI
from mrtd.sim.profile import ISSUER_FAULTS, Profile
from mrtd.sim.security_files import pace_infos, pace_options

__all__ = ["ChipFile", "build_files"]

EAC_PROTECTED = frozenset({3, 4})  # fingerprints and iris: Extended Access Control only


@dataclass(frozen=True, slots=True)
class ChipFile:
    name: str
    fid: int
    sfi: int
    data: bytes
    protected: bool = False  # readable only after EAC, which this chip does not grant


@cache
def face_jpeg() -> bytes:
    """The fictitious face shipped with the package (scripts/make_face.py)."""
    return resources.files("mrtd.sim").joinpath("data/face.jpg").read_bytes()


def build_files(profile: Profile) -> dict[int, ChipFile]:
    """Files by file identifier: the profile's data set as it is, or files made for it (with
    DG14 and DG15 for the genuine AA and CA keys when the profile has them)."""
    if profile.chip.dataset:
        return dataset_files(Path(profile.chip.dataset))
    contents: dict[int, bytes] = {}
    for number in profile.chip.data_groups:
        empty = number in profile.chip.empty_data_groups  # listed and hashed, 0 bytes held
        contents[number] = b"" if empty else _data_group(number, profile)
    pace = pace_infos(pace_options(profile)) if "pace" in profile.chip.access else ()
    fault = profile.faults.hostile if profile.faults.hostile in ISSUER_FAULTS else ""
    contents.update(authentication_files(genuine_keys(profile), pace, fault=fault))
    key, certificate = TestPKI().document_signer(profile.chip.signer)  # type: ignore[arg-type]
    sod = build_sod(
        contents,
        signer_key=key,
        signer_cert=certificate,
        hash_algorithm=profile.chip.hash_algorithm,
    )
    files = [
        _file("EF.COM", build_com(sorted(contents))),
        _file("EF.SOD", sod),
        *(_file(f"DG{n}", data, n in EAC_PROTECTED) for n, data in contents.items()),
    ]
    return {f.fid: f for f in files}


def dataset_files(folder: Path) -> dict[int, ChipFile]:
    """A data set dumped as EF_COM.bin, EF_SOD.bin and DatagroupN.bin (BSI's naming)."""
    names = {"EF.COM": "EF_COM.bin", "EF.SOD": "EF_SOD.bin"}
    names |= {f"DG{n}": f"Datagroup{n}.bin" for n in range(1, 17)}
    files = [
        _file(name, (folder / file).read_bytes(), name in {f"DG{n}" for n in EAC_PROTECTED})
        for name, file in names.items()
        if (folder / file).is_file()
    ]
    return {f.fid: f for f in files}


def _file(name: str, data: bytes, protected: bool = False) -> ChipFile:
    info = LDS_FILES[name]
    return ChipFile(name, info.fid, info.sfi, data, protected)


def _data_group(number: int, profile: Profile) -> bytes:
    if number == 1:
        return build_dg1("".join(profile.mrz.lines))
    if number == 2:
        jpeg = face_jpeg()
        size = image_size(jpeg)
        width, height = size if size is not None else (0, 0)
        return build_dg2(jpeg, width, height)
    if number == 11:
        return _dg11(profile)
    if number == 12:
        return _dg12(profile)
    # Other groups hold an empty biometric / data template: enough to exist, be hashed in
    # EF.SOD and (for DG3/DG4) be refused.
    tag = LDS_FILES[f"DG{number}"].tag
    assert tag is not None
    return tlv.encode(tag, tlv.encode(0x7F61, tlv.encode(0x02, b"\x00")))


def _dg11(profile: Profile) -> bytes:
    mrz, details = profile.mrz, profile.details
    name_field = mrz.lines[-1] if mrz.format.value == "TD1" else mrz.lines[0][5:]
    return build_dg11(
        full_name=name_field.rstrip("<"),
        birth_date=mrz.birth_date,
        place_of_birth=details.place_of_birth,
        address=details.address,
        personal_number=details.personal_number,
        profession=details.profession,
        telephone=details.telephone,
    )


def _dg12(profile: Profile) -> bytes:
    details, expiry = profile.details, profile.mrz.expiry_date
    if details.date_of_issue:
        text = details.date_of_issue
        issued: date | None = date(int(text[:4]), int(text[4:6]), int(text[6:]))
    else:
        issued = _ten_years_before(expiry) if expiry is not None else None
    return build_dg12(issuing_authority=details.issuing_authority, date_of_issue=issued)


def _ten_years_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 10)
    except ValueError:  # 29 February of a leap year
        return day.replace(year=day.year - 10, day=28)
