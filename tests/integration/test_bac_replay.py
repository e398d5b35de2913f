"""BAC replays the ICAO 9303-11 Appendix D worked example byte-exact (sans I/O)."""

from __future__ import annotations

import pytest

from mrtd.access.bac import bac
from mrtd.access.keys import MRZKey
from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.crypto import SMAlgorithm
from mrtd.errors import BACError
from mrtd.sm import SecureChannel
from tests.conftest import VECTORS

MA = VECTORS["bac.mutual_authentication"]
KEY = VECTORS["bac.key_derivation"]


def _random(values: list[bytes]):  # type: ignore[no-untyped-def]
    def take(n: int) -> bytes:
        value = values.pop(0)
        assert len(value) == n
        return value

    return take


def _key() -> MRZKey:
    return MRZKey(KEY["document_number"], KEY["date_of_birth"], KEY["date_of_expiry"])


def test_bac_appendix_d_byte_exact() -> None:
    protocol = bac(_key(), _random([bytes.fromhex(MA["RND_IFD"]), bytes.fromhex(MA["K_IFD"])]))
    command = next(protocol)
    assert command.to_bytes().hex().upper() == MA["cmd_get_challenge"]
    command = protocol.send(ResponseAPDU.from_bytes(bytes.fromhex(MA["rsp_get_challenge"])))
    assert command.to_bytes().hex().upper() == MA["cmd_mutual_authenticate"]
    with pytest.raises(StopIteration) as done:
        protocol.send(ResponseAPDU.from_bytes(bytes.fromhex(MA["rsp_mutual_authenticate"])))
    channel = done.value.value
    assert channel.k_enc.hex().upper() == MA["KSenc"]
    assert channel.k_mac.hex().upper() == MA["KSmac"]
    assert channel.ssc.hex().upper() == MA["SSC"]


def test_secure_messaging_appendix_d_byte_exact() -> None:
    sm = VECTORS["bac.secure_messaging"]
    channel = SecureChannel(
        SMAlgorithm.DES3,
        bytes.fromhex(sm["KSenc"]),
        bytes.fromhex(sm["KSmac"]),
        bytes.fromhex(sm["SSC_start"]),
    )
    for step in ("select_ef_com", "read_binary_4", "read_binary_18"):
        values = sm[step]
        plain = CommandAPDU.from_bytes(bytes.fromhex(values["unprotected"]))
        protected = channel.protect(plain)
        assert protected.to_bytes().hex().upper() == values["protected_apdu"]
        answer = channel.unprotect(ResponseAPDU.from_bytes(bytes.fromhex(values["response"])))
        assert answer.sw == 0x9000
        assert answer.data.hex().upper() == values.get("plaintext", "")
        assert channel.ssc.hex().upper() == values["SSC_response"]


def test_wrong_key_is_access_denied() -> None:
    protocol = bac(_key(), _random([bytes(8), bytes(16)]))
    next(protocol)
    protocol.send(ResponseAPDU.from_bytes(bytes.fromhex(MA["rsp_get_challenge"])))
    with pytest.raises(BACError, match="access denied"):
        protocol.send(ResponseAPDU(b"", 0x6300))


def test_chip_answer_with_wrong_mac_is_refused() -> None:
    protocol = bac(_key(), _random([bytes.fromhex(MA["RND_IFD"]), bytes.fromhex(MA["K_IFD"])]))
    next(protocol)
    protocol.send(ResponseAPDU.from_bytes(bytes.fromhex(MA["rsp_get_challenge"])))
    tampered = bytearray(bytes.fromhex(MA["rsp_mutual_authenticate"]))
    tampered[5] ^= 1
    with pytest.raises(BACError, match="wrong MAC"):
        protocol.send(ResponseAPDU.from_bytes(bytes(tampered)))
