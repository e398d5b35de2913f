"""The simulated eMRTD chip: an ICAO 9303-conformant applet behind `transmit(bytes) -> bytes`.

Built from the library's own parts in the chip role (`SecureChannel`, the BAC key derivation),
so every protocol the terminal speaks is round-trip tested against it. It keeps a modeled
air time (`modeled_seconds`) from the profile's link settings.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping

from mrtd import crypto, errors
from mrtd.access.bac import cipher
from mrtd.access.bac.keys import derive_bac_keys
from mrtd.access.bac.protocol import session_channel
from mrtd.access.keys import AccessKey, CANKey, MRZKey
from mrtd.access.pace.groups import KeyPair
from mrtd.access.pace.suite import PASSWORD_CAN, PASSWORD_MRZ
from mrtd.apdu import SHORT_MAX_NE, CommandAPDU, ResponseAPDU
from mrtd.crypto import SMAlgorithm
from mrtd.crypto.domains import ECCurve
from mrtd.errors import CardRemovedError, DecodeError, SecureMessagingError
from mrtd.lds import LDS_FILES
from mrtd.lds.files import EMRTD_AID
from mrtd.lds.security.infos import Mapping as PACEMapping
from mrtd.sim.authentication import (
    ChipKeys,
    authentication_files,
    chip_keys,
    genuine_keys,
    is_clone,
)
from mrtd.sim.files import ChipFile, build_files
from mrtd.sim.hostile import HostileChip, check_forgery, duplicate_dg14, other_holder, step_of
from mrtd.sim.pace_chip import ChipPACE, ChipPACEOption
from mrtd.sim.profile import Profile
from mrtd.sim.security_files import (
    card_access,
    card_security,
    pace_infos,
    pace_options,
    static_key,
)
from mrtd.sm import SecureChannel

SW_OK, SW_EOF = 0x9000, 0x6282
SW_WRONG_LENGTH, SW_SECURITY, SW_AUTH_FAILED = 0x6700, 0x6982, 0x6300
SW_SM_MISSING, SW_SM_WRONG = 0x6987, 0x6988
SW_NO_EF, SW_NOT_FOUND, SW_WRONG_P1P2, SW_OFFSET = 0x6986, 0x6A82, 0x6A86, 0x6B00
SW_INS, SW_CLA, SW_WRONG_DATA = 0x6D00, 0x6E00, 0x6A80
FRAME_OVERHEAD = 3  # ISO 14443-4 I-block: PCB + CRC_A
FRAME_PAYLOAD = 253  # FSC 256 minus the overhead


class SimulatedChip:
    """One chip in the field. Not thread-safe; one terminal at a time, like the real thing."""

    def __init__(
        self,
        profile: Profile | None = None,
        *,
        random_bytes: Callable[[int], bytes] = os.urandom,
        files: Mapping[int, ChipFile] | None = None,
    ) -> None:
        self.profile = profile or Profile.default()
        check_forgery(self.profile)
        holder = self.profile  # "other-holder": opened with its MRZ, another holder's files
        if self.profile.faults.hostile == "other-holder":
            holder = other_holder(self.profile)
        self.files = dict(files) if files is not None else build_files(holder)
        self._random = random_bytes
        mrz_key = MRZKey.from_mrz(self.profile.mrz)
        self._bac_keys = derive_bac_keys(mrz_key)
        self.keys = chip_keys(holder)  # AA and CA: genuine, or a clone's own
        self.master_files: dict[int, ChipFile] = {}
        self.pace = self._setup_pace(mrz_key)
        self.hostile = HostileChip(self.profile.faults)
        self.hostile.rewrite_files(self.files, self.master_files)
        if self.profile.faults.hostile == "com-duplicate-dg14":
            com = self.files[LDS_FILES["EF.COM"].fid]
            self.files[com.fid] = ChipFile(com.name, com.fid, com.sfi, duplicate_dg14(com.data))
            self.hostile.serve_first(self._clone_dg14())
        self.apdus = 0
        self.modeled_seconds = 0.0
        # How long the reader waits for an answer, in modeled time (the in-process reader sets
        # it); None on a real link (vpcd, nfc_target), where a late answer is really late.
        self.answer_timeout: float | None = None
        self.present = True
        self._away = 0.0  # modeled seconds out of the field since the card left
        self._handlers: dict[int, Callable[[CommandAPDU], ResponseAPDU]] = {
            0xA4: self._select,
            0x84: self._get_challenge,
            0x82: self._mutual_authenticate,
            0xB0: self._read_binary,
            0xB1: self._read_binary,
            0x22: self._manage_security_environment,
            0x86: self._general_authenticate,
            0x88: self._internal_authenticate,
        }
        self.reset()

    def _setup_pace(self, mrz_key: MRZKey) -> ChipPACE | None:
        """PACE state and the master-file EFs that go with it (EF.CardAccess, EF.CardSecurity)."""
        chip = self.profile.chip
        if "pace" not in chip.access:
            return None
        options = pace_options(self.profile)
        genuine = self._cam_keys(options, genuine_keys(self.profile), clone=False)
        keys = self._cam_keys(options, self.keys, clone=is_clone(self.profile))
        passwords: dict[int, AccessKey] = {PASSWORD_MRZ: mrz_key}
        if chip.can:
            passwords[PASSWORD_CAN] = CANKey(chip.can)
        fault = self.profile.faults.hostile
        signing = {"card-security-self-signed": "forged", "card-security-unsigned": "none"}
        card_security_data = (
            card_security(self.profile, options, keys, signing[fault])  # type: ignore[arg-type]
            if fault in signing
            else card_security(self.profile, options, genuine)  # the document's, copied
        )
        files = [("EF.CardAccess", card_access(options)), ("EF.CardSecurity", card_security_data)]
        if fault == "card-access-without-cam":  # a clone hides the mapping it cannot pass
            files[0] = (
                "EF.CardAccess",
                card_access([o for o in options if o.info.mapping is not PACEMapping.CAM]),
            )
        elif fault == "card-access-absent":
            files.pop(0)
        elif fault == "card-access-garbled":  # a SET whose element is no SecurityInfo
            files[0] = ("EF.CardAccess", bytes.fromhex("3105040300ff00"))
        for name, data in files:
            info = LDS_FILES[name]
            self.master_files[info.fid] = ChipFile(name, info.fid, info.sfi, data)
        return ChipPACE(
            options,
            passwords,
            self._random,
            static_keys=keys,
            faults=self.profile.faults,
            wrong_key_sw=int(self.profile.chip.wrong_key_sw, 16),
        )

    def _cam_keys(
        self, options: list[ChipPACEOption], keys: ChipKeys, *, clone: bool
    ) -> dict[str, KeyPair]:
        """PACE-CAM's static key per curve: the Chip Authentication key of DG14 when it is on
        that curve (one key for both), else one derived from the document (or the clone)."""
        chip = keys.chip
        return {
            option.domain.name: chip.key
            if chip is not None and chip.domain == option.domain
            else static_key(self.profile, option.domain, clone=clone)
            for option in options
            if option.info.mapping is PACEMapping.CAM and isinstance(option.domain, ECCurve)
        }

    def _clone_dg14(self) -> ChipFile:
        """The DG14 a clone serves first (`com-duplicate-dg14`): its own Chip Authentication
        key, the PACE variants and AA info as the genuine DG14 has them."""
        pace = pace_infos(pace_options(self.profile)) if self.pace is not None else ()
        data = authentication_files(self.keys, pace)[14]
        info = LDS_FILES["DG14"]
        return ChipFile("DG14", info.fid, info.sfi, data)

    # -- the contact ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Power cycle: nothing selected, no secure channel."""
        self._app_selected = False
        self._current: ChipFile | None = None
        self._channel: SecureChannel | None = None
        self._rnd_icc: bytes | None = None
        if self.pace is not None:
            self.pace.reset()
        self.hostile.reset()

    def remove(self) -> None:
        """The card leaves the field: power and every session state are gone."""
        self.present = False
        self._away = 0.0
        self.reset()

    def wait_for_return(self, timeout: float) -> bool:
        """Whether the card is back within `timeout` more seconds (modeled, no real waiting).
        Waits add up: two waits of 0.5 s see a card that comes back after 0.8 s."""
        if self.present:
            return True
        back_after = self.profile.faults.return_after_ms / 1000
        if back_after < 0 or back_after > self._away + timeout:
            self.modeled_seconds += timeout
            self._away += timeout
            return False
        self.modeled_seconds += back_after - self._away
        self.present = True
        return True

    @property
    def extended_length(self) -> bool:
        return self.profile.chip.extended_length

    def transmit(self, raw: bytes) -> bytes:
        """The answer to one command APDU. An answer later than `answer_timeout` (`[faults]
        hostile = "stall"`) is the reader's `mrtd.errors.CardTimeoutError`, in modeled time."""
        if not self.present:
            raise CardRemovedError("no card in the field")
        self.apdus += 1
        if self.apdus in self.profile.faults.remove_at_apdu:
            self.remove()
            raise CardRemovedError("card left the field")
        answer = self.hostile.begin(self.apdus, raw)
        if answer is None:
            answer = self.hostile.finish(self._answer(raw).to_bytes())
        late, timeout = self.hostile.delay(), self.answer_timeout
        if timeout is not None and self.profile.link.latency_ms / 1000 + late > timeout:
            self.modeled_seconds += timeout
            raise errors.CardTimeoutError(f"the chip did not answer within {timeout:g} s")
        if late and timeout is None:
            time.sleep(late)
        self.modeled_seconds += late + self._air_time(len(raw), len(answer))
        return answer

    def _air_time(self, sent: int, received: int) -> float:
        link = self.profile.link
        frames = -(-sent // FRAME_PAYLOAD) + -(-received // FRAME_PAYLOAD)
        bits = 8 * (sent + received + FRAME_OVERHEAD * frames)
        return link.latency_ms / 1000 + bits / link.bitrate

    def _answer(self, raw: bytes) -> ResponseAPDU:
        try:
            command = CommandAPDU.from_bytes(raw)
        except DecodeError:
            return ResponseAPDU(b"", SW_WRONG_LENGTH)
        if _is_extended(raw) and not self.extended_length:
            return ResponseAPDU(b"", SW_WRONG_LENGTH)
        if self._channel is None:
            if command.cla & 0x0C:
                return ResponseAPDU(b"", SW_SM_MISSING)
            return self._plain(command)
        return self._protected(command, self._channel)

    def _protected(self, command: CommandAPDU, channel: SecureChannel) -> ResponseAPDU:
        """After BAC every command must be SM; an SM error ends the session (9303-11 §9.8.7)."""
        if command.cla & 0x0C != 0x0C:
            self._channel = None
            return ResponseAPDU(b"", SW_SM_MISSING)
        counted = channel.ssc  # before this command: what a bare error answer leaves it at
        try:
            plain = channel.unprotect_command(command)
        except SecureMessagingError:  # a wrong MAC (MACError) or malformed data objects
            self._channel = None
            return ResponseAPDU(b"", SW_SM_WRONG)
        response = self._dispatch(plain)
        self._observe(plain, secure=True)
        if self.profile.chip.plain_errors and _is_error(response.sw):
            self._channel = SecureChannel(channel.algorithm, channel.k_enc, channel.k_mac, counted)
            return ResponseAPDU(b"", response.sw)
        response = self.hostile.substitute(plain, response, len(channel.ssc))
        protected = self.hostile.protect(channel, response, odd=bool(plain.ins & 1))
        ca = self.keys.chip
        new_channel = ca.take_new_channel() if ca is not None else None
        if new_channel is not None:  # Chip Authentication: its answer went under the old keys
            self._channel = new_channel
        return protected

    def _plain(self, command: CommandAPDU) -> ResponseAPDU:
        """Without a channel: selection, BAC and PACE, and reading the master file's EFs."""
        if command.ins in (0xA4, 0x84, 0x82, 0x22, 0x86):
            answer = self._dispatch(command)
            if self.pace is not None and self.pace.established is not None:
                self._channel, self.pace.established = self.pace.established, None
        elif command.ins in (0xB0, 0xB1) and self._app_selected:
            answer = ResponseAPDU(b"", SW_SECURITY)
        elif command.ins in (0xB0, 0xB1):
            answer = self._dispatch(command)
        else:
            answer = ResponseAPDU(b"", SW_INS)
        self._observe(command, secure=False)
        return self.hostile.substitute(command, answer, 0)

    def _observe(self, command: CommandAPDU, *, secure: bool) -> None:
        """Tell the hostile half what was asked: a protocol step, or which file was read."""
        current = self._current if command.ins in (0xB0, 0xB1) else None
        file = current.name if current is not None else ""
        self.hostile.observe(step_of(command.ins, secure=secure), file)

    def _dispatch(self, command: CommandAPDU) -> ResponseAPDU:
        chaining = 0x10 if command.ins == 0x86 else 0  # GENERAL AUTHENTICATE is chained
        if command.cla & ~(0x0C | chaining) & 0xFF:
            return ResponseAPDU(b"", SW_CLA)
        handler = self._handlers.get(command.ins)
        if handler is None:
            return ResponseAPDU(b"", SW_INS)
        return handler(command)

    # -- commands ------------------------------------------------------------------------------

    def _select(self, command: CommandAPDU) -> ResponseAPDU:
        if command.p1 == 0x04:  # by DF name (AID)
            if command.data != EMRTD_AID:
                return ResponseAPDU(b"", SW_NOT_FOUND)
            self._app_selected, self._current = True, None
            return ResponseAPDU(b"", SW_OK)
        if command.p1 == 0x00 and command.data in (b"", b"\x3f\x00"):  # the master file
            self._app_selected, self._current = False, None
            return ResponseAPDU(b"", SW_OK)
        if command.p1 in (0x00, 0x02) and len(command.data) == 2:
            chip_file = self._directory().get(int.from_bytes(command.data, "big"))
            if chip_file is None:
                return ResponseAPDU(b"", SW_NOT_FOUND)
            self._current = self.hostile.selected(chip_file)
            return ResponseAPDU(b"", SW_OK)
        return ResponseAPDU(b"", SW_WRONG_P1P2)

    def _get_challenge(self, command: CommandAPDU) -> ResponseAPDU:
        if command.ne != 8 or command.p1 or command.p2:
            return ResponseAPDU(b"", SW_WRONG_LENGTH if command.ne != 8 else SW_WRONG_P1P2)
        self._rnd_icc = self._random(8)
        return ResponseAPDU(self._rnd_icc, SW_OK)

    def _mutual_authenticate(self, command: CommandAPDU) -> ResponseAPDU:
        """The chip's half of BAC (9303-11 §4.3.3.2)."""
        rnd_icc, self._rnd_icc = self._rnd_icc, None
        if rnd_icc is None or "bac" not in self.profile.chip.access:
            return ResponseAPDU(b"", SW_SECURITY)
        if len(command.data) != 40:
            return ResponseAPDU(b"", SW_WRONG_LENGTH)
        keys = self._bac_keys
        e_ifd, m_ifd = command.data[:32], command.data[32:]
        if not crypto.constant_time_equal(crypto.mac(SMAlgorithm.DES3, keys.mac, e_ifd), m_ifd):
            return ResponseAPDU(b"", int(self.profile.chip.wrong_key_sw, 16))
        plain = cipher.decrypt(keys.enc, e_ifd)
        rnd_ifd, k_ifd = plain[:8], plain[16:32]
        if not crypto.constant_time_equal(plain[8:16], rnd_icc):
            return ResponseAPDU(b"", int(self.profile.chip.wrong_key_sw, 16))
        k_icc = self._random(16)
        e_icc = cipher.encrypt(keys.enc, rnd_icc + rnd_ifd + k_icc)
        m_icc = crypto.mac(SMAlgorithm.DES3, keys.mac, e_icc)
        # This answer still goes out plain; every command after it must use the channel.
        self._channel = session_channel(k_ifd, k_icc, rnd_icc, rnd_ifd)
        return ResponseAPDU(e_icc + m_icc, SW_OK)

    def _read_binary(self, command: CommandAPDU) -> ResponseAPDU:
        if command.ins == 0xB0:
            if command.p1 & 0x80 and not self.profile.chip.sfi:  # a chip without SFI support
                return ResponseAPDU(b"", SW_WRONG_P1P2)
            if command.p1 & 0x80:  # short file identifier in P1, offset in P2
                chip_file = self._by_sfi(command.p1 & 0x1F)
                if chip_file is None:
                    return ResponseAPDU(b"", SW_NOT_FOUND)
                self._current = self.hostile.selected(chip_file)
                offset = command.p2
            else:
                offset = ((command.p1 & 0x7F) << 8) | command.p2
        else:  # odd INS: offset in DO'54', file in P1-P2 (0000: the current one)
            offset_or_error = _odd_offset(command.data)
            if isinstance(offset_or_error, ResponseAPDU):
                return offset_or_error
            offset = offset_or_error
            if command.p1 or command.p2:
                chip_file = self._directory().get((command.p1 << 8) | command.p2)
                if chip_file is None:
                    return ResponseAPDU(b"", SW_NOT_FOUND)
                self._current = self.hostile.selected(chip_file)
        chip_file = self._current
        if chip_file is None:
            return ResponseAPDU(b"", SW_NO_EF)
        if chip_file.protected:
            return ResponseAPDU(b"", SW_SECURITY)
        data = chip_file.data
        if offset > len(data) or (offset == len(data) and data):
            return ResponseAPDU(b"", SW_OFFSET)
        wanted, limit = command.ne or SHORT_MAX_NE, self.profile.chip.max_response
        if wanted > limit and self.profile.chip.le_too_large != "truncate":
            if self.profile.chip.le_too_large == "6700" or limit > 0xFF:
                return ResponseAPDU(b"", SW_WRONG_LENGTH)
            return ResponseAPDU(b"", 0x6C00 | limit)
        budget = min(wanted, limit)
        odd = command.ins == 0xB1
        room = budget - _do53_header_size(budget) if odd else budget
        if room <= 0:
            return ResponseAPDU(b"", SW_WRONG_LENGTH)
        payload = data[offset : offset + room]
        eof = len(payload) < room and self.profile.chip.eof_status == "6282"
        return ResponseAPDU(_wrap_53(payload) if odd else payload, SW_EOF if eof else SW_OK)

    def _by_sfi(self, sfi: int) -> ChipFile | None:
        return next((f for f in self._directory().values() if f.sfi == sfi), None)

    def _directory(self) -> dict[int, ChipFile]:
        """The EFs of the selected DF: the eMRTD application's, or the master file's."""
        return self.files if self._app_selected else self.master_files

    def _manage_security_environment(self, command: CommandAPDU) -> ResponseAPDU:
        ca = self.keys.chip
        if self._channel is not None and ca is not None and command.p1 == 0x41:
            return ca.mse(command)  # Chip Authentication: Set KAT (A6) or Set AT (A4)
        if self.pace is None or command.p1 != 0xC1 or command.p2 != 0xA4:
            return ResponseAPDU(b"", SW_WRONG_P1P2 if self.pace else SW_INS)
        return self.pace.set_at(command)

    def _general_authenticate(self, command: CommandAPDU) -> ResponseAPDU:
        if self._channel is not None and self.keys.chip is not None:
            return self.keys.chip.general_authenticate(command)
        if self.pace is None:
            return ResponseAPDU(b"", SW_INS)
        return self.pace.general_authenticate(command)

    def _internal_authenticate(self, command: CommandAPDU) -> ResponseAPDU:
        if self.keys.active is None or self._channel is None:
            return ResponseAPDU(b"", SW_INS if self.keys.active is None else SW_SECURITY)
        return self.keys.active.answer(command)


def _is_extended(raw: bytes) -> bool:
    return len(raw) > 5 and raw[4] == 0


def _do53_header_size(budget: int) -> int:
    """Tag and length bytes of a DO'53' that fits in `budget` bytes."""
    return 2 if budget - 2 < 0x80 else 3 if budget - 3 < 0x100 else 4


def _odd_offset(data: bytes) -> int | ResponseAPDU:
    if len(data) < 3 or data[0] != 0x54 or data[1] != len(data) - 2 or data[1] > 3:
        return ResponseAPDU(b"", SW_WRONG_DATA)
    return int.from_bytes(data[2:], "big")


def _is_error(sw: int) -> bool:
    """Not success, more data or a warning: what `plain_errors` answers bare."""
    return sw != 0x9000 and sw >> 8 not in (0x61, 0x62, 0x63)


def _wrap_53(chunk: bytes) -> bytes:
    n = len(chunk)
    if n < 0x80:
        return bytes((0x53, n)) + chunk
    if n < 0x100:
        return bytes((0x53, 0x81, n)) + chunk
    return b"\x53\x82" + n.to_bytes(2, "big") + chunk
