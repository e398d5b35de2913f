"""The simulated chip as a transport, in process (the embedded default reader)."""

from __future__ import annotations

from mrtd.sim.chip import SimulatedChip


class SimulatedReader:
    def __init__(self, chip: SimulatedChip) -> None:
        self.chip = chip

    @property
    def extended_length(self) -> bool:
        return self.chip.extended_length

    def transmit(self, apdu: bytes) -> bytes:
        return self.chip.transmit(apdu)

    def close(self) -> None:
        self.chip.reset()
