"""Time only the terminal's side of a sans-I/O protocol: the chip's answers are made between
the timed steps and not counted (shared by bench_pace and bench_clone)."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from typing import Any

from mrtd.apdu import CommandAPDU, ResponseAPDU


def terminal_seconds(
    protocol: Generator[CommandAPDU, ResponseAPDU, Any],
    answer: Callable[[CommandAPDU], ResponseAPDU],
) -> float:
    """Seconds the generator spends computing, from its first command to its result."""
    started = time.perf_counter()
    command = next(protocol)
    spent = time.perf_counter() - started
    try:
        while True:
            reply = answer(command)
            started = time.perf_counter()
            try:
                command = protocol.send(reply)
            finally:
                spent += time.perf_counter() - started
    except StopIteration:
        return spent
