"""PACE, terminal side, as a sans-I/O generator (ICAO 9303-11 §4.4).

    result = yield from pace(key, info, domain, random_bytes)

yields `CommandAPDU`s, receives `ResponseAPDU`s and returns a `PACEResult` whose channel
protects everything after it. Randomness is injected, so the 9303-11 worked examples replay
byte-exact. Every value from the chip is checked before use; a point off the curve, at
infinity or outside the subgroup, a token that does not verify, or a malformed answer raises
`PACEError`. A chip that rejects the terminal's token (the password was wrong) raises
`PACEError` with `wrong_key=True`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Generator
from dataclasses import dataclass

from mrtd import crypto
from mrtd.access.keys import AccessKey
from mrtd.access.pace import messages as msg
from mrtd.access.pace.groups import Agreement, ECAgreement, agreement_for
from mrtd.access.pace.mapping import check_chip_authentication, generic_mapping, integrated_mapping
from mrtd.access.pace.suite import Suite, password_reference
from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.crypto.domains import Domain, ECCurve
from mrtd.crypto.ec import Backend
from mrtd.der import encode_oid
from mrtd.errors import (
    CardStatusError,
    DecodeError,
    InvalidPointError,
    PACEError,
    SecureMessagingError,
)
from mrtd.lds.security.infos import Mapping, PACEInfo
from mrtd.sm import SecureChannel

Protocol = Generator[CommandAPDU, ResponseAPDU, "PACEResult"]
# Status words chips give for a wrong password at the last step (mutual authentication):
# 6300, 63Cx (tries left), 6982, 6985, 6A80, 6A88, and 6988 (the token's MAC did not verify);
# the ones BAC's MUTUAL AUTHENTICATE is refused with. Any other refusal of a PACE step is not
# a wrong key, and "auto" access may fall back to BAC after it.
WRONG_PASSWORD = (0x6300, 0x6982, 0x6985, 0x6988, 0x6A80, 0x6A88)

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, repr=False)
class PACEResult:
    channel: SecureChannel
    info: PACEInfo
    domain: Domain
    chip_map_public: bytes = b""  # PACE-CAM: PK_Map,IC, checked against the chip's static key
    chip_authentication_data: bytes = b""  # PACE-CAM: CA_IC, decrypted

    def verify_chip_authentication(
        self, static_public: bytes, backend: Backend | None = None
    ) -> bool:
        """PACE-CAM: whether CA_IC * PK_IC = PK_Map,IC for the chip's static key PK_IC (from
        EF.CardSecurity, whose signature must be checked too)."""
        if self.info.mapping is not Mapping.CAM or not isinstance(self.domain, ECCurve):
            raise ValueError("only PACE-CAM authenticates the chip")
        try:
            return check_chip_authentication(
                ECAgreement(self.domain, backend=backend),
                self.chip_authentication_data,
                static_public,
                self.chip_map_public,
            )
        except InvalidPointError:
            return False

    def __repr__(self) -> str:
        return (
            f"PACEResult({self.info.mapping.value}, {self.domain.name}, {self.info.cipher.value})"
        )


def pace(
    key: AccessKey,
    info: PACEInfo,
    domain: Domain,
    random_bytes: Callable[[int], bytes] = os.urandom,
    *,
    backend: Backend | None = None,
) -> Protocol:
    suite = Suite(info.cipher)
    try:
        answer = yield msg.set_at(info.oid, password_reference(key), info.parameter_id)
        if not answer.ok:
            raise _refused(answer, "MSE:Set AT")

        answer = yield msg.general_authenticate({})
        z = msg.require(_objects(answer, "GENERAL AUTHENTICATE (nonce)"), msg.ENCRYPTED_NONCE,
                        "encrypted nonce")  # fmt: skip
        if not suite.block_size <= len(z) <= msg.MAX_NONCE or len(z) % suite.block_size:
            raise PACEError("encrypted nonce has the wrong length")
        if info.mapping is Mapping.IM and len(z) != suite.nonce_size:
            raise PACEError("the integrated mapping needs a nonce of l bits (9303-11 §4.4.3.3.2)")
        k_pi = bytearray(suite.password_key(key))
        try:
            s = bytearray(suite.decrypt(k_pi, z))
        finally:
            crypto.wipe(k_pi)
        _log.debug("PACE: nonce decrypted; %s mapping", info.mapping.value)

        agreement = agreement_for(domain, backend)
        try:
            mapped, chip_map = yield from _map(info, agreement, suite, s, random_bytes)
        finally:
            crypto.wipe(s)

        ephemeral = mapped.keypair(random_bytes)
        answer = yield msg.general_authenticate(
            {msg.TERMINAL_KEY: ephemeral.public}, public_size=len(ephemeral.public)
        )
        step = "GENERAL AUTHENTICATE (key agreement)"
        chip_key = mapped.validate(msg.require(_objects(answer, step), msg.CHIP_KEY, step))
        if crypto.constant_time_equal(chip_key, ephemeral.public):
            raise PACEError("chip echoed the terminal's ephemeral key")
        shared = bytearray(mapped.shared_secret(ephemeral.private, chip_key))
        try:
            channel = suite.session(shared)
        finally:
            crypto.wipe(shared)

        ca_ic = yield from _tokens(info, suite, channel, mapped, chip_key, ephemeral.public)
    except InvalidPointError as exc:
        raise PACEError(f"chip sent an invalid public value: {exc}") from None
    except (DecodeError, SecureMessagingError) as exc:
        raise PACEError(f"malformed PACE answer: {exc}") from None
    return PACEResult(channel, info, domain, chip_map, ca_ic)


def _tokens(  # noqa: PLR0917 - the state of one PACE run
    info: PACEInfo,
    suite: Suite,
    channel: SecureChannel,
    mapped: Agreement,
    chip_key: bytes,
    own_key: bytes,
) -> Generator[CommandAPDU, ResponseAPDU, bytes]:
    """Exchange the authentication tokens (9303-11 §4.4.3.4); with PACE-CAM, return the chip's
    decrypted CA_IC. A channel whose tokens fail is wiped."""
    oid = encode_oid(info.oid)
    try:
        token = suite.token(channel.k_mac, oid, mapped.public_key_object(chip_key))
        answer = yield msg.general_authenticate({msg.TERMINAL_TOKEN: token}, last=True)
        if answer.sw in WRONG_PASSWORD or answer.sw >> 4 == 0x63C:
            raise PACEError(f"access denied: the chip refused the password ({answer.sw:04X}); "
                            "the MRZ data or the CAN is probably wrong",
                            wrong_key=True)  # fmt: skip
        objects = _objects(answer, "GENERAL AUTHENTICATE (tokens)")
        expected = suite.token(channel.k_mac, oid, mapped.public_key_object(own_key))
        if not crypto.constant_time_equal(msg.require(objects, msg.CHIP_TOKEN, "token"), expected):
            raise PACEError("chip's authentication token does not verify")
        _log.debug("PACE: the chip's authentication token verifies")
        if info.mapping is not Mapping.CAM:
            return b""
        encrypted = msg.require(objects, msg.CHIP_AUTHENTICATION_DATA, "CAM")
        return suite.decrypt_chip_data(channel.k_enc, encrypted)
    except BaseException:
        channel.wipe()
        raise


def _map(
    info: PACEInfo,
    agreement: Agreement,
    suite: Suite,
    s: bytearray,
    random_bytes: Callable[[int], bytes],
) -> Generator[CommandAPDU, ResponseAPDU, tuple[Agreement, bytes]]:
    step = "GENERAL AUTHENTICATE (mapping)"
    if info.mapping is Mapping.IM:
        t = random_bytes(suite.key_size)
        answer = yield msg.general_authenticate({msg.TERMINAL_MAPPING: t})
        _objects(answer, step)  # the chip's mapping data is empty
        return integrated_mapping(agreement, suite, s, t), b""
    own = agreement.keypair(random_bytes)
    answer = yield msg.general_authenticate(
        {msg.TERMINAL_MAPPING: own.public}, public_size=len(own.public)
    )
    chip_map = agreement.validate(msg.require(_objects(answer, step), msg.CHIP_MAPPING, step))
    if crypto.constant_time_equal(chip_map, own.public):
        raise PACEError("chip echoed the terminal's mapping key")
    return generic_mapping(agreement, s, own.private, chip_map), chip_map


def _objects(answer: ResponseAPDU, step: str) -> dict[int, bytes]:
    if not answer.ok:
        raise _refused(answer, step)
    return msg.parse_dynamic_data(answer.data, step)


def _refused(answer: ResponseAPDU, step: str) -> Exception:
    if answer.sw in (0x6A80, 0x6A88, 0x6985, 0x6D00, 0x6982):
        return PACEError(f"{step}: the chip does not accept these PACE parameters "
                         f"({answer.sw:04X})")  # fmt: skip
    return CardStatusError(answer.sw, step)
