"""A one-line progress bar on a terminal (standard error), for long reads like DG2."""

from __future__ import annotations

from typing import TextIO

from mrtd.pipeline.events import FileProgress, ReadEvent

WIDTH = 30


class ProgressBar:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._shown = False

    def __call__(self, event: ReadEvent) -> None:
        """An `on_event` callback: draws `FileProgress` events, passes over the others."""
        if not isinstance(event, FileProgress):
            return
        name, done, total = event.name, event.done, event.total
        if total:
            filled = WIDTH * done // total
            bar = "#" * filled + "." * (WIDTH - filled)
            text = f"\rreading {name:<7} [{bar}] {done:>6}/{total} bytes"
        else:
            text = f"\rreading {name:<7} {done} bytes"
        self.out.write(text)
        self.out.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.out.write("\r" + " " * 70 + "\r")
            self.out.flush()
