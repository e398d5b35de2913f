"""Face comparison (the `mrtd[face]` extra): a live capture against the chip's DG2 portrait.

`compare_faces(capture, document)` gives a `FaceComparison` (distance, threshold and what it
was calibrated for, decision, quality notes) or refuses with a `FaceError`; docs/face.md.
"""

from __future__ import annotations

from mrtd.face.compare import FaceComparison, compare_faces

__all__ = ["FaceComparison", "compare_faces"]
