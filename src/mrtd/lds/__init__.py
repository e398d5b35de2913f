"""The Logical Data Structure: one module per file type, each a typed parse and a builder.

ICAO 9303-10. `from_bytes` parses (raising `DecodeError` for malformed input); `build_*` makes
the bytes a simulated chip serves; `parse_file(name, data)` picks the parser by file name.
EF.SOD lives in `mrtd.lds.sod`, SecurityInfos (EF.CardAccess, DG14) in `mrtd.lds.security`.
"""

from __future__ import annotations

from mrtd.lds.biometric import (
    BiometricGroup,
    BiometricHeader,
    BiometricRecord,
    DG3File,
    DG4File,
    build_dg3,
    build_dg4,
)
from mrtd.lds.com import COMFile, build_com
from mrtd.lds.dg1 import DG1File, build_dg1
from mrtd.lds.dg2 import DG2File, build_dg2
from mrtd.lds.dg11 import DG11File, build_dg11
from mrtd.lds.dg12 import DG12File, build_dg12
from mrtd.lds.dg13 import DG13File, build_dg13
from mrtd.lds.dg15 import DG15File, build_dg15
from mrtd.lds.dg16 import DG16File, PersonToNotify, build_dg16
from mrtd.lds.displayed_image import (
    DG5File,
    DG6File,
    DG7File,
    DisplayedImage,
    DisplayedImageGroup,
    build_dg5,
    build_dg6,
    build_dg7,
)
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
from mrtd.lds.image_decode import decode_image, save_image
from mrtd.lds.opaque import OpaqueDataGroup
from mrtd.lds.parse import PARSERS, parse_by_tag, parse_file

__all__ = [
    "EMRTD_AID",
    "LDS_FILES",
    "LDS_TAGS",
    "PARSERS",
    "BiometricGroup",
    "BiometricHeader",
    "BiometricRecord",
    "COMFile",
    "DG1File",
    "DG2File",
    "DG3File",
    "DG4File",
    "DG5File",
    "DG6File",
    "DG7File",
    "DG11File",
    "DG12File",
    "DG13File",
    "DG15File",
    "DG16File",
    "DisplayedImage",
    "DisplayedImageGroup",
    "FaceImage",
    "LDSFileInfo",
    "OpaqueDataGroup",
    "PersonToNotify",
    "build_com",
    "build_dg1",
    "build_dg2",
    "build_dg3",
    "build_dg4",
    "build_dg5",
    "build_dg6",
    "build_dg7",
    "build_dg11",
    "build_dg12",
    "build_dg13",
    "build_dg15",
    "build_dg16",
    "build_face_record",
    "decode_image",
    "file_for_tag",
    "image_size",
    "image_type",
    "lds_tag_of",
    "parse_by_tag",
    "parse_face_data_block",
    "parse_face_record",
    "parse_file",
    "save_image",
]
