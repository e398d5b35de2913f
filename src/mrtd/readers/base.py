"""The `Transport` protocol: bytes in, bytes out (with the status word). Nothing else in the
library imports pyscard or nfcpy. `Cancel`: what a caller hands in to stop a wait or a read."""

from __future__ import annotations

from typing import Protocol


class Transport(Protocol):
    """A reader with a card in it, as the read pipeline uses it: `PCSCReader`, `NFCReader`,
    `SimulatedReader`, or an application's own (a relay, a trace player)."""

    @property
    def extended_length(self) -> bool:
        """Whether both reader and chip take extended-length APDUs."""
        ...

    def transmit(self, apdu: bytes) -> bytes:
        """Send one command APDU, return the response including SW1 SW2."""
        ...

    def reconnect(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for the card to come back after it left the field
        (power-cycled: every session state is gone). Raises CardRemovedError if it does not."""
        ...

    def close(self) -> None: ...


class Cancel(Protocol):
    """Anything that says whether to stop: `threading.Event` is one. A read looks at it before
    each APDU and at least every half second while it waits for a card."""

    def is_set(self) -> bool: ...
