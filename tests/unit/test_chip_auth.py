"""Chip Authentication v1: the terminal against the simulated chip through an existing secure
channel, the BSI data set's chip with its published key, a clone, and hostile chips."""

from __future__ import annotations

from collections.abc import Callable, Generator

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from mrtd import tlv
from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.crypto import SMAlgorithm
from mrtd.crypto.domains import CURVES_BY_NAME, DH_BY_NAME, DHGroup, ECCurve
from mrtd.crypto.kdf import Cipher
from mrtd.crypto.spki import DomainEncoding, encode_domain
from mrtd.der import INTEGER, OCTET_STRING, SEQUENCE, der, encode_integer
from mrtd.errors import ChipAuthError, MACError
from mrtd.lds.security.infos import (
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    KeyAgreement,
    SecurityInfo,
    SecurityInfos,
    UnknownSecurityInfo,
)
from mrtd.lds.security.oids import PK_PROTOCOLS
from mrtd.sim.chip_auth_chip import ChipChipAuthentication
from mrtd.sm import SecureChannel
from mrtd.verify.chip_auth import (
    CAResult,
    chip_authentication,
    choose_chip_authentication,
    key_reference,
    set_at,
    set_kat,
    unusable_reason,
)
from tests.shared_data import shared_data_path

H = bytes.fromhex
BRAINPOOL = CURVES_BY_NAME["brainpoolP256r1"]
SELECT = CommandAPDU(0x00, 0xA4, 0x02, 0x0C, H("0101"))
READ = ResponseAPDU(H("610F5F1F0C"), 0x9000)
Protocol = Generator[CommandAPDU, ResponseAPDU, CAResult]


def old_channels() -> tuple[SecureChannel, SecureChannel]:
    """Terminal and chip ends of the BAC or PACE session Chip Authentication runs inside."""
    keys = H("979EC13B1CBFE9DCD01AB0FED307EAE5"), H("F1CB1F1FB5ADF208806B89DC579DC1F8")
    return (SecureChannel(SMAlgorithm.DES3, *keys, bytes(8)),
            SecureChannel(SMAlgorithm.DES3, *keys, bytes(8)))  # fmt: skip


def run(
    protocol: Protocol, chip: ChipChipAuthentication
) -> tuple[list[CommandAPDU], CAResult, SecureChannel | None]:
    """Drive the terminal against the chip over the old channel; each side switches after the
    last protected answer, as the chip's owner and the session do."""
    terminal_old, chip_old = old_channels()
    sent = [next(protocol)]
    chip_new = None
    try:
        while True:
            plain = chip_old.unprotect_command(terminal_old.protect(sent[-1]))
            handler = chip.mse if plain.ins == 0x22 else chip.general_authenticate
            answer = chip_old.protect_response(handler(plain))
            chip_new = chip.take_new_channel() or chip_new
            sent.append(protocol.send(terminal_old.unprotect(answer)))
    except StopIteration as done:
        return sent, done.value, chip_new


def authenticate(
    chip: ChipChipAuthentication, dg14: bytes | None = None, **options: object
) -> tuple[list[CommandAPDU], CAResult, SecureChannel | None]:
    """The terminal reads DG14 (the chip's own, unless another is given) and runs CA."""
    infos = SecurityInfos.from_dg14(dg14 or SecurityInfos(chip.security_infos()).to_dg14())
    chosen = choose_chip_authentication(infos)
    assert chosen is not None
    return run(chip_authentication(*chosen, **options), chip)  # type: ignore[arg-type]


def assert_same_channel(terminal: SecureChannel, chip: SecureChannel | None) -> None:
    assert chip is not None
    assert chip.unprotect_command(terminal.protect(SELECT)) == SELECT
    assert terminal.unprotect(chip.protect_response(READ)) == READ


@pytest.mark.parametrize(
    ("spec", "commands", "protocol"),
    [
        ("ecdh-brainpoolP256r1-aes128", ("41A4", "8600"), ("ECDH", "brainpoolP256r1", "AES-128")),
        ("ecdh-P-256-aes256", ("41A4", "8600"), ("ECDH", "P-256", "AES-256")),
        ("ecdh-brainpoolP256r1-3des", ("41A6",), ("ECDH", "brainpoolP256r1", "3DES")),
        ("dh-1024-3des", ("41A6",), ("DH", "MODP-1024-160", "3DES")),
        ("dh-2048-aes128", ("41A4", "8600"), ("DH", "MODP-2048-224", "AES-128")),
    ],
)
def test_terminal_and_chip_end_with_the_same_channel(
    spec: str, commands: tuple[str, ...], protocol: tuple[str, str, str]
) -> None:
    chip = ChipChipAuthentication.from_spec(spec, b"document 1")
    sent, result, chip_channel = authenticate(chip)
    assert tuple(c.header[2:].hex().upper() if c.ins == 0x22 else "8600" for c in sent) == commands
    assert tuple(result.protocol.values()) == protocol
    assert result.channel.ssc == bytes(8 if protocol[2] == "3DES" else 16)
    assert_same_channel(result.channel, chip_channel)


def test_c_core_and_pure_python_agree() -> None:
    chip = ChipChipAuthentication.from_spec("ecdh-brainpoolP256r1-aes128", b"document 1")
    results = [
        authenticate(chip, ephemeral_private=12345, backend=backend)[1]
        for backend in ("native", "python")
    ]
    assert results[0].channel.k_enc == results[1].channel.k_enc
    assert results[0].channel.k_mac == results[1].channel.k_mac


def test_key_ids_travel_in_data_object_84() -> None:
    chip = ChipChipAuthentication.from_spec("ecdh-brainpoolP256r1-aes128", b"doc", key_id=300)
    sent, result, chip_channel = authenticate(chip)
    assert tlv.decode(sent[0].data)[1].encode() == H("8402012C")
    assert result.key_id == 300
    assert_same_channel(result.channel, chip_channel)
    chip_3des = ChipChipAuthentication.from_spec("dh-1024-3des", b"doc", key_id=0)
    sent, result, chip_channel = authenticate(chip_3des)
    assert tlv.decode(sent[0].data)[1].encode() == H("840100")
    assert_same_channel(result.channel, chip_channel)


# -- the BSI data set's chip -------------------------------------------------------------------


def test_bsi_dataset_chip_authenticates_with_its_published_key() -> None:
    bsi = shared_data_path("lds", "bsi-dataset-2")
    dg14 = (bsi / "Datagroup14.bin").read_bytes()
    chip = ChipChipAuthentication.from_private_key((bsi / "DG14_sk.pkcs8").read_bytes(), dg14)
    assert repr(chip) == "ChipChipAuthentication(ECDH, brainpoolP224r1, 3DES)"
    assert all(info.to_bytes() in dg14 for info in chip.security_infos())
    sent, result, chip_channel = authenticate(chip, dg14)
    assert [c.header.hex().upper() for c in sent] == ["002241A6"]  # MSE:Set KAT
    assert result.protocol == {"key_agreement": "ECDH", "domain": "brainpoolP224r1",
                               "cipher": "3DES"}  # fmt: skip
    assert_same_channel(result.channel, chip_channel)


def test_private_keys_in_pkcs8_dh_and_named_curve() -> None:
    dh_chip = ChipChipAuthentication.from_spec("dh-1024-3des", b"pkcs8")
    x = der(INTEGER, encode_integer(dh_chip.key.private))
    algorithm = encode_domain(dh_chip.domain, DomainEncoding.EXPLICIT)
    dh_pkcs8 = der(SEQUENCE, der(INTEGER, b"\0"), algorithm, der(OCTET_STRING, x))
    p256 = ec.generate_private_key(ec.SECP256R1())
    ec_pkcs8 = p256.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    info = ChipAuthenticationInfo.build(KeyAgreement.ECDH, Cipher.AES256, key_id=2)
    ec_chip = ChipChipAuthentication(
        CURVES_BY_NAME["P-256"], p256.private_numbers().private_value, info,
        domain_encoding=DomainEncoding.NAMED,
    )  # fmt: skip
    for original, pkcs8 in [(dh_chip, dh_pkcs8), (ec_chip, ec_pkcs8)]:
        dg14 = SecurityInfos(original.security_infos()).to_dg14()
        chip = ChipChipAuthentication.from_private_key(pkcs8, dg14)
        assert (chip.key.public, chip.info, chip.key_id) == (
            original.key.public, original.info, original.key_id
        )  # fmt: skip
        _, result, chip_channel = authenticate(chip, dg14)
        assert_same_channel(result.channel, chip_channel)


def test_private_key_not_in_dg14_is_refused() -> None:
    key = ec.generate_private_key(ec.BrainpoolP256R1())  # the same curve as DG14's, another key
    pkcs8 = key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    other = ChipChipAuthentication.from_spec("ecdh-brainpoolP256r1-3des", b"another chip")
    dg14 = SecurityInfos(other.security_infos()).to_dg14()
    with pytest.raises(ValueError, match="matches no"):
        ChipChipAuthentication.from_private_key(pkcs8, dg14)
    with pytest.raises(ValueError, match="PKCS#8"):
        ChipChipAuthentication.from_private_key(b"\x30\x03\x02\x01\x00", dg14)


# -- a clone -----------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["ecdh-brainpoolP256r1-aes128", "ecdh-brainpoolP256r1-3des"])
def test_clone_without_the_private_key_ends_on_other_keys(spec: str) -> None:
    genuine = ChipChipAuthentication.from_spec(spec, b"genuine")
    clone = ChipChipAuthentication.from_spec(spec, b"clone")  # copied DG14, its own key
    dg14 = SecurityInfos(genuine.security_infos()).to_dg14()
    _, result, clone_channel = authenticate(clone, dg14)  # the protocol itself completes
    assert clone_channel is not None
    with pytest.raises(MACError):
        clone_channel.unprotect_command(result.channel.protect(SELECT))
    with pytest.raises(MACError):
        result.channel.unprotect(clone_channel.protect_response(READ))


# -- hostile chips -----------------------------------------------------------------------------


def scripted(*answers: ResponseAPDU) -> Callable[[CommandAPDU], ResponseAPDU]:
    queue = list(answers)
    return lambda _: queue.pop(0)


def drive(protocol: Protocol, answer: Callable[[CommandAPDU], ResponseAPDU]) -> CAResult:
    command = next(protocol)
    try:
        while True:
            command = protocol.send(answer(command))
    except StopIteration as done:
        result: CAResult = done.value
        return result


OK = ResponseAPDU(b"", 0x9000)
AES_INFO = ChipAuthenticationInfo.build(KeyAgreement.ECDH, Cipher.AES128)
DES_INFO = ChipAuthenticationInfo.build(KeyAgreement.ECDH, Cipher.DES3)
CHIP = ChipChipAuthentication.from_spec("ecdh-brainpoolP256r1-aes128", b"hostile")
KEY = ChipAuthenticationPublicKeyInfo.build(BRAINPOOL, CHIP.key.public)


@pytest.mark.parametrize(
    ("info", "answers", "message"),
    [
        (AES_INFO, [ResponseAPDU(b"", 0x6A80)], "MSE:Set AT refused: 6A80"),
        (AES_INFO, [OK, ResponseAPDU(b"", 0x6300)], "GENERAL AUTHENTICATE refused: 6300"),
        (DES_INFO, [ResponseAPDU(b"", 0x6985)], "MSE:Set KAT refused: 6985"),
        (AES_INFO, [OK, ResponseAPDU(H("7C0180"), 0x9000)], "malformed"),
        (AES_INFO, [OK, ResponseAPDU(H("8000"), 0x9000)], "not 7C"),
    ],
)
def test_refusals_and_bad_answers_raise(
    info: ChipAuthenticationInfo, answers: list[ResponseAPDU], message: str
) -> None:
    with pytest.raises(ChipAuthError, match=message):
        drive(chip_authentication(info, KEY), scripted(*answers))


def test_a_version_2_answer_is_tolerated() -> None:
    v2_answer = ResponseAPDU(H("7C0C8108") + bytes(8) + H("8200"), 0x9000)
    result = drive(chip_authentication(AES_INFO, KEY), scripted(OK, v2_answer))
    assert result.info is AES_INFO


@pytest.mark.parametrize(
    ("domain", "public"),
    [
        (BRAINPOOL, CHIP.key.public[:-1] + bytes((CHIP.key.public[-1] ^ 1,))),  # off the curve
        (BRAINPOOL, b"\x04" + bytes(64)),  # (0, 0): not a point; some encoders' infinity
        (DH_BY_NAME["MODP-1024-160"], (2).to_bytes(128, "big")),  # not in the order-q subgroup
    ],
)
def test_invalid_static_key_fails_before_any_command(
    domain: ECCurve | DHGroup, public: bytes
) -> None:
    key = ChipAuthenticationPublicKeyInfo.build(domain, public)
    info = ChipAuthenticationInfo.build(key.key_agreement, Cipher.AES128)
    with pytest.raises(ChipAuthError, match="static public key"):
        next(chip_authentication(info, key))


def test_inconsistent_infos_fail_before_any_command() -> None:
    dh_info = ChipAuthenticationInfo.build(KeyAgreement.DH, Cipher.AES128)
    v2_info = ChipAuthenticationInfo.build(KeyAgreement.ECDH, Cipher.AES128, version=2)
    keyed = ChipAuthenticationPublicKeyInfo.build(BRAINPOOL, CHIP.key.public, key_id=1)
    other_id = ChipAuthenticationInfo.build(KeyAgreement.ECDH, Cipher.AES128, key_id=2)
    for info, key, message in [
        (dh_info, KEY, "pairs a DH protocol"),
        (v2_info, KEY, "version 2"),
        (other_id, keyed, "different key ids"),
    ]:
        with pytest.raises(ChipAuthError, match=message):
            next(chip_authentication(info, key))


# -- choosing the protocol ---------------------------------------------------------------------


def key_info(seed: bytes, key_id: int | None = None) -> ChipAuthenticationPublicKeyInfo:
    chip = ChipChipAuthentication.from_spec("ecdh-brainpoolP256r1-aes128", seed)
    return ChipAuthenticationPublicKeyInfo.build(BRAINPOOL, chip.key.public, key_id)


def choose(*infos: SecurityInfo) -> tuple[ChipAuthenticationInfo, ChipAuthenticationPublicKeyInfo]:
    chosen = choose_chip_authentication(SecurityInfos(infos))
    assert chosen is not None
    return chosen


def test_aes_is_preferred_over_3des() -> None:
    key = key_info(b"a")
    assert choose(DES_INFO, key, AES_INFO) == (AES_INFO, key)


def test_several_keys_pair_by_key_id() -> None:
    first, second = key_info(b"a", 1), key_info(b"b", 2)
    des_first = ChipAuthenticationInfo.build(KeyAgreement.ECDH, Cipher.DES3, key_id=1)
    aes_second = ChipAuthenticationInfo.build(KeyAgreement.ECDH, Cipher.AES256, key_id=2)
    assert choose(first, second, des_first, aes_second) == (aes_second, second)
    assert choose(first, second, des_first) == (des_first, first)


def test_without_chip_authentication_info_3des_is_assumed() -> None:
    key = key_info(b"a", 5)
    info, chosen_key = choose(key)
    assert (info.oid, info.key_id, chosen_key) == ("0.4.0.127.0.7.2.2.3.2.1", 5, key)


def test_a_bare_protocol_oid_runs_3des() -> None:
    bare = ChipAuthenticationInfo.build(KeyAgreement.ECDH, None)
    assert bare.oid == "0.4.0.127.0.7.2.2.3.2"
    command = next(chip_authentication(bare, KEY))
    assert command.header == H("002241A6")


def test_nothing_to_choose() -> None:
    v2_only = ChipAuthenticationInfo.build(KeyAgreement.ECDH, Cipher.AES128, version=2)
    assert choose_chip_authentication(SecurityInfos((v2_only, key_info(b"a")))) is None
    assert choose_chip_authentication(SecurityInfos((AES_INFO,))) is None
    dh_info = ChipAuthenticationInfo.build(KeyAgreement.DH, Cipher.AES128)
    assert choose_chip_authentication(SecurityInfos((dh_info, key_info(b"a")))) is None


def test_why_nothing_was_chosen_says_no_key_only_without_a_key() -> None:
    v2_only = ChipAuthenticationInfo.build(KeyAgreement.ECDH, Cipher.AES128, version=2)
    dh_info = ChipAuthenticationInfo.build(KeyAgreement.DH, Cipher.AES128)
    id_1 = ChipAuthenticationInfo.build(KeyAgreement.ECDH, Cipher.AES128, key_id=1)
    unreadable_key = UnknownSecurityInfo(PK_PROTOCOLS[KeyAgreement.ECDH], b"", "bad key")
    cases = {
        (AES_INFO,): "chip.no_key",
        (): "chip.no_key",
        (AES_INFO, unreadable_key): "chip.unsupported_key",
        (v2_only, key_info(b"a")): "chip.unsupported_version",
        (dh_info, key_info(b"a")): "chip.unsupported_algorithm",
        (id_1, key_info(b"a", 2)): "chip.key_id_mismatch",
    }
    for infos, code in cases.items():
        assert choose_chip_authentication(SecurityInfos(infos)) is None
        reason, got = unusable_reason(SecurityInfos(infos))
        assert (got, bool(reason)) == (code, True), infos


# -- the simulated chip's checks ---------------------------------------------------------------


def test_chip_refuses_what_it_did_not_advertise() -> None:
    chip = ChipChipAuthentication.from_spec("ecdh-brainpoolP256r1-aes128", b"doc", key_id=3)
    assert chip.mse(set_at(AES_INFO.oid, 3)).ok
    assert chip.mse(set_at(AES_INFO.oid, None)).ok  # a single key needs no reference
    assert chip.mse(set_at(AES_INFO.oid, 4)).sw == 0x6A80
    assert chip.mse(set_at(DES_INFO.oid, 3)).sw == 0x6A80
    assert chip.mse(set_kat(CHIP.key.public, 3)).sw == 0x6985  # KAT means 3DES
    assert chip.mse(CommandAPDU(0x00, 0x22, 0xC1, 0xA4, b"")).sw == 0x6A86
    assert chip.mse(CommandAPDU(0x00, 0x22, 0x41, 0xA4, H("8001"))).sw == 0x6A80
    assert chip.take_new_channel() is None


def test_chip_refuses_a_bad_terminal_key_and_an_unannounced_one() -> None:
    chip = ChipChipAuthentication.from_spec("ecdh-brainpoolP256r1-aes128", b"doc")
    good = CHIP.key.public
    bad = good[:-1] + bytes((good[-1] ^ 1,))
    ga = CommandAPDU(0x00, 0x86, 0, 0, tlv.encode(0x7C, tlv.encode(0x80, good)), 256)
    assert chip.general_authenticate(ga).sw == 0x6985  # no MSE:Set AT first
    assert chip.mse(set_at(AES_INFO.oid, None)).ok
    bad_ga = CommandAPDU(0x00, 0x86, 0, 0, tlv.encode(0x7C, tlv.encode(0x80, bad)), 256)
    assert chip.general_authenticate(bad_ga).sw == 0x6A80
    assert chip.take_new_channel() is None
    assert chip.general_authenticate(ga).sw == 0x6985  # the failure ended the run
    des_chip = ChipChipAuthentication.from_spec("ecdh-brainpoolP256r1-3des", b"doc")
    assert des_chip.mse(set_kat(bad, None)).sw == 0x6A80
    assert des_chip.mse(set_kat(good, 9)).sw == 0x6A80  # the chip has no key id
    assert des_chip.take_new_channel() is None
    assert des_chip.mse(set_kat(good, None)).ok
    assert des_chip.take_new_channel() is not None


def test_specs_and_keys() -> None:
    first = ChipChipAuthentication.from_spec("ecdh-P-256-aes256", b"one")
    assert (
        first.key.public == ChipChipAuthentication.from_spec("ecdh-P-256-aes256", b"one").key.public
    )
    assert (
        first.key.public != ChipChipAuthentication.from_spec("ecdh-P-256-aes256", b"two").key.public
    )
    dh = ChipChipAuthentication.from_spec("dh-2048-3des", b"one")
    assert dh.domain.name == "MODP-2048-224"
    assert len(dh.key.public) == 256
    for spec in ["ecdh-P-999-aes128", "rsa-2048-aes128", "dh-1024-des", "ecdh", ""]:
        with pytest.raises(ValueError, match="unknown"):
            ChipChipAuthentication.from_spec(spec, b"one")
    private = f"{first.key.private:X}"
    assert private not in repr(first)
    assert private not in repr(first.key)
    assert key_reference(0) == b"\x00"
    assert key_reference(256) == b"\x01\x00"
