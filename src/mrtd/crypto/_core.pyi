"""Types of the C core; each function has a pure-Python twin in mrtd.crypto._reference."""

from typing import SupportsIndex

_Bytes = bytes | bytearray | memoryview

def equal(a: _Bytes, b: _Bytes, /) -> bool: ...
def openssl_version() -> str: ...
def mac(algo: SupportsIndex, key: _Bytes, data: _Bytes) -> bytes: ...
def encrypt(algo: SupportsIndex, k_enc: _Bytes, ssc: _Bytes, data: _Bytes) -> bytes: ...
def decrypt(algo: SupportsIndex, k_enc: _Bytes, ssc: _Bytes, data: _Bytes) -> bytes: ...
def wrap_command(
    algo: SupportsIndex,
    k_enc: _Bytes,
    k_mac: _Bytes,
    ssc: _Bytes,
    header: _Bytes,
    data: _Bytes,
    le: _Bytes,
) -> bytes: ...
def unwrap_response(
    algo: SupportsIndex, k_enc: _Bytes, k_mac: _Bytes, ssc: _Bytes, rdata: _Bytes
) -> tuple[bytes, int]: ...
def unwrap_command(
    algo: SupportsIndex,
    k_enc: _Bytes,
    k_mac: _Bytes,
    ssc: _Bytes,
    header: _Bytes,
    data: _Bytes,
) -> tuple[bytes, bytes]: ...
def wrap_response(
    algo: SupportsIndex,
    k_enc: _Bytes,
    k_mac: _Bytes,
    ssc: _Bytes,
    data: _Bytes,
    sw: SupportsIndex,
    odd: bool = False,
) -> bytes: ...
