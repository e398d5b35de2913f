"""Basic Access Control (ICAO 9303-11 §4.3)."""

from __future__ import annotations

from mrtd.access.bac.keys import BACKeys, derive_bac_keys
from mrtd.access.bac.protocol import bac

__all__ = ["BACKeys", "bac", "derive_bac_keys"]
