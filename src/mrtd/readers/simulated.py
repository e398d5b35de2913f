"""The simulated chip as a transport, in process (the embedded default reader)."""

from __future__ import annotations

from mrtd.errors import CardRemovedError
from mrtd.sim.chip import SimulatedChip


class SimulatedReader:
    def __init__(self, chip: SimulatedChip) -> None:
        self.chip = chip

    @property
    def extended_length(self) -> bool:
        return self.chip.extended_length

    def transmit(self, apdu: bytes) -> bytes:
        return self.chip.transmit(apdu)

    def reconnect(self, timeout: float) -> None:
        """Wait (modeled time) for the card to come back after it left the field."""
        if not self.chip.wait_for_return(timeout):
            raise CardRemovedError(f"card did not come back within {timeout:g} s")

    def close(self) -> None:
        self.chip.reset()
