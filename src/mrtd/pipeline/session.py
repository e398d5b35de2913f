"""Drive sans-I/O protocols over a transport: access control, secure messaging, file reads.

This and `readers/` are the only modules that do I/O (docs/design.md, "Principles"). The
session reports what it does as events (`mrtd.pipeline.events`), and stops before the next
APDU when the caller's `cancel` is set or its deadline has passed.

A session reads each file once. EF.COM may list a group twice (it is unsigned) and a caller
may ask for one twice: the read goes by the first mention. Where a file must be read again (a
PACE-CAM chip's EF.CardSecurity each time access is opened, after a resume or when the chip
ended secure messaging) or is asked for again (`read_file`), the bytes must be the first read's,
byte for byte, since checks already ran on them: otherwise the read ends with
`FileChangedError` (a `DecodeError`), the first copy kept in the partial result. The keys of
Chip, Active and PACE-CAM authentication are used only from the bytes kept
(`mrtd.pipeline.clone_checks`).

A chip whose DG14 (once EF.SOD vouches for it) lists a PACE variant this library runs, read
over BAC, was downgraded: EF.CardAccess absent, refused or garbled, or BAC forced by the
caller. The access report says so (`downgraded`, with the reason), and the verdict's access
check fails.

Files are read by short file identifier (READ BINARY with P1 = 80 | SFI) until the chip refuses
one (`SFI_REFUSALS`) and the same file then reads after SELECT by file ID (P1 02, P2 0C, or the
P2 the chip takes: `read_binary.SELECT_P2`; 9303-10 gives each EF's FID): from then on the
session selects every file by its FID (`select_by_fid`), as chips without SFI support need.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Generator
from typing import Literal, Self, TypeVar

from mrtd import errors
from mrtd.access.bac import bac
from mrtd.access.keys import AccessKey, CANKey, MRZKey
from mrtd.access.pace import PACEResult, pace
from mrtd.access.pace.policy import AccessReport, PACEChoice, choose, supported
from mrtd.apdu import SHORT_MAX_NE, CommandAPDU, ResponseAPDU
from mrtd.errors import (
    CardRemovedError,
    CardStatusError,
    DecodeError,
    MACError,
    MRTDError,
    PACEError,
    ReadCancelledError,
    SecureMessagingError,
    TransportError,
)
from mrtd.lds import LDS_FILES, COMFile, LDSFileInfo
from mrtd.lds.files import EMRTD_AID
from mrtd.lds.security.infos import FIRST_PROPRIETARY_ID, Mapping, SecurityInfos
from mrtd.lds.sod import parse_sod
from mrtd.pipeline.clone_checks import CAMProof, active_check, cam_proof, chip_check, vouched
from mrtd.pipeline.events import (
    AccessOpened,
    AccessStarted,
    CheckDone,
    FileDone,
    FileProgress,
    OnEvent,
    ReadEvent,
    WaitingForCard,
)
from mrtd.pipeline.read_binary import (
    SW_DENIED,
    SW_NOT_FOUND,
    ChunkPolicy,
    EmptyFileError,
    FileAccessDeniedError,
    FileChangedError,
    FileNotFoundOnChipError,
    read_file,
)
from mrtd.pipeline.result import ReadResult, Stats
from mrtd.readers.base import Cancel, Transport
from mrtd.sm import SecureChannel
from mrtd.sm.channel import SM_ERRORS
from mrtd.verify.active import check_challenge
from mrtd.verify.trust import TrustStore

T = TypeVar("T")
AccessMode = Literal["auto", "pace", "bac"]
ACCESS_MODES = ("auto", "pace", "bac")
MASTER_FILE = bytes.fromhex("3F00")
EXTENDED_CHUNK = 0xFF00  # plain bytes per extended READ BINARY (answer stays under 64 kB)
MAX_ANSWER = 0x10000 + 2  # the longest response APDU: 65536 data bytes and SW1 SW2
WAIT_SLICE = 0.5  # the longest wait for a card between two looks at `cancel` and the deadline
# How chips without SFI support answer READ BINARY with P1 = 80 | SFI on a file they have: file
# not found, wrong P1-P2, wrong INS or CLA, offset out of range, no current EF. After one of
# these the same file is read after SELECT by file ID; if that works the chip takes no SFI.
# "File not found" counts only for the files every eMRTD has (MANDATORY_FILES) and the ones
# EF.COM lists or EF.SOD hashes (a chip may give SFIs to some files only): for the others
# (EF.CardAccess of a BAC chip, an optional data group) it means what it says, at no extra APDU.
# "Security status not satisfied" (6982) counts for UNGUARDED_FILES only: no access rule
# guards them beyond BAC or PACE, so the refusal was of the way the file was addressed.
SFI_REFUSALS = frozenset({0x6A82, 0x6A86, 0x6A81, 0x6D00, 0x6E00, 0x6B00, 0x6986, 0x6982})
MANDATORY_GROUPS = (1, 2)  # every eMRTD has DG1 and DG2 (9303-10 §4.6)
MANDATORY_FILES = frozenset({"EF.COM", "EF.SOD", "DG1", "DG2"})
UNGUARDED_FILES = MANDATORY_FILES | {"EF.CardAccess"}  # readable once access is open (or before)

_log = logging.getLogger(__name__)
_apdu_log = logging.getLogger("mrtd.apdu")  # one DEBUG line per command and per answer


def _listed_groups(com: bytes | None) -> tuple[int, ...]:
    """The data groups EF.COM lists (none if it is missing or malformed: it is unsigned, and
    the read goes on with the ones EF.SOD vouches for; the document reports the problem)."""
    if com is None:
        return ()
    try:
        return COMFile.from_bytes(com).data_groups
    except DecodeError:
        return ()


def _offers_pace(infos: SecurityInfos) -> bool:
    """Whether these SecurityInfos (DG14's) list a PACE variant this library can run; one whose
    domain they do not give (a proprietary id without its parameters) counts."""
    for info in infos.pace:
        parameter_id = info.parameter_id
        domain = infos.pace_domain(info)
        if domain is None and (parameter_id is None or parameter_id >= FIRST_PROPRIETARY_ID):
            return True  # its parameters are in EF.CardAccess: unknown here, so assume so
        if domain is not None and supported(info, domain):
            return True
    return False


def _hashed_groups(sod: bytes | None) -> tuple[int, ...]:
    """The data groups EF.SOD vouches for (none if it is missing or malformed)."""
    if sod is None:
        return ()
    try:
        return tuple(parse_sod(sod).data_group_hashes)
    except DecodeError:
        return ()


class Session:
    """One conversation with one chip through one transport."""

    def __init__(
        self,
        transport: Transport,
        *,
        random_bytes: Callable[[int], bytes] = os.urandom,
        extended_length: bool | None = None,
        resume_timeout: float = 5.0,
        max_resumes: int = 8,
        access: AccessMode = "auto",
        fallback: bool = True,
        on_event: OnEvent | None = None,
        cancel: Cancel | None = None,
        deadline: float | None = None,
        reader: str = "",
        trust: TrustStore | None = None,
    ) -> None:
        """`on_event` hears what the session does (`mrtd.pipeline.events`); `cancel` (anything
        with `is_set()`) and `deadline` (a `time.monotonic()` value) stop it before its next
        APDU, and at least every `WAIT_SLICE` seconds while it waits for the card, with
        `ReadCancelledError` and `mrtd.errors.CardTimeoutError`. `reader` names the reader in
        `WaitingForCard` events. `trust` holds the CSCAs a PACE-CAM chip's EF.CardSecurity
        must chain to for PACE-CAM to prove the chip (without it, DG14's Chip Authentication
        must)."""
        if access not in ACCESS_MODES:
            raise ValueError(f"access must be one of {', '.join(ACCESS_MODES)}")
        self.transport = transport
        self.resume_timeout = resume_timeout
        self.max_resumes = max_resumes
        self.access_mode: AccessMode = access
        self.fallback = fallback  # may a PACE failure (other than a wrong key) fall back to BAC
        self.on_event = on_event
        self.cancel = cancel
        self.deadline = deadline
        self.reader = reader
        self.trust = trust
        self.access = AccessReport()
        self.card_access: bytes | None = None  # EF.CardAccess as read, when the chip has one
        self.card_security: bytes | None = None  # EF.CardSecurity, read for PACE-CAM
        self.cam: CAMProof | None = None  # what PACE-CAM showed, judged by chip_check
        self._seen: dict[str, bytes] = {}  # every file read in this session, as first read
        self._pace: PACEChoice | None = None
        self._access_probed = False
        self._card_access_problem = ""  # why EF.CardAccess could not be read, when it could not
        # EF.CardAccess answered "not found" to READ BINARY by SFI, not looked for by its FID:
        # a PACE chip without SFI support answers so (see `_pace_after_all`)
        self._card_access_by_sfi_only = False
        self._resync = False  # the chip may hold a secure channel this side gave up
        self._in_application = False  # the eMRTD application may be selected (no power cycle)
        self._key: AccessKey | None = None
        self._channel: SecureChannel | None = None
        self.stats = Stats()
        self.random_bytes = random_bytes
        use_extended = transport.extended_length if extended_length is None else extended_length
        self._extended = bool(use_extended)
        self.policy: ChunkPolicy | None = None
        # The chip refused a READ BINARY by short file identifier on a file it has: every file
        # is selected by its file ID from then on (the read's log says when)
        self.select_by_fid = False
        self._expected: set[str] = set()  # files EF.COM lists or EF.SOD hashes: "not found" by
        # SFI is tried again after SELECT (the chip may give SFIs to some files only)

    @property
    def channel(self) -> SecureChannel | None:
        """The open secure channel. Replacing it (new keys, access lost, `close`) wipes the
        keys of the channel it replaces."""
        return self._channel

    @channel.setter
    def channel(self, channel: SecureChannel | None) -> None:
        old, self._channel = self._channel, channel
        if old is not None and old is not channel:
            old.wipe()

    def close(self) -> None:
        """Wipe the session keys and forget the access key (its own bytes are the caller's to
        wipe: `MRZKey.wipe`). The transport stays open; the session cannot read any more."""
        self.channel = None
        self._key = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- one exchange ----------------------------------------------------------------------

    def transmit(self, command: CommandAPDU) -> ResponseAPDU:
        """Send one plain command (protected when a channel is open); the plain answer.

        A bare error status word from the chip (sent without SM) comes back as a response
        with that status word and the SSC untouched; SM failures raise. Raises
        `ReadCancelledError` or `mrtd.errors.CardTimeoutError` instead of sending when the caller's
        cancel is set or the deadline has passed."""
        self.check_stop()
        started = time.perf_counter()
        wire = self.channel.protect(command) if self.channel else command
        raw = wire.to_bytes()  # extended length only when the command needs it
        trace = _apdu_log.isEnabledFor(logging.DEBUG)  # headers and sizes only, never data
        if trace:
            _apdu_log.debug("> %r, %d bytes on the wire", command, len(raw))
        self.stats.apdus += 1  # counted when sent: an APDU lost with the card was still sent
        self.stats.bytes_sent += len(raw)
        answer_raw = self.transport.transmit(raw)
        self.stats.bytes_received += len(answer_raw)
        if len(answer_raw) > MAX_ANSWER:
            raise TransportError(f"answer of {len(answer_raw)} bytes: more than 64 kB")
        answer = ResponseAPDU.from_bytes(answer_raw)
        try:
            if self.channel is not None:
                try:
                    answer = self.channel.unprotect(answer)
                except CardStatusError as exc:
                    answer = ResponseAPDU(b"", exc.sw)
                except SecureMessagingError:
                    self.channel = None
                    raise
        finally:
            self.stats.seconds += time.perf_counter() - started
        if trace:
            _apdu_log.debug("< %r, %d bytes on the wire", answer, len(answer_raw))
        if wire is command and self._resync:
            self._resync = False
            if not answer.data and answer.sw in SM_ERRORS:
                # The chip still held the secure channel this side gave up (an answer it
                # refused, a PACE run it rejected) and has ended it now (9303-11 §9.8.7).
                return self.transmit(command)
        return answer

    def check_stop(self) -> None:
        """Raise if the caller asked to stop (`cancel`) or the read's time is up (`deadline`)."""
        if self.cancel is not None and self.cancel.is_set():
            raise ReadCancelledError("the read was cancelled")
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise errors.CardTimeoutError("the read did not finish within its timeout")

    def emit(self, event: ReadEvent) -> None:
        if self.on_event is not None:
            self.on_event(event)

    def run(self, protocol: Generator[CommandAPDU, ResponseAPDU, T]) -> T:
        """Drive a protocol generator to its result."""
        try:
            command = next(protocol)
            while True:
                command = protocol.send(self.transmit(command))
        except StopIteration as done:
            result: T = done.value
            return result

    # -- access ----------------------------------------------------------------------------

    def select_application(self) -> None:
        self._in_application = True  # even if the answer is lost: the chip may have done it
        answer = self.transmit(CommandAPDU(0x00, 0xA4, 0x04, 0x0C, EMRTD_AID))
        if not answer.ok:
            raise CardStatusError(answer.sw, "SELECT eMRTD application")

    def open_bac(self, key: MRZKey) -> None:
        """BAC (9303-11 §4.3): afterwards every APDU goes through the secure channel."""
        self.access_mode = "bac"
        self.open_access(key)

    def open_access(self, key: AccessKey) -> AccessReport:
        """PACE when EF.CardAccess offers it (the strongest variant), else BAC (9303-11 §4.2).

        A PACE failure other than a wrong password falls back to BAC when the access mode is
        "auto" and `fallback` allows it; the report says so (`downgraded`, `reason`). A CAN
        works with PACE only. Afterwards every APDU goes through the secure channel."""
        self._key = key
        self._resumable(lambda: None, need_access=True)
        return self.access

    def reopen(self) -> None:
        """Open access again (after the chip dropped secure messaging, e.g. a failed CA)."""
        self.channel = None
        self._resumable(lambda: None, need_access=True)

    def _open(self) -> None:
        key = self._key
        assert key is not None
        self.channel = None
        self._resync = True
        if not self._access_probed:
            self._probe_card_access()  # a card that leaves the field here is probed again
            self._access_probed = True
        if self._pace is not None:
            try:
                self._run_pace(key, self._pace)
                return
            except PACEError as exc:
                if exc.wrong_key or self.access_mode == "pace" or not self.fallback:
                    raise
                if isinstance(key, CANKey):
                    raise PACEError(f"{exc}; a CAN cannot be used with BAC") from exc
                self._pace, self.channel, self._resync = None, None, True
                self.access.downgraded, self.access.reason = True, f"PACE failed: {exc}"
                _log.warning("PACE failed (%s); falling back to BAC", exc)
                self.access.pace = {}
        try:
            if isinstance(key, CANKey):
                raise PACEError("the chip offers no PACE, and a CAN works with PACE only")
            self.emit(AccessStarted("BAC"))
            self.select_application()
            _log.debug("access: BAC")
            self.channel = self.run(bac(key, self.random_bytes))
        except (errors.AccessDeniedError, CardStatusError) as exc:
            if not self._pace_after_all(key, f"BAC refused ({exc})"):
                raise
            return
        self.access.protocol = "BAC"
        _log.info("access open: BAC")
        self._learn_limits(self.channel)
        self.emit(AccessOpened("BAC", downgraded=self.access.downgraded))

    def _pace_after_all(self, key: AccessKey, why: str) -> bool:
        """EF.CardAccess was only looked for by SFI ("not found"), as a PACE chip without SFI
        support answers, and BAC was refused (a PACE-only chip, or a CAN given) or DG14 lists
        PACE: look for EF.CardAccess by its file ID, once; when it is there the chip takes no
        SFI, and PACE is run (in place of BAC's channel). Costs APDUs only then (a wrong key on
        a BAC chip: SELECT MF, SELECT EF.CardAccess)."""
        if not self._card_access_by_sfi_only or self.access_mode == "bac":
            return False
        self._card_access_by_sfi_only = False
        _log.info("%s: looking for EF.CardAccess by its file ID", why)
        self.channel, self._resync = None, True
        info = LDS_FILES["EF.CardAccess"]
        plain = ChunkPolicy(short_max=SHORT_MAX_NE, extended_max=0)
        try:
            self._select_master_file()
            data = self.run(read_file(info.fid, None, plain))
            choice = choose(SecurityInfos.from_bytes(data))
        except (CardStatusError, DecodeError):
            return False
        if choice is None:
            return False
        self.select_by_fid, self.card_access, self._pace = True, data, choice
        self._card_access_problem = ""
        self.emit(FileDone("EF.CardAccess", "read", len(data)))
        _log.warning(
            "EF.CardAccess read after SELECT by file ID (not by SFI): PACE, and every "
            "file selected by its file ID from now on"
        )
        self._run_pace(key, choice)
        return True

    def _probe_card_access(self) -> None:
        """Read EF.CardAccess (plain, in the master file) and pick the PACE variant."""
        if self.access_mode == "bac":
            return
        plain = ChunkPolicy(short_max=SHORT_MAX_NE, extended_max=0)
        info = LDS_FILES["EF.CardAccess"]
        if self.access_mode == "pace":  # insisted on: "not found" by SFI is looked at by FID
            self._expected.add(info.name)
        try:
            data = self._read_ef(info, plain)
        except (CardStatusError, DecodeError) as exc:  # absent, refused or garbled: no PACE
            if self.access_mode == "pace":
                raise PACEError(f"the chip offers no PACE (EF.CardAccess: {exc})") from exc
            self._card_access_problem = f"EF.CardAccess: {exc}"
            missing = isinstance(exc, CardStatusError) and exc.sw == SW_NOT_FOUND
            self._card_access_by_sfi_only = missing and not self.select_by_fid
            if isinstance(exc, DecodeError):
                self.access.reason = f"EF.CardAccess is malformed ({exc}); PACE not attempted"
            return
        self.card_access = data
        self.emit(FileDone("EF.CardAccess", "read", len(data)))
        _log.debug("EF.CardAccess: %d bytes", len(data))
        try:
            self._pace = choose(SecurityInfos.from_bytes(data))
        except DecodeError as exc:
            if self.access_mode == "pace":
                raise PACEError(f"EF.CardAccess is malformed: {exc}") from exc
            self.access.reason = f"EF.CardAccess is malformed ({exc}); PACE not attempted"
            return
        if self._pace is None:
            if self.access_mode == "pace":
                raise PACEError("EF.CardAccess offers no PACE variant this library supports")
            self.access.reason = "EF.CardAccess offers no supported PACE variant"

    def _run_pace(self, key: AccessKey, choice: PACEChoice) -> None:
        self.emit(AccessStarted("PACE", "{mapping} {domain} {cipher}".format(**choice.describe())))
        _log.debug("access: PACE-%(mapping)s %(domain)s %(cipher)s", choice.describe())
        result = self.run(pace(key, choice.info, choice.domain, self.random_bytes))
        _log.info("access open: PACE-%(mapping)s %(domain)s %(cipher)s", choice.describe())
        self.channel = result.channel
        self.access.protocol, self.access.pace = "PACE", choice.describe()
        if choice.info.mapping is Mapping.CAM:
            self._check_cam(result)
        self.select_application()
        self._learn_limits(result.channel)
        self.emit(AccessOpened("PACE"))

    def _check_cam(self, result: PACEResult) -> None:
        """PACE-CAM: the chip's static key is in EF.CardSecurity (read under the new channel,
        in the master file); CA_IC must map it to the chip's mapping key. What this shows is
        kept in `cam` and judged after DG14 (`clone_checks.chip_check`): EF.CardSecurity must
        verify to a trusted CSCA. `access.chip_authentication` says whether the mapping
        matched a key of it (passed) until then."""
        info = LDS_FILES["EF.CardSecurity"]
        self._expected.add(info.name)  # a PACE-CAM chip has it (9303-11 §4.4.3.5)
        policy = ChunkPolicy(short_max=result.channel.max_short_ne(), extended_max=0)
        try:
            if self._in_application:  # access opened again without a power cycle
                self._select_master_file()  # EF.SOD has EF.CardSecurity's FID and SFI
            data = self._remember(info.name, self._read_ef(info, policy))
            self.card_security = data
            self.emit(FileDone("EF.CardSecurity", "read", len(data)))
            keys = SecurityInfos.from_card_security(data).chip_authentication_keys
        except FileChangedError:
            raise
        except (CardStatusError, DecodeError) as exc:  # refused, absent or malformed: no key
            _log.warning("PACE-CAM: EF.CardSecurity is unusable (%s)", exc)
            self.access.chip_authentication = "failed"
            self.cam = CAMProof(b"", None, f"EF.CardSecurity is unusable: {exc}")
            return
        self.cam = cam_proof(result, data, keys)
        self.access.chip_authentication = "passed" if self.cam.key is not None else "failed"
        _log.info("PACE-CAM chip authentication: %s", self.access.chip_authentication)

    def _select_master_file(self) -> None:
        answer = self.transmit(CommandAPDU(0x00, 0xA4, 0x00, 0x0C, MASTER_FILE))
        if not answer.ok:
            raise CardStatusError(answer.sw, "SELECT master file")
        self._in_application = False

    def _learn_limits(self, channel: SecureChannel) -> None:
        if self.policy is None:  # after a resume the chip's limits are the ones learned
            self.policy = ChunkPolicy(
                short_max=channel.max_short_ne(),
                extended_max=EXTENDED_CHUNK if self._extended else 0,
            )

    # -- resume after tag loss -------------------------------------------------------------

    def _resumable(self, step: Callable[[], T], *, need_access: bool = False) -> T:
        """Run `step`; when the card leaves the field, wait (bounded) for it, open access again
        and run `step` once more. Steps keep their own progress, so nothing verified is lost."""
        reopened = False
        while True:
            try:
                if need_access:
                    self._open()
                    need_access = False
                return step()
            except CardRemovedError:
                self.channel = None
                if self.resume_timeout <= 0 or self.stats.resumes >= self.max_resumes:
                    raise
                _log.warning("card left the field; waiting up to %g s for it", self.resume_timeout)
                self.emit(WaitingForCard(self.reader, self.resume_timeout, resume=True))
                self._wait_for_card()
                self._in_application = False  # power-cycled: the master file is current
                self.stats.resumes += 1
                need_access = self._key is not None
            except SecureMessagingError as exc:
                # The chip ended SM (6987/6988): open access again, once per step. A wrong MAC
                # on an answer is never retried: it may be tampering.
                if isinstance(exc, MACError) or self._key is None or reopened:
                    raise
                _log.warning("secure messaging ended (%s); opening access again", exc)
                reopened = True
                self.stats.reopened += 1
                need_access = True

    def _wait_for_card(self) -> None:
        """`reconnect` for up to `resume_timeout` seconds; in slices when the caller may stop
        the read, looking at `cancel` and the deadline between them."""
        if self.cancel is None and self.deadline is None:
            self.transport.reconnect(self.resume_timeout)
            return
        waited = 0.0
        while True:
            self.check_stop()
            left = self.resume_timeout - waited
            if self.deadline is not None:
                left = min(left, self.deadline - time.monotonic())
            step = max(0.0, min(WAIT_SLICE, left))
            try:
                self.transport.reconnect(step)
                return
            except CardRemovedError:
                waited += step
                if waited >= self.resume_timeout:
                    raise CardRemovedError(
                        f"card did not come back within {self.resume_timeout:g} s"
                    ) from None

    # -- files -----------------------------------------------------------------------------

    def read_file(self, info: LDSFileInfo) -> bytes:
        """One file, read and verified chunk by chunk (a `FileProgress` event for each). A file
        read before in this session must come back byte for byte (`FileChangedError`)."""
        if self.policy is None:
            raise RuntimeError("open access (open_access) before reading files")
        report = None
        if self.on_event is not None:
            name, emit = info.name, self.emit

            def report(done: int, total: int | None) -> None:
                emit(FileProgress(name, done, total))

        policy, data = self.policy, bytearray()
        read = self._resumable(lambda: self._read_ef(info, policy, progress=report, into=data))
        return self._remember(info.name, read)

    def _read_ef(
        self,
        info: LDSFileInfo,
        policy: ChunkPolicy,
        *,
        progress: Callable[[int, int | None], None] | None = None,
        into: bytearray | None = None,
    ) -> bytes:
        """One EF of the current DF: by short file identifier while the chip takes it, else
        after SELECT by file ID. A chip that refuses the SFI read of a file (`SFI_REFUSALS`)
        whose SELECT read then works takes no SFI: `select_by_fid` is set for the session. A
        file the SELECT read fails on too gets that read's error (absent, denied, empty)."""
        data = into if into is not None else bytearray()
        if self.select_by_fid or data:  # a resumed read goes on after SELECT (read_file)
            return self.run(read_file(info.fid, None, policy, progress=progress, into=data))
        try:
            return self.run(read_file(info.fid, info.sfi, policy, progress=progress, into=data))
        except (CardStatusError, EmptyFileError) as exc:
            sw = exc.sw if isinstance(exc, CardStatusError) else 0x6B00
            if data or sw not in SFI_REFUSALS:
                raise
            if sw == SW_DENIED and info.name not in UNGUARDED_FILES:
                raise  # the file's own access rule (DG3/DG4: EAC), not the way it was addressed
            if sw == SW_NOT_FOUND and info.name not in MANDATORY_FILES | self._expected:
                raise
            refused = sw
        read = self.run(read_file(info.fid, None, policy, progress=progress, into=data))
        self.select_by_fid = True
        _log.warning(
            "%s: the chip refused READ BINARY by short file identifier (%04X) and read after "
            "SELECT by file ID: selecting every file by its file ID from now on",
            info.name,
            refused,
        )
        return read

    def _remember(self, name: str, data: bytes) -> bytes:
        """`data`, the first time `name` is read in this session; the same bytes again later,
        or `FileChangedError`."""
        first = self._seen.setdefault(name, data)
        if first != data:
            raise FileChangedError(
                f"{name}: the chip gave other bytes than the first time it was read"
            )
        return first

    def read_document(
        self,
        key: AccessKey,
        *,
        data_groups: tuple[int, ...] | None = None,
        result: ReadResult | None = None,
        authenticate: bool = True,
        active_challenge: bytes | None = None,
    ) -> ReadResult:
        """PACE or BAC, then EF.COM, EF.SOD and the data groups EF.COM lists (or `data_groups`).

        With `authenticate`, the chip proves it is not a copy: Chip Authentication right after
        DG14 (the rest is read under its keys), Active Authentication after everything, with
        DG15's key once EF.SOD vouches for it, over `active_challenge` when given (8 bytes, a
        back-end's: ValueError before any command otherwise), else a fresh one. Their outcomes
        are `result.chip` and `result.active`; a failure is recorded there, never raised. The
        challenge sent and the chip's signature are `result.active_challenge` and
        `result.active_signature`.

        Files the chip refuses (DG3/DG4 without EAC) are listed in `denied`, missing ones in
        `absent`; neither is an error. On any other failure the `MRTDError` raised carries the
        result so far as its `partial` (the `result` passed in, when one was): every file read
        and verified before the fault."""
        if active_challenge is not None:
            active_challenge = check_challenge(active_challenge)
        result = result if result is not None else ReadResult()
        result.stats = self.stats
        result.access = self.access
        try:
            self._read_document(
                key, data_groups, result, authenticate=authenticate, challenge=active_challenge
            )
        except MRTDError as exc:
            exc.partial = result
            raise
        return result

    def _read_document(
        self,
        key: AccessKey,
        data_groups: tuple[int, ...] | None,
        result: ReadResult,
        *,
        authenticate: bool,
        challenge: bytes | None = None,
    ) -> None:
        try:
            self.open_access(key)
        finally:
            if self.card_access is not None:
                result.files["EF.CardAccess"] = self.card_access
            if self.card_security is not None:
                result.files["EF.CardSecurity"] = self.card_security
        com = self._read_into(result, LDS_FILES["EF.COM"])
        listed = _listed_groups(com)
        sod = self._read_into(result, LDS_FILES["EF.SOD"])
        groups = list(data_groups if data_groups is not None else listed)
        if data_groups is None:  # EF.COM is unsigned: a clone could leave DG14/DG15 out of it
            groups += _hashed_groups(sod)
            if not listed:  # EF.COM missing, refused or garbled: still the mandatory groups
                groups += MANDATORY_GROUPS
        groups = list(dict.fromkeys(groups))  # once each, in the order first named
        self._expected.update(f"DG{number}" for number in groups)
        if 14 in groups:  # DG14 first: Chip Authentication protects the rest of the read
            groups.remove(14)
            self._read_into(result, LDS_FILES["DG14"])
            self._check_downgrade(result.files)
        if authenticate:  # a card that leaves the field meanwhile is authenticated anew
            result.chip = self._resumable(lambda: chip_check(self, result.files))
            _log.info("chip authentication: %s", result.chip.describe())
            self.emit(CheckDone("chip", result.chip))
        for number in groups:
            self._read_into(result, LDS_FILES[f"DG{number}"])
        if authenticate:
            done = self._resumable(lambda: active_check(self, result.files, challenge=challenge))
            result.active = done.outcome
            result.active_challenge, result.active_signature = done.challenge, done.signature
            _log.info("active authentication: %s", result.active.describe())
            self.emit(CheckDone("active", result.active))

    def _check_downgrade(self, files: dict[str, bytes]) -> None:
        """After DG14, once EF.SOD vouches for it: a read over BAC of a chip whose DG14 lists a
        PACE variant this library can run was downgraded, whatever made it use BAC (no
        EF.CardAccess, a garbled one, a PACE failure, or `access="bac"`)."""
        if self.access.protocol != "BAC" or self.access.downgraded:
            return
        dg14, problem = vouched(files, 14, "access")
        if dg14 is None or problem is not None:
            return
        try:
            infos = SecurityInfos.from_dg14(dg14)
        except DecodeError:
            return
        if not _offers_pace(infos):
            return
        if self._pace_instead_of_bac(files):
            return
        why = self.access.reason or self._card_access_problem or "EF.CardAccess offers no PACE"
        if self.access_mode == "bac":
            why = 'the caller asked for BAC (access="bac")'

        self.access.downgraded = True
        self.access.reason = f"DG14 (signed) says the chip supports PACE, read with BAC: {why}"
        _log.warning("access: %s", self.access.reason)

    def _pace_instead_of_bac(self, files: dict[str, bytes]) -> bool:
        """DG14 lists PACE and EF.CardAccess was looked for by SFI only: PACE now, if it is
        there by its FID (`_pace_after_all`). A PACE run the chip refuses after all opens BAC
        again, and the read is reported downgraded with that reason."""
        key = self._key
        if key is None:
            return False
        try:
            if not self._resumable(lambda: self._pace_after_all(key, "DG14 lists PACE")):
                if self.channel is None:  # looked for EF.CardAccess in the MF, plain: none
                    self.reopen()  # BAC again, in the eMRTD application, for the rest
                return False
        except (PACEError, CardStatusError) as exc:
            if isinstance(exc, PACEError) and exc.wrong_key:
                raise
            _log.warning("PACE failed (%s); BAC again", exc)
            self._pace, self.access.reason = None, f"PACE failed: {exc}"
            self.reopen()
            return False
        assert self.card_access is not None  # there by its FID: PACE now, no downgrade
        files["EF.CardAccess"] = self.card_access
        if self.card_security is not None:  # PACE-CAM's, read as access opened
            files["EF.CardSecurity"] = self.card_security
        return True

    def _read_into(self, result: ReadResult, info: LDSFileInfo) -> bytes | None:
        try:
            data = self.read_file(info)
        except FileAccessDeniedError:
            _log.info("%s: access denied", info.name)
            result.denied.append(info.name)
            self.emit(FileDone(info.name, "denied"))
            return None
        except FileNotFoundOnChipError:
            _log.info("%s: not on the chip", info.name)
            result.absent.append(info.name)
            self.emit(FileDone(info.name, "absent"))
            return None
        except EmptyFileError:  # listed (and maybe hashed) but 0 bytes: nothing to read
            _log.warning("%s: the chip holds it empty (0 bytes); recorded as absent", info.name)
            result.absent.append(info.name)
            self.emit(FileDone(info.name, "absent", 0))
            return None
        except FileChangedError:
            raise
        except DecodeError as exc:
            raise DecodeError(f"{info.name}: {exc}") from exc
        result.files[info.name] = data
        _log.info("read %s: %d bytes", info.name, len(data))
        self.emit(FileDone(info.name, "read", len(data)))
        return data
