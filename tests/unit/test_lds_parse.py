"""The parser registry: every file by name, dumps by tag, one error for bad bytes and unknown
names; DG11 and DG12 keep the objects they do not read."""

from __future__ import annotations

import pytest

from mrtd import tlv
from mrtd.errors import DecodeError
from mrtd.lds import (
    LDS_FILES,
    PARSERS,
    COMFile,
    DG1File,
    DG2File,
    DG3File,
    DG4File,
    DG11File,
    DG12File,
    DG15File,
    build_dg11,
    build_dg12,
    parse_by_tag,
    parse_file,
)
from mrtd.lds.security.infos import SecurityInfos
from mrtd.lds.sod import SODFile
from tests.shared_data import shared_data_path
from tests.sim_files import sim_files

FILES = {
    "EF.COM": ("EF_COM.bin", COMFile),
    "DG1": ("Datagroup1.bin", DG1File),
    "DG2": ("Datagroup2.bin", DG2File),
    "DG3": ("Datagroup3.bin", DG3File),
    "DG4": ("Datagroup4.bin", DG4File),
    "DG14": ("Datagroup14.bin", SecurityInfos),
    "DG15": ("Datagroup15.bin", DG15File),
}


def test_every_lds_file_with_content_has_a_parser() -> None:
    assert set(PARSERS) == set(LDS_FILES) - {"EF.ATR/INFO", "EF.DIR"}


@pytest.mark.parametrize("folder", ["bsi2008", "bsi-dataset-2"])
@pytest.mark.parametrize("name", sorted(FILES))
def test_bsi_files_by_name_and_by_tag(folder: str, name: str) -> None:
    filename, kind = FILES[name]
    data = shared_data_path("lds", folder, filename).read_bytes()
    assert isinstance(parse_file(name, data), kind)
    found, parsed = parse_by_tag(data)
    assert found == name
    assert isinstance(parsed, kind)


def test_simulated_chip_files_by_name_and_by_tag() -> None:
    kinds = {name: kind for name, (_, kind) in FILES.items()}
    kinds |= {"EF.SOD": SODFile, "DG11": DG11File, "DG12": DG12File}
    files = sim_files()
    assert set(files) == set(kinds)
    for name, data in files.items():
        assert isinstance(parse_file(name, data), kinds[name]), name
        found, parsed = parse_by_tag(data)
        assert found == name
        assert isinstance(parsed, kinds[name])
    card_access = tlv.decode_one(files["DG14"]).value  # the bare SET, as EF.CardAccess holds it
    assert isinstance(parse_file("EF.CardAccess", card_access), SecurityInfos)
    with pytest.raises(DecodeError):
        parse_file("EF.CardSecurity", card_access)
    with pytest.raises(DecodeError, match="DG3 must have tag 63, not 76"):
        parse_file("DG3", files["DG4"])


def test_dg14_through_the_registry() -> None:
    infos = parse_file("DG14", shared_data_path("lds", "bsi2008", "Datagroup14.bin").read_bytes())
    assert isinstance(infos, SecurityInfos)
    (key,) = infos.chip_authentication_keys
    assert key.domain.name == "brainpoolP224r1"


def test_card_access_and_sod_through_the_registry() -> None:
    dg14 = shared_data_path("lds", "bsi2008", "Datagroup14.bin").read_bytes()
    card_access = tlv.decode_one(dg14).value  # the bare SET, as EF.CardAccess holds it
    assert isinstance(parse_file("EF.CardAccess", card_access), SecurityInfos)
    sod = shared_data_path("lds", "bsi2008", "EF_SOD.bin").read_bytes()
    assert isinstance(parse_file("EF.SOD", sod), SODFile)
    with pytest.raises(DecodeError):
        parse_file("EF.CardSecurity", card_access)


@pytest.mark.parametrize("name", ["EF.DIR", "EF.ATR/INFO", "DG17", "dg1", ""])
def test_no_parser_is_a_decode_error(name: str) -> None:
    with pytest.raises(DecodeError, match="no parser"):
        parse_file(name, b"\x61\x00")


def test_a_file_under_the_wrong_name() -> None:
    dg4 = shared_data_path("lds", "bsi2008", "Datagroup4.bin").read_bytes()
    with pytest.raises(DecodeError, match="DG3 must have tag 63, not 76"):
        parse_file("DG3", dg4)
    with pytest.raises(DecodeError, match="not an LDS file tag"):
        parse_by_tag(b"\x30\x00")


@pytest.mark.parametrize("name", sorted(PARSERS))
@pytest.mark.parametrize("data", [b"", b"\x00", b"\xff\xff", b"\x30\x80\x00\x00", b"\x6f\x05ab"])
def test_bad_bytes_give_only_decode_error(name: str, data: bytes) -> None:
    with pytest.raises(DecodeError):
        parse_file(name, data)


# -- objects a parser does not read are kept ----------------------------------------------------


def test_dg11_keeps_unknown_and_repeated_tags() -> None:
    other = ((0x5F60, b"a newer field"), (0x5F0E, b"SECOND<<NAME"))
    dg11 = DG11File.from_bytes(build_dg11(full_name="FIRST<<NAME", other=other))
    assert dg11.full_name == "FIRST<<NAME"
    assert dg11.other == other
    assert DG11File.from_bytes(build_dg11(full_name="X")).other == ()


def test_dg12_keeps_other_persons_template() -> None:
    persons = tlv.encode(0x02, b"\x01") + tlv.encode(0x5F1A, b"SPECIMEN<<CHILD")
    dg12 = DG12File.from_bytes(
        build_dg12(issuing_authority="UTOPIA", other=((0xA0, persons), (0x5F60, b"\x01")))
    )
    assert dg12.issuing_authority == "UTOPIA"
    assert dg12.other == ((0xA0, persons), (0x5F60, b"\x01"))
