"""The simulated chip as a transport, in process (the embedded default reader).

Like a PC/SC reader it completes 61xx answers with GET RESPONSE (bounded), and it waits
`answer_timeout` seconds (modeled) for each answer: a chip that stalls longer raises
`mrtd.errors.CardTimeoutError` at once, without real waiting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mrtd.errors import CardRemovedError
from mrtd.readers.responses import get_responses

if TYPE_CHECKING:  # the chip is passed in: the reader needs only its type
    from mrtd.sim.chip import SimulatedChip

ANSWER_TIMEOUT = 5.0  # seconds; ISO 14443-4's longest frame waiting time is about 5 s


class SimulatedReader:
    def __init__(self, chip: SimulatedChip, *, answer_timeout: float = ANSWER_TIMEOUT) -> None:
        self.chip = chip
        chip.answer_timeout = answer_timeout

    @property
    def extended_length(self) -> bool:
        return self.chip.extended_length

    def transmit(self, apdu: bytes) -> bytes:
        return get_responses(self.chip.transmit, apdu)

    def reconnect(self, timeout: float) -> None:
        """Wait (modeled time) for the card to come back after it left the field."""
        if not self.chip.wait_for_return(timeout):
            raise CardRemovedError(f"card did not come back within {timeout:g} s")

    def close(self) -> None:
        self.chip.reset()
