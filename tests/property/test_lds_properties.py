"""Property tests for LDS files: builders round trip; mangled files only raise DecodeError."""

from __future__ import annotations

import contextlib
import string
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from mrtd.errors import DecodeError
from mrtd.lds import (
    COMFile,
    DG1File,
    DG2File,
    build_com,
    build_dg1,
    build_dg2,
    image_size,
    image_type,
    lds_tag_of,
    parse_face_data_block,
    parse_face_record,
)
from tests.conftest import TODAY
from tests.shared_data import shared_data_file, shared_data_path
from tests.sim_files import sim_files

MRZ_CHARS = string.ascii_uppercase + string.digits + "<"
PARSERS: dict[str, Callable[[bytes], object]] = {
    "EF.COM": COMFile.from_bytes,
    "DG1": DG1File.from_bytes,
}
BSI_NAMES = {"EF.COM": "EF_COM.bin", "DG1": "Datagroup1.bin", "DG2": "Datagroup2.bin"}
DG2_39794 = ("lds", "dg2-samples", "ICAO_39794_5_AP_DG2_AllFields.dat")
# The simulated chip's files, and the BSI specimen's and the 39794-5 sample (shared data) when
# they are present.
SAMPLES: dict[str, list[bytes]] = {
    name: [
        sim_files()[name],
        *(path.read_bytes() for path in [shared_data_file("lds", "bsi2008", bsi)] if path),
    ]
    for name, bsi in BSI_NAMES.items()
}
SAMPLES["DG2"] += [path.read_bytes() for path in [shared_data_file(*DG2_39794)] if path]


def test_the_shared_samples_are_mangled_too() -> None:
    shared_data_path("lds", "bsi2008")
    assert shared_data_path(*DG2_39794).read_bytes() in SAMPLES["DG2"]
    assert [len(SAMPLES[name]) for name in BSI_NAMES] == [2, 2, 3]


@given(
    st.lists(st.integers(1, 16), unique=True, max_size=16),
    st.text("0123456789", min_size=4, max_size=4),
    st.text("0123456789", min_size=6, max_size=6),
)
def test_com_round_trip(groups: list[int], lds: str, unicode: str) -> None:
    com = COMFile.from_bytes(build_com(groups, lds, unicode))
    assert (com.data_groups, com.lds_version, com.unicode_version) == (tuple(groups), lds, unicode)


@given(st.sampled_from([(3, 30), (2, 36), (2, 44)]), st.data())
def test_dg1_round_trip_or_decode_error(shape: tuple[int, int], data: st.DataObject) -> None:
    count, width = shape
    lines = [data.draw(st.text(MRZ_CHARS, min_size=width, max_size=width)) for _ in range(count)]
    encoded = build_dg1("\n".join(lines))
    try:
        dg1 = DG1File.from_bytes(encoded, today=TODAY)
    except DecodeError:
        return  # a shape the MRZ parser refuses by name (the old French ID card)
    assert dg1.mrz.lines == tuple(lines)


@given(st.binary(max_size=400), st.integers(1, 0xFFFF), st.integers(1, 0xFFFF))
def test_dg2_round_trip(payload: bytes, width: int, height: int) -> None:
    image = b"\xff\xd8\xff" + payload
    (face,) = DG2File.from_bytes(build_dg2(image, width, height)).faces
    assert (face.image, face.mime_type) == (image, "image/jpeg")
    assert (face.width, face.height) == (image_size(image) or (width, height))


def _mangle(data: bytes, draw: st.DataObject) -> bytes:
    mangled = bytearray(data)
    for _ in range(draw.draw(st.integers(1, 4))):
        kind = draw.draw(st.sampled_from(["flip", "cut", "insert"]))
        at = draw.draw(st.integers(0, max(len(mangled) - 1, 0)))
        if kind == "flip" and mangled:
            mangled[at] = draw.draw(st.integers(0, 255))
        elif kind == "cut":
            del mangled[at : at + draw.draw(st.integers(1, 64))]
        else:
            mangled[at:at] = draw.draw(st.binary(min_size=1, max_size=8))
    return bytes(mangled)


@settings(max_examples=300)
@given(st.sampled_from(sorted(PARSERS)), st.data())
def test_mangled_com_and_dg1_only_raise_decode_error(name: str, data: st.DataObject) -> None:
    sample = data.draw(st.sampled_from(SAMPLES[name]))
    with contextlib.suppress(DecodeError):
        PARSERS[name](_mangle(sample, data))


@settings(max_examples=100)
@given(st.sampled_from(SAMPLES["DG2"]), st.data())
def test_mangled_dg2_only_raises_decode_error(sample: bytes, data: st.DataObject) -> None:
    try:
        dg2 = DG2File.from_bytes(_mangle(sample, data))
    except DecodeError:
        return
    for face in dg2.faces:
        assert face.mime_type == image_type(face.image)


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_only_raise_decode_error(data: bytes) -> None:
    for parse in (
        COMFile.from_bytes,
        DG1File.from_bytes,
        DG2File.from_bytes,
        parse_face_record,
        parse_face_data_block,
        lds_tag_of,
    ):
        with contextlib.suppress(DecodeError):
            parse(data)
    image_type(data)
    image_size(data)
    image_size(b"\xff\xd8\xff" + data)
    image_size(bytes.fromhex("0000000C6A5020200D0A870A") + data)
    image_size(b"\xff\x4f\xff\x51" + data)
