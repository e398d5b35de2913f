"""DG5, DG6 and DG7: round trips, image types and sizes, other formats kept, malformed files."""

from __future__ import annotations

import pytest

from mrtd import tlv
from mrtd.errors import DecodeError
from mrtd.lds import (
    DG2File,
    DG5File,
    DG6File,
    DG7File,
    DisplayedImage,
    build_dg5,
    build_dg6,
    build_dg7,
)
from mrtd.lds.image import image_format, jp2_codestream
from tests.shared_data import shared_data_path
from tests.sim_files import made_jp2

# the smallest JPEG header the size reader needs: SOI, then SOF0 for 3 x 2 pixels
TINY_JPEG = bytes.fromhex("FFD8 FFE0 0004 0000 FFC0 000B 08 0002 0003 01 011100 FFD9")
WSQ = bytes.fromhex("FFA0 FFA8 0002")  # a fingerprint-style WSQ start: neither JPEG nor JP2


@pytest.fixture(params=["bsi2008", "made-here"])
def jp2(request: pytest.FixtureRequest) -> bytes:
    """A JP2 of 413 x 531: the BSI specimen's face (shared data), or headers made here."""
    if request.param == "made-here":
        return made_jp2(413, 531)
    dg2 = shared_data_path("lds", "bsi2008", "Datagroup2.bin").read_bytes()
    return DG2File.from_bytes(dg2).faces[0].image


def test_dg5_round_trip_with_jpeg_and_jpeg2000(jp2: bytes) -> None:
    data = build_dg5([TINY_JPEG, jp2])
    assert data[0] == 0x65
    dg5 = DG5File.from_bytes(data)
    assert dg5.images == (
        DisplayedImage(TINY_JPEG, "image/jpeg", 3, 2),
        DisplayedImage(jp2, "image/jp2", 413, 531),
    )
    assert dg5.other == ()
    assert build_dg5(image.image for image in dg5.images) == data


def test_dg7_signature_uses_5f43() -> None:
    data = build_dg7([TINY_JPEG])
    outer = tlv.decode_one(data)
    assert outer.tag == 0x67
    assert outer.require(0x5F43).value == TINY_JPEG
    assert DG7File.from_bytes(data).images[0].mime_type == "image/jpeg"


def test_dg6_reads_like_dg5() -> None:
    dg6 = DG6File.from_bytes(build_dg6([TINY_JPEG]))
    assert dg6.images == (DisplayedImage(TINY_JPEG, "image/jpeg", 3, 2),)


def test_other_formats_are_kept_without_type() -> None:
    (image,) = DG7File.from_bytes(build_dg7([WSQ])).images
    assert image == DisplayedImage(WSQ, None, None, None)
    assert repr(image) == "DisplayedImage(unknown type, size unknown, 6 bytes)"


def test_unknown_objects_are_kept() -> None:
    other = ((0x5F43, b"a signature in DG5"), (0x53, b"\x01"))
    dg5 = DG5File.from_bytes(build_dg5([TINY_JPEG], other=other))
    assert dg5.other == other
    assert len(dg5.images) == 1


def test_empty_group() -> None:
    assert DG5File.from_bytes(build_dg5([])).images == ()


def test_repr_has_no_image_bytes() -> None:
    dg5 = DG5File.from_bytes(build_dg5([TINY_JPEG + b"SECRET"]))
    assert repr(dg5) == "DG5File(1 image(s))"
    assert repr(dg5.images[0]) == "DisplayedImage(image/jpeg, 3x2, 29 bytes)"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (build_dg7([TINY_JPEG]), "DG5 must have tag 65, not 67"),
        (tlv.encode(0x65, tlv.encode(0x5F40, TINY_JPEG)), "number of instances"),
        (tlv.encode(0x65, tlv.encode(0x02, b"\x02") + tlv.encode(0x5F40, b"")), "does not match"),
        (tlv.encode(0x65, tlv.encode(0x02, b"")), "does not match"),
        (build_dg5([TINY_JPEG])[:-1], "runs"),
        (build_dg5([TINY_JPEG]) + b"\x00", "trailing"),
        (b"", "no data"),
    ],
)
def test_malformed(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        DG5File.from_bytes(data)


def test_builder_limit() -> None:
    with pytest.raises(ValueError, match="255"):
        build_dg5([TINY_JPEG] * 256)


def test_image_format_names_the_stored_form(jp2: bytes) -> None:
    codestream = jp2_codestream(jp2)
    assert codestream is not None
    assert codestream.startswith(b"\xff\x4f\xff\x51")
    assert [image_format(d) for d in (TINY_JPEG, jp2, codestream, WSQ, b"")] == [
        "jpeg",
        "jp2",
        "j2k",
        None,
        None,
    ]
    assert jp2_codestream(codestream) is None  # not a JP2 file
    assert jp2_codestream(jp2[: jp2.index(b"jp2c")]) is None  # cut before the codestream box
