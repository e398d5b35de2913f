"""Secure messaging (ICAO 9303-11 §9.8), one implementation for both roles."""

from __future__ import annotations

from mrtd.sm.channel import SecureChannel

__all__ = ["SecureChannel"]
