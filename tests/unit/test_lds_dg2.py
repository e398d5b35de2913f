"""DG2 and its face records: 19794-5 and 39794-5 samples, the builder, malformed records."""

from __future__ import annotations

import pytest

from mrtd import tlv
from mrtd.errors import DecodeError
from mrtd.lds import (
    DG2File,
    FaceImage,
    build_dg2,
    build_face_record,
    image_size,
    image_type,
    parse_face_data_block,
    parse_face_record,
)
from mrtd.lds.face import ISO_19794_5, ISO_39794_5
from tests.conftest import ROOT
from tests.shared_data import shared_data_path
from tests.sim_files import made_jp2

FACE_JPG = ROOT / "src" / "mrtd" / "sim" / "data" / "face.jpg"
JP2_MAGIC = bytes.fromhex("0000000C6A5020200D0A870A")
# the smallest JPEG header the size reader needs: SOI, then SOF0 for 3 x 2 pixels
TINY_JPEG = bytes.fromhex("FFD8 FFE0 0004 0000 FFC0 000B 08 0002 0003 01 011100 FFD9")


@pytest.mark.parametrize("folder", ["bsi2008", "bsi-dataset-2"])
def test_bsi_specimen(folder: str) -> None:
    dg2 = DG2File.from_bytes(shared_data_path("lds", folder, "Datagroup2.bin").read_bytes())
    (face,) = dg2.faces
    assert face.mime_type == "image/jp2"
    assert face.image.startswith(JP2_MAGIC)
    assert len(face.image) == 14_999
    assert (face.width, face.height) == (413, 531)  # from the JP2 header (the record says 337x449)
    assert face.standard == ISO_19794_5


def test_39794_5_sample() -> None:
    dg2 = DG2File.from_bytes(
        shared_data_path("lds", "dg2-samples", "ICAO_39794_5_AP_DG2_AllFields.dat").read_bytes()
    )
    (face,) = dg2.faces
    assert (face.mime_type, face.standard) == ("image/jp2", ISO_39794_5)
    assert face.image.startswith(JP2_MAGIC)
    assert len(face.image) == 15_000
    assert (face.width, face.height) == (413, 531)


def test_19794_5_bare_record() -> None:
    record = shared_data_path("lds", "dg2-samples", "ISO19794_Test1_Data.bin").read_bytes()
    (face,) = parse_face_record(record)
    assert face.mime_type == "image/jpeg"
    assert face.image.startswith(b"\xff\xd8\xff")
    assert (face.width, face.height) == (148, 70)


def test_repr_has_no_image_bytes() -> None:
    face = FaceImage(b"\xff\xd8\xff" + b"SECRET" * 10, "image/jpeg", 480, 640)
    assert repr(face) == "FaceImage(image/jpeg, 480x640, 63 bytes, ISO/IEC 19794-5)"
    assert repr(DG2File((face,))) == "DG2File(1 face(s))"


def test_build_then_parse_simulator_face() -> None:
    jpeg = FACE_JPG.read_bytes()
    assert 15_000 < len(jpeg) < 25_000
    assert image_size(jpeg) == (480, 640)
    data = build_dg2(jpeg, 480, 640)
    (face,) = DG2File.from_bytes(data).faces
    assert face == FaceImage(jpeg, "image/jpeg", 480, 640, ISO_19794_5)
    template = tlv.decode_one(data).require(0x7F61).require(0x7F60)
    header = template.require(0xA1)
    assert header.require(0x87).value == b"\x01\x01"
    assert header.require(0x88).value == b"\x00\x08"


def test_build_record_layout() -> None:
    record = build_face_record(TINY_JPEG, 3, 2)
    assert record[:8] == b"FAC\x00010\x00"
    assert int.from_bytes(record[8:12], "big") == len(record)
    assert record[12:14] == b"\x00\x01"
    assert int.from_bytes(record[14:18], "big") == len(record) - 14
    info = record[34:46]
    assert info[:6] == bytes.fromhex("01 00 0003 0002")  # full frontal, JPEG, 3 x 2
    assert record[46:] == TINY_JPEG


def test_build_with_jpeg2000(block_39794: bytes) -> None:
    jp2 = parse_face_data_block(block_39794)[0].image
    (face,) = DG2File.from_bytes(build_dg2(jp2, 413, 531)).faces
    assert (face.mime_type, face.width, face.height) == ("image/jp2", 413, 531)
    assert build_face_record(jp2, 413, 531)[35] == 1  # image data type JPEG 2000


@pytest.mark.parametrize(
    ("image", "width", "height", "message"),
    [(b"GIF89a", 1, 1, "JPEG"), (TINY_JPEG, 0, 1, "1..65535"), (TINY_JPEG, 1, 65536, "1..65535")],
)
def test_build_refuses(image: bytes, width: int, height: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_dg2(image, width, height)


def test_record_sizes_fall_back_to_declared_when_image_header_unreadable() -> None:
    odd_jpeg = b"\xff\xd8\xff\xe0\x00"  # a JPEG start without a frame header
    (face,) = parse_face_record(build_face_record(odd_jpeg, 10, 20))
    assert (face.width, face.height) == (10, 20)


def test_image_sniffing() -> None:
    assert image_type(TINY_JPEG) == "image/jpeg"
    assert image_size(TINY_JPEG) == (3, 2)
    codestream = bytes.fromhex("FF4F FF51 0029 0000 00000200 00000100 00000000 00000000")
    assert image_type(codestream) == "image/jp2"
    assert image_size(codestream) == (512, 256)
    assert image_type(b"\x89PNG\r\n") is None
    assert image_size(b"\x89PNG\r\n") is None
    assert image_size(b"\xff\xd8\xff") is None
    assert image_size(JP2_MAGIC) is None


# -- malformed ------------------------------------------------------------------------------


def _record(**changes: bytes) -> bytes:
    record = bytearray(build_face_record(TINY_JPEG, 3, 2))
    for name, value in changes.items():
        start = {"magic": 0, "version": 4, "count": 12, "block": 14, "points": 18, "type": 34}[name]
        record[start : start + len(value)] = value
    return bytes(record)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (b"FAC\x00010", "shorter than its 14-byte header"),
        (_record(magic=b"FIR\x00"), "format identifier"),
        (_record(version=b"030\x00"), "unsupported 19794-5 version"),
        (_record(count=b"\x00\x00"), "no facial image"),
        (_record(count=b"\x00\x02"), "facial block 2 at offset .* is truncated"),
        (_record(block=b"\x00\x00\x00\x10"), "shorter than its headers"),
        (_record(block=b"\x7f\xff\xff\xff"), "runs past the end"),
        (_record(points=b"\x00\x05"), "shorter than its headers"),
        (_record() + b"\x00", "1 byte.s. after the last"),
        (build_face_record(TINY_JPEG, 3, 2)[:40], "truncated"),
    ],
)
def test_malformed_19794_record(record: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        parse_face_record(record)


def test_record_with_unknown_image_is_refused() -> None:
    record = bytearray(build_face_record(TINY_JPEG, 3, 2))
    record[46:49] = b"GIF"
    with pytest.raises(DecodeError, match="neither JPEG nor JPEG 2000"):
        parse_face_record(bytes(record))


def _dg2(*templates: bytes, count: int | None = None) -> bytes:
    n = len(templates) if count is None else count
    group = tlv.encode(0x02, bytes([n])) + b"".join(templates)
    return tlv.encode(0x75, tlv.encode(0x7F61, group))


def _template(block: bytes, tag: int = 0x5F2E) -> bytes:
    return tlv.encode(0x7F60, tlv.encode(0xA1, tlv.encode(0x81, b"\x02")) + tlv.encode(tag, block))


def _sample_39794_block() -> bytes:
    """The 7F2E block of the ICAO 39794-5 sample DG2 (shared data)."""
    path = shared_data_path("lds", "dg2-samples", "ICAO_39794_5_AP_DG2_AllFields.dat")
    dg2 = tlv.decode_one(path.read_bytes(), max_depth=32)
    return dg2.require(0x7F61).require(0x7F60).require(0x7F2E).value


def _made_39794_block() -> bytes:
    """A 7F2E block made here like the sample's: one base 2D representation holding a JP2 of
    413 x 531 whose imageSizeBlock says 572 x 731 (the image's own header wins)."""
    size = tlv.encode(0xA7, tlv.encode(0x80, b"\x02\x3c") + tlv.encode(0x81, b"\x02\xdb"))
    info = tlv.encode(0xA1, tlv.encode(0xA0, tlv.encode(0x80, b"\x01")) + size)
    base = tlv.encode(0xA0, tlv.encode(0xA0, tlv.encode(0x80, made_jp2(413, 531)) + info))
    return tlv.encode(0xA1, _representation(base))


@pytest.fixture(params=["sample", "made-here"])
def block_39794(request: pytest.FixtureRequest) -> bytes:
    return _sample_39794_block() if request.param == "sample" else _made_39794_block()


def test_made_39794_block_reads_like_the_sample() -> None:
    (face,) = parse_face_data_block(_made_39794_block())
    assert (face.mime_type, face.standard, face.width, face.height) == (
        "image/jp2",
        ISO_39794_5,
        413,
        531,
    )
    (face,) = DG2File.from_bytes(_dg2(_template(_made_39794_block(), 0x7F2E))).faces
    assert face.image == made_jp2(413, 531)


def test_two_faces(block_39794: bytes) -> None:
    record = build_face_record(TINY_JPEG, 3, 2)
    dg2 = DG2File.from_bytes(_dg2(_template(record), _template(block_39794, 0x7F2E)))
    assert [f.standard for f in dg2.faces] == [ISO_19794_5, ISO_39794_5]


def test_bare_39794_block_without_dg2_wrapper(block_39794: bytes) -> None:
    inner = tlv.decode_one(block_39794, max_depth=32).require(0x65).encode()
    assert parse_face_data_block(inner)[0].mime_type == "image/jp2"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (tlv.encode(0x61, b""), "tag 75, not 61"),
        (tlv.encode(0x75, b""), "7F61 missing"),
        (_dg2(count=0), "count does not match its 0"),
        (_dg2(_template(build_face_record(TINY_JPEG, 3, 2)), count=2), "count does not match"),
        (
            _dg2(tlv.encode(0x7F60, tlv.encode(0x5F2E, build_face_record(TINY_JPEG, 3, 2)))),
            "A1 missing inside tag 7F60",
        ),
        (_dg2(tlv.encode(0x7F60, tlv.encode(0xA1, b""))), "no biometric data block"),
        (_dg2(_template(b"FAC\x00")), "shorter than its 14-byte header"),
        (_dg2(_template(tlv.encode(0x30, b""))), "not a 39794-5 FaceImageDataBlock"),
        (_dg2(_template(tlv.encode(0x65, tlv.encode(0xA1, b"")))), "no representation"),
        (build_dg2(TINY_JPEG, 3, 2)[:-1], "runs 1 byte"),
    ],
)
def test_malformed_dg2(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        DG2File.from_bytes(data)


def _representation(image_2d: bytes) -> bytes:
    rep = tlv.encode(0x80, b"\x00") + tlv.encode(0xA1, image_2d)
    return tlv.encode(0x65, tlv.encode(0xA1, tlv.encode(0x30, rep)))


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (_representation(tlv.encode(0xA1, b"")), "only the base 2D image representation"),
        (_representation(tlv.encode(0xA0, tlv.encode(0xA0, b""))), "tag 80 missing"),
        (
            _representation(tlv.encode(0xA0, tlv.encode(0xA0, tlv.encode(0x80, TINY_JPEG)))),
            "tag A1 missing",
        ),
        (
            _representation(
                tlv.encode(
                    0xA0,
                    tlv.encode(
                        0xA0,
                        tlv.encode(0x80, TINY_JPEG)
                        + tlv.encode(0xA1, tlv.encode(0xA7, tlv.encode(0x80, b"\xff"))),
                    ),
                )
            ),
            "tag A0 missing",
        ),
        (
            _representation(
                tlv.encode(
                    0xA0,
                    tlv.encode(
                        0xA0,
                        tlv.encode(0x80, TINY_JPEG)
                        + tlv.encode(
                            0xA1,
                            tlv.encode(0xA0, tlv.encode(0x80, b"\x02"))
                            + tlv.encode(0xA7, tlv.encode(0x80, b"\xff") + tlv.encode(0x81, b"")),
                        ),
                    ),
                )
            ),
            "integer out of range",
        ),
    ],
)
def test_malformed_39794_block(block: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        parse_face_data_block(block)


def test_shared_files_exist() -> None:
    lds = shared_data_path("lds")
    names = {p.relative_to(lds).as_posix() for p in lds.rglob("*") if p.is_file()}
    assert {"dg2-samples/ICAO_39794_5_AP_DG2_AllFields.dat", "bsi2008/Datagroup2.bin"} <= names
    assert "lds/dg2-samples/" in (lds.parent / "PROVENANCE.md").read_text()
