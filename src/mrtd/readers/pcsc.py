"""PC/SC readers through pyscard (the `pcsc` extra), imported on first use.

`import mrtd` never needs pyscard: it is loaded when a reader is listed or opened. pyscard's
two exception trees and the PC/SC return codes stop here and leave as `TransportError`s
(docs/design.md, "Errors"); everything above sees `bytes` in and `bytes` out.

The card is held EXCLUSIVE so no other application (a middleware probing every card, say)
interleaves APDUs with our secure channel. `61xx` answers are completed with GET RESPONSE here,
as the transport layer's job (ISO/IEC 7816-3 §12.2.1 / 7816-4 §5.3.4); `6Cxx` is not resent:
the session adapts Le itself.

Waiting for a card is a bounded loop over SCardGetStatusChange rather than pyscard's
CardRequest, which never returns when the reader it waits on is unplugged (or absent).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import time
from collections.abc import Iterator
from typing import Any

from mrtd import errors
from mrtd.errors import CardRemovedError, DecodeError, ReaderNotFoundError, TransportError
from mrtd.readers.atr import ATR, parse_atr
from mrtd.readers.responses import get_responses

__all__ = ["PCSCReader", "find_reader", "get_responses", "list_readers", "translate_error"]

# PC/SC return codes (pcsclite.h, winerror.h) as unsigned 32-bit values.
SCARD_S_SUCCESS = 0
SCARD_E_CANCELLED = 0x80100002
SCARD_E_UNKNOWN_READER = 0x80100009
SCARD_E_TIMEOUT = 0x8010000A
SCARD_E_SHARING_VIOLATION = 0x8010000B
SCARD_E_NO_SMARTCARD = 0x8010000C
SCARD_E_NOT_TRANSACTED = 0x80100016
SCARD_E_READER_UNAVAILABLE = 0x80100017
SCARD_E_NO_SERVICE = 0x8010001D
SCARD_E_SERVICE_STOPPED = 0x8010001E
SCARD_E_NO_READERS_AVAILABLE = 0x8010002E
SCARD_W_UNRESPONSIVE_CARD = 0x80100066
SCARD_W_UNPOWERED_CARD = 0x80100067
SCARD_W_RESET_CARD = 0x80100068
SCARD_W_REMOVED_CARD = 0x80100069

# The chip's session is gone; recovery is the same for all: reconnect, open access again.
CARD_GONE = frozenset(
    {
        SCARD_E_NO_SMARTCARD,
        SCARD_W_REMOVED_CARD,
        SCARD_W_RESET_CARD,
        SCARD_W_UNPOWERED_CARD,
        SCARD_W_UNRESPONSIVE_CARD,
    }
)
NO_READER = frozenset(
    {
        SCARD_E_UNKNOWN_READER,
        SCARD_E_READER_UNAVAILABLE,
        SCARD_E_NO_READERS_AVAILABLE,
        SCARD_E_NO_SERVICE,
        SCARD_E_SERVICE_STOPPED,
    }
)
NO_SERVICE = frozenset({SCARD_E_NO_SERVICE, SCARD_E_SERVICE_STOPPED})
TIMED_OUT = frozenset({SCARD_E_TIMEOUT, SCARD_E_CANCELLED})
NAMES = {  # pyscard exceptions that carry no return code
    "NoCardException": CardRemovedError,
    "CardRequestTimeoutException": errors.CardTimeoutError,
    "NoReadersException": ReaderNotFoundError,
    "InvalidReaderException": ReaderNotFoundError,
}

_log = logging.getLogger(__name__)
WAIT_SLICE_SECONDS = 0.5  # between looks for readers plugged in while waiting for a card
REMOVAL_GRACE_SECONDS = 1.0  # pcscd polls some readers (vpcd among them) every 0.4 s
REMOVAL_POLL_SECONDS = 0.05


def list_readers() -> list[str]:
    """The names of the PC/SC readers connected now (empty: none)."""
    with _pcsc_errors("listing PC/SC readers"):
        return [str(reader) for reader in _pyscard("System").readers()]


def find_reader(reader: int | str | None = None) -> str | None:
    """The connected reader `reader` names, as `PCSCReader` takes it (None: any reader, as
    long as one is connected), without waiting for a card. Raises `TransportError` when no
    PC/SC service answers (pcscd stopped) or pyscard is missing, and `ReaderNotFoundError`
    when no such reader is connected: what to tell a user before saying "waiting for a card"."""
    return _resolve_reader(reader, list_readers())


class PCSCReader:
    """One card in one PC/SC reader, held exclusively. A `Transport`.

    `reader` is an index into `list_readers()`, a reader name (or an unambiguous part of
    one), or None for the first reader that has a card (a contactless one first; none that
    another application holds). Waits up to `timeout` seconds for a
    card. `extended_length` defaults to what the ATR announces (card capabilities in the
    historical bytes); pass True or False to override, e.g. for a chip that announces it in
    EF.ATR/INFO only. An ATR that does not parse leaves `parsed_atr` None and short APDUs.
    """

    def __init__(
        self,
        reader: int | str | None = None,
        *,
        timeout: float = 10.0,
        extended_length: bool | None = None,
    ) -> None:
        self._target = find_reader(reader)
        self._extended_override = extended_length
        self._connection: Any = None
        self.name = ""
        self.atr = b""
        self.parsed_atr: ATR | None = None
        self._connect(self._target, timeout)
        _log.info("PC/SC: card in %r, extended length %s", self.name, self.extended_length)

    @property
    def extended_length(self) -> bool:
        if self._extended_override is not None:
            return self._extended_override
        return self.parsed_atr is not None and self.parsed_atr.extended_length

    def transmit(self, apdu: bytes) -> bytes:
        if self._connection is None:
            raise TransportError("the PC/SC reader is closed")
        return get_responses(self._transmit_once, apdu)

    def reconnect(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for the card to be back in this reader, then hold it.

        For resuming after the chip left the field: the chip starts from power-on (no
        application selected, no secure channel). Raises `CardRemovedError` if it does not
        come back in time (the `Transport` contract), `ReaderNotFoundError` if the reader
        itself went away."""
        self._disconnect()
        try:
            self._connect(self.name, timeout)
        except errors.CardTimeoutError as exc:
            raise CardRemovedError(f"the card did not come back within {timeout:g} s") from exc

    def close(self) -> None:
        """Power the card down and let go of it (best effort: the card may be gone)."""
        self._disconnect()

    def __enter__(self) -> PCSCReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "connected" if self._connection is not None else "closed"
        return f"PCSCReader({self.name or self._target!r}, {state})"

    # -- pyscard ----------------------------------------------------------------------------

    def _connect(self, name: str | None, timeout: float) -> None:
        reader_name = _wait_for_card(name, timeout)
        where = f"connecting to the card in {reader_name!r}"
        with _pcsc_errors(where):
            connection = _pyscard("pcsc.PCSCReader").PCSCReader(reader_name).createConnection()
        try:
            with _pcsc_errors(where):
                connection.connect(mode=_pyscard("scard").SCARD_SHARE_EXCLUSIVE)
                atr = bytes(connection.getATR())
        except BaseException:
            _release(connection)
            raise
        self._connection, self.name, self.atr = connection, reader_name, atr
        try:
            self.parsed_atr = parse_atr(atr)
        except DecodeError:
            self.parsed_atr = None  # unusual ATR: still readable with short APDUs

    def _transmit_once(self, apdu: bytes) -> bytes:
        try:
            with _pcsc_errors(f"transmitting to the card in {self.name!r}"):
                data, sw1, sw2 = self._connection.transmit(list(apdu))
        except (CardRemovedError, ReaderNotFoundError):
            raise
        except TransportError as exc:
            if self._card_left():
                raise CardRemovedError(f"{exc} (the card left the field)") from exc.__cause__
            raise
        return bytes(data) + bytes((sw1, sw2))

    def _card_left(self, grace: float = REMOVAL_GRACE_SECONDS) -> bool:
        """After a failed exchange: did the card leave? A chip leaving the field mid-APDU
        fails it as "transaction failed"; pcscd marks our handle removed once it notices,
        which for polled readers (vpcd) takes up to 0.4 s."""
        deadline = time.monotonic() + grace
        while True:
            try:
                with _pcsc_errors("checking the card"):
                    self._connection.getATR()  # SCardStatus on our handle
            except CardRemovedError:
                return True
            except TransportError:
                return False
            if time.monotonic() >= deadline:
                return False
            time.sleep(REMOVAL_POLL_SECONDS)

    def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            _release(connection)


def translate_error(exc: BaseException, context: str) -> TransportError:
    """Map a pyscard exception (either tree) to the library's transport errors."""
    reason = str(exc) or type(exc).__name__
    return _error(_hresult(exc), f"{context}: {reason}", NAMES.get(type(exc).__name__))


def _error(
    code: int | None, message: str, by_name: type[TransportError] | None = None
) -> TransportError:
    if code in CARD_GONE:
        return CardRemovedError(message)
    if code in TIMED_OUT:
        return errors.CardTimeoutError(message)
    if code in NO_SERVICE:
        return ReaderNotFoundError(f"{message} (is pcscd running?)")
    if code in NO_READER:
        return ReaderNotFoundError(message)
    if code == SCARD_E_SHARING_VIOLATION:
        return TransportError(f"{message} (another application holds the card)")
    return (by_name or TransportError)(message)


def _hresult(exc: BaseException) -> int | None:
    code = getattr(exc, "hresult", None)
    if not isinstance(code, int) or code == -1:
        return None
    return code & 0xFFFFFFFF  # pyscard reports some codes as negative 32-bit integers


def _wait_for_card(name: str | None, timeout: float) -> str:
    """The reader (`name`, or any) once it holds a responsive card."""
    scard = _pyscard("scard")
    where = f"PC/SC reader {name!r}" if name else "any PC/SC reader"
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    _check(hresult, f"waiting for a card in {where}")
    try:
        known: dict[str, int] = {}
        deadline = time.monotonic() + timeout
        while True:
            hresult, names = scard.SCardListReaders(context, [])
            if hresult & 0xFFFFFFFF == SCARD_E_NO_READERS_AVAILABLE:
                names = []
            _check(hresult, f"waiting for a card in {where}", SCARD_E_NO_READERS_AVAILABLE)
            if name is not None and name not in names:
                raise ReaderNotFoundError(f"the {where} is not connected")
            watched = [name] if name is not None else list(names)
            remaining = max(0.0, deadline - time.monotonic())
            wait_ms = int(min(remaining, WAIT_SLICE_SECONDS) * 1000)
            if watched:
                query = [
                    (reader, known.get(reader, scard.SCARD_STATE_UNAWARE)) for reader in watched
                ]
                hresult, states = scard.SCardGetStatusChange(context, wait_ms, query)
                code = hresult & 0xFFFFFFFF
                if code not in (SCARD_E_TIMEOUT, SCARD_E_UNKNOWN_READER):
                    _check(hresult, f"waiting for a card in {where}")
                    found = _reader_to_use(states, scard, any_reader=name is None)
                    if found is not None:
                        return found
                    known = {
                        reader: state & ~scard.SCARD_STATE_CHANGED for reader, state, _ in states
                    }
            else:
                time.sleep(wait_ms / 1000)
            if time.monotonic() >= deadline:
                raise errors.CardTimeoutError(f"no card in {where} within {timeout:g} s")
    finally:
        scard.SCardReleaseContext(context)


def _reader_to_use(states: list[Any], scard: Any, *, any_reader: bool) -> str | None:
    """A reader with a responsive card among SCardGetStatusChange's `states`. For any reader:
    not one whose card another application holds (a token in use), and a contactless card
    (PC/SC pseudo-ATR) before a contact one."""
    usable = [
        (str(reader), bytes(atr))
        for reader, state, atr in states
        if state & scard.SCARD_STATE_PRESENT
        and not state & scard.SCARD_STATE_MUTE
        and not (any_reader and state & scard.SCARD_STATE_EXCLUSIVE)
    ]
    for reader, atr in usable:
        with contextlib.suppress(DecodeError):
            if parse_atr(atr).contactless:
                return reader
    return usable[0][0] if usable else None


def _check(hresult: int, context: str, *tolerated: int) -> None:
    code = hresult & 0xFFFFFFFF
    if code != SCARD_S_SUCCESS and code not in tolerated:
        message = _pyscard("scard").SCardGetErrorMessage(hresult)
        raise _error(code, f"{context}: {message} (0x{code:08X})")


@contextlib.contextmanager
def _pcsc_errors(context: str) -> Iterator[None]:
    pyscard_errors = (
        _pyscard("Exceptions").SmartcardException,
        _pyscard("pcsc.PCSCExceptions").BaseSCardException,
    )
    try:
        yield
    except pyscard_errors as exc:
        raise translate_error(exc, context) from exc


def _release(connection: Any) -> None:
    """Disconnect (unpowering the card) and free the PC/SC context, ignoring a gone card."""
    pyscard_error = _pyscard("Exceptions").SmartcardException
    with contextlib.suppress(pyscard_error):
        connection.disconnect()
    with contextlib.suppress(pyscard_error):
        connection.release()


def _pyscard(module: str) -> Any:
    """`smartcard.<module>`, imported on first use."""
    try:
        return importlib.import_module(f"smartcard.{module}")
    except ImportError as exc:
        raise TransportError(
            "PC/SC needs pyscard: pip install 'mrtd[pcsc]' (Debian: pcscd, libpcsclite1)"
        ) from exc


def _resolve_reader(reader: int | str | None, names: list[str]) -> str | None:
    if not names:
        raise ReaderNotFoundError("no PC/SC reader is connected")
    if reader is None:
        return None
    if isinstance(reader, int):
        if not 0 <= reader < len(names):
            raise ReaderNotFoundError(f"no PC/SC reader {reader}; {len(names)} connected")
        return names[reader]
    if reader in names:
        return reader
    matches = [name for name in names if reader.lower() in name.lower()]
    if len(matches) != 1:
        found = "several readers match" if matches else "no reader matches"
        raise ReaderNotFoundError(f"{found} {reader!r}; connected: {', '.join(names)}")
    return matches[0]
