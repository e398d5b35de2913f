"""Decoding and saving face and displayed images with OpenCV: real samples (shared data), a
JPEG and a JPEG 2000 made here, byte-exact saves, re-encoding, decompression bombs and
undecodable data."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

import pytest

from mrtd.errors import DecodeError, OptionalDependencyError
from mrtd.lds import (
    DG2File,
    DisplayedImage,
    FaceImage,
    build_dg2,
    decode_image,
    parse_face_record,
    save_image,
)
from mrtd.lds.image import jp2_codestream
from mrtd.lds.image_decode import MAX_PIXELS, declared_size
from tests.shared_data import shared_data_path

cv2 = pytest.importorskip("cv2", reason="the mrtd[image] extra is not installed")
np = pytest.importorskip("numpy")

JP2_DG2 = ["bsi2008/Datagroup2.bin", "bsi-dataset-2/Datagroup2.bin"]
DG2_39794 = "dg2-samples/ICAO_39794_5_AP_DG2_AllFields.dat"
MADE = "made-here"  # a DG2 made here around a JP2 that OpenCV encodes, 413 x 531 like BSI's
JP2_SOURCES = [JP2_DG2[0], MADE]
# a JPEG header that declares 3 x 2 pixels and carries no scan
TINY_JPEG = bytes.fromhex("FFD8 FFE0 0004 0000 FFC0 000B 08 0002 0003 01 011100 FFD9")


def _face(path: str) -> FaceImage:
    """The face of a shared DG2 file (`path` under lds/), or of the DG2 made here (MADE)."""
    if path == MADE:
        data = build_dg2(_made_jp2(), 413, 531)
    else:
        data = shared_data_path("lds", *path.split("/")).read_bytes()
    (face,) = DG2File.from_bytes(data).faces
    return face


def _jp2(source: str = JP2_DG2[0]) -> bytes:
    return _face(source).image


@cache
def _made_jp2() -> bytes:
    """A 413 x 531 JP2 file of a gradient with some noise, encoded by OpenCV."""
    rows, columns = np.mgrid[0:531, 0:413]
    noise = np.random.default_rng(9303).integers(0, 64, (531, 413))
    gray = ((rows + columns) // 4 + noise).astype(np.uint8)
    ok, encoded = cv2.imencode(".jp2", cv2.merge([gray, gray // 2, 255 - gray]))
    assert ok
    return bytes(encoded.tobytes())


def _jpeg(width: int = 64, height: int = 48) -> bytes:
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[:, : width // 2] = (255, 0, 0)  # left half blue (BGR)
    ok, encoded = cv2.imencode(".jpg", pixels)
    assert ok
    return bytes(encoded.tobytes())


@pytest.mark.parametrize("path", [*JP2_DG2, DG2_39794, MADE])
def test_jpeg2000_faces_decode(path: str) -> None:
    face = _face(path)
    pixels = face.decode()
    assert pixels.shape == (531, 413, 3)  # H x W x BGR: the image header's 413 x 531
    assert pixels.dtype == np.uint8
    assert (face.width, face.height) == (413, 531)


def test_bare_19794_5_record_jpeg_decodes() -> None:
    record = shared_data_path("lds", "dg2-samples", "ISO19794_Test1_Data.bin").read_bytes()
    (face,) = parse_face_record(record)
    assert face.decode().shape == (70, 148, 3)


@pytest.mark.parametrize("source", JP2_SOURCES)
def test_bare_codestream_decodes_like_its_jp2(source: str) -> None:
    jp2 = _jp2(source)
    codestream = jp2_codestream(jp2)
    assert codestream is not None
    assert codestream.startswith(b"\xff\x4f\xff\x51")
    assert np.array_equal(decode_image(codestream), decode_image(jp2))


def test_jpeg_made_here_decodes() -> None:
    pixels = decode_image(_jpeg())
    assert pixels.shape == (48, 64, 3)
    assert tuple(pixels[24, 5]) == pytest.approx((255, 0, 0), abs=8)
    assert tuple(pixels[24, 60]) == pytest.approx((0, 0, 0), abs=8)


@pytest.mark.parametrize(
    ("suffix", "source"),
    [
        (".jpg", "jpeg"),
        (".JPEG", "jpeg"),
        (".jp2", "jp2"),
        (".j2c", "j2k"),
        (".jp2", "jp2-made"),
        (".j2c", "j2k-made"),
    ],
)
def test_save_in_the_stored_format_is_byte_exact(tmp_path: Path, suffix: str, source: str) -> None:
    if source == "jpeg":
        data = _jpeg()
    else:
        jp2 = _jp2(MADE if source.endswith("-made") else JP2_DG2[0])
        data = jp2 if source.startswith("jp2") else jp2_codestream(jp2) or b""
    written = save_image(data, tmp_path / f"face{suffix}")
    assert written == tmp_path / f"face{suffix}"
    assert written.read_bytes() == data


@pytest.mark.parametrize("source", JP2_SOURCES)
def test_jp2_saved_as_codestream_keeps_the_codestream(tmp_path: Path, source: str) -> None:
    written = save_image(_jp2(source), tmp_path / "face.j2k")
    assert written.read_bytes() == jp2_codestream(_jp2(source))


@pytest.mark.parametrize("path", [DG2_39794, MADE])
@pytest.mark.parametrize("suffix", [".png", ".bmp", ".tif"])
def test_save_reencodes_other_formats(tmp_path: Path, suffix: str, path: str) -> None:
    written = _face(path).save(tmp_path / f"face{suffix}")
    read_back = cv2.imread(str(written))
    assert read_back.shape == (531, 413, 3)


def test_png_is_lossless(tmp_path: Path) -> None:
    jpeg = _jpeg()
    written = save_image(jpeg, tmp_path / "face.png")
    assert written.read_bytes().startswith(b"\x89PNG")
    assert np.array_equal(cv2.imread(str(written)), decode_image(jpeg))


@pytest.mark.parametrize("source", JP2_SOURCES)
def test_cross_format_saves(tmp_path: Path, source: str) -> None:
    as_jpeg = save_image(_jp2(source), tmp_path / "face.jpg").read_bytes()
    assert as_jpeg.startswith(b"\xff\xd8\xff")
    assert decode_image(as_jpeg).shape == (531, 413, 3)
    as_codestream = save_image(_jpeg(), tmp_path / "face.j2k").read_bytes()
    assert as_codestream.startswith(b"\xff\x4f\xff\x51")
    assert decode_image(as_codestream).shape == (48, 64, 3)
    as_jp2 = save_image(as_codestream, tmp_path / "face.jp2").read_bytes()
    assert decode_image(as_jp2).shape == (48, 64, 3)


def test_displayed_image_decode_and_save(tmp_path: Path) -> None:
    image = DisplayedImage.from_image(_jpeg())
    assert image.decode().shape == (48, 64, 3)
    assert image.save(tmp_path / "portrait.jpeg").read_bytes() == image.image
    other = DisplayedImage.from_image(b"GIF89a....")
    with pytest.raises(DecodeError, match="neither JPEG nor JPEG 2000"):
        other.decode()


def test_unknown_suffix_is_a_value_error(tmp_path: Path) -> None:
    for name in ("face.txt", "face", "face.gif"):
        with pytest.raises(ValueError, match="suffix"):
            save_image(_jpeg(), tmp_path / name)
    assert not list(tmp_path.iterdir())


def test_decompression_bombs_are_refused_before_decoding(tmp_path: Path) -> None:
    bomb = TINY_JPEG.replace(b"\x00\x02\x00\x03", (60000).to_bytes(2, "big") * 2)
    assert declared_size(TINY_JPEG) == (3, 2)
    with pytest.raises(DecodeError, match="60000x60000 is over the limit"):
        decode_image(bomb)
    with pytest.raises(DecodeError, match="over the limit"):
        save_image(bomb, tmp_path / "bomb.png")
    tall = TINY_JPEG.replace(b"\x00\x02\x00\x03", (20000).to_bytes(2, "big") + b"\x00\x01")
    with pytest.raises(DecodeError, match="over the limit"):
        decode_image(tall)  # only 20000 pixels, but one side over 16384
    assert MAX_PIXELS < 60000 * 60000


@pytest.mark.parametrize("source", JP2_SOURCES)
def test_jp2_whose_codestream_lies_about_its_size_is_refused(source: str) -> None:
    jp2 = _jp2(source)
    codestream = jp2_codestream(jp2) or b""
    start = jp2.index(codestream)
    huge = (60000).to_bytes(4, "big") * 2  # Xsiz, Ysiz
    bomb = jp2[: start + 8] + huge + jp2[start + 16 :]
    assert declared_size(jp2) == (413, 531)
    with pytest.raises(DecodeError, match="JPEG 2000 \\(JP2 file\\): declared size 60000x60000"):
        decode_image(bomb)  # its 'ihdr' still says 413 x 531
    with pytest.raises(DecodeError, match="codestream: declared size 60000x60000"):
        decode_image(codestream[:8] + huge + codestream[16:])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "neither JPEG nor JPEG 2000"),
        (b"\x89PNG\r\n\x1a\n" + bytes(30), "neither JPEG nor JPEG 2000"),
        (b"\xff\xd8\xff\xd9", "JPEG: no readable image size"),
        (TINY_JPEG, "JPEG: the image data cannot be decoded"),
        (b"\xff\x4f\xff\x51" + bytes(60), "codestream: no readable image size"),
    ],
)
def test_undecodable_data(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        decode_image(data)


@pytest.mark.parametrize("source", JP2_SOURCES)
def test_truncated_jpeg2000_is_a_decode_error(source: str) -> None:
    jp2 = _jp2(source)
    with pytest.raises(DecodeError, match="JP2 file"):
        decode_image(jp2[:400])


def test_missing_extra_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cv2", None)  # import cv2 now raises ImportError
    with pytest.raises(OptionalDependencyError, match=r"pip install 'mrtd\[image\]'"):
        decode_image(TINY_JPEG)
