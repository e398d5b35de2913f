"""Replay the PACE worked examples byte-exact: ICAO 9303-11 Appendices G, H, I, J and the BSI
TR-03110 worked example (fixtures/vectors), through the terminal's sans-I/O generator."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from mrtd import crypto, tlv
from mrtd.access.keys import AccessKey, CANKey, MRZKey
from mrtd.access.pace import PACEResult, pace
from mrtd.access.pace.mapping import pseudo_random
from mrtd.access.pace.suite import Suite
from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.crypto import SMAlgorithm
from mrtd.crypto.domains import STANDARD_DOMAINS
from mrtd.crypto.kdf import Cipher
from mrtd.lds.security.infos import KeyAgreement, Mapping, PACEInfo
from tests.conftest import VECTORS

H = bytes.fromhex
MRZ_KEY = MRZKey("T22000129", "640812", "101031")  # 9303-11 G/H: T22000129364081251010318
PIN = CANKey("123456")  # the IM examples and the BSI example derive K_pi from "123456"


class Scripted:
    """A random source that hands out the example's values in order."""

    def __init__(self, *values: bytes) -> None:
        self.values = list(values)

    def __call__(self, n: int) -> bytes:
        value = self.values.pop(0)
        assert len(value) == n, (len(value), n)
        return value


def drive(
    protocol: Generator[CommandAPDU, ResponseAPDU, PACEResult], answers: list[bytes]
) -> tuple[list[CommandAPDU], PACEResult]:
    sent = [next(protocol)]
    try:
        for answer in answers:
            sent.append(protocol.send(ResponseAPDU.from_bytes(answer)))
    except StopIteration as done:
        return sent, done.value
    raise AssertionError("the protocol wanted more answers than the example has")


def template(*objects: tuple[int, bytes]) -> bytes:
    return tlv.encode(0x7C, b"".join(tlv.encode(t, v) for t, v in objects)) + b"\x90\x00"


def scalar(value: str, order: int) -> bytes:
    """A private key as the random draw that yields it (exponents above q reduced mod q)."""
    return (int(value, 16) % order).to_bytes((order.bit_length() + 7) // 8, "big")


def test_appendix_g_ecdh_generic_mapping_replays_every_apdu() -> None:
    v: dict[str, Any] = VECTORS["pace.ecdh_gm.brainpoolP256r1"]
    info = PACEInfo.build(Mapping.GM, KeyAgreement.ECDH, Cipher.AES128, 13)
    assert info.oid == "0.4.0.127.0.7.2.2.4.2.2"
    assert Suite(Cipher.AES128).password_key(MRZ_KEY) == H(v["K_pi"])
    assert MRZ_KEY.password == H(v["pi"])
    random = Scripted(H(v["term_map_priv"]), H(v["term_eph_priv"]))
    protocol = pace(MRZ_KEY, info, STANDARD_DOMAINS[13], random)
    sent, result = drive(protocol, [H(answer) for _, answer in v["apdus"]])
    assert [c.to_bytes().hex().upper() for c in sent] == [c for c, _ in v["apdus"]]
    assert result.channel.k_enc == H(v["KSenc"])
    assert result.channel.k_mac == H(v["KSmac"])
    assert result.channel.ssc == bytes(16)
    assert repr(result) == "PACEResult(GM, brainpoolP256r1, AES-128)"


def _exchange(
    key: AccessKey,
    info: PACEInfo,
    parameter_id: int,
    draws: list[bytes],
    chip: dict[str, str],
) -> tuple[list[CommandAPDU], PACEResult]:
    answers = [b"\x90\x00", template((0x80, H(chip["z"])))]  # MSE:Set AT, nonce
    answers.append(
        template((0x82, H(chip["map"]))) if chip.get("map") else template()
    )  # IM: the chip's mapping data is empty
    answers.append(template((0x84, H(chip["eph"]))))
    answers.append(template((0x86, H(chip["token"]))))
    return drive(pace(key, info, STANDARD_DOMAINS[parameter_id], Scripted(*draws)), answers)


def _objects(command: CommandAPDU) -> dict[int, bytes]:
    return {o.tag: o.value for o in tlv.decode_one(command.data).children()}


def test_appendix_h_dh_generic_mapping() -> None:
    v: dict[str, Any] = VECTORS["pace.dh_gm.rfc5114_1024_160"]
    q = STANDARD_DOMAINS[0].q  # type: ignore[union-attr]
    info = PACEInfo.build(Mapping.GM, KeyAgreement.DH, Cipher.AES128, 0)
    chip = {"z": v["encrypted_nonce_z"], "map": v["chip_map_pub"], "eph": v["chip_eph_pub"],
            "token": v["T_IC"]}  # fmt: skip
    draws = [scalar(v["term_map_priv"], q), scalar(v["term_eph_priv"], q)]
    sent, result = _exchange(MRZ_KEY, info, 0, draws, chip)
    assert _objects(sent[2])[0x81] == H(v["term_map_pub"])
    assert _objects(sent[3])[0x83] == H(v["term_eph_pub"])
    assert _objects(sent[4])[0x85] == H(v["T_IFD"])
    assert (bytes(result.channel.k_enc), bytes(result.channel.k_mac)) == (
        H(v["KSenc"]),
        H(v["KSmac"]),
    )


@pytest.mark.parametrize(
    ("vector_id", "parameter_id", "agreement"),
    [
        ("pace.ecdh_im.brainpoolP256r1", 13, KeyAgreement.ECDH),
        ("pace.dh_im.rfc5114_1024_160", 0, KeyAgreement.DH),
    ],
)
def test_appendix_i_and_j_integrated_mapping(
    vector_id: str, parameter_id: int, agreement: KeyAgreement
) -> None:
    v: dict[str, Any] = VECTORS[vector_id]
    domain = STANDARD_DOMAINS[parameter_id]
    order = domain.n if agreement is KeyAgreement.ECDH else domain.q  # type: ignore[union-attr]
    suite = Suite(Cipher.AES128)
    assert suite.password_key(PIN) == H(v["K_pi"])
    s, t = H(v["nonce_s"]), H(v["terminal_nonce_t"])
    assert pseudo_random(suite, s, t, domain.p) == int(v["R_s_t"], 16)
    info = PACEInfo.build(Mapping.IM, agreement, Cipher.AES128, parameter_id)
    chip = {"z": v["encrypted_nonce_z"], "eph": v["chip_eph_pub"], "token": v["T_IC"]}
    sent, result = _exchange(PIN, info, parameter_id, [t, scalar(v["term_eph_priv"], order)], chip)
    assert _objects(sent[2]) == {0x81: t}
    assert _objects(sent[3])[0x83] == H(v["term_eph_pub"])
    assert _objects(sent[4])[0x85] == H(v["T_IFD"])
    assert (bytes(result.channel.k_enc), bytes(result.channel.k_mac)) == (
        H(v["KSenc"]),
        H(v["KSmac"]),
    )


@pytest.mark.parametrize(
    ("vector_id", "parameter_id", "agreement"),
    [
        ("bsi_eac_worked_example.ecdh", 13, KeyAgreement.ECDH),
        ("bsi_eac_worked_example.dh", 0, KeyAgreement.DH),
    ],
)
def test_bsi_worked_example_generic_mapping(
    vector_id: str, parameter_id: int, agreement: KeyAgreement
) -> None:
    v: dict[str, Any] = VECTORS[vector_id]
    domain = STANDARD_DOMAINS[parameter_id]
    order = domain.n if agreement is KeyAgreement.ECDH else domain.q  # type: ignore[union-attr]
    info = PACEInfo.build(Mapping.GM, agreement, Cipher.AES128, parameter_id)
    chip = {"z": v["nonce_enc"], "map": v["map_picc_pub_key"], "eph": v["picc_pub_key"],
            "token": v["authentication_token_picc"]}  # fmt: skip
    draws = [scalar(v["map_pcd_priv_key"], order), scalar(v["pcd_priv_key"], order)]
    sent, result = _exchange(PIN, info, parameter_id, draws, chip)
    assert int.from_bytes(_objects(sent[2])[0x81], "big") == int(v["map_pcd_pub_key"], 16)
    assert int.from_bytes(_objects(sent[3])[0x83], "big") == int(v["pcd_pub_key"], 16)
    assert _objects(sent[4])[0x85] == H(v["authentication_token_pcd"])
    assert (bytes(result.channel.k_enc), bytes(result.channel.k_mac)) == (
        H(v["k_enc"]),
        H(v["k_mac"]),
    )


def test_bsi_worked_example_aes_secure_messaging_after_pace() -> None:
    v: dict[str, Any] = VECTORS["bsi_eac_worked_example.ecdh"]
    ssc = (1).to_bytes(16, "big")
    encrypted = crypto.encrypt(SMAlgorithm.AES, H(v["k_enc"]), ssc, H(v["d1"]))
    assert encrypted == H(v["e1"])
