"""Open a reader by name, as `mrtd read --reader` does, and list the readers there are.

Names: "sim" (the simulated chip, default profile) or "sim:PROFILE.toml"; "pcsc" (the first
PC/SC reader with a card), "pcsc:N" (the N-th of `list_readers()`'s PC/SC readers) or
"pcsc:NAME" (a reader name or an unambiguous part of one); "nfc" (nfcpy's first USB reader)
or "nfc:PATH" (an nfcpy path such as "usb:001:004", "tty:USB0:pn532", "udp:host:port").

The back-ends are imported when a reader of their kind is opened or listed: pyscard, nfcpy
and the simulated chip cost nothing until then.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mrtd import errors
from mrtd.errors import ReadCancelledError, TransportError

if TYPE_CHECKING:
    from mrtd.readers.base import Cancel, Transport

__all__ = [
    "CARD_TIMEOUT",
    "KINDS",
    "WAIT_SLICE",
    "ReaderInfo",
    "check_reader",
    "list_readers",
    "open_reader",
]

KINDS = ("sim", "pcsc", "nfc")
CARD_TIMEOUT = 10.0  # seconds to wait for a card when the caller gives no timeout
WAIT_SLICE = 0.5  # the longest wait between two looks at `cancel`


@dataclass(frozen=True, slots=True)
class ReaderInfo:
    """A reader there is: `name` opens it (`open_reader(info.name)`), `description` is what
    the back-end calls it (a PC/SC reader name, an nfcpy driver)."""

    name: str
    description: str


def open_reader(
    name: str = "sim", *, timeout: float = CARD_TIMEOUT, cancel: Cancel | None = None
) -> Transport:
    """The reader `name` names (see the module docstring), with a card in it.

    Waits up to `timeout` seconds for a card (PC/SC, nfcpy; the simulated chip is always
    there), looking at `cancel` (anything with `is_set()`, e.g. a `threading.Event`) at least
    every `WAIT_SLICE` seconds. Raises `ValueError` for a name that is no reader kind or a
    profile that is not valid (`ProfileError`), `ReaderNotFoundError` when no such reader is
    connected or its back-end is not installed, `mrtd.errors.CardTimeoutError` when no card came,
    `ReadCancelledError` when `cancel` was set."""
    kind, option = _kind(name)
    if kind == "sim":
        from mrtd.readers.simulated import SimulatedReader  # noqa: PLC0415
        from mrtd.sim.chip import SimulatedChip  # noqa: PLC0415 - the chip only when asked
        from mrtd.sim.profile import Profile  # noqa: PLC0415

        _check(cancel)
        return SimulatedReader(SimulatedChip(Profile.load(option) if option else Profile.default()))
    if cancel is None:  # one wait, as long as asked
        return _open(kind, option, timeout)
    deadline = time.monotonic() + timeout
    while True:
        _check(cancel)
        left = deadline - time.monotonic()
        try:
            return _open(kind, option, max(0.0, min(WAIT_SLICE, left)))
        except errors.CardTimeoutError:
            if left <= WAIT_SLICE:
                raise errors.CardTimeoutError(f"no card in {name!r} within {timeout:g} s") from None


def check_reader(name: str) -> None:
    """Raise what `open_reader(name)` would raise before it waits for a card: a name that is
    no reader kind (`ValueError`), no PC/SC service or pyscard (`TransportError`), no such
    PC/SC reader connected (`ReaderNotFoundError`). Lets a program say "waiting for a card"
    only when a card is what it waits for. nfcpy finds its device as it opens it."""
    kind, option = _kind(name)
    if kind == "pcsc":
        from mrtd.readers.pcsc import find_reader  # noqa: PLC0415 - pyscard only when asked

        find_reader(_pcsc_target(option))


def list_readers() -> list[ReaderInfo]:
    """The readers connected now: nfcpy's USB devices, then the PC/SC readers (best effort:
    a missing back-end or a stopped pcscd lists none of its kind). The simulated chip,
    always there, is not listed."""
    from mrtd.readers.nfc import list_devices  # noqa: PLC0415 - nfcpy only when asked
    from mrtd.readers.pcsc import list_readers as pcsc_readers  # noqa: PLC0415 - pyscard too

    found = [ReaderInfo(f"nfc:{device.path}", device.driver) for device in list_devices()]
    with contextlib.suppress(TransportError):  # no pyscard or no pcscd: no PC/SC readers
        found += [ReaderInfo(f"pcsc:{n}", reader) for n, reader in enumerate(pcsc_readers())]
    return found


def _open(kind: str, option: str, wait: float) -> Transport:
    if kind == "nfc":
        from mrtd.readers.nfc import NFCReader  # noqa: PLC0415

        return NFCReader(option or "usb", timeout=wait)
    from mrtd.readers.pcsc import PCSCReader  # noqa: PLC0415

    return PCSCReader(_pcsc_target(option), timeout=wait)


def _kind(name: str) -> tuple[str, str]:
    """A reader name's kind (one of `KINDS`) and option; `ValueError` for any other kind."""
    kind, _, option = name.partition(":")
    if kind not in KINDS:
        raise ValueError(f"reader {kind!r} is not available; use sim[:PROFILE], pcsc or nfc")
    return kind, option


def _pcsc_target(option: str) -> int | str | None:
    """`pcsc:N` is the Nth reader, `pcsc:NAME` one whose name holds NAME, `pcsc` any."""
    return int(option) if option.isdigit() else option or None


def _check(cancel: Cancel | None) -> None:
    if cancel is not None and cancel.is_set():
        raise ReadCancelledError("cancelled while waiting for a card")
