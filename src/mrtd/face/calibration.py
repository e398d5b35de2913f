"""The default decision threshold of face comparison and what it was calibrated for.

Measured by tools/calibrate_faces.py over the shared official portraits (150 people, one
photo each; docs/face.md has the table and what the set cannot measure). Rerun the tool and
update these figures together when the model, the alignment or the detector changes.
"""

from __future__ import annotations

__all__ = [
    "CALIBRATED_FOR",
    "IMPOSTOR_PAIRS",
    "MEASURED_FALSE_MATCHES",
    "MEASURED_FMR",
    "MEASURED_FMR_CI95",
    "TARGET_FMR",
    "THRESHOLD",
]

TARGET_FMR = 0.001
THRESHOLD = 0.5
IMPOSTOR_PAIRS = 0
MEASURED_FALSE_MATCHES = 0
MEASURED_FMR = 0.0
MEASURED_FMR_CI95 = (0.0, 0.0)
CALIBRATED_FOR = "placeholder"
