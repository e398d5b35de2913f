"""A contactless reader through nfcpy: USB and serial readers, and nfcpy's `udp` simulation.

On the terminal side nfcpy is imported here only, and only when a reader is opened
(docs/design.md, "Principles", 6; the chip side, mrtd.sim.nfc_target, uses it too).
nfcpy's ISO-DEP initiator (`nfc.tag.tt4.Type4Tag.transceive`) does block numbering, chaining,
retransmission and S(WTX); this module finds the tag, adapts nfcpy's errors and reads the
chip's extended-length claim from the ATS.

    NFCReader("usb")                      # the first reader nfcpy supports on USB
    NFCReader("usb:054c:06c3")            # Sony RC-S380
    NFCReader("tty:USB0:pn532")           # a PN532 on /dev/ttyUSB0
    NFCReader("udp:127.0.0.1:54321")      # mrtd.sim.nfc_target on this host
"""

from __future__ import annotations

import importlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from mrtd import errors
from mrtd.errors import CardRemovedError, DecodeError, ReaderNotFoundError, TransportError
from mrtd.readers.atr import historical_extended_length

_log = logging.getLogger(__name__)
TECHNOLOGIES = ("106A", "106B")  # ISO 14443 Type A and Type B at 106 kbit/s
POLL_INTERVAL = 0.1  # between two rounds of sensing for a tag


@dataclass(frozen=True, slots=True)
class NFCDevice:
    path: str  # what NFCReader (and `mrtd read --reader nfc:PATH`) opens
    driver: str  # nfcpy's driver module for it

    def __str__(self) -> str:
        return f"{self.path} ({self.driver})"


class NFCReader:
    """One ISO/IEC 14443-4 tag on one nfcpy reader. Waits up to `timeout` seconds for it.

    `extended_length` is the chip's claim in the ATS historical bytes (card capabilities,
    7816-4 §8.1.1.2.7); None reads it from there, True or False overrides it (a Type B chip
    has no ATS and is taken as short-length only)."""

    def __init__(
        self,
        path: str = "usb",
        *,
        timeout: float = 10.0,
        extended_length: bool | None = None,
        technologies: tuple[str, ...] = TECHNOLOGIES,
    ) -> None:
        nfc = _nfcpy()
        self.path = path
        self.technologies = technologies
        self._extended_override = extended_length
        self._tag: Any = None
        self._ats = b""
        try:
            self._clf = nfc.ContactlessFrontend(path)
        except (OSError, ValueError) as exc:  # ENODEV, EACCES, a bad path, an unknown host
            reason = getattr(exc, "strerror", None) or exc
            raise ReaderNotFoundError(f"no NFC reader at {path!r}: {reason}") from exc
        try:
            if not self._wait_for_tag(timeout):
                raise errors.CardTimeoutError(f"no ISO 14443-4 tag within {timeout:g} s")
        except BaseException:
            self._clf.close()
            raise
        _log.info("NFC: ISO 14443-4 tag at %r, extended length %s", path, self.extended_length)

    # -- Transport -----------------------------------------------------------------------------

    @property
    def extended_length(self) -> bool:
        if self._extended_override is not None:
            return self._extended_override
        return ats_extended_length(self._ats)

    @property
    def ats(self) -> bytes:
        """The tag's answer to RATS (empty for Type B)."""
        return self._ats

    def transmit(self, apdu: bytes) -> bytes:
        nfc = _nfcpy()
        if self._tag is None:
            raise CardRemovedError("no tag in the field")
        try:
            return bytes(self._tag.transceive(bytearray(apdu)))
        except nfc.tag.TagCommandError as exc:
            if exc.errno == nfc.tag.TIMEOUT_ERROR:
                raise self._lost(errors.CardTimeoutError("the tag did not answer in time")) from exc
            if exc.errno == nfc.tag.RECEIVE_ERROR:
                raise self._lost(TransportError("the tag's answers were garbled")) from exc
            raise TransportError("the tag broke the ISO-DEP block protocol") from exc
        except nfc.clf.BrokenLinkError as exc:
            self._tag = None
            raise CardRemovedError("the tag left the field") from exc
        except nfc.clf.TimeoutError as exc:  # after S(WTX), nfcpy does not retry
            raise self._lost(errors.CardTimeoutError("the tag did not answer in time")) from exc
        except nfc.clf.CommunicationError as exc:
            raise self._lost(TransportError("the tag's answers were garbled")) from exc
        except IndexError as exc:  # nfcpy indexes frames unchecked (tt4.py, S(WTX) loop)
            raise TransportError("the tag sent a malformed ISO-DEP block") from exc
        except OSError as exc:
            self._tag = None
            raise TransportError(f"the NFC reader failed: {exc.strerror or exc}") from exc

    def reconnect(self, timeout: float) -> None:
        """Switch the field off and wait up to `timeout` seconds for a tag (power-cycled: every
        session state is gone). Raises CardRemovedError if none comes."""
        self._tag = None
        if not self._wait_for_tag(timeout):
            raise CardRemovedError(f"the tag did not come back within {timeout:g} s")

    def close(self) -> None:
        self._tag = None
        self._clf.close()

    # -- finding the tag -----------------------------------------------------------------------

    def _wait_for_tag(self, timeout: float) -> bool:
        nfc = _nfcpy()
        deadline = time.monotonic() + timeout
        targets = [nfc.clf.RemoteTarget(brty) for brty in self.technologies]
        while True:
            try:
                found = self._clf.sense(*targets, iterations=1)
            except nfc.clf.UnsupportedTargetError as exc:
                raise ReaderNotFoundError(f"the reader cannot sense {self.technologies}") from exc
            except OSError as exc:
                raise TransportError(f"the NFC reader failed: {exc.strerror or exc}") from exc
            if found is not None and self._activate(found):
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(POLL_INTERVAL, left))

    def _activate(self, target: Any) -> bool:
        """RATS (Type A) or ATTRIB (Type B) through nfcpy, keeping the ATS it does not keep."""
        nfc = _nfcpy()
        recorder = _ATSRecorder(self._clf)
        try:
            tag = nfc.tag.activate(recorder, target)
        except (nfc.clf.CommunicationError, IndexError):  # a short ATS: nfcpy indexes it
            return False
        if not isinstance(tag, nfc.tag.tt4.Type4Tag):
            return False  # a Type 1/2/3 tag, or a Type A tag that is not ISO-DEP
        self._tag, self._ats = tag, recorder.ats
        return True

    def _lost(self, if_present: TransportError) -> TransportError:
        """After nfcpy gave up on an exchange: did the tag leave, or is it there and failing?
        One more R(NAK) tells (nfcpy's presence check, 14443-4 §7.5.4 rule 12)."""
        nfc = _nfcpy()
        try:
            present = bool(self._tag.is_present)
        except (nfc.clf.CommunicationError, OSError):
            present = False
        if present:
            return if_present
        self._tag = None
        return CardRemovedError("the tag left the field")


class _ATSRecorder:
    """Stands in for the ContactlessFrontend while nfcpy activates a tag, to keep the answer
    to RATS (nfcpy's Type4ATag reads FSCI and FWI from it and drops it)."""

    def __init__(self, clf: Any) -> None:
        self._clf = clf
        self.ats = b""

    def exchange(self, data: Any, timeout: float) -> Any:
        answer = self._clf.exchange(data, timeout)
        if data and data[0] == 0xE0 and answer is not None and not self.ats:
            self.ats = bytes(answer)
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._clf, name)


def ats_extended_length(ats: bytes) -> bool:
    """Whether the historical bytes of `ats` (14443-4 §5.2.7) say the chip takes extended
    Lc/Le: card capabilities (compact-TLV tag 7), third byte b7 (7816-4 §8.1.1.2.7)."""
    if len(ats) < 2 or not 2 <= ats[0] <= len(ats):
        return False
    start = 2 + bin(ats[1] & 0x70).count("1")  # T0 says which of TA, TB, TC follow
    try:
        return historical_extended_length(ats[start : ats[0]])
    except DecodeError:  # malformed historical bytes announce nothing
        return False


def list_devices() -> list[NFCDevice]:
    """USB readers that nfcpy has a driver for (best effort: no nfcpy or libusb, no list).
    Serial readers are not probed: that means writing to every serial port."""
    try:
        clf = _nfcpy().clf
        found = clf.transport.USB.find("usb") or []
        drivers: dict[tuple[int, int], str] = dict(clf.device.usb_device_map)
    except Exception:  # a missing nfcpy or a broken libusb must not break `mrtd readers`
        return []
    return [
        NFCDevice(f"usb:{bus:03d}:{address:03d}", drivers[vendor, product])
        for vendor, product, bus, address in found
        if (vendor, product) in drivers
    ]


def _nfcpy() -> Any:
    """The `nfc` package with the modules used here, imported on first use."""
    try:
        importlib.import_module("nfc.tag.tt4")
        return importlib.import_module("nfc")
    except ImportError as exc:
        raise ReaderNotFoundError("nfcpy is not installed: pip install 'mrtd[nfc]'") from exc
