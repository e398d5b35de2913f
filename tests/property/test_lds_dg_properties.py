"""Property tests for DG3-DG16, the registry and image decoding: builders round trip; arbitrary,
mangled, lying or deeply nested bytes give a result or DecodeError, never anything else."""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from functools import cache

import pytest
from asn1crypto import keys
from hypothesis import given, settings
from hypothesis import strategies as st

from mrtd import tlv
from mrtd.crypto.domains import CURVES, ECCurve
from mrtd.crypto.spki import DomainEncoding, encode_public_key
from mrtd.errors import DecodeError
from mrtd.lds import (
    LDS_FILES,
    PARSERS,
    BiometricHeader,
    BiometricRecord,
    DG2File,
    DG3File,
    DG4File,
    DG5File,
    DG6File,
    DG7File,
    DG11File,
    DG12File,
    DG13File,
    DG15File,
    DG16File,
    PersonToNotify,
    build_dg3,
    build_dg4,
    build_dg5,
    build_dg6,
    build_dg7,
    build_dg11,
    build_dg12,
    build_dg13,
    build_dg15,
    build_dg16,
    parse_file,
)
from mrtd.lds.image import image_format, jp2_codestream
from mrtd.sim.files import face_jpeg
from tests.shared_data import shared_data_file, shared_data_path
from tests.sim_files import sim_files

TINY_JPEG = bytes.fromhex("FFD8 FFE0 0004 0000 FFC0 000B 08 0002 0003 01 011100 FFD9")
_CURVE = next(c for c in CURVES if c.name == "brainpoolP256r1")
_FINGER = BiometricHeader(0x08, 0x09, 0x0101, 0x0007, creation_time=datetime(2024, 1, 2, 3, 4))
_IRIS = BiometricHeader(0x10, 0x01, 0x0101, 0x0009, validity_period=("20240101", "20340101"))
BSI = shared_data_file("lds", "bsi2008")  # the BSI specimen's files, when the shared data is here
# Named "<file>" or "<file>-<variant>": the part before "-" names the parser.
SAMPLES: dict[str, bytes] = {
    # DG3 and DG4 records made here, in the layout of 19794-4 and 19794-6 (FIR, IIR)
    "DG3": build_dg3([BiometricRecord(_FINGER, b"FIR\x00010\x00" + bytes(24))] * 2),
    "DG4": build_dg4([BiometricRecord(_IRIS, b"IIR\x00010\x00" + bytes(20))]),
    "DG5": build_dg5([TINY_JPEG, b"\x00\x00\x00\x0cjP  "], other=((0x53, b"x"),)),
    "DG7": build_dg7([TINY_JPEG]),
    "DG13": build_dg13(tlv.encode(0x5F01, b"issuer")),
    "DG14": sim_files()["DG14"],  # the simulated chip's: CA and AA infos
    "DG15": sim_files()["DG15"],  # RSA-2048
    "DG16": build_dg16([PersonToNotify("SPECIMEN<<A", "1", ("X", "Y"), "20240131")]),
    # an EC key with explicit parameters, so that mangling reaches that parser too
    "DG15-EC": build_dg15(encode_public_key(_CURVE, DomainEncoding.EXPLICIT, _CURVE.generator)),
}
if BSI is not None:
    _DG3 = DG3File.from_bytes((BSI / "Datagroup3.bin").read_bytes())
    SAMPLES |= {
        # DG3 with its data blocks cut short, to keep the samples small
        "DG3-BSI": build_dg3(BiometricRecord(r.header, r.data[:300]) for r in _DG3.records),
        "DG4-BSI": (BSI / "Datagroup4.bin").read_bytes(),
        "DG14-BSI": (BSI / "Datagroup14.bin").read_bytes(),  # explicit brainpoolP224r1
        "DG15-BSI": (BSI / "Datagroup15.bin").read_bytes(),  # a negative RSA modulus
    }
# Face images of the shared data (JPEG 2000), when present; the test adds images made here.
IMAGES = [
    DG2File.from_bytes(path.read_bytes()).faces[0].image
    for path in (
        shared_data_file("lds", "bsi2008", "Datagroup2.bin"),
        shared_data_file("lds", "dg2-samples", "ICAO_39794_5_AP_DG2_AllFields.dat"),
    )
    if path is not None
]
IMAGES += [jp2_codestream(IMAGES[0]) or b""] if IMAGES else []  # the bare JPEG 2000 codestream
MADE_IMAGES = 3  # the simulated chip's JPEG face, a JP2 OpenCV makes, and its codestream
# the outer tag of each file: a SET for EF.CardAccess, a SEQUENCE (CMS) for EF.CardSecurity
OUTER_TAGS = {
    name: LDS_FILES[name].tag or (0x31 if name == "EF.CardAccess" else 0x30) for name in PARSERS
}
OPAQUE = {"DG8", "DG9", "DG10", "DG13"}


def _mangle(data: bytes, draw: st.DataObject) -> bytes:
    """Flip, cut, insert, or make a length byte lie by a little."""
    mangled = bytearray(data)
    for _ in range(draw.draw(st.integers(1, 4))):
        kind = draw.draw(st.sampled_from(["flip", "cut", "insert", "lie"]))
        at = draw.draw(st.integers(0, max(len(mangled) - 1, 0)))
        if kind == "flip" and mangled:
            mangled[at] = draw.draw(st.integers(0, 255))
        elif kind == "cut":
            del mangled[at : at + draw.draw(st.integers(1, 64))]
        elif kind == "lie" and mangled:
            mangled[at] = (mangled[at] + draw.draw(st.sampled_from([-2, -1, 1, 2, 0x40]))) % 256
        else:
            mangled[at:at] = draw.draw(st.binary(min_size=1, max_size=8))
    return bytes(mangled)


# -- hostile bytes ------------------------------------------------------------------------------


@settings(max_examples=400)
@given(st.sampled_from(sorted(SAMPLES)), st.data())
def test_mangled_files_only_raise_decode_error(name: str, data: st.DataObject) -> None:
    try:
        parsed = parse_file(name.partition("-")[0], _mangle(SAMPLES[name], data))
    except DecodeError:
        return
    if isinstance(parsed, DG15File):
        with contextlib.suppress(DecodeError):
            parsed.public_key()


@settings(max_examples=300)
@given(st.sampled_from(sorted(PARSERS)), st.binary(max_size=300), st.booleans())
def test_arbitrary_bytes_only_raise_decode_error(name: str, body: bytes, wrap: bool) -> None:
    data = tlv.encode(OUTER_TAGS[name], body) if wrap else body  # past the outer tag check
    with contextlib.suppress(DecodeError):
        parse_file(name, data)
    image_format(body)
    jp2_codestream(bytes.fromhex("0000000C6A5020200D0A870A") + body)


@settings(max_examples=200)
@given(st.sampled_from(sorted(PARSERS)), st.integers(1, 80), st.sampled_from([0x30, 0xA1, 0x7F60]))
def test_deep_nesting(name: str, depth: int, tag: int) -> None:
    nested = b"\x01"
    for _ in range(depth):
        nested = tlv.encode(tag, nested)
    data = tlv.encode(OUTER_TAGS[name], tlv.encode(0x02, b"\x01") + nested)
    try:
        parse_file(name, data)
    except DecodeError:
        return
    assert depth <= 40 or name in OPAQUE  # no structured parser accepts 40 levels


# -- round trips --------------------------------------------------------------------------------

_bcd_dates = st.dates(date(1900, 1, 1), date(2099, 12, 31)).map(lambda d: d.strftime("%Y%m%d"))
_headers = st.builds(
    BiometricHeader,
    biometric_type=st.none() | st.integers(0, (1 << 24) - 1),
    biometric_subtype=st.none() | st.integers(0, 255),
    format_owner=st.none() | st.integers(0, 0xFFFF),
    format_type=st.none() | st.integers(0, 0xFFFF),
    version=st.none() | st.binary(max_size=4),
    creation_time=st.none()
    | st.datetimes(datetime(1000, 1, 1), datetime(9999, 12, 31)).map(
        lambda t: t.replace(microsecond=0)
    ),
    validity_period=st.none() | st.tuples(_bcd_dates, _bcd_dates),
    creator=st.none() | st.binary(max_size=4),
    other=st.lists(st.tuples(st.integers(0x89, 0x9E), st.binary(max_size=8)), max_size=3).map(
        tuple
    ),
)
_kept = st.lists(
    st.tuples(st.sampled_from([0x53, 0x5F60, 0x5F7E]), st.binary(min_size=1, max_size=8)),
    max_size=3,
).map(tuple)
_records = st.builds(
    BiometricRecord,
    header=_headers,
    data=st.binary(max_size=64) | st.binary(max_size=40).map(lambda b: b"FIR\x00010\x00" + b),
    other=_kept,
)


@given(st.lists(_records, max_size=4), _kept, st.booleans())
def test_dg3_dg4_round_trip(
    records: list[BiometricRecord], other: tuple[tuple[int, bytes], ...], iris: bool
) -> None:
    build, kind = (build_dg4, DG4File) if iris else (build_dg3, DG3File)
    data = build(records, other)
    parsed = kind.from_bytes(data)
    assert (parsed.records, parsed.other) == (tuple(records), other)
    assert build(parsed.records, parsed.other) == data


@given(st.lists(st.binary(max_size=64), max_size=5), _kept, st.sampled_from([5, 6, 7]))
def test_displayed_images_round_trip(
    images: list[bytes], other: tuple[tuple[int, bytes], ...], number: int
) -> None:
    build, kind = {5: (build_dg5, DG5File), 6: (build_dg6, DG6File), 7: (build_dg7, DG7File)}[
        number
    ]
    parsed = kind.from_bytes(build(images, other))
    assert [image.image for image in parsed.images] == images
    assert parsed.other == other


@given(st.binary(max_size=200))
def test_dg13_round_trip(content: bytes) -> None:
    assert DG13File.from_bytes(build_dg13(content)).content == content


@given(st.sampled_from(CURVES), st.sampled_from([DomainEncoding.NAMED, DomainEncoding.EXPLICIT]))
def test_dg15_ec_round_trip(curve: ECCurve, encoding: DomainEncoding) -> None:
    spki = encode_public_key(curve, encoding, curve.generator)
    dg15 = DG15File.from_bytes(build_dg15(spki))
    assert (dg15.algorithm, dg15.curve) == ("EC", curve)
    assert dg15.key_size == curve.p.bit_length()
    assert dg15.public_key_info.dump() == spki


@given(st.integers(512, 4096).flatmap(lambda bits: st.integers(1 << (bits - 1), (1 << bits) - 1)))
def test_dg15_rsa_round_trip(modulus: int) -> None:
    spki = keys.PublicKeyInfo(
        {
            "algorithm": {"algorithm": "rsa"},
            "public_key": keys.RSAPublicKey({"modulus": modulus | 1, "public_exponent": 65537}),
        }
    ).dump()
    dg15 = DG15File.from_bytes(build_dg15(spki))
    assert (dg15.algorithm, dg15.key_size, dg15.negative_modulus) == (
        "RSA",
        modulus.bit_length(),
        False,
    )
    assert dg15.to_bytes() == build_dg15(spki)


_line = st.text(st.characters(codec="utf-8", exclude_characters="<"), min_size=1, max_size=12)
_persons = st.builds(
    PersonToNotify,
    name=st.text(max_size=20),
    telephone=st.text(max_size=12),
    address=st.lists(_line, max_size=3).map(tuple),
    date_recorded_text=st.just("") | _bcd_dates,
    other=_kept,
)


@given(st.lists(_persons, max_size=5), _kept)
def test_dg16_round_trip(
    persons: list[PersonToNotify], other: tuple[tuple[int, bytes], ...]
) -> None:
    data = build_dg16(persons, other)
    parsed = DG16File.from_bytes(data)
    assert (parsed.persons, parsed.other) == (tuple(persons), other)
    assert build_dg16(parsed.persons, parsed.other) == data


@given(_kept)
def test_dg11_dg12_keep_other(other: tuple[tuple[int, bytes], ...]) -> None:
    assert DG11File.from_bytes(build_dg11(full_name="A<<B", other=other)).other == other
    assert DG12File.from_bytes(build_dg12(issuing_authority="X", other=other)).other == other


# -- images ---------------------------------------------------------------------------------------


def test_the_bsi_samples_are_mangled_too() -> None:
    shared_data_path("lds", "bsi2008")
    shared_data_path("lds", "dg2-samples")
    assert {"DG3-BSI", "DG4-BSI", "DG14-BSI", "DG15-BSI"} <= set(SAMPLES)
    assert len(IMAGES) == 3


@cache
def _made_jp2() -> bytes:
    cv2 = pytest.importorskip("cv2")
    np = pytest.importorskip("numpy")
    rows, columns = np.mgrid[0:160, 0:120]
    ok, encoded = cv2.imencode(".jp2", ((rows * 3 + columns) % 256).astype(np.uint8))
    assert ok
    return bytes(encoded.tobytes())


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(range(len(IMAGES) + MADE_IMAGES)), st.data())
def test_mangled_images_decode_or_raise_decode_error(index: int, data: st.DataObject) -> None:
    image_decode = pytest.importorskip("mrtd.lds.image_decode")
    pytest.importorskip("cv2")
    made = [face_jpeg(), _made_jp2(), jp2_codestream(_made_jp2()) or b""]
    source = [*IMAGES, *made][index]
    try:
        pixels = image_decode.decode_image(_mangle(source, data))
    except DecodeError:
        return
    assert pixels.ndim == 3
    assert pixels.shape[2] == 3
    assert pixels.shape[0] * pixels.shape[1] <= image_decode.MAX_PIXELS


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(
        [b"", TINY_JPEG[:2], bytes.fromhex("0000000C6A5020200D0A870A"), b"\xff\x4f\xff\x51"]
    ),
    st.binary(max_size=200),
)
def test_arbitrary_image_bytes(prefix: bytes, body: bytes) -> None:
    image_decode = pytest.importorskip("mrtd.lds.image_decode")
    pytest.importorskip("cv2")
    with contextlib.suppress(DecodeError):
        image_decode.decode_image(prefix + body)
