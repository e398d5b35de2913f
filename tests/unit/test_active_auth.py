"""Active Authentication (ICAO 9303-11 §6.1): the ICAO worked example's ISO/IEC 9796-2
representative, a real RSA-1792 trace replayed through secure messaging, and the terminal
against the simulated chip for RSA and ECDSA keys, genuine and cloned."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Generator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, utils

from mrtd import tlv
from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.crypto import SMAlgorithm, iso9796
from mrtd.crypto.domains import CURVES_BY_NAME, ECCurve
from mrtd.crypto.ec import ECGroup
from mrtd.crypto.spki import DomainEncoding, encode_public_key
from mrtd.errors import DecodeError
from mrtd.lds.dg15 import DG15File, build_dg15
from mrtd.lds.security.kinds import ActiveAuthenticationInfo
from mrtd.sim.active_auth_chip import ChipActiveAuthentication
from mrtd.sm import SecureChannel
from mrtd.verify.active import (
    active_authentication,
    check_active_authentication,
    internal_authenticate,
    response_size,
)
from mrtd.verify.outcome import CheckOutcome, CheckStatus
from tests.conftest import VECTORS
from tests.shared_data import shared_data_path

H = bytes.fromhex
PASSED, FAILED = CheckStatus.PASSED, CheckStatus.FAILED
NOT_SUPPORTED = CheckStatus.NOT_SUPPORTED
DOES_NOT_VERIFY = "Active Authentication signature does not verify"
CHALLENGE = bytes.fromhex("0102030405060708")
RSA_ENCRYPTION = H("300D06092A864886F70D0101010500")  # AlgorithmIdentifier rsaEncryption, NULL


def run(
    protocol: Generator[CommandAPDU, ResponseAPDU, CheckOutcome],
    answer: Callable[[CommandAPDU], ResponseAPDU],
) -> tuple[CommandAPDU, CheckOutcome]:
    command = next(protocol)
    try:
        protocol.send(answer(command))
    except StopIteration as done:
        return command, done.value
    raise AssertionError("Active Authentication wants more than one exchange")


def files(chip: ChipActiveAuthentication) -> tuple[DG15File, ActiveAuthenticationInfo | None]:
    return DG15File.from_bytes(chip.dg15()), chip.security_info()


def chip(spec: str, seed: bytes = b"document A") -> ChipActiveAuthentication:
    return ChipActiveAuthentication.from_spec(spec, seed)  # RSA keys are cached per process


def flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


# -- the command --------------------------------------------------------------------------------


def test_internal_authenticate_asks_le_00_or_an_extended_le() -> None:
    assert internal_authenticate(CHALLENGE).to_bytes() == H("0088000008") + CHALLENGE + b"\x00"
    command = internal_authenticate(CHALLENGE, 512)  # RSA-4096
    assert command.to_bytes() == H("00880000000008") + CHALLENGE + H("0200")
    with pytest.raises(ValueError, match="the challenge must be 8 bytes"):
        internal_authenticate(b"\x00" * 7)


def test_le_asks_for_the_longest_signature_the_key_makes() -> None:
    assert response_size(files(chip("rsa-1024-sha256"))[0]) == 128
    assert response_size(files(chip("rsa-3072-sha256"))[0]) == 384
    assert response_size(files(chip("ecdsa-brainpoolP256r1-sha256"))[0]) == 72  # DER, at most
    assert response_size(files(chip("ecdsa-P-521-sha512"))[0]) == 141


# -- vectors -------------------------------------------------------------------------------------


def test_icao_worked_example_message_representative() -> None:
    v: dict[str, Any] = VECTORS["aa.icao_worked_example"]
    m1, rnd_ifd, f = H(v["M1"]), H(v["RND_IFD"]), H(v["F"])
    assert iso9796.recoverable_length(v["k_bits"], "sha1") == len(m1) == 106
    assert iso9796.message_representative(m1, rnd_ifd, v["k_bits"], "sha1") == f
    recovered = iso9796.recover(int.from_bytes(f, "big"), v["k_bits"])
    assert (recovered.m1, recovered.digest, recovered.hash_algorithm) == (m1, H(v["H"]), "sha1")
    assert recovered.matches(rnd_ifd)
    assert not recovered.matches(flip(rnd_ifd, 0))
    assert repr(recovered) == "Recovered(106 bytes of M1, sha1)"


def test_real_trace_replays_through_secure_messaging() -> None:
    v: dict[str, Any] = VECTORS["aa.real_trace_rsa1792_sha256"]
    channel = SecureChannel(SMAlgorithm.DES3, H(v["sm_KSenc"]), H(v["sm_KSmac"]), H(v["sm_SSC"]))
    sent = channel.protect(internal_authenticate(H(v["RND_IFD"])))
    recorded = H(v["cmd_internal_authenticate_protected"])
    assert sent.to_bytes() == recorded  # byte-exact: a plain Le 00 stays a short 00 under SM
    answer = channel.unprotect(ResponseAPDU.from_bytes(H(v["rsp_protected"])))
    assert answer == ResponseAPDU(H(v["signature"]), 0x9000)

    dg15 = DG15File.from_bytes(H(v["dg15"]))
    assert (dg15.algorithm, dg15.key_size) == ("RSA", 1792)
    outcome = check_active_authentication(dg15, None, H(v["RND_IFD"]), answer.data)
    assert outcome == CheckOutcome(PASSED, "RSA-1792 ISO/IEC 9796-2, SHA-256", "active.passed")


def test_real_trace_through_the_generator() -> None:
    v: dict[str, Any] = VECTORS["aa.real_trace_rsa1792_sha256"]
    dg15 = DG15File.from_bytes(H(v["dg15"]))

    def random_bytes(n: int) -> bytes:
        assert n == 8
        return H(v["RND_IFD"])

    command, outcome = run(
        active_authentication(dg15, None, random_bytes),
        lambda _: ResponseAPDU(H(v["signature"]), 0x9000),
    )
    assert command == CommandAPDU(0x00, 0x88, 0x00, 0x00, H(v["RND_IFD"]), 224)
    assert outcome.status is PASSED


@pytest.mark.parametrize("bit", [0, 7, 100, 1000, 1791])
def test_real_trace_tampered_signature_fails(bit: int) -> None:
    v: dict[str, Any] = VECTORS["aa.real_trace_rsa1792_sha256"]
    dg15 = DG15File.from_bytes(H(v["dg15"]))
    signature = flip(H(v["signature"]), bit)
    outcome = check_active_authentication(dg15, None, H(v["RND_IFD"]), signature)
    assert outcome == CheckOutcome(FAILED, DOES_NOT_VERIFY, "active.failed")


def test_real_trace_other_challenge_fails() -> None:
    v: dict[str, Any] = VECTORS["aa.real_trace_rsa1792_sha256"]
    dg15 = DG15File.from_bytes(H(v["dg15"]))
    outcome = check_active_authentication(dg15, None, CHALLENGE, H(v["signature"]))
    assert outcome == CheckOutcome(FAILED, DOES_NOT_VERIFY, "active.failed")
    assert CHALLENGE.hex() not in outcome.reason


# -- terminal against the simulated chip ---------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("rsa-1024-sha1", "RSA-1024 ISO/IEC 9796-2, SHA-1"),
        ("rsa-2048-sha256", "RSA-2048 ISO/IEC 9796-2, SHA-256"),
        ("rsa-3072-sha256", "RSA-3072 ISO/IEC 9796-2, SHA-256"),
        ("rsa-2048-sha512", "RSA-2048 ISO/IEC 9796-2, SHA-512"),
        ("rsa-1024-sha224", "RSA-1024 ISO/IEC 9796-2, SHA-224"),
        ("ecdsa-P-256-sha256", "ECDSA P-256, SHA-256"),
        ("ecdsa-brainpoolP256r1-sha256", "ECDSA brainpoolP256r1, SHA-256"),
        ("ecdsa-brainpoolP384r1-sha384", "ECDSA brainpoolP384r1, SHA-384"),
        ("ecdsa-P-521-sha512", "ECDSA P-521, SHA-512"),
        ("ecdsa-P-224-sha1", "ECDSA P-224, SHA-1"),
    ],
)
def test_terminal_against_the_simulated_chip(spec: str, reason: str) -> None:
    card = chip(spec)
    dg15, info = files(card)
    command, outcome = run(active_authentication(dg15, info), card.answer)
    assert outcome == CheckOutcome(PASSED, reason, "active.passed")
    assert command.ne == response_size(dg15) >= card.signature_size
    assert (info is None) == spec.startswith("rsa")


def test_rsa_3072_needs_an_extended_le() -> None:
    card = chip("rsa-3072-sha256")
    assert card.signature_size == 384
    command = internal_authenticate(CHALLENGE)  # Le 00: 256 bytes are not enough
    assert card.answer(command) == ResponseAPDU(b"", 0x6700)
    answer = card.answer(internal_authenticate(CHALLENGE, 384))
    assert answer.ok
    assert len(answer.data) == 384


def test_the_same_document_keeps_its_keys() -> None:
    assert chip("rsa-1024-sha1").dg15() == chip("rsa-1024-sha256").dg15()
    assert chip("ecdsa-P-256-sha256").dg15() == chip("ecdsa-P-256-sha1").dg15()
    assert chip("ecdsa-P-256-sha256").dg15() != chip("ecdsa-P-256-sha256", b"document B").dg15()
    assert chip("rsa-1024-sha1").dg15() != chip("rsa-1024-sha1", b"document B").dg15()


def test_rsa_signature_in_the_alternative_form_verifies() -> None:
    card = chip("rsa-1024-sha256")
    dg15, _ = files(card)
    signature = card.sign(CHALLENGE)
    key = card.private_key
    assert isinstance(key, rsa.RSAPrivateKey)
    n = key.public_key().public_numbers().n
    alternative = (n - int.from_bytes(signature, "big")).to_bytes(128, "big")
    assert check_active_authentication(dg15, None, CHALLENGE, alternative).status is PASSED


def test_rsa_m1_is_drawn_from_the_injected_random_source() -> None:
    key = chip("rsa-1024-sha1").private_key
    drawn: list[int] = []

    def random_bytes(n: int) -> bytes:
        drawn.append(n)
        return bytes(n)

    card = ChipActiveAuthentication(key, "sha1", random_bytes)
    assert card.sign(CHALLENGE) == card.sign(CHALLENGE)
    assert drawn == [106, 106]
    outcome = check_active_authentication(files(card)[0], None, CHALLENGE, card.sign(CHALLENGE))
    assert outcome.status is PASSED


def test_rsa_with_a_negative_modulus_in_dg15() -> None:
    card = chip("rsa-1024-sha1")
    key = card.private_key
    assert isinstance(key, rsa.RSAPrivateKey)
    numbers = key.public_key().public_numbers()
    rsa_key = tlv.encode(0x02, numbers.n.to_bytes(128, "big")) + tlv.encode(0x02, H("010001"))
    spki = tlv.encode(0x30, RSA_ENCRYPTION + tlv.encode(0x03, b"\x00" + tlv.encode(0x30, rsa_key)))
    dg15 = DG15File.from_bytes(build_dg15(spki))
    assert dg15.negative_modulus  # as bsi2008's DG15 writes it
    _, outcome = run(active_authentication(dg15, None), card.answer)
    assert outcome.status is PASSED


def test_rsa_key_with_an_even_exponent_fails() -> None:
    """No RSA key has an even public exponent (e must be prime to the even lambda(n)): the key
    is reported unusable by mrtd's own check, whatever cryptography accepts."""
    rsa_key = tlv.encode(0x02, H("00" + "c1" * 128)) + tlv.encode(0x02, H("010002"))
    spki = tlv.encode(0x30, RSA_ENCRYPTION + tlv.encode(0x03, b"\x00" + tlv.encode(0x30, rsa_key)))
    dg15 = DG15File.from_bytes(build_dg15(spki))  # an even exponent
    outcome = check_active_authentication(dg15, None, CHALLENGE, bytes(128))
    assert outcome.status is FAILED
    assert outcome.reason == (
        "Active Authentication key unusable: DG15: RSA key is not valid (modulus or exponent)"
    )


def test_rsa_trailer_naming_an_unknown_hash_fails() -> None:
    """A chip cannot make the check "not supported" by naming a hash in the trailer."""
    card = chip("rsa-1024-sha256")
    key = card.private_key
    assert isinstance(key, rsa.RSAPrivateKey)
    numbers = key.private_numbers()
    f = int("6a" + "00" * 93 + "11" * 32 + "39cc", 16)  # 39: SHA-512/224's identifier
    signature = pow(f, numbers.d, numbers.public_numbers.n).to_bytes(128, "big")
    outcome = check_active_authentication(files(card)[0], None, CHALLENGE, signature)
    assert outcome == CheckOutcome(FAILED, DOES_NOT_VERIFY, "active.failed")


# -- ECDSA: hashes, formats, curves --------------------------------------------------------------


def test_ecdsa_with_an_x962_oid_takes_plain_or_der() -> None:
    card = chip("ecdsa-brainpoolP256r1-sha256")
    dg15, _ = files(card)
    info = ActiveAuthenticationInfo.build("1.2.840.10045.4.3.2")  # ecdsa-with-SHA256
    plain = card.sign(CHALLENGE)
    der = utils.encode_dss_signature(int.from_bytes(plain[:32]), int.from_bytes(plain[32:]))
    for signature in (plain, der):
        outcome = check_active_authentication(dg15, info, CHALLENGE, signature)
        assert outcome == CheckOutcome(PASSED, "ECDSA brainpoolP256r1, SHA-256", "active.passed")
    plain_info = card.security_info()
    assert plain_info is not None
    assert plain_info.signature_algorithm == "0.4.0.127.0.7.1.1.4.1.3"  # ecdsa-plain-SHA256
    assert check_active_authentication(dg15, plain_info, CHALLENGE, der).status is FAILED
    assert check_active_authentication(dg15, plain_info, CHALLENGE, plain).status is PASSED


def test_ecdsa_without_dg14_info_tries_each_hash() -> None:
    card = chip("ecdsa-P-384-sha1")
    dg15, _ = files(card)
    outcome = check_active_authentication(dg15, None, CHALLENGE, card.sign(CHALLENGE))
    assert outcome == CheckOutcome(
        PASSED, "ECDSA P-384, SHA-1 (found by trial: DG14 names no hash)", "active.passed"
    )
    other = check_active_authentication(dg15, None, flip(CHALLENGE, 3), card.sign(CHALLENGE))
    assert other == CheckOutcome(FAILED, DOES_NOT_VERIFY, "active.failed")


def test_ecdsa_with_the_wrong_hash_fails() -> None:
    card = chip("ecdsa-P-256-sha256")
    dg15, _ = files(card)
    info = ActiveAuthenticationInfo.build("0.4.0.127.0.7.1.1.4.1.4")  # ecdsa-plain-SHA384
    assert check_active_authentication(dg15, info, CHALLENGE, card.sign(CHALLENGE)).status is (
        FAILED
    )


def test_ecdsa_info_naming_another_algorithm_is_not_supported() -> None:
    dg15, _ = files(chip("ecdsa-P-256-sha256"))
    info = ActiveAuthenticationInfo.build("1.2.840.113549.1.1.11")  # sha256WithRSAEncryption
    outcome = check_active_authentication(dg15, info, CHALLENGE, bytes(64))
    assert outcome.status is NOT_SUPPORTED
    assert "1.2.840.113549.1.1.11" in outcome.reason


def test_an_unmapped_algorithm_is_known_before_any_command() -> None:
    dg15, _ = files(chip("ecdsa-P-256-sha256"))
    info = ActiveAuthenticationInfo.build("2.16.840.1.101.3.4.3.10")  # ecdsa-with-SHA3-256
    protocol = active_authentication(dg15, info)
    with pytest.raises(StopIteration) as done:
        next(protocol)  # no INTERNAL AUTHENTICATE
    outcome = done.value.value
    assert (outcome.status, outcome.code) == (NOT_SUPPORTED, "active.unsupported_algorithm")


def test_ecdsa_key_with_explicit_parameters() -> None:
    card = chip("ecdsa-brainpoolP256r1-sha256")
    key = card.private_key
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    curve = CURVES_BY_NAME["brainpoolP256r1"]
    dg15 = DG15File.from_bytes(build_dg15(encode_public_key(curve, DomainEncoding.EXPLICIT, point)))
    _, outcome = run(active_authentication(dg15, card.security_info()), card.answer)
    assert outcome == CheckOutcome(PASSED, "ECDSA brainpoolP256r1, SHA-256", "active.passed")


def _sign_on_group(curve: ECCurve, private: int, message: bytes) -> bytes:
    """ECDSA (SEC 1 §4.1.3) with SHA-224 on the library's EC group: a chip on a curve
    cryptography cannot sign on."""
    group, n = ECGroup(curve), curve.n
    e = int.from_bytes(hashlib.sha224(message).digest(), "big") >> max(0, 224 - n.bit_length())
    k = secrets.randbelow(n - 1) + 1
    r = int.from_bytes(group.x(group.mul(k)), "big") % n
    s = pow(k, -1, n) * (e + r * private) % n
    size = (n.bit_length() + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


@pytest.mark.parametrize("encoding", [DomainEncoding.NAMED, DomainEncoding.EXPLICIT])
def test_ecdsa_on_a_curve_cryptography_lacks(encoding: DomainEncoding) -> None:
    curve = CURVES_BY_NAME["brainpoolP224r1"]
    private = secrets.randbelow(curve.n - 1) + 1
    point = ECGroup(curve).mul(private)
    dg15 = DG15File.from_bytes(build_dg15(encode_public_key(curve, encoding, point)))
    info = ActiveAuthenticationInfo.build("0.4.0.127.0.7.1.1.4.1.2")  # ecdsa-plain-SHA224

    def chip_with(key: int) -> Callable[[CommandAPDU], ResponseAPDU]:
        return lambda command: ResponseAPDU(_sign_on_group(curve, key, command.data), 0x9000)

    _, outcome = run(active_authentication(dg15, info), chip_with(private))
    assert outcome == CheckOutcome(PASSED, "ECDSA brainpoolP224r1, SHA-224", "active.passed")
    clone = run(active_authentication(dg15, info), chip_with(private % (curve.n - 1) + 1))[1]
    assert clone == CheckOutcome(FAILED, DOES_NOT_VERIFY, "active.failed")


# -- a real data set's key -----------------------------------------------------------------------


def test_le_for_the_bsi_rsa_1024_key() -> None:
    dg15 = shared_data_path("lds", "bsi-dataset-2", "Datagroup15.bin").read_bytes()
    assert response_size(DG15File.from_bytes(dg15)) == 128


@pytest.mark.parametrize("hash_algorithm", ["sha1", "sha256"])
def test_bsi_dataset_2_private_key_matches_its_dg15(hash_algorithm: str) -> None:
    bsi_key = shared_data_path("lds", "bsi-dataset-2", "DG15_sk.pkcs8")
    card = ChipActiveAuthentication.from_private_key_file(bsi_key, hash_algorithm)
    assert ChipActiveAuthentication.from_private_key_file(bsi_key.read_bytes(), "sha1").dg15() == (
        card.dg15()
    )
    dg15 = DG15File.from_bytes(bsi_key.with_name("Datagroup15.bin").read_bytes())
    assert DG15File.from_bytes(card.dg15()) == dg15
    _, outcome = run(active_authentication(dg15, None), card.answer)
    assert outcome.status is PASSED


def test_private_key_file_must_be_a_key() -> None:
    with pytest.raises(ValueError, match="not an unencrypted PKCS#8 private key"):
        ChipActiveAuthentication.from_private_key_file(chip("rsa-1024-sha256").dg15(), "sha256")
    pem = chip("ecdsa-P-256-sha256").private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    card = ChipActiveAuthentication.from_private_key_file(pem, "sha256")
    assert card.dg15() == chip("ecdsa-P-256-sha256").dg15()


# -- clones and refusals -------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["rsa-1024-sha256", "ecdsa-brainpoolP256r1-sha256"])
def test_a_clone_with_another_key_fails(spec: str) -> None:
    dg15, info = files(chip(spec))
    clone = chip(spec, b"clone")
    _, outcome = run(active_authentication(dg15, info), clone.answer)
    assert outcome == CheckOutcome(FAILED, DOES_NOT_VERIFY, "active.failed")


@pytest.mark.parametrize(
    ("sw", "meaning"),
    [
        (0x6982, "6982 (security status not satisfied)"),
        (0x6D00, "6D00 (instruction not supported)"),
        (0x6A88, "6A88"),
    ],
)
def test_refusal_fails_and_names_the_status_word(sw: int, meaning: str) -> None:
    dg15, _ = files(chip("rsa-1024-sha1"))
    _, outcome = run(active_authentication(dg15, None), lambda _: ResponseAPDU(b"", sw))
    assert outcome == CheckOutcome(
        FAILED,
        f"the chip refused INTERNAL AUTHENTICATE: status word {meaning}, "
        "although DG15 holds an Active Authentication key",
        "active.refused",
    )


def test_empty_answer_fails() -> None:
    dg15, info = files(chip("ecdsa-P-256-sha256"))
    for key_files in ((dg15, info), files(chip("rsa-1024-sha1"))):
        outcome = run(active_authentication(*key_files), lambda _: ResponseAPDU(b"", 0x9000))[1]
        assert outcome == CheckOutcome(FAILED, DOES_NOT_VERIFY, "active.failed")


@pytest.mark.parametrize(
    ("command", "sw"),
    [
        (CommandAPDU(0x00, 0x84, 0x00, 0x00, ne=8), 0x6D00),
        (CommandAPDU(0x00, 0x88, 0x00, 0x01, CHALLENGE, 256), 0x6A86),
        (CommandAPDU(0x00, 0x88, 0x80, 0x00, CHALLENGE, 256), 0x6A86),
        (CommandAPDU(0x00, 0x88, 0x00, 0x00, CHALLENGE[:7], 256), 0x6700),
        (CommandAPDU(0x00, 0x88, 0x00, 0x00, b"", 256), 0x6700),
        (CommandAPDU(0x00, 0x88, 0x00, 0x00, CHALLENGE), 0x6700),
        (CommandAPDU(0x00, 0x88, 0x00, 0x00, CHALLENGE, 127), 0x6700),
    ],
)
def test_chip_refuses_malformed_commands(command: CommandAPDU, sw: int) -> None:
    assert chip("rsa-1024-sha1").answer(command) == ResponseAPDU(b"", sw)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("rsa-abc-sha256", "unknown Active Authentication key 'rsa-abc-sha256'"),
        ("rsa-2048-md5", "unknown Active Authentication key"),
        ("dsa-1024-sha1", "unknown Active Authentication key"),
        ("ecdsa-P-999-sha256", "unknown Active Authentication key"),
        ("ecdsa", "unknown Active Authentication key"),
        ("rsa-512-sha1", "RSA keys of 1024 to 8192 bits"),
        ("ecdsa-brainpoolP224r1-sha224", "cannot sign on brainpoolP224r1"),
    ],
)
def test_unknown_specs(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ChipActiveAuthentication.from_spec(spec, b"seed")
    with pytest.raises(ValueError, match=message):
        ChipActiveAuthentication.spec_check(spec)


def test_spec_check_makes_no_key() -> None:
    ChipActiveAuthentication.spec_check("rsa-8192-sha512")  # would take seconds to generate
    ChipActiveAuthentication.spec_check("ecdsa-brainpoolP512r1-sha512")


def test_chip_checks_its_key_and_hash() -> None:
    key = chip("rsa-1024-sha1").private_key
    with pytest.raises(ValueError, match="the hash md5 is not supported"):
        ChipActiveAuthentication(key, "md5")
    with pytest.raises(ValueError, match="cannot sign on secp256k1"):
        ChipActiveAuthentication(ec.generate_private_key(ec.SECP256K1()), "sha256")


def test_secrets_stay_out_of_reprs() -> None:
    card = chip("rsa-1024-sha256")
    assert repr(card) == "ChipActiveAuthentication(RSA-1024, sha256)"
    assert repr(chip("ecdsa-P-256-sha1")) == "ChipActiveAuthentication(ECDSA P-256, sha1)"


# -- ISO/IEC 9796-2 ------------------------------------------------------------------------------


def test_iso9796_padding_when_the_key_is_not_a_multiple_of_8_bits() -> None:
    f = iso9796.message_representative(b"\x11" * 106, CHALLENGE, 1028, "sha1")
    assert f.hex().startswith("06ba11")
    assert iso9796.recover(int.from_bytes(f, "big"), 1028).m1 == b"\x11" * 106
    short = iso9796.message_representative(b"\x22", CHALLENGE, 1024, "sha256")
    assert short.hex().startswith("6" + "b" * 184 + "a22")


def test_iso9796_limits() -> None:
    assert iso9796.recoverable_length(1024, "sha512") == 61
    assert iso9796.recoverable_length(512, "sha512") < 0
    with pytest.raises(ValueError, match="M1 of 107 bytes does not fit a 1024-bit key"):
        iso9796.message_representative(bytes(107), CHALLENGE, 1024, "sha1")
    with pytest.raises(ValueError, match="no identifier for the hash md5"):
        iso9796.message_representative(b"", CHALLENGE, 1024, "md5")
    with pytest.raises(DecodeError, match="out of range"):
        iso9796.rsa_open(bytes(128), 0xFFFF, 3)


@pytest.mark.parametrize(
    ("representative", "message"),
    [
        ("5a" + "00" * 126 + "bc", "the header is not 6"),
        ("6b" + "bb" * 127, "the padding is malformed"),
        ("6c" + "00" * 126 + "bc", "the padding is malformed"),
        ("6a" + "00" * 126 + "cc", "the trailer names no known hash"),
        ("6a" + "00" * 125 + "39cc", "the trailer names no known hash"),
        ("6a" + "00" * 126 + "ab", "the trailer names no known hash"),
        ("6" + "b" * 124 + "a" + "00" * 63 + "35cc", "too short for its hash"),
        ("6a" * 129, "longer than the key"),
    ],
)
def test_iso9796_malformed_representatives(representative: str, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        iso9796.recover(int(representative, 16), 1024)
