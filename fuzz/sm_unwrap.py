"""Fuzz secure-messaging unwrapping (9303-11 §9.8) in the C core and its pure-Python twin,
which must agree: the same result, or the same exception with the same message.

First byte: bits 0-1 pick the key set (3DES, AES-128, AES-192, AES-256, fixed keys and SSC),
bit 2 the role (0: the terminal opens a response, 1: the chip opens a command whose first
four bytes are the header), bit 3 seals the data with a valid DO'8E' (the MAC is checked
before anything else, so only sealed inputs reach the data objects and the cryptogram), bit 4
encrypts the rest as the cryptogram's plaintext, padding included (sealed too: then the
fuzzer controls what decryption yields).
"""

from __future__ import annotations

from typing import NamedTuple

from harness import agree, fuzz, instrumented, rejecting

with instrumented(__name__ == "__main__"):
    from mrtd import crypto
    from mrtd.crypto import SMAlgorithm, SMBackend


class KeySet(NamedTuple):
    algorithm: SMAlgorithm
    k_enc: bytes
    k_mac: bytes
    ssc: bytes  # of a response; a command has the one before

    @property
    def block(self) -> int:
        return len(self.ssc)

    @property
    def command_ssc(self) -> bytes:
        value = int.from_bytes(self.ssc, "big") - 1
        return value.to_bytes(self.block, "big")


# 3DES and AES-256 as in the ICAO 9303-11 worked example and a real AES-256 trace
# (fixtures/vectors: bac.secure_messaging, sm.aes256.read_ef_com), so recorded APDUs verify.
KEY_SETS = (
    KeySet(
        SMAlgorithm.DES3,
        bytes.fromhex("979EC13B1CBFE9DCD01AB0FED307EAE5"),
        bytes.fromhex("F1CB1F1FB5ADF208806B89DC579DC1F8"),
        bytes.fromhex("887022120C06C22A"),
    ),
    KeySet(
        SMAlgorithm.AES,
        bytes.fromhex("F5F0E35C0D7161EE6724EE513A0D9A7F"),
        bytes.fromhex("FE251C7858B356B24514B3BD5F4297D1"),
        bytes(15) + b"\x02",
    ),
    KeySet(SMAlgorithm.AES, bytes(range(24)), bytes(range(24, 48)), bytes(15) + b"\x02"),
    KeySet(
        SMAlgorithm.AES,
        bytes.fromhex("74B94F408BBB2CD92571FD5B6370A94CCE7A2FA42AE3EB4DA47B97CE6EAA24C6"),
        bytes.fromhex("9E28D5D9FF1D979BE752E8926BF0E1D35A440FC0AEFC4AA3BC5610055AC8B113"),
        bytes(15) + b"\x22",
    ),
)
COMMAND, SEAL, ENCRYPT = 0x04, 0x08, 0x10
# The C core against its twin; without the core (not built) the reference against itself.
TWINS: tuple[SMBackend, SMBackend] = (crypto.native or crypto.reference, crypto.reference)


def check_sm_unwrap(data: bytes) -> None:
    if not data:
        return
    mode, body = data[0], data[1:]
    keys = KEY_SETS[mode & 0x03]
    if mode & COMMAND:
        if len(body) < 4:
            return
        header, body = body[:4], body[4:]
        agree(lambda core: _unwrap_command(core, keys, mode, header, body), TWINS)
    else:
        agree(lambda core: _unwrap_response(core, keys, mode, body), TWINS)


def _unwrap_response(core: SMBackend, keys: KeySet, mode: int, body: bytes) -> object:
    if mode & ENCRYPT:
        sw, plain = body[:2].ljust(2, b"\x90"), body[2:]
        body = _cryptogram(keys, keys.ssc, plain, odd=False) + b"\x99\x02" + sw
    if mode & (SEAL | ENCRYPT):
        body += _mac_object(keys, keys.ssc + body)
    return core.unwrap_response(keys.algorithm, keys.k_enc, keys.k_mac, keys.ssc, body)


def _unwrap_command(core: SMBackend, keys: KeySet, mode: int, header: bytes, body: bytes) -> object:
    ssc = keys.command_ssc
    if mode & ENCRYPT:
        body = _cryptogram(keys, ssc, body, odd=bool(header[1] & 1))
    if mode & (SEAL | ENCRYPT):
        body += _mac_object(keys, ssc + _pad(header, keys.block) + body)
    return core.unwrap_command(keys.algorithm, keys.k_enc, keys.k_mac, ssc, header, body)


def _cryptogram(keys: KeySet, ssc: bytes, plain: bytes, *, odd: bool) -> bytes:
    """DO'87' (01 || cryptogram) or DO'85' of `plain` cut to whole blocks, encrypted without
    adding padding: CBC encryption of the padded text starts with these very blocks."""
    plain = plain[: len(plain) - len(plain) % keys.block]
    if not plain:
        return b""
    encrypted = crypto.reference.encrypt(keys.algorithm, keys.k_enc, ssc, plain)[: len(plain)]
    value = encrypted if odd else b"\x01" + encrypted
    return bytes((0x85 if odd else 0x87,)) + _length(len(value)) + value


def _mac_object(keys: KeySet, mac_input: bytes) -> bytes:
    return b"\x8e\x08" + crypto.reference.mac(keys.algorithm, keys.k_mac, mac_input)


def _pad(data: bytes, block: int) -> bytes:
    return data + b"\x80" + bytes(block - 1 - len(data) % block)


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    size = (n.bit_length() + 7) // 8
    return bytes((0x80 | size,)) + n.to_bytes(size, "big")


test_one_input = rejecting(check_sm_unwrap)

if __name__ == "__main__":
    fuzz(test_one_input, max_len=2048)
