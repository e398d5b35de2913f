"""Opening the chip: the access keys (`keys`: `MRZKey` from the MRZ, `CANKey` from the card
access number), Basic Access Control (`bac`) and PACE (`pace`: GM, IM and CAM mappings, the
choice of variant from EF.CardAccess). The protocols are sans-I/O generators; the read
pipeline drives them over a reader and keeps the secure channel they build."""

from __future__ import annotations

from mrtd.access.keys import AccessKey, CANKey, MRZKey

__all__ = ["AccessKey", "CANKey", "MRZKey"]
