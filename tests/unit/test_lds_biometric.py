"""DG3 and DG4: the BSI specimen headers, round trips, kept unknown objects, malformed groups."""

from __future__ import annotations

from datetime import datetime

import pytest

from mrtd import tlv
from mrtd.errors import DecodeError
from mrtd.lds import (
    BiometricHeader,
    BiometricRecord,
    DG3File,
    DG4File,
    build_dg3,
    build_dg4,
)
from mrtd.lds.biometric import FINGERPRINT, IRIS
from tests.shared_data import shared_data_path

FINGER_HEADER = BiometricHeader(FINGERPRINT, 0x09, 0x0101, 0x0007)


def _dg3(body: bytes) -> bytes:
    return tlv.encode(0x63, tlv.encode(0x7F61, body))


def _template(header: bytes = b"\x81\x01\x08", data: bytes = b"FIR\x00") -> bytes:
    return tlv.encode(0x7F60, tlv.encode(0xA1, header) + tlv.encode(0x5F2E, data))


@pytest.mark.parametrize("folder", ["bsi2008", "bsi-dataset-2"])
def test_bsi_dg3_fingerprints(folder: str) -> None:
    data = shared_data_path("lds", folder, "Datagroup3.bin").read_bytes()
    dg3 = DG3File.from_bytes(data)
    assert [r.header for r in dg3.records] == [
        BiometricHeader(FINGERPRINT, 0x09, 0x0101, 0x0007),  # right index finger
        BiometricHeader(FINGERPRINT, 0x0A, 0x0101, 0x0007),  # left index finger
    ]
    for record, length in zip(dg3.records, (16_435, 15_977), strict=True):
        assert record.format_identifier == b"FIR\x00"  # ISO/IEC 19794-4
        assert record.format_version == "010"
        assert record.record_length == length == len(record.data)
        assert record.data_tag == 0x5F2E
    assert dg3.other == ()
    assert build_dg3(dg3.records) == data  # byte for byte


@pytest.mark.parametrize("folder", ["bsi2008", "bsi-dataset-2"])
def test_bsi_dg4_irises(folder: str) -> None:
    data = shared_data_path("lds", folder, "Datagroup4.bin").read_bytes()
    dg4 = DG4File.from_bytes(data)
    headers = [r.header for r in dg4.records]
    assert [(h.biometric_type, h.biometric_subtype) for h in headers] == [(IRIS, 1), (IRIS, 2)]
    assert {(h.format_owner, h.format_type, h.version) for h in headers} == {
        (0x0101, 0x0009, b"\x01\x01")
    }
    assert [r.format_identifier for r in dg4.records] == [b"IIR\x00"] * 2  # ISO/IEC 19794-6
    assert [r.record_length for r in dg4.records] == [6_445, 6_777]
    assert [r.format_version for r in dg4.records] == ["010", "010"]
    assert build_dg4(dg4.records) == data


def test_repr_shows_no_data() -> None:
    dg3 = DG3File.from_bytes(shared_data_path("lds", "bsi2008", "Datagroup3.bin").read_bytes())
    assert repr(dg3) == "DG3File(2 record(s))"
    assert repr(dg3.records[0]) == "BiometricRecord(type=08, subtype=09, FIR, 16435 bytes)"
    when = BiometricHeader(FINGERPRINT, creation_time=datetime(2024, 1, 2, 3, 4, 5))
    assert "2024" not in repr(when)


def test_all_header_fields_round_trip() -> None:
    header = BiometricHeader(
        biometric_type=FINGERPRINT,
        biometric_subtype=0x0A,
        format_owner=0x0101,
        format_type=0x0007,
        version=b"\x01\x01",
        creation_time=datetime(2009, 10, 31, 23, 59, 58),
        validity_period=("20091101", "20191031"),
        creator=b"\x12\x34",
        other=((0x90, b"\x01"),),
    )
    record = BiometricRecord(
        header, b"FIR\x00020\x00" + (12).to_bytes(4, "big"), other=((0x53, b"x"),)
    )
    dg3 = DG3File.from_bytes(build_dg3([record], other=((0x53, b"group"),)))
    assert dg3.records == (record,)
    assert dg3.other == ((0x53, b"group"),)
    assert (record.format_version, record.record_length) == ("020", 12)
    encoded = header.encode()
    assert tlv.decode_one(encoded).require(0x83).value == bytes.fromhex("20091031235958")
    assert tlv.decode_one(encoded).require(0x85).value == bytes.fromhex("2009110120191031")


def test_constructed_39794_block_is_kept_opaque() -> None:
    block = tlv.encode(0xA1, tlv.encode(0x80, b"\x01"))
    template = tlv.encode(0x7F60, tlv.encode(0xA1, b"\x81\x01\x10") + tlv.encode(0x7F2E, block))
    dg4 = DG4File.from_bytes(
        tlv.encode(0x76, tlv.encode(0x7F61, tlv.encode(0x02, b"\x01") + template))
    )
    (record,) = dg4.records
    assert (record.data_tag, record.data) == (0x7F2E, block)
    assert (record.format_identifier, record.format_version, record.record_length) == (None,) * 3
    assert build_dg4(dg4.records) == tlv.encode(
        0x76, tlv.encode(0x7F61, tlv.encode(0x02, b"\x01") + template)
    )


def test_unknown_record_format_has_no_version_or_length() -> None:
    record = BiometricRecord(FINGER_HEADER, b"XYZ\x00999\x00\x00\x00\x00\x10")
    assert (record.format_identifier, record.format_version) == (b"XYZ\x00", "999")
    assert record.record_length is None
    assert BiometricRecord(FINGER_HEADER, b"abc").format_identifier is None


def test_unknown_objects_are_kept_in_order() -> None:
    body = tlv.encode(0x02, b"\x01") + tlv.encode(0x99, b"a") + _template()
    data = tlv.encode(0x63, tlv.encode(0x7F61, body) + tlv.encode(0x5F01, b"b"))
    assert DG3File.from_bytes(data).other == ((0x99, b"a"), (0x5F01, b"b"))


def test_impossible_creation_date_is_none() -> None:
    header = b"\x81\x01\x08" + tlv.encode(0x83, bytes.fromhex("20091331000000"))
    dg3 = DG3File.from_bytes(_dg3(tlv.encode(0x02, b"\x01") + _template(header)))
    assert dg3.records[0].header.creation_time is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (tlv.encode(0x76, tlv.encode(0x7F61, b"")), "DG3 must have tag 63"),
        (tlv.encode(0x63, tlv.encode(0x02, b"\x00")), "group template missing"),
        (_dg3(_template()), "number of instances"),
        (_dg3(tlv.encode(0x02, b"\x02") + _template()), "does not match"),
        (_dg3(tlv.encode(0x02, b"\x01\x00") + _template()), "does not match"),
        (_dg3(tlv.encode(0x02, b"\x01") + tlv.encode(0x7F60, b"")), "no biometric header"),
        (
            _dg3(tlv.encode(0x02, b"\x01") + tlv.encode(0x7F60, tlv.encode(0xA1, b""))),
            "no biometric data block",
        ),
        (_dg3(tlv.encode(0x02, b"\x01") + _template(b"\x81\x04\x01\x02\x03\x04")), "type"),
        (_dg3(tlv.encode(0x02, b"\x01") + _template(b"\x82\x00")), "subtype"),
        (_dg3(tlv.encode(0x02, b"\x01") + _template(b"\x83\x02\x20\x09")), "creation"),
        (_dg3(tlv.encode(0x02, b"\x01") + _template(b"\x83\x07\x2a" + bytes(6))), "creation"),
        (_dg3(tlv.encode(0x02, b"\x01") + _template(b"\x85\x04\x20\x09\x01\x01")), "validity"),
        (_dg3(tlv.encode(0x02, b"\x01") + _template(b"\x85\x08" + bytes(8))), "validity"),
        (_dg3(tlv.encode(0x02, b"\x01") + _template(b"\x87\x03\x01\x01\x01")), "format owner"),
    ],
)
def test_malformed(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        DG3File.from_bytes(data)


def test_lying_length_and_deep_nesting() -> None:
    data = shared_data_path("lds", "bsi2008", "Datagroup3.bin").read_bytes()
    with pytest.raises(DecodeError, match="runs"):
        DG3File.from_bytes(data[:7] + b"\x7f\xff" + data[9:])  # 7F61 claims more than it has
    with pytest.raises(DecodeError):
        DG3File.from_bytes(data[:-1])
    nested = b"\x01"
    for _ in range(40):
        nested = tlv.encode(0xA2, nested)
    deep = _dg3(tlv.encode(0x02, b"\x01") + tlv.encode(0x7F60, nested))
    with pytest.raises(DecodeError, match="nesting deeper"):
        DG3File.from_bytes(deep)


def test_builder_refuses_values_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        BiometricHeader(biometric_subtype=0x100).encode()
    with pytest.raises(ValueError, match="YYYYMMDD"):
        BiometricHeader(validity_period=("2009", "2019")).encode()
    with pytest.raises(ValueError, match="255"):
        build_dg3([BiometricRecord(FINGER_HEADER, b"")] * 256)
