"""PACE: Password Authenticated Connection Establishment (ICAO 9303-11 §4.4, BSI TR-03110)."""

from __future__ import annotations

from mrtd.access.pace.protocol import PACEResult, pace

__all__ = ["PACEResult", "pace"]
