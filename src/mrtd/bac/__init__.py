"""Basic Access Control (ICAO 9303-11 §4.3)."""

from __future__ import annotations

from mrtd.bac.keys import BACKeys, derive_bac_keys

__all__ = ["BACKeys", "derive_bac_keys"]
