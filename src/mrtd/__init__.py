"""mrtd: read and verify ICAO 9303 electronic passports and ID cards.

Heavy optional dependencies (pyscard, nfcpy, OpenCV, tesseract) are imported lazily at the
edge, so `import mrtd` stays fast.
"""

from __future__ import annotations

from mrtd.access_key import CANKey, MRZKey
from mrtd.errors import MRTDError, MRZError
from mrtd.mrz import MRZ, parse_mrz

__version__ = "0.1.0"

__all__ = ["MRZ", "CANKey", "MRTDError", "MRZError", "MRZKey", "__version__", "parse_mrz"]
