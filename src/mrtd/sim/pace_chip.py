"""The simulated chip's half of PACE (ICAO 9303-11 §4.4): MSE:Set AT and the four GENERAL
AUTHENTICATE steps, with the same mapping and key-agreement code the terminal uses.

Each step checks what the terminal sent the way a conformant chip must (public values on the
curve / in the subgroup, the terminal's token) and answers a failure with a status word, as a
card does, never with an exception. A successful run hands back the secure channel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from mrtd import crypto, tlv
from mrtd.access.keys import AccessKey
from mrtd.access.pace import messages as msg
from mrtd.access.pace.groups import Agreement, ECAgreement, KeyPair, agreement_for
from mrtd.access.pace.mapping import chip_authentication_data, generic_mapping, integrated_mapping
from mrtd.access.pace.suite import Suite
from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.crypto.domains import Domain, ECCurve
from mrtd.der import encode_oid
from mrtd.errors import DecodeError, InvalidPointError, PACEError, SecureMessagingError
from mrtd.lds.security.infos import Mapping, PACEInfo
from mrtd.sim.profile import FaultSettings
from mrtd.sm import SecureChannel

SW_OK, SW_WRONG_DATA, SW_NOT_FOUND_REF = 0x9000, 0x6A80, 0x6A88
SW_CONDITIONS, SW_AUTH_FAILED, SW_WRONG_P1P2 = 0x6985, 0x6300, 0x6A86


@dataclass(frozen=True, slots=True)
class ChipPACEOption:
    """One PACE variant the chip offers: what its EF.CardAccess advertises, and its keys."""

    info: PACEInfo
    domain: Domain


@dataclass(slots=True)
class _Run:
    option: ChipPACEOption
    suite: Suite
    password: bytes = field(repr=False)  # K_pi: a secret, like the nonce
    step: int = 1
    nonce: bytes = field(default=b"", repr=False)
    agreement: Agreement | None = None
    map_key: KeyPair | None = None
    ephemeral: KeyPair | None = None
    terminal_key: bytes = b""
    channel: SecureChannel | None = None


class ChipPACE:
    """PACE state of one chip. `set_at` answers MSE:Set AT (INS 22), `general_authenticate`
    GENERAL AUTHENTICATE (INS 86); `established` is set once a run completes."""

    def __init__(
        self,
        options: Sequence[ChipPACEOption],
        passwords: dict[int, AccessKey],
        random_bytes: Callable[[int], bytes],
        *,
        static_keys: dict[str, KeyPair] | None = None,
        faults: FaultSettings | None = None,
        wrong_key_sw: int = SW_AUTH_FAILED,
    ) -> None:
        self.faults = faults or FaultSettings()
        self.wrong_key_sw = wrong_key_sw  # the answer to a terminal token that does not verify
        self.options = tuple(options)
        self.passwords = passwords  # password reference (PASSWORD_MRZ, PASSWORD_CAN) -> key
        self.static_keys = static_keys or {}  # curve name -> chip-authentication key (CAM)
        self._random = random_bytes
        self._run: _Run | None = None
        self.established: SecureChannel | None = None

    def reset(self) -> None:
        self._run, self.established = None, None

    def set_at(self, command: CommandAPDU) -> ResponseAPDU:
        self._run = None
        try:
            objects = {obj.tag: obj.value for obj in tlv.decode(command.data, max_depth=1)}
        except DecodeError:
            return _sw(SW_WRONG_DATA)
        oid, reference = objects.get(0x80, b""), objects.get(0x83, b"")
        parameter = objects.get(0x84)
        chosen = [
            option
            for option in self.options
            if encode_oid(option.info.oid) == oid
            and (parameter is None or option.info.parameter_id == int.from_bytes(parameter, "big"))
        ]
        if not chosen:
            return _sw(SW_NOT_FOUND_REF)
        key = self.passwords.get(reference[0]) if len(reference) == 1 else None
        if key is None:
            return _sw(SW_NOT_FOUND_REF)
        suite = Suite(chosen[0].info.cipher)
        self._run = _Run(chosen[0], suite, suite.password_key(key))
        return _sw(SW_OK)

    def general_authenticate(self, command: CommandAPDU) -> ResponseAPDU:
        run = self._run
        if run is None:
            return _sw(SW_CONDITIONS)
        last = not command.cla & msg.CHAINING
        if (run.step == 4) != last:  # steps 1-3 are chained, step 4 ends the chain
            self._run = None
            return _sw(SW_CONDITIONS)
        try:
            objects = msg.parse_dynamic_data(command.data, "GENERAL AUTHENTICATE")
            answer = _STEPS[run.step](self, run, objects)
        except (PACEError, InvalidPointError, SecureMessagingError, ValueError):
            self._run = None
            return _sw(SW_WRONG_DATA)
        if isinstance(answer, int):
            self._run = None
            return _sw(answer)
        run.step += 1
        if run.step > 4:
            self._run, self.established = None, run.channel
        return ResponseAPDU(tlv.encode(0x7C, answer), SW_OK)

    # -- the four steps --------------------------------------------------------------------------

    def _nonce(self, run: _Run, objects: dict[int, bytes]) -> bytes | int:
        if objects:
            return SW_WRONG_DATA
        run.nonce = self._random(run.suite.nonce_size)
        run.agreement = agreement_for(run.option.domain)
        z = run.suite.encrypt(run.password, run.nonce)
        return tlv.encode(msg.ENCRYPTED_NONCE, z)

    def _map(self, run: _Run, objects: dict[int, bytes]) -> bytes | int:
        assert run.agreement is not None
        terminal = objects.get(msg.TERMINAL_MAPPING, b"")
        if run.option.info.mapping is Mapping.IM:
            if len(terminal) != run.suite.key_size:
                return SW_WRONG_DATA
            run.agreement = integrated_mapping(run.agreement, run.suite, run.nonce, terminal)
            return b""
        run.map_key = run.agreement.keypair(self._random)
        if crypto.constant_time_equal(run.agreement.validate(terminal), run.map_key.public):
            return SW_WRONG_DATA
        sent = self._tamper("mapping", run.agreement, run.map_key.public, terminal)
        run.agreement = generic_mapping(run.agreement, run.nonce, run.map_key.private, terminal)
        return tlv.encode(msg.CHIP_MAPPING, sent)

    def _agree(self, run: _Run, objects: dict[int, bytes]) -> bytes | int:
        assert run.agreement is not None
        run.ephemeral = run.agreement.keypair(self._random)
        terminal = run.agreement.validate(objects.get(msg.TERMINAL_KEY, b""))
        if crypto.constant_time_equal(terminal, run.ephemeral.public):
            return SW_WRONG_DATA
        run.terminal_key = terminal
        secret = run.agreement.shared_secret(run.ephemeral.private, terminal)
        run.channel = run.suite.session(secret)
        sent = self._tamper("agreement", run.agreement, run.ephemeral.public, terminal)
        return tlv.encode(msg.CHIP_KEY, sent)

    def _tokens(self, run: _Run, objects: dict[int, bytes]) -> bytes | int:
        assert run.agreement is not None
        assert run.channel is not None
        assert run.ephemeral is not None
        oid = encode_oid(run.option.info.oid)
        agreement, k_mac = run.agreement, run.channel.k_mac
        expected = run.suite.token(k_mac, oid, agreement.public_key_object(run.ephemeral.public))
        if not crypto.constant_time_equal(objects.get(msg.TERMINAL_TOKEN, b""), expected):
            return self.wrong_key_sw  # the terminal used another password
        token = run.suite.token(k_mac, oid, agreement.public_key_object(run.terminal_key))
        if self.faults.pace_token:
            token = bytes(b ^ 0xFF for b in token)
        answer = tlv.encode(msg.CHIP_TOKEN, token)
        if run.option.info.mapping is Mapping.CAM:
            answer += tlv.encode(msg.CHIP_AUTHENTICATION_DATA, self._cam_data(run))
        return answer

    def _tamper(self, step: str, agreement: Agreement, public: bytes, terminal: bytes) -> bytes:
        """The public value a hostile chip sends instead of its own ([faults] pace_public)."""
        fault = self.faults.pace_public
        if not fault or self.faults.pace_step != step:
            return public
        if fault == "echo":
            return terminal
        if isinstance(agreement, ECAgreement):
            if fault == "off-curve":
                return public[:-1] + bytes((public[-1] ^ 1,))
            return b"\x00"  # infinity; on a cofactor-1 curve the only small-subgroup element
        p = agreement.dh.p
        value = {"off-curve": p, "infinity": 1, "small-subgroup": p - 1}[fault]
        return value.to_bytes(agreement.size, "big")

    def _cam_data(self, run: _Run) -> bytes:
        curve = run.option.domain
        static_key = self.static_keys.get(curve.name)
        if static_key is None or run.map_key is None:
            raise PACEError("PACE-CAM needs the chip's static key")
        assert isinstance(curve, ECCurve)
        assert run.channel is not None
        data = chip_authentication_data(curve, static_key.private, run.map_key.private)
        return run.suite.encrypt_chip_data(run.channel.k_enc, data)


_STEPS: dict[int, Callable[[ChipPACE, _Run, dict[int, bytes]], bytes | int]] = {
    1: ChipPACE._nonce,
    2: ChipPACE._map,
    3: ChipPACE._agree,
    4: ChipPACE._tokens,
}


def _sw(sw: int) -> ResponseAPDU:
    return ResponseAPDU(b"", sw)
