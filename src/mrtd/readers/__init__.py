"""Transports that move APDUs: the only code that talks to hardware (or the simulated chip)."""

from __future__ import annotations

from mrtd.readers.base import Cancel, Transport
from mrtd.readers.open import ReaderInfo, list_readers, open_reader

__all__ = ["Cancel", "ReaderInfo", "Transport", "list_readers", "open_reader"]
