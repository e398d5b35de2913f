"""Project-made LDS files: what the simulated chip (`mrtd.sim`) holds, signed by the synthetic
test PKI. The stand-in for the third-party data sets of the shared data (tests/shared_data.py)
where those were only a convenient input, so a bare clone still tests the same behaviour."""

from __future__ import annotations

from functools import cache
from typing import Any

from mrtd.sim.files import build_files
from mrtd.sim.profile import Profile

CHIP: dict[str, Any] = {
    "data_groups": [1, 2, 3, 4, 11, 12],
    "aa": "rsa-2048-sha256",
    "ca": "ecdh-brainpoolP256r1-aes128",
    "extended_length": True,  # the RSA-2048 AA key needs it
}
"""A chip with every file the simulator makes: EF.COM, EF.SOD, DG1-4, DG11, DG12, DG14, DG15."""


@cache
def sim_profile(signer: str = "ecdsa") -> Profile:
    return Profile.from_dict({"chip": CHIP | {"signer": signer}})


@cache
def sim_files(signer: str = "ecdsa") -> dict[str, bytes]:
    """The simulated chip's files by name ("EF.COM", "EF.SOD", "DG1", ...); `signer` is the
    test Document Signer of EF.SOD ("rsa" or "ecdsa")."""
    return {file.name: file.data for file in build_files(sim_profile(signer)).values()}


def made_jp2(width: int, height: int) -> bytes:
    """A JPEG 2000 file (JP2) of boxes and headers only, no image data: the signature, 'ftyp',
    'jp2h' with its 'ihdr', and a 'jp2c' codestream of SIZ (one 8-bit component) and EOC. Enough
    for what reads headers (type, size, the codestream box); not for a decoder."""
    size = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    siz = (
        bytes.fromhex("0029 0000")
        + size
        + bytes(8)
        + size
        + bytes(8)
        + bytes.fromhex("0001 070101")
    )
    codestream = b"\xff\x4f\xff\x51" + siz + b"\xff\xd9"
    ihdr = _box(
        b"ihdr", height.to_bytes(4, "big") + width.to_bytes(4, "big") + b"\x00\x01\x07\x07\x00\x00"
    )
    return (
        bytes.fromhex("0000000C6A5020200D0A870A")
        + _box(b"ftyp", b"jp2 " + bytes(4) + b"jp2 ")
        + _box(b"jp2h", ihdr)
        + _box(b"jp2c", codestream)
    )


def _box(kind: bytes, content: bytes) -> bytes:
    return (8 + len(content)).to_bytes(4, "big") + kind + content
