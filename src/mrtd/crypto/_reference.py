"""Pure-Python twins of the functions in the C core; tests compare the two.

Secure messaging (ICAO 9303-11 §9.8): the C core implements the same rules in the same order,
so both raise the same exception with the same message for the same input. What a rule is for
is said here once; _core.c points back to this module.
"""

from __future__ import annotations

import hmac
import operator
from typing import SupportsIndex

from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from mrtd.crypto._compat import TripleDES
from mrtd.errors import MACError, SecureMessagingError

BytesLike = bytes | bytearray | memoryview

DES3, AES = 1, 2  # the `algo` argument: mrtd.crypto.SMAlgorithm
MAC_LEN = 8
# Longest plaintext accepted: every length then fits an int in C and every data object length
# fits the 83 xx xx xx form (ISO 7816-4 allows 65535 bytes at most anyway).
MAX_DATA = 0xFFFF00
MAX_CRYPTOGRAM = 0xFFFFFF

TAG_CRYPTOGRAM = 0x87  # padding-content indicator || cryptogram (even INS)
TAG_CRYPTOGRAM_ODD = 0x85  # cryptogram of BER-TLV data, no indicator (odd INS, ISO 7816-4)
TAG_LE = 0x97
TAG_SW = 0x99
TAG_MAC = 0x8E
PADDING_INDICATOR = 0x01  # ISO/IEC 9797-1 padding method 2 applied


def equal(a: BytesLike, b: BytesLike, /) -> bool:
    """Compare in time independent of where the inputs differ."""
    return hmac.compare_digest(bytes(a), bytes(b))


# -- argument checks (the caller's fault: ValueError / TypeError) ----------------------------


def _buf(obj: BytesLike) -> bytes:
    """Bytes of any buffer; TypeError for anything else (as the C core's y* does)."""
    return memoryview(obj).tobytes()


def _block(algo: SupportsIndex) -> int:
    value = operator.index(algo)
    if value == DES3:
        return 8
    if value == AES:
        return 16
    raise ValueError("algo must be 1 (3DES) or 2 (AES)")


def _check_key(block: int, key: bytes, name: str) -> None:
    if block == 8 and len(key) != 16:
        raise ValueError(f"{name}: 3DES keys must be 16 bytes")
    if block == 16 and len(key) not in (16, 24, 32):
        raise ValueError(f"{name}: AES keys must be 16, 24 or 32 bytes")


def _check_ssc(block: int, ssc: bytes) -> None:
    if len(ssc) != block:
        raise ValueError(f"ssc must be {block} bytes")


def _check_header(header: bytes) -> None:
    if len(header) != 4:
        raise ValueError("header must be 4 bytes")


def _check_data(data: bytes) -> None:
    if len(data) > MAX_DATA:
        raise ValueError(f"data longer than {MAX_DATA} bytes")


# -- primitives -------------------------------------------------------------------------------


def _pad(data: bytes, block: int) -> bytes:
    """ISO/IEC 9797-1 padding method 2: 80, then zeros up to a block multiple (always added)."""
    return data + b"\x80" + bytes(block - 1 - len(data) % block)


def _unpad(data: bytes, block: int, role: str) -> bytes:
    """Strip padding method 2: the last block ends in 80 followed by zeros only."""
    tail = data[-block:]
    mark = len(tail.rstrip(b"\x00")) - 1
    if mark < 0 or tail[mark] != 0x80:
        raise SecureMessagingError(f"{role}bad padding in decrypted data")
    return data[: len(data) - block + mark]


def _des(key: bytes) -> TripleDES:
    """3DES from 8 (single DES as K1||K1||K1) or 16 (two-key K1||K2||K1) key bytes."""
    return TripleDES(key * 3 if len(key) == 8 else key + key[:8])


def _ecb_encrypt(block: int, key: bytes, data: bytes) -> bytes:
    algorithm = _des(key) if block == 8 else algorithms.AES(key)
    encryptor = Cipher(algorithm, modes.ECB()).encryptor()  # noqa: S305 - one block (IV, MAC)
    return encryptor.update(data) + encryptor.finalize()


def _cbc(block: int, key: bytes, iv: bytes, data: bytes, *, encrypt: bool) -> bytes:
    algorithm = _des(key) if block == 8 else algorithms.AES(key)
    cipher = Cipher(algorithm, modes.CBC(iv))
    ctx = cipher.encryptor() if encrypt else cipher.decryptor()
    return ctx.update(data) + ctx.finalize()


def _iv(block: int, k_enc: bytes, ssc: bytes) -> bytes:
    """3DES: zero IV; AES: IV = E(K_enc, SSC) (9303-11 §9.8.6.2)."""
    return bytes(8) if block == 8 else _ecb_encrypt(16, k_enc, ssc)


def _mac_padded(block: int, key: bytes, padded: bytes) -> bytes:
    """The 8-byte MAC of already padded data (9303-11 §9.8.3)."""
    if block == 16:  # AES-CMAC (NIST SP 800-38B) truncated to 8 bytes
        ctx = cmac.CMAC(algorithms.AES(key))
        ctx.update(padded)
        return ctx.finalize()[:MAC_LEN]
    # ISO/IEC 9797-1 MAC algorithm 3 (retail MAC): single-DES CBC with K1 over every block,
    # then the last chaining value goes through D(K2) and E(K1), which together with the
    # last E(K1) of the chain is one 3DES-EDE(K1, K2, K1) encryption.
    head, last = padded[:-8], padded[-8:]
    chain = _cbc(8, key[:8], bytes(8), head, encrypt=True)[-8:] if head else bytes(8)
    mixed = bytes(x ^ y for x, y in zip(chain, last, strict=True))
    return _ecb_encrypt(8, key, mixed)


def mac(algo: SupportsIndex, key: BytesLike, data: BytesLike) -> bytes:
    """Pad (method 2), then the 8-byte MAC: retail MAC (3DES) or truncated AES-CMAC (AES)."""
    key_b, data_b = _buf(key), _buf(data)
    block = _block(algo)
    _check_key(block, key_b, "key")
    _check_data(data_b)
    return _mac_padded(block, key_b, _pad(data_b, block))


def encrypt(algo: SupportsIndex, k_enc: BytesLike, ssc: BytesLike, data: BytesLike) -> bytes:
    """Pad (method 2), then CBC-encrypt: IV 0 (3DES) or E(K_enc, SSC) (AES)."""
    k_b, ssc_b, data_b = _buf(k_enc), _buf(ssc), _buf(data)
    block = _block(algo)
    _check_key(block, k_b, "k_enc")
    _check_ssc(block, ssc_b)
    _check_data(data_b)
    return _encrypt(block, k_b, ssc_b, data_b)


def _encrypt(block: int, k_enc: bytes, ssc: bytes, data: bytes) -> bytes:
    return _cbc(block, k_enc, _iv(block, k_enc, ssc), _pad(data, block), encrypt=True)


def decrypt(algo: SupportsIndex, k_enc: BytesLike, ssc: BytesLike, data: BytesLike) -> bytes:
    """CBC-decrypt and strip padding method 2; SecureMessagingError when either is wrong."""
    k_b, ssc_b, data_b = _buf(k_enc), _buf(ssc), _buf(data)
    block = _block(algo)
    _check_key(block, k_b, "k_enc")
    _check_ssc(block, ssc_b)
    return _decrypt(block, k_b, ssc_b, data_b, "")


def _decrypt(block: int, k_enc: bytes, ssc: bytes, data: bytes, role: str) -> bytes:
    if len(data) > MAX_CRYPTOGRAM:
        raise SecureMessagingError(f"{role}cryptogram too long")
    if not data or len(data) % block:
        raise SecureMessagingError(f"{role}cryptogram length is not a multiple of the block size")
    plain = _cbc(block, k_enc, _iv(block, k_enc, ssc), data, encrypt=False)
    return _unpad(plain, block, role)


# -- data objects -----------------------------------------------------------------------------


def _tlv(tag: int, value: bytes) -> bytes:
    """A data object with the shortest BER length (1 byte, 81 xx, 82 xx xx or 83 xx xx xx)."""
    n = len(value)
    if n < 0x80:
        length = bytes((n,))
    else:
        size = (n.bit_length() + 7) // 8
        length = bytes((0x80 | size,)) + n.to_bytes(size, "big")
    return bytes((tag,)) + length + value


def _cryptogram_do(block: int, k_enc: bytes, ssc: bytes, data: bytes, odd: bool) -> bytes:
    if not data:
        return b""
    cryptogram = _encrypt(block, k_enc, ssc, data)
    if odd:
        return _tlv(TAG_CRYPTOGRAM_ODD, cryptogram)
    return _tlv(TAG_CRYPTOGRAM, bytes((PADDING_INDICATOR,)) + cryptogram)


class _DataObject:
    """One parsed data object: where it starts in the buffer and its value."""

    __slots__ = ("start", "tag", "value")

    def __init__(self, start: int, tag: int, value: bytes) -> None:
        self.start, self.tag, self.value = start, tag, value


def _read(buf: bytes, pos: int, role: str) -> tuple[_DataObject, int]:
    """Parse the data object at `pos`: one tag byte, a BER length (1, 81, 82 or 83 form).

    Longer-than-needed length forms are accepted: the MAC covers the encoding as sent.
    """
    if len(buf) - pos < 2:
        raise SecureMessagingError(f"{role}truncated data object")
    tag, first = buf[pos], buf[pos + 1]
    head = pos + 2
    if first < 0x80:
        length = first
    elif 0x81 <= first <= 0x83:
        size = first - 0x80
        if len(buf) - head < size:
            raise SecureMessagingError(f"{role}truncated data object")
        length = int.from_bytes(buf[head : head + size], "big")
        head += size
    else:
        raise SecureMessagingError(f"{role}unsupported length form 0x{first:02X}")
    if len(buf) - head < length:
        raise SecureMessagingError(f"{role}truncated data object")
    return _DataObject(pos, tag, buf[head : head + length]), head + length


def _expect(buf: bytes, pos: int, tag: int, role: str) -> tuple[_DataObject, int]:
    if pos == len(buf):
        raise SecureMessagingError(f"{role}DO'{tag:02X}' missing")
    obj, end = _read(buf, pos, role)
    if obj.tag != tag:
        raise SecureMessagingError(f"{role}expected DO'{tag:02X}', found tag 0x{obj.tag:02X}")
    return obj, end


def _check_mac_do(buf: bytes, pos: int, role: str) -> _DataObject:
    """DO'8E' ends the data: exactly 8 bytes of MAC, nothing after it."""
    obj, end = _expect(buf, pos, TAG_MAC, role)
    if len(obj.value) != MAC_LEN:
        raise SecureMessagingError(f"{role}DO'8E' must hold 8 bytes")
    if end != len(buf):
        raise SecureMessagingError(f"{role}trailing bytes after DO'8E'")
    return obj


def _verify(block: int, k_mac: bytes, mac_input: bytes, received: bytes, role: str) -> None:
    """Constant-time MAC check; the chip (or terminal) is at fault when it fails."""
    expected = _mac_padded(block, k_mac, _pad(mac_input, block))
    if not hmac.compare_digest(expected, received):
        raise MACError(f"{role}MAC does not verify")


def _open_cryptogram(
    block: int, k_enc: bytes, ssc: bytes, obj: _DataObject | None, role: str
) -> bytes:
    """Plaintext of a verified DO'87' / DO'85' (b"" without one)."""
    if obj is None:
        return b""
    value = obj.value
    if obj.tag == TAG_CRYPTOGRAM:
        if not value or value[0] != PADDING_INDICATOR:
            raise SecureMessagingError(f"{role}DO'87' does not start with indicator 01")
        value = value[1:]
    return _decrypt(block, k_enc, ssc, value, role)


# -- terminal role ----------------------------------------------------------------------------

_COMMAND = "SM command: "
_RESPONSE = "SM response: "


def wrap_command(  # noqa: PLR0917 - positional, as the C core
    algo: SupportsIndex,
    k_enc: BytesLike,
    k_mac: BytesLike,
    ssc: BytesLike,
    header: BytesLike,
    data: BytesLike,
    le: BytesLike,
) -> bytes:
    """Protected command data field: [DO'87'|DO'85'] [DO'97'] DO'8E' (9303-11 §9.8.6.1).

    `header` is CLA INS P1 P2 with CLA already masked (0C), `ssc` already incremented, `le`
    the encoded Le (b"", 1 byte, or 2 bytes extended). MAC over SSC || pad(header) || DOs.
    """
    k_enc_b, k_mac_b, ssc_b = _buf(k_enc), _buf(k_mac), _buf(ssc)
    header_b, data_b, le_b = _buf(header), _buf(data), _buf(le)
    block = _block(algo)
    _check_key(block, k_enc_b, "k_enc")
    _check_key(block, k_mac_b, "k_mac")
    _check_ssc(block, ssc_b)
    _check_header(header_b)
    _check_data(data_b)
    if len(le_b) > 2:
        raise ValueError("le must be 0, 1 or 2 bytes")
    body = _cryptogram_do(block, k_enc_b, ssc_b, data_b, odd=bool(header_b[1] & 1))
    if le_b:
        body += _tlv(TAG_LE, le_b)
    tag = _mac_padded(block, k_mac_b, _pad(ssc_b + _pad(header_b, block) + body, block))
    return body + _tlv(TAG_MAC, tag)


def unwrap_response(
    algo: SupportsIndex, k_enc: BytesLike, k_mac: BytesLike, ssc: BytesLike, rdata: BytesLike
) -> tuple[bytes, int]:
    """Check and open a protected response data field (without SW1 SW2): (plaintext, SW).

    Structure [DO'87'|DO'85'] DO'99' DO'8E'; the MAC over SSC || DO'87' || DO'99' is checked
    before anything inside is interpreted (9303-11 §9.8.6.1, Appendix D.4).
    """
    k_enc_b, k_mac_b, ssc_b, buf = _buf(k_enc), _buf(k_mac), _buf(ssc), _buf(rdata)
    block = _block(algo)
    _check_key(block, k_enc_b, "k_enc")
    _check_key(block, k_mac_b, "k_mac")
    _check_ssc(block, ssc_b)
    role = _RESPONSE
    pos, cryptogram = 0, None
    if pos < len(buf) and buf[pos] in (TAG_CRYPTOGRAM, TAG_CRYPTOGRAM_ODD):
        cryptogram, pos = _read(buf, pos, role)
    status, pos = _expect(buf, pos, TAG_SW, role)
    mac_do = _check_mac_do(buf, pos, role)
    _verify(block, k_mac_b, ssc_b + buf[: mac_do.start], mac_do.value, role)
    if len(status.value) != 2:
        raise SecureMessagingError(f"{role}DO'99' must hold 2 bytes")
    plain = _open_cryptogram(block, k_enc_b, ssc_b, cryptogram, role)
    return plain, int.from_bytes(status.value, "big")


# -- chip role --------------------------------------------------------------------------------


def unwrap_command(  # noqa: PLR0917 - positional, as the C core
    algo: SupportsIndex,
    k_enc: BytesLike,
    k_mac: BytesLike,
    ssc: BytesLike,
    header: BytesLike,
    data: BytesLike,
) -> tuple[bytes, bytes]:
    """Check and open a protected command data field: (plaintext, encoded Le or b"").

    Structure [DO'87' (even INS) | DO'85' (odd INS)] [DO'97'] DO'8E'; `header` as received.
    """
    k_enc_b, k_mac_b, ssc_b = _buf(k_enc), _buf(k_mac), _buf(ssc)
    header_b, buf = _buf(header), _buf(data)
    block = _block(algo)
    _check_key(block, k_enc_b, "k_enc")
    _check_key(block, k_mac_b, "k_mac")
    _check_ssc(block, ssc_b)
    _check_header(header_b)
    role = _COMMAND
    odd = bool(header_b[1] & 1)
    pos, cryptogram, le = 0, None, None
    if pos < len(buf) and buf[pos] in (TAG_CRYPTOGRAM, TAG_CRYPTOGRAM_ODD):
        if (buf[pos] == TAG_CRYPTOGRAM_ODD) != odd:
            need = "an odd" if buf[pos] == TAG_CRYPTOGRAM_ODD else "an even"
            raise SecureMessagingError(f"{role}DO'{buf[pos]:02X}' needs {need} INS")
        cryptogram, pos = _read(buf, pos, role)
    if pos < len(buf) and buf[pos] == TAG_LE:
        le, pos = _read(buf, pos, role)
    mac_do = _check_mac_do(buf, pos, role)
    mac_input = ssc_b + _pad(header_b, block) + buf[: mac_do.start]
    _verify(block, k_mac_b, mac_input, mac_do.value, role)
    if le is not None and not 1 <= len(le.value) <= 2:
        raise SecureMessagingError(f"{role}DO'97' must hold 1 or 2 bytes")
    plain = _open_cryptogram(block, k_enc_b, ssc_b, cryptogram, role)
    return plain, b"" if le is None else le.value


def wrap_response(  # noqa: PLR0917 - positional, as the C core
    algo: SupportsIndex,
    k_enc: BytesLike,
    k_mac: BytesLike,
    ssc: BytesLike,
    data: BytesLike,
    sw: SupportsIndex,
    odd: bool = False,
) -> bytes:
    """Protected response data field: [DO'87'|DO'85'] DO'99' DO'8E' (caller appends SW1 SW2)."""
    k_enc_b, k_mac_b, ssc_b, data_b = _buf(k_enc), _buf(k_mac), _buf(ssc), _buf(data)
    block = _block(algo)
    _check_key(block, k_enc_b, "k_enc")
    _check_key(block, k_mac_b, "k_mac")
    _check_ssc(block, ssc_b)
    _check_data(data_b)
    status = operator.index(sw)
    if not 0 <= status <= 0xFFFF:
        raise ValueError("sw must be 0..0xFFFF")
    body = _cryptogram_do(block, k_enc_b, ssc_b, data_b, odd=bool(odd))
    body += _tlv(TAG_SW, status.to_bytes(2, "big"))
    tag = _mac_padded(block, k_mac_b, _pad(ssc_b + body, block))
    return body + _tlv(TAG_MAC, tag)
