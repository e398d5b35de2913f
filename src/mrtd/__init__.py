"""mrtd: read and verify ICAO 9303 electronic passports and ID cards.

Heavy optional dependencies (pyscard, nfcpy, OpenCV, tesseract) are imported lazily at the
edge, so `import mrtd` stays fast.

The library logs under the "mrtd" logger (a NullHandler here: nothing is shown unless the
application configures logging): INFO for the access protocol, files read and checks, DEBUG
for protocol steps, and "mrtd.apdu" DEBUG for each APDU's header, sizes and status word. No
record carries personal data or key material.
"""

from __future__ import annotations

import logging

from mrtd.access.keys import CANKey, MRZKey
from mrtd.errors import MRTDError, MRZError
from mrtd.mrz import MRZ, parse_mrz

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["MRZ", "CANKey", "MRTDError", "MRZError", "MRZKey", "__version__", "parse_mrz"]
