"""A real reader and a real document on the desk (docs/design.md, "Tests"): skipped unless
MRTD_TEST_READER is set.

    MRTD_TEST_READER=pcsc        (or pcsc:0, nfc:usb, nfc:tty:USB0:pn532, ...)
    MRTD_TEST_MRZ='LINE1
    LINE2'                       the document's MRZ (its BAC key; never logged)
    .venv/bin/pytest tests/hardware

It reads the chip with BAC and checks what must hold for any genuine document: DG1 carries
the MRZ that opened it, DG2 a decodable face, EF.SOD a hash for every data group read.
"""

from __future__ import annotations

import hashlib
import os

import pytest

from mrtd.access.keys import MRZKey
from mrtd.mrz import parse_mrz
from mrtd.pipeline.read_chip import read_document
from mrtd.readers.open import open_reader

READER = os.environ.get("MRTD_TEST_READER", "")
pytestmark = pytest.mark.skipif(not READER, reason="set MRTD_TEST_READER to test a real reader")


def test_read_a_real_document() -> None:
    mrz = parse_mrz(os.environ["MRTD_TEST_MRZ"])
    transport = open_reader(READER)
    try:
        document = read_document(transport, MRZKey.from_mrz(mrz))
    finally:
        transport.close()
    assert document.mrz is not None
    assert document.mrz.lines == mrz.lines
    assert document.faces
    assert document.faces[0].mime_type in ("image/jpeg", "image/jp2")
    assert document.sod is not None
    algorithm = document.sod.hash_algorithm
    for name, data in document.files.items():
        if name.startswith("DG"):
            digest = hashlib.new(algorithm, data).digest()
            assert document.sod.data_group_hashes[int(name[2:])] == digest, name
