"""The Logical Data Structure: one module per file type, each a typed parse and a builder.

ICAO 9303-10. `from_bytes` parses (raising `DecodeError` for malformed input); `build_*` makes
the bytes a simulated chip serves. EF.SOD lives in `mrtd.lds.sod`.
"""

from __future__ import annotations

from mrtd.lds.com import COMFile, build_com
from mrtd.lds.dg1 import DG1File, build_dg1
from mrtd.lds.dg2 import DG2File, build_dg2
from mrtd.lds.dg11 import DG11File, build_dg11
from mrtd.lds.dg12 import DG12File, build_dg12
from mrtd.lds.face import FaceImage, build_face_record, parse_face_data_block, parse_face_record
from mrtd.lds.files import (
    EMRTD_AID,
    LDS_FILES,
    LDS_TAGS,
    LDSFileInfo,
    file_for_tag,
    lds_tag_of,
)
from mrtd.lds.image import image_size, image_type

__all__ = [
    "EMRTD_AID",
    "LDS_FILES",
    "LDS_TAGS",
    "COMFile",
    "DG1File",
    "DG2File",
    "DG11File",
    "DG12File",
    "FaceImage",
    "LDSFileInfo",
    "build_com",
    "build_dg1",
    "build_dg2",
    "build_dg11",
    "build_dg12",
    "build_face_record",
    "file_for_tag",
    "image_size",
    "image_type",
    "lds_tag_of",
    "parse_face_data_block",
    "parse_face_record",
]
