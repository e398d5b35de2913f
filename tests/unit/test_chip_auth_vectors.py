"""Replay Chip Authentication v1 byte-exact: a real passport's trace (MSE:Set AT and GENERAL
AUTHENTICATE under AES secure messaging, then a SELECT under the new keys), and the key agreement
of the BSI TR-03110 worked example (fixtures/vectors)."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import pytest

from mrtd import tlv
from mrtd.access.pace.groups import agreement_for
from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.crypto import SMAlgorithm
from mrtd.crypto.domains import STANDARD_DOMAINS
from mrtd.crypto.kdf import ENC, MAC, Cipher, derive_key
from mrtd.lds.security.infos import (
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    KeyAgreement,
    SecurityInfos,
)
from mrtd.sim.chip_auth_chip import ChipChipAuthentication
from mrtd.sm import SecureChannel
from mrtd.verify.chip_auth import CAResult, chip_authentication, choose_chip_authentication
from tests.conftest import VECTORS

H = bytes.fromhex
TRACE: dict[str, Any] = VECTORS["ca.real_trace_ecdh_brainpoolP256r1_aes128"]
SELECT_DG14 = CommandAPDU(0x00, 0xA4, 0x02, 0x0C, H("010E"))


def drive(
    protocol: Generator[CommandAPDU, ResponseAPDU, CAResult],
    answer: Callable[[CommandAPDU], ResponseAPDU],
) -> tuple[list[CommandAPDU], CAResult]:
    sent = [next(protocol)]
    try:
        while True:
            sent.append(protocol.send(answer(sent[-1])))
    except StopIteration as done:
        return sent, done.value


def assert_same_command(protected: CommandAPDU, recorded: str) -> None:
    """Byte-exact, outer Le included: a plain Le 00 stays a short 00 under SM, as the
    passport's reader sent it."""
    assert protected.to_bytes() == H(recorded)


def test_real_trace_replays_every_apdu() -> None:
    chosen = choose_chip_authentication(SecurityInfos.from_dg14(H(TRACE["dg14"])))
    assert chosen is not None
    info, key = chosen
    assert info.oid == "0.4.0.127.0.7.2.2.3.2.2"  # id-CA-ECDH-AES-CBC-CMAC-128
    assert key.public_key == H(TRACE["chip_ca_pub"])
    assert key.domain == STANDARD_DOMAINS[13]
    pre = TRACE["pre_sm"]
    old = SecureChannel(SMAlgorithm.AES, H(pre["KSenc"]), H(pre["KSmac"]), H(pre["SSC"]))
    recorded = iter(TRACE["apdus"])

    def answer(command: CommandAPDU) -> ResponseAPDU:
        sent, reply = next(recorded)
        assert_same_command(old.protect(command), sent)
        return old.unprotect(ResponseAPDU.from_bytes(H(reply)))

    protocol = chip_authentication(info, key, ephemeral_private=int(TRACE["term_priv"], 16))
    sent, result = drive(protocol, answer)
    assert len(sent) == 2
    assert tlv.decode_one(sent[1].data).require(0x80).value == H(TRACE["term_pub"])
    post = TRACE["post_sm"]
    assert (bytes(result.channel.k_enc), bytes(result.channel.k_mac)) == (
        H(post["KSenc"]),
        H(post["KSmac"]),
    )
    assert result.channel.ssc == bytes(16)
    assert result.key_id is None
    assert result.protocol == {"key_agreement": "ECDH", "domain": "brainpoolP256r1",
                               "cipher": "AES-128"}  # fmt: skip
    assert repr(result) == "CAResult(ECDH, brainpoolP256r1, AES-128)"

    select, reply = next(recorded)  # the first APDU under the new keys
    assert_same_command(result.channel.protect(SELECT_DG14), select)
    assert result.channel.unprotect(ResponseAPDU.from_bytes(H(reply))).sw == 0x9000
    assert result.channel.ssc == H(post["SSC_after_select"])


def test_real_trace_chip_side_agrees() -> None:
    """The simulated chip, given the trace's terminal key, derives the same session keys from
    the other end (its static key is unknown, so the terminal's private key stands in)."""
    info = ChipAuthenticationInfo.build(KeyAgreement.ECDH, Cipher.AES128)
    term_priv = int(TRACE["term_priv"], 16)
    chip = ChipChipAuthentication(STANDARD_DOMAINS[13], term_priv, info)
    assert chip.key.public == H(TRACE["term_pub"])
    command = CommandAPDU(
        0x00, 0x86, 0, 0, tlv.encode(0x7C, tlv.encode(0x80, H(TRACE["chip_ca_pub"])))
    )
    assert chip.mse(CommandAPDU(0x00, 0x22, 0x41, 0xA4, H("800A04007F00070202030202"))).ok
    assert chip.general_authenticate(command).data == b"\x7c\x00"
    channel = chip.take_new_channel()
    assert channel is not None
    post = TRACE["post_sm"]
    assert (bytes(channel.k_enc), bytes(channel.k_mac)) == (H(post["KSenc"]), H(post["KSmac"]))
    assert chip.take_new_channel() is None


@pytest.mark.parametrize(
    ("vector_id", "parameter_id"),
    [("bsi_eac_worked_example.ecdh", 13), ("bsi_eac_worked_example.dh", 0)],
)
def test_bsi_worked_example_key_agreement(vector_id: str, parameter_id: int) -> None:
    """The CA key agreement of the TR-03110 worked example. The example runs version 2, whose
    KDF appends the chip's nonce (KS = KDF(K || r_PICC, c)); version 1 derives from K alone."""
    v: dict[str, Any] = VECTORS[vector_id]
    domain = STANDARD_DOMAINS[parameter_id]
    picc_pub, pcd_priv = H(v["ca_picc_pub_key"]), int(v["ca_pcd_priv_key"], 16)
    k = H(v["ca_shared_secret_k"])
    assert agreement_for(domain).shared_secret(pcd_priv, picc_pub) == k
    assert derive_key(k + H(v["ca_nonce"]), ENC, Cipher.AES128) == H(v["ca_k_enc"])
    assert derive_key(k + H(v["ca_nonce"]), MAC, Cipher.AES128) == H(v["ca_k_mac"])

    key = ChipAuthenticationPublicKeyInfo.build(domain, picc_pub)
    info = ChipAuthenticationInfo.build(key.key_agreement, Cipher.AES128)
    answers = iter([ResponseAPDU(b"", 0x9000), ResponseAPDU(b"\x7c\x00", 0x9000)])
    sent, result = drive(
        chip_authentication(info, key, ephemeral_private=pcd_priv), lambda _: next(answers)
    )
    terminal_key = tlv.decode_one(sent[1].data).require(0x80).value
    assert int.from_bytes(terminal_key, "big") == int(v["ca_pcd_pub_key"], 16)
    v1_keys = (derive_key(k, ENC, Cipher.AES128), derive_key(k, MAC, Cipher.AES128))
    assert (bytes(result.channel.k_enc), bytes(result.channel.k_mac)) == v1_keys

    chip = ChipChipAuthentication(domain, int(v["ca_picc_priv_key"], 16), info)
    assert chip.key.public == picc_pub
    assert chip.mse(sent[0]).ok
    assert chip.general_authenticate(sent[1]).ok
    channel = chip.take_new_channel()
    assert channel is not None
    assert (bytes(channel.k_enc), bytes(channel.k_mac)) == v1_keys
