"""Transports that move APDUs: the only code that talks to hardware (or the simulated chip)."""

from __future__ import annotations

from mrtd.readers.base import Transport

__all__ = ["Transport"]
