"""Secure messaging (9303-11 §9.8): the worked example and real traces replayed byte-exact by
both backends in both roles, and each rule for malformed input and misuse by name."""

from __future__ import annotations

import re
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from mrtd import crypto
from mrtd.crypto import SMAlgorithm, SMBackend, _core, _reference
from mrtd.crypto._compat import TripleDES
from mrtd.errors import MACError, SecureMessagingError
from tests.conftest import VECTORS

DES3, AES = SMAlgorithm.DES3, SMAlgorithm.AES
BLOCK = {DES3: 8, AES: 16}
h = bytes.fromhex


@pytest.fixture(params=[_core, _reference], ids=["native", "python"])
def impl(request: pytest.FixtureRequest) -> SMBackend:
    backend: SMBackend = request.param
    return backend


def split_short_apdu(apdu: bytes) -> tuple[bytes, bytes]:
    """(header, data field) of a short command APDU with Lc, data and a one-byte Le."""
    lc = apdu[4]
    assert len(apdu) == 4 + 1 + lc + 1
    return apdu[:4], apdu[5 : 5 + lc]


def protected_apdu(header: bytes, body: bytes) -> bytes:
    """The short SM APDU as the terminal sends it: Lc, the data objects, Le = 00."""
    return header + bytes((len(body),)) + body + b"\x00"


def ssc_plus(ssc: bytes, n: int) -> bytes:
    return ((int.from_bytes(ssc, "big") + n) % (1 << (8 * len(ssc)))).to_bytes(len(ssc), "big")


# -- ICAO 9303-11 Appendix D.4: 3DES with the BAC session keys of D.3 ------------------------

D4: dict[str, Any] = VECTORS["bac.secure_messaging"]
D4_KENC, D4_KMAC = h(D4["KSenc"]), h(D4["KSmac"])
D4_STEPS = [  # vector step, header with CLA masked, plain data, encoded Le
    ("select_ef_com", h("0CA4020C"), h("011E"), b""),
    ("read_binary_4", h("0CB00000"), b"", h("04")),
    ("read_binary_18", h("0CB00004"), b"", h("12")),
]


def test_d4_mac_inputs(impl: SMBackend) -> None:
    """mac() pads: the vector's N and K are its inputs with padding method 2 applied."""
    select, read4 = D4["select_ef_com"], D4["read_binary_4"]
    n = h(select["SSC"]) + h(select["M"])
    assert h(select["N"]) == n + h("8000000000")
    assert impl.mac(DES3, D4_KMAC, n) == h(select["CC"])
    k = h(select["SSC_response"]) + h("99029000")
    assert h(select["K_response"]) == k + h("80000000")
    assert impl.mac(DES3, D4_KMAC, k) == h(select["CC_response"])
    n = h(read4["SSC"]) + h(read4["M"])
    assert h(read4["N"]) == n + h("8000000000")
    assert impl.mac(DES3, D4_KMAC, n) == h(read4["protected_apdu"])[-9:-1]
    k = h(read4["K_response"])[:-1]
    assert impl.mac(DES3, D4_KMAC, k) == h(read4["response"])[-10:-2]


def test_d4_select_cryptogram(impl: SMBackend) -> None:
    select = D4["select_ef_com"]
    cryptogram = impl.encrypt(DES3, D4_KENC, h(select["SSC"]), h("011E"))
    assert h("870901") + cryptogram == h(select["DO87"])
    assert impl.decrypt(DES3, D4_KENC, h(select["SSC"]), cryptogram) == h("011E")


def test_d4_terminal_role(impl: SMBackend) -> None:
    ssc, ef_com = h(D4["SSC_start"]), b""
    for name, header, data, le in D4_STEPS:
        step = D4[name]
        ssc = ssc_plus(ssc, 1)
        assert ssc == h(step["SSC"])
        body = impl.wrap_command(DES3, D4_KENC, D4_KMAC, ssc, header, data, le)
        assert protected_apdu(header, body) == h(step["protected_apdu"])
        ssc = ssc_plus(ssc, 1)
        assert ssc == h(step["SSC_response"])
        response = h(step["response"])
        plain, sw = impl.unwrap_response(DES3, D4_KENC, D4_KMAC, ssc, response[:-2])
        assert sw == 0x9000 == int.from_bytes(response[-2:], "big")
        assert plain == h(step.get("plaintext", ""))
        ef_com += plain
    assert ef_com == h(D4["ef_com"])


def test_d4_chip_role(impl: SMBackend) -> None:
    """The simulated chip's side: unwrap the protected commands, and wrap the same responses
    byte for byte (3DES SM is deterministic)."""
    ssc = h(D4["SSC_start"])
    for name, header, data, le in D4_STEPS:
        step = D4[name]
        ssc = ssc_plus(ssc, 1)
        got_header, body = split_short_apdu(h(step["protected_apdu"]))
        assert got_header == header
        assert impl.unwrap_command(DES3, D4_KENC, D4_KMAC, ssc, header, body) == (data, le)
        ssc = ssc_plus(ssc, 1)
        plain = h(step.get("plaintext", ""))
        response = impl.wrap_response(DES3, D4_KENC, D4_KMAC, ssc, plain, 0x9000)
        assert response + h("9000") == h(step["response"])


# -- AES traces -------------------------------------------------------------------------------


def replay_trace(
    impl: SMBackend, k_enc: bytes, k_mac: bytes, ssc: bytes, apdus: list[list[str]]
) -> tuple[bytes, bytes]:
    """Both roles over (command, response) pairs; returns the response plaintexts and the SSC.

    AES SM is deterministic too (IV = E(K_enc, SSC)), so re-wrapping what was unwrapped must
    give the traced bytes back."""
    plaintexts = b""
    for command_hex, response_hex in apdus:
        header, body = split_short_apdu(h(command_hex))
        response = h(response_hex)
        ssc = ssc_plus(ssc, 1)
        data, le = impl.unwrap_command(AES, k_enc, k_mac, ssc, header, body)
        assert impl.wrap_command(AES, k_enc, k_mac, ssc, header, data, le) == body
        ssc = ssc_plus(ssc, 1)
        plain, sw = impl.unwrap_response(AES, k_enc, k_mac, ssc, response[:-2])
        assert sw == int.from_bytes(response[-2:], "big")
        assert impl.wrap_response(AES, k_enc, k_mac, ssc, plain, sw) == response[:-2]
        plaintexts += plain
    return plaintexts, ssc


def test_aes256_trace_reads_ef_com(impl: SMBackend) -> None:
    trace: dict[str, Any] = VECTORS["sm.aes256.read_ef_com"]
    k_enc, k_mac = h(trace["KSenc"]), h(trace["KSmac"])
    plain, _ = replay_trace(impl, k_enc, k_mac, h(trace["SSC"]), trace["apdus"])
    assert plain == h(trace["ef_com"])
    header, body = split_short_apdu(h(trace["apdus"][1][0]))
    assert impl.unwrap_command(AES, k_enc, k_mac, ssc_plus(h(trace["SSC"]), 3), header, body) == (
        b"",
        h("04"),
    )


def test_aes128_chip_authentication_trace(impl: SMBackend) -> None:
    """A real passport: MSE:Set AT and GENERAL AUTHENTICATE under the PACE keys, then SELECT
    under the Chip Authentication keys with the SSC restarted at 0."""
    trace: dict[str, Any] = VECTORS["ca.real_trace_ecdh_brainpoolP256r1_aes128"]
    pre, post = trace["pre_sm"], trace["post_sm"]
    assert pre["alg"] == "AES-128"
    k_enc, k_mac, ssc = h(pre["KSenc"]), h(pre["KSmac"]), h(pre["SSC"])
    replay_trace(impl, k_enc, k_mac, ssc, trace["apdus"][:2])
    new_enc, new_mac = h(post["KSenc"]), h(post["KSmac"])
    _, last = replay_trace(impl, new_enc, new_mac, bytes(16), trace["apdus"][2:])
    assert last == h(post["SSC_after_select"])

    # GENERAL AUTHENTICATE: dynamic authentication data 7C ..., Le 00 (= 256) in DO'97'.
    header, body = split_short_apdu(h(trace["apdus"][1][0]))
    data, le = impl.unwrap_command(AES, k_enc, k_mac, ssc_plus(ssc, 3), header, body)
    assert (data[0], data[1], le) == (0x7C, len(data) - 2, b"\x00")
    # The terminal's ephemeral public key is inside (80 41 04 ...).
    assert h(trace["term_pub"]) in data
    # After the key switch the old keys no longer verify.
    header, body = split_short_apdu(h(trace["apdus"][2][0]))
    with pytest.raises(MACError):
        impl.unwrap_command(AES, k_enc, k_mac, ssc_plus(bytes(16), 1), header, body)


# -- shapes: odd INS, length forms, status words ----------------------------------------------

K16, K16B, K32 = bytes(range(16)), bytes(range(16, 32)), bytes(range(32))
SSC = {DES3: bytes(7) + b"\x01", AES: bytes(15) + b"\x01"}


@pytest.mark.parametrize("algo", list(SMAlgorithm))
def test_odd_ins_uses_do85_both_ways(impl: SMBackend, algo: SMAlgorithm) -> None:
    header, data = h("0CB10000"), h("54020100")  # READ BINARY with offset DO'54'
    body = impl.wrap_command(algo, K16, K16B, SSC[algo], header, data, b"\x00")
    assert body[0] == 0x85
    assert body[1] == BLOCK[algo]  # no padding-content indicator in DO'85'
    assert impl.unwrap_command(algo, K16, K16B, SSC[algo], header, body) == (data, b"\x00")
    rdata = impl.wrap_response(algo, K16, K16B, SSC[algo], b"\x53\x01\xaa", 0x9000, odd=True)
    assert rdata[0] == 0x85
    assert impl.unwrap_response(algo, K16, K16B, SSC[algo], rdata) == (b"\x53\x01\xaa", 0x9000)


@pytest.mark.parametrize(
    ("size", "prefix"),
    [
        (0, h("99")),  # no DO'87' at all
        (118, h("8779")),  # 121 value bytes: one length byte
        (200, h("8781D1")),
        (300, h("87820131")),
        (70000, h("878301117901")),  # 70009 bytes: needs the 83 form
    ],
)
def test_length_forms(impl: SMBackend, size: int, prefix: bytes) -> None:
    data = bytes(i % 251 for i in range(size))
    rdata = impl.wrap_response(DES3, K16, K16B, SSC[DES3], data, 0x9000)
    assert rdata.startswith(prefix)
    assert impl.unwrap_response(DES3, K16, K16B, SSC[DES3], rdata) == (data, 0x9000)
    body = impl.wrap_command(DES3, K16, K16B, SSC[DES3], h("0CD60000"), data, b"")
    assert impl.unwrap_command(DES3, K16, K16B, SSC[DES3], h("0CD60000"), body) == (data, b"")


def with_valid_mac(impl: SMBackend, algo: SMAlgorithm, dos: bytes) -> bytes:
    """Response data objects followed by a valid DO'8E', to reach the rules after the MAC."""
    return dos + b"\x8e\x08" + impl.mac(algo, K16B, SSC[algo] + dos)


def test_longer_length_forms_are_accepted_under_the_mac(impl: SMBackend) -> None:
    cryptogram = impl.encrypt(AES, K16, SSC[AES], b"abc")
    for length in (h("11"), h("8111"), h("820011"), h("83000011")):
        rdata = with_valid_mac(impl, AES, b"\x87" + length + b"\x01" + cryptogram + h("99029000"))
        assert impl.unwrap_response(AES, K16, K16B, SSC[AES], rdata) == (b"abc", 0x9000)


@pytest.mark.parametrize("sw", [0x9000, 0x6282, 0x6A82, 0x0000, 0xFFFF])
def test_status_word_comes_from_do99(impl: SMBackend, sw: int) -> None:
    rdata = impl.wrap_response(AES, K32, K16, SSC[AES], b"", sw)
    assert rdata[:4] == b"\x99\x02" + sw.to_bytes(2, "big")
    assert impl.unwrap_response(AES, K32, K16, SSC[AES], rdata) == (b"", sw)


def test_command_without_data_or_le_is_just_the_mac(impl: SMBackend) -> None:
    body = impl.wrap_command(DES3, K16, K16B, SSC[DES3], h("0C440000"), b"", b"")
    assert body[:2] == h("8E08")
    assert body[2:] == impl.mac(DES3, K16B, SSC[DES3] + h("0C440000 80000000"))
    assert impl.unwrap_command(DES3, K16, K16B, SSC[DES3], h("0C440000"), body) == (b"", b"")


def test_extended_le_and_buffer_types(impl: SMBackend) -> None:
    body = impl.wrap_command(
        AES, bytearray(K16), memoryview(K16B), SSC[AES], h("0CB00000"), b"", h("0000")
    )
    assert body.startswith(h("97020000"))
    assert impl.unwrap_command(AES, K16, K16B, bytearray(SSC[AES]), h("0CB00000"), body) == (
        b"",
        h("0000"),
    )


def test_keyword_arguments(impl: SMBackend) -> None:
    rdata = impl.wrap_response(
        algo=AES, k_enc=K16, k_mac=K16B, ssc=SSC[AES], data=b"x", sw=0x9000, odd=False
    )
    assert impl.unwrap_response(algo=AES, k_enc=K16, k_mac=K16B, ssc=SSC[AES], rdata=rdata) == (
        b"x",
        0x9000,
    )


# -- malformed input: SecureMessagingError, and MACError only for a MAC ----------------------


@pytest.mark.parametrize(
    ("rdata", "message"),
    [
        ("", "DO'99' missing"),
        ("99029000", "DO'8E' missing"),
        ("99029000 8E07 00000000000000", "DO'8E' must hold 8 bytes"),
        ("99029000 8E08 0000000000000000 00", "trailing bytes after DO'8E'"),
        ("99029000 8E09 0000000000000000", "truncated data object"),
        ("99", "truncated data object"),
        ("8781", "truncated data object"),
        ("878200", "truncated data object"),
        ("8705 0100", "truncated data object"),
        ("8784 00000001 01 99029000", "unsupported length form 0x84"),
        ("8780 99029000", "unsupported length form 0x80"),
        ("8E08 0000000000000000", "expected DO'99', found tag 0x8E"),
        ("6F00", "expected DO'99', found tag 0x6F"),
        ("99029000 970100 8E08 0000000000000000", "expected DO'8E', found tag 0x97"),
        ("870101 870101 99029000", "expected DO'99', found tag 0x87"),
    ],
)
def test_malformed_response(impl: SMBackend, rdata: str, message: str) -> None:
    with pytest.raises(SecureMessagingError) as info:
        impl.unwrap_response(DES3, K16, K16B, SSC[DES3], h(rdata))
    assert type(info.value) is SecureMessagingError
    assert str(info.value) == "SM response: " + message


@pytest.mark.parametrize(
    ("header", "data", "message"),
    [
        ("0CB00000", "", "DO'8E' missing"),
        ("0CB00000", "8509 01 0000000000000000 8E08 0000000000000000", "DO'85' needs an odd INS"),
        ("0CB10000", "8709 01 0000000000000000 8E08 0000000000000000", "DO'87' needs an even INS"),
        ("0CB00000", "970100 870901 0000000000000000", "expected DO'8E', found tag 0x87"),
        ("0CB00000", "970100 970100", "expected DO'8E', found tag 0x97"),
        ("0CB00000", "99029000 8E08 0000000000000000", "expected DO'8E', found tag 0x99"),
        ("0CB00000", "8E08 0000000000000000 8E08", "trailing bytes after DO'8E'"),
    ],
)
def test_malformed_command(impl: SMBackend, header: str, data: str, message: str) -> None:
    with pytest.raises(SecureMessagingError) as info:
        impl.unwrap_command(DES3, K16, K16B, SSC[DES3], h(header), h(data))
    assert type(info.value) is SecureMessagingError
    assert str(info.value) == "SM command: " + message


@pytest.mark.parametrize(
    ("dos", "message"),
    [
        ("990190", "DO'99' must hold 2 bytes"),
        ("99 03 900000", "DO'99' must hold 2 bytes"),
        ("8709 02 0000000000000000 99029000", "DO'87' does not start with indicator 01"),
        ("8700 99029000", "DO'87' does not start with indicator 01"),
        ("870101 99029000", "cryptogram length is not a multiple of the block size"),
        ("8705 01 00000000 99029000", "cryptogram length is not a multiple of the block size"),
        ("8500 99029000", "cryptogram length is not a multiple of the block size"),
    ],
)
def test_rules_checked_after_the_mac(impl: SMBackend, dos: str, message: str) -> None:
    rdata = with_valid_mac(impl, DES3, h(dos))
    with pytest.raises(SecureMessagingError) as info:
        impl.unwrap_response(DES3, K16, K16B, SSC[DES3], rdata)
    assert type(info.value) is SecureMessagingError
    assert str(info.value) == "SM response: " + message


def test_do97_length_checked_after_the_mac(impl: SMBackend) -> None:
    header = h("0CB00000")
    for le in (b"", b"\x01\x02\x03"):
        dos = b"\x97" + bytes((len(le),)) + le
        mac = impl.mac(DES3, K16B, SSC[DES3] + header + h("80000000") + dos)
        with pytest.raises(SecureMessagingError, match=r"^SM command: DO'97' must hold 1 or 2"):
            impl.unwrap_command(DES3, K16, K16B, SSC[DES3], header, dos + b"\x8e\x08" + mac)


def raw_cbc_encrypt(algo: SMAlgorithm, plain: bytes) -> bytes:
    """CBC under K16 with the SM IV but no padding, to make wrongly padded cryptograms."""
    if algo is DES3:
        cipher = Cipher(TripleDES(K16 + K16[:8]), modes.CBC(bytes(8)))
    else:
        ecb = Cipher(algorithms.AES(K16), modes.ECB()).encryptor()
        cipher = Cipher(algorithms.AES(K16), modes.CBC(ecb.update(SSC[AES]) + ecb.finalize()))
    encryptor = cipher.encryptor()
    return encryptor.update(plain) + encryptor.finalize()


@pytest.mark.parametrize("algo", list(SMAlgorithm))
@pytest.mark.parametrize(
    "last_block",
    [
        bytes,  # no 80 at all
        lambda b: bytes(b - 1) + b"\x81",  # last non-zero byte is not 80
        lambda b: b"\x80" + bytes(b - 2) + b"\x01",  # something after the 80
        lambda b: b"\x80" + bytes(2 * b - 1),  # the 80 a block too early
    ],
    ids=["zeros", "81", "80-then-01", "80-a-block-early"],
)
def test_bad_padding(impl: SMBackend, algo: SMAlgorithm, last_block: Any) -> None:
    cryptogram = raw_cbc_encrypt(algo, last_block(BLOCK[algo]))
    with pytest.raises(SecureMessagingError, match=r"^bad padding in decrypted data$"):
        impl.decrypt(algo, K16, SSC[algo], cryptogram)
    dos = b"\x87" + bytes((len(cryptogram) + 1,)) + b"\x01" + cryptogram + h("99029000")
    with pytest.raises(SecureMessagingError, match=r"^SM response: bad padding in decrypted data$"):
        impl.unwrap_response(algo, K16, K16B, SSC[algo], with_valid_mac(impl, algo, dos))


@pytest.mark.parametrize("algo", list(SMAlgorithm))
def test_padding_only_block_is_empty_plaintext(impl: SMBackend, algo: SMAlgorithm) -> None:
    cryptogram = raw_cbc_encrypt(algo, b"\x80" + bytes(BLOCK[algo] - 1))
    assert impl.decrypt(algo, K16, SSC[algo], cryptogram) == b""
    assert impl.encrypt(algo, K16, SSC[algo], b"") == cryptogram


def test_wrong_mac_is_a_mac_error_without_secrets_in_the_message(impl: SMBackend) -> None:
    rdata = impl.wrap_response(AES, K16, K16B, SSC[AES], b"secret", 0x9000)
    with pytest.raises(MACError) as info:
        impl.unwrap_response(AES, K16, K16B, ssc_plus(SSC[AES], 1), rdata)
    assert str(info.value) == "SM response: MAC does not verify"
    body = impl.wrap_command(AES, K16, K16B, SSC[AES], h("0CB00000"), b"", b"\x04")
    with pytest.raises(MACError, match=r"^SM command: MAC does not verify$"):
        impl.unwrap_command(AES, K16, K16B, SSC[AES], h("0CB00001"), body)


# -- misuse: ValueError / TypeError -----------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m: m.mac(3, K16, b""), "algo must be 1 (3DES) or 2 (AES)"),
        (lambda m: m.mac(0, K16, b""), "algo must be 1 (3DES) or 2 (AES)"),
        (lambda m: m.mac(2**80, K16, b""), "algo must be 1 (3DES) or 2 (AES)"),
        (lambda m: m.mac(1, K32, b""), "key: 3DES keys must be 16 bytes"),
        (lambda m: m.mac(2, K16[:8], b""), "key: AES keys must be 16, 24 or 32 bytes"),
        (lambda m: m.encrypt(2, K16, SSC[DES3], b""), "ssc must be 16 bytes"),
        (lambda m: m.decrypt(1, K16, SSC[AES], b""), "ssc must be 8 bytes"),
        (
            lambda m: m.wrap_command(1, K16, K32, SSC[DES3], h("0CB00000"), b"", b""),
            "k_mac: 3DES keys must be 16 bytes",
        ),
        (
            lambda m: m.wrap_command(1, K16, K16, SSC[DES3], h("0CB000"), b"", b""),
            "header must be 4 bytes",
        ),
        (
            lambda m: m.wrap_command(1, K16, K16, SSC[DES3], h("0CB00000"), b"", bytes(3)),
            "le must be 0, 1 or 2 bytes",
        ),
        (
            lambda m: m.unwrap_command(2, K16, K16, SSC[AES], h("0CB0000000"), b""),
            "header must be 4 bytes",
        ),
        (lambda m: m.wrap_response(2, K16, K16, SSC[AES], b"", 0x10000), "sw must be 0..0xFFFF"),
        (lambda m: m.wrap_response(2, K16, K16, SSC[AES], b"", -1), "sw must be 0..0xFFFF"),
        (lambda m: m.mac(1, K16, bytes(0xFFFF01)), "data longer than 16776960 bytes"),
    ],
)
def test_misuse_is_a_value_error(impl: SMBackend, call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        call(impl)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.mac(1.0, K16, b""),
        lambda m: m.mac("1", K16, b""),
        lambda m: m.mac(1, "key", b""),
        lambda m: m.encrypt(1, K16, SSC[DES3], 5),
        lambda m: m.wrap_response(1, K16, K16, SSC[DES3], b"", 36864.0),
        lambda m: m.unwrap_response(1, K16, K16, SSC[DES3], None),
        lambda m: m.wrap_command(1, K16, K16, SSC[DES3], h("0CB00000"), b""),
    ],
)
def test_wrong_types_are_type_errors(impl: SMBackend, call: Any) -> None:
    with pytest.raises(TypeError):
        call(impl)


# -- the public API ---------------------------------------------------------------------------


def test_public_functions_dispatch_to_the_native_core() -> None:
    assert crypto.native is _core
    assert crypto.reference is _reference
    if crypto.backend() == "native":
        assert crypto.mac(DES3, K16, b"x") == _core.mac(1, K16, b"x")
    body = crypto.wrap_command(AES, K16, K16B, SSC[AES], h("0CA4020C"), h("011E"), b"")
    assert crypto.unwrap_command(AES, K16, K16B, SSC[AES], h("0CA4020C"), body) == (h("011E"), b"")
    rdata = crypto.wrap_response(AES, K16, K16B, SSC[AES], b"abc", 0x9000, True)
    assert crypto.unwrap_response(AES, K16, K16B, SSC[AES], rdata) == (b"abc", 0x9000)
    cryptogram = crypto.encrypt(DES3, K16, SSC[DES3], b"abc")
    assert crypto.decrypt(DES3, K16, SSC[DES3], cryptogram) == b"abc"
    assert [int(a) for a in SMAlgorithm] == [1, 2]


def test_native_core_raises_the_library_exceptions() -> None:
    with pytest.raises(MACError) as info:
        _core.unwrap_response(1, K16, K16, SSC[DES3], h("99029000 8E08 0000000000000000"))
    assert type(info.value) is MACError
    assert isinstance(info.value, SecureMessagingError)
