"""Chip Authentication version 1, terminal side, as a sans-I/O generator (ICAO 9303-11 §6.2,
BSI TR-03110-1 §3.4 in its version 1 form).

    info, key = choose_chip_authentication(SecurityInfos.from_dg14(dg14))
    result = yield from chip_authentication(info, key)

The chip's static key pair sits in DG14, which EF.SOD signs. The terminal sends an ephemeral
public key; both sides derive new secure-messaging keys from the static-ephemeral shared secret,
which only a chip holding the static private key can compute. The proof is implicit: nothing in
the protocol itself shows the chip knew the key; its next protected answer does.

Commands: with 3DES, MSE:Set KAT carrying the ephemeral key (9303-11 §6.2); with AES,
MSE:Set AT naming the protocol, then GENERAL AUTHENTICATE carrying the key. The
caller sends every yielded command through its current secure channel (BAC or PACE) and sends
back the plain answer; a status word other than 9000 raises `ChipAuthError`, as does a static
key in DG14 that is off the curve or outside the subgroup (before any command is sent).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator
from dataclasses import dataclass

from mrtd import tlv
from mrtd.access.pace.groups import Agreement, DHAgreement, KeyPair, agreement_for
from mrtd.access.pace.suite import Suite
from mrtd.apdu import SHORT_MAX_NE, CommandAPDU, ResponseAPDU
from mrtd.crypto.domains import DHGroup
from mrtd.crypto.ec import Backend
from mrtd.crypto.kdf import Cipher
from mrtd.crypto.spki import DomainEncoding
from mrtd.der import encode_oid
from mrtd.errors import ChipAuthError, DecodeError, InvalidPointError
from mrtd.lds.security.infos import (
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    SecurityInfos,
)
from mrtd.lds.security.oids import PK_BY_OID
from mrtd.sm import SecureChannel
from mrtd.verify.outcome import KeyInfo

__all__ = [
    "CAResult",
    "chip_authentication",
    "choose_chip_authentication",
    "domain_key",
    "general_authenticate",
    "key_reference",
    "public_key_of",
    "session_cipher",
    "set_at",
    "set_kat",
    "unusable_reason",
]

Protocol = Generator[CommandAPDU, ResponseAPDU, "CAResult"]

INS_MSE, INS_GENERAL_AUTHENTICATE = 0x22, 0x86
SET_KAT = (0x41, 0xA6)  # MSE: set for computation, Key Agreement Template (3DES only)
SET_AT = (0x41, 0xA4)  # MSE: set for computation, Authentication Template
MECHANISM, KEY_REFERENCE = 0x80, 0x84  # MSE:Set AT: the CA OID, the chip's key id
KAT_EPHEMERAL_KEY = 0x91  # MSE:Set KAT: the terminal's ephemeral public key
DYNAMIC_AUTHENTICATION_DATA, GA_EPHEMERAL_KEY = 0x7C, 0x80
MAX_DATA = 1024  # CA data objects: a DH-2048 key and its tags; a v2-minded answer adds 20 bytes

_CIPHER_PREFERENCE = {Cipher.AES256: 4, Cipher.AES192: 3, Cipher.AES128: 2, Cipher.DES3: 1}


@dataclass(frozen=True, slots=True, repr=False)
class CAResult:
    """The secure channel Chip Authentication agreed, and what ran.

    `channel` holds KS_enc = KDF(K, 1), KS_mac = KDF(K, 2) and SSC 0 (9303-11 §9.8.2). It is not
    yet proof of anything: the caller switches to it after unprotecting the protocol's last
    answer with the old channel, and the chip is authenticated once its next protected answer
    verifies under it (a clone without the private key cannot produce that MAC).
    """

    channel: SecureChannel
    info: ChipAuthenticationInfo
    key_id: int | None
    protocol: dict[str, str]  # {"key_agreement": "ECDH", "domain": ..., "cipher": "AES-128"}

    def __repr__(self) -> str:
        p = self.protocol
        return f"CAResult({p['key_agreement']}, {p['domain']}, {p['cipher']})"


def chip_authentication(
    info: ChipAuthenticationInfo,
    key: ChipAuthenticationPublicKeyInfo,
    *,
    random_bytes: Callable[[int], bytes] = os.urandom,
    backend: Backend | None = None,
    ephemeral_private: int | None = None,
) -> Protocol:
    """Run Chip Authentication v1 with the chip's static key `key` as `info` says.

    `ephemeral_private` is for tests only: it fixes the terminal's ephemeral private key so a
    recorded trace or a worked example replays byte-exact. Leave it None otherwise.
    """
    cipher = session_cipher(info)
    key_id = _key_id(info, key)
    try:
        agreement = agreement_for(key.domain, backend)
    except DecodeError as exc:  # explicit parameters in DG14 that make no usable curve
        raise ChipAuthError(f"the chip's domain parameters (DG14) are invalid: {exc}") from None
    if ephemeral_private is None:
        ephemeral = agreement.keypair(random_bytes)
    else:
        ephemeral = KeyPair(ephemeral_private, public_key_of(agreement, ephemeral_private))
    try:  # validates the chip's key first: nothing is sent for a key off the curve
        secret = agreement.shared_secret(ephemeral.private, key.public_key)
    except InvalidPointError as exc:
        raise ChipAuthError(f"the chip's static public key (DG14) is invalid: {exc}") from None

    if cipher is Cipher.DES3:
        _check((yield set_kat(ephemeral.public, key_id)), "MSE:Set KAT")
    else:
        _check((yield set_at(info.oid, key_id)), "MSE:Set AT")
        answer = yield general_authenticate(ephemeral.public)
        _check(answer, "GENERAL AUTHENTICATE")
        _check_template(answer.data)

    description = {
        "key_agreement": key.key_agreement.value,
        "domain": key.domain.name,
        "cipher": cipher.value,
    }
    return CAResult(Suite(cipher).session(secret), info, key_id, description)


def choose_chip_authentication(
    infos: SecurityInfos,
) -> tuple[ChipAuthenticationInfo, ChipAuthenticationPublicKeyInfo] | None:
    """The best version 1 protocol and the key it runs with, or None if DG14 offers none.

    An info goes with a key of its key agreement, and of its key id when both name one (with
    several keys they must, 9303-11 §9.2.5-6). AES is preferred over 3DES, then file order.
    Without any ChipAuthenticationInfo (early chips list only the key) the protocol is taken to
    be id-CA-(EC)DH-3DES-CBC-CBC: 3DES was Chip Authentication's only cipher before AES came.
    """
    keys = infos.chip_authentication_keys
    if infos.chip_authentication:
        pairs = [
            (info, key)
            for info in infos.chip_authentication
            if info.version == 1
            for key in keys
            if _belong(info, key)
        ]
    else:
        pairs = [
            (ChipAuthenticationInfo.build(key.key_agreement, Cipher.DES3, key.key_id), key)
            for key in keys
        ]
    return max(pairs, key=lambda pair: _CIPHER_PREFERENCE[session_cipher(pair[0])], default=None)


def unusable_reason(infos: SecurityInfos) -> tuple[str, str]:
    """Why `choose_chip_authentication(infos)` found nothing to run: the reason and its code.

    `chip.no_key` only when DG14 holds no Chip Authentication public key at all; a key that is
    there but cannot be used here is `chip.unsupported_key` (a key info this library cannot
    read), `chip.unsupported_version` (only version 2 infos, or another version),
    `chip.unsupported_algorithm` (no info of the key's key agreement) or
    `chip.key_id_mismatch` (the infos name other key ids than the keys)."""
    keys = infos.chip_authentication_keys
    if not keys:
        if any(info.oid in PK_BY_OID for info in infos.unknown):
            return "DG14's Chip Authentication public key cannot be read", "chip.unsupported_key"
        return "DG14 holds no Chip Authentication public key", "chip.no_key"
    version_1 = [info for info in infos.chip_authentication if info.version == 1]
    if not version_1:
        versions = sorted({info.version for info in infos.chip_authentication})
        named = ", ".join(map(str, versions))
        return (f"DG14 offers Chip Authentication version {named} only; mrtd runs version 1",
                "chip.unsupported_version")  # fmt: skip
    agreements = {key.key_agreement for key in keys}
    if not any(info.key_agreement in agreements for info in version_1):
        return ("DG14's Chip Authentication infos name another key agreement than its keys",
                "chip.unsupported_algorithm")  # fmt: skip
    return ("DG14's Chip Authentication infos name other key ids than its public keys",
            "chip.key_id_mismatch")  # fmt: skip


def domain_key(key: ChipAuthenticationPublicKeyInfo) -> KeyInfo:
    """A Chip Authentication (or PACE-CAM) public key described for a policy: "dh" and the
    prime's size, or "ec", the group order's size and the curve (as EF.SOD's keys are)."""
    domain = key.domain
    if isinstance(domain, DHGroup):
        return KeyInfo("dh", domain.p.bit_length())
    return KeyInfo("ec", domain.n.bit_length(), domain.name,
                   key.domain_encoding is DomainEncoding.EXPLICIT)  # fmt: skip


# -- the commands, shared with the simulated chip ----------------------------------------------


def session_cipher(info: ChipAuthenticationInfo) -> Cipher:
    """The cipher of the new session; a bare id-CA-DH / id-CA-ECDH means 3DES (version 1)."""
    return Cipher.DES3 if info.cipher is None else info.cipher


def key_reference(key_id: int) -> bytes:
    """The key id as data object 84 carries it: big-endian, as few bytes as it needs."""
    return key_id.to_bytes(max(1, (key_id.bit_length() + 7) // 8), "big")


def set_kat(public: bytes, key_id: int | None) -> CommandAPDU:
    """MSE:Set KAT: 91 ephemeral public key, 84 key id (9303-11 §6.2)."""
    data = tlv.encode(KAT_EPHEMERAL_KEY, public) + _key_reference_object(key_id)
    return CommandAPDU(0x00, INS_MSE, *SET_KAT, data)


def set_at(oid: str, key_id: int | None) -> CommandAPDU:
    """MSE:Set AT for Chip Authentication: 80 protocol OID, 84 key id (9303-11 §6.2)."""
    data = tlv.encode(MECHANISM, encode_oid(oid)) + _key_reference_object(key_id)
    return CommandAPDU(0x00, INS_MSE, *SET_AT, data)


def general_authenticate(public: bytes) -> CommandAPDU:
    """GENERAL AUTHENTICATE: 7C { 80 ephemeral public key }, the last (only) of its chain."""
    data = tlv.encode(DYNAMIC_AUTHENTICATION_DATA, tlv.encode(GA_EPHEMERAL_KEY, public))
    return CommandAPDU(0x00, INS_GENERAL_AUTHENTICATE, 0x00, 0x00, data, SHORT_MAX_NE)


def public_key_of(agreement: Agreement, private: int) -> bytes:
    """private * G, or g ^ private mod p as many bytes as p."""
    if private <= 0:
        raise ValueError("a private key must be positive")
    if isinstance(agreement, DHAgreement):
        return agreement.encode(pow(agreement.generator, private, agreement.dh.p))
    return agreement.group.mul(private, agreement.generator)


# -- helpers -----------------------------------------------------------------------------------


def _key_reference_object(key_id: int | None) -> bytes:
    return b"" if key_id is None else tlv.encode(KEY_REFERENCE, key_reference(key_id))


def _key_id(info: ChipAuthenticationInfo, key: ChipAuthenticationPublicKeyInfo) -> int | None:
    if info.version != 1:
        raise ChipAuthError(f"ChipAuthenticationInfo version {info.version}; only 1 is run here")
    if info.key_agreement is not key.key_agreement:
        raise ChipAuthError(
            f"DG14 pairs a {info.key_agreement.value} protocol with a {key.key_agreement.value} key"
        )
    if not _belong(info, key):
        raise ChipAuthError("ChipAuthenticationInfo and the public key name different key ids")
    return info.key_id if info.key_id is not None else key.key_id


def _belong(info: ChipAuthenticationInfo, key: ChipAuthenticationPublicKeyInfo) -> bool:
    if info.key_agreement is not key.key_agreement:
        return False
    return info.key_id is None or key.key_id is None or info.key_id == key.key_id


def _check(answer: ResponseAPDU, step: str) -> None:
    if not answer.ok:
        raise ChipAuthError(f"{step} refused: {answer.sw:04X}")


def _check_template(data: bytes) -> None:
    """The GENERAL AUTHENTICATE answer: nothing, or a well-formed 7C (empty in version 1)."""
    if not data:
        return
    try:
        answer = tlv.decode_one(data, max_depth=2, max_length=MAX_DATA)
    except DecodeError as exc:
        raise ChipAuthError(f"malformed GENERAL AUTHENTICATE answer ({exc})") from None
    if answer.tag != DYNAMIC_AUTHENTICATION_DATA:
        raise ChipAuthError("the GENERAL AUTHENTICATE answer is not 7C")
