"""Compare a live capture with the chip's DG2 portrait: one face in each, 5-point alignment,
dlib's ResNet embedding, the Euclidean distance against a calibrated threshold (docs/face.md).

The DG2 portrait is decoded as stored (JPEG or JPEG 2000, bounded by its header like every
chip image); the capture is JPEG or PNG, bounded the same way. Zero or several faces in either
image is a `FaceError` naming the image and the reason, never a guess. The result is a
`FaceComparison`: the distance, the threshold and what it was calibrated for, the decision and
quality notes. It never changes the document's verdict; whether a match is required is the
caller's (the service's `face_match` policy). No image, face or embedding is logged or kept.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mrtd.bounded import read_bounded
from mrtd.errors import DecodeError, FaceError
from mrtd.face.calibration import CALIBRATED_FOR, THRESHOLD
from mrtd.face.models import FaceModels, load_models, require_face_extra
from mrtd.lds.dg2 import DG2File
from mrtd.lds.face import FaceImage
from mrtd.lds.image_decode import MAX_PIXELS, MAX_SIDE, declared_size, decode_image

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from mrtd.pipeline.document import Document

__all__ = [
    "CAPTURE",
    "MAX_IMAGE_BYTES",
    "PORTRAIT",
    "QUALITY_NOTES",
    "FaceComparison",
    "compare_faces",
    "decode_capture",
]

CAPTURE = "capture"
PORTRAIT = "portrait"
MAX_IMAGE_BYTES = 20 * 1024 * 1024
QUALITY_NOTES = {
    "face_too_small": "the eyes are under 60 px apart (ISO/IEC 19794-5's token minimum)",
    "image_too_small": "the image's shorter side is under 240 px",
    "greyscale": "the image has no colour; the other image was compared in greyscale too",
    "blur": "the face is strongly blurred",
}
_MIN_EYE_DISTANCE = 60.0
_MIN_SIDE = 240
_BLUR_VARIANCE = 35.0  # of the Laplacian over the aligned 150x150 face (docs/face.md)
_DETECT_SIDE = 800  # detection runs on a copy no larger than this; landmarks on the original
_CHIP_SIZE = 150
_CHIP_PADDING = 0.25
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_DG2_TAG = b"\x75"  # an encoded DG2 (9303-10), taken for its first face

ImageInput = bytes | bytearray | memoryview | str | os.PathLike[str]


@dataclass(frozen=True, slots=True)
class FaceComparison:
    """The comparison of a capture with a document's portrait (docs/face.md).

    `distance` between the two face embeddings (0 the same, about 1 and more for different
    people), `threshold` the largest distance taken as a match and `calibrated_for` what it was
    calibrated for, `match` the decision (`distance <= threshold`); `capture_notes` and
    `portrait_notes` are quality notes (`QUALITY_NOTES` keys) that make a decision less
    reliable without changing it. The document's verdict is not affected.
    """

    distance: float
    threshold: float
    calibrated_for: str
    match: bool
    capture_notes: tuple[str, ...] = ()
    portrait_notes: tuple[str, ...] = ()

    @property
    def decision(self) -> str:
        """ "match" or "no_match"."""
        return "match" if self.match else "no_match"

    def as_json(self) -> dict[str, Any]:
        """The JSON form of `mrtd face --json` and the service's `face` field."""
        return {
            "decision": self.decision,
            "match": self.match,
            "distance": round(self.distance, 4),
            "threshold": self.threshold,
            "calibrated_for": self.calibrated_for,
            "capture_notes": list(self.capture_notes),
            "portrait_notes": list(self.portrait_notes),
        }


@dataclass(frozen=True, slots=True)
class _Face:
    embedding: NDArray[np.float64]
    notes: tuple[str, ...]


def compare_faces(
    capture: ImageInput,
    document: Document | FaceImage | ImageInput,
    *,
    threshold: float = THRESHOLD,
) -> FaceComparison:
    """Compare the face in `capture` (JPEG or PNG bytes, or a path) with the document's
    portrait: a `Document` (its first DG2 face), a `FaceImage`, the encoded image (JPEG or
    JPEG 2000, bytes or a path), an encoded DG2 file (bytes or a path) or a folder of files
    read from the chip (DG2 found by content).

    `FaceError` (a ValueError) when an image cannot be decoded (`reason` "image_unreadable"),
    holds no face ("no_face") or several ("several_faces"), or the document has no DG2 face
    ("no_portrait"); `OptionalDependencyError` without the `mrtd[face]` extra.
    """
    if not 0.0 < threshold < 2.0:
        raise ValueError("the threshold is a distance between 0 and 2")
    require_face_extra()
    portrait_bytes = _portrait_bytes(document)
    capture_bytes = _read(capture, CAPTURE)
    portrait_pixels = _decode(portrait_bytes, PORTRAIT, decode_image)
    capture_pixels = _decode(capture_bytes, CAPTURE, decode_capture)
    grey = (_is_greyscale(portrait_pixels), _is_greyscale(capture_pixels))
    models = load_models()
    with models.lock:
        portrait = _analyse(models, portrait_pixels, PORTRAIT, grey=grey[0], as_grey=any(grey))
        live = _analyse(models, capture_pixels, CAPTURE, grey=grey[1], as_grey=any(grey))
    distance = float(((portrait.embedding - live.embedding) ** 2).sum() ** 0.5)
    return FaceComparison(
        distance=distance,
        threshold=threshold,
        calibrated_for=CALIBRATED_FOR,
        match=distance <= threshold,
        capture_notes=live.notes,
        portrait_notes=portrait.notes,
    )


def embed_image(data: bytes, which: str = PORTRAIT) -> tuple[NDArray[np.float64], tuple[str, ...]]:
    """The embedding of the one face in an encoded image and its quality notes (for
    calibration and benchmarks; `compare_faces` is the API)."""
    require_face_extra()
    decoder = decode_capture if data.startswith(_PNG_MAGIC) else decode_image
    pixels = _decode(data, which, decoder)
    grey = _is_greyscale(pixels)
    models = load_models()
    with models.lock:
        face = _analyse(models, pixels, which, grey=grey, as_grey=grey)
    return face.embedding, face.notes


def decode_capture(data: bytes) -> NDArray[np.uint8]:
    """The pixels (BGR, HxWx3) of a JPEG or PNG capture, its declared size checked before
    decoding as for chip images, a JPEG turned as its EXIF orientation says (a phone stores
    its photos sideways); DecodeError otherwise (JPEG 2000 too: a camera gives none)."""
    if data.startswith(_JPEG_MAGIC):
        declared_size(data)
        kind = "JPEG"
    elif data.startswith(_PNG_MAGIC):
        if len(data) < 24 or data[12:16] != b"IHDR":
            raise DecodeError("PNG: no readable image size in the header")
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        if not width or not height or max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
            raise DecodeError(f"PNG: declared size {width}x{height} is out of the limits")
        kind = "PNG"
    else:
        raise DecodeError("image data is neither JPEG nor PNG; it is not decoded")
    import cv2  # noqa: PLC0415 - the optional extra, checked by the caller
    import numpy as np  # noqa: PLC0415

    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # failures raise
    try:
        pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    except cv2.error:
        pixels = None
    finally:
        cv2.utils.logging.setLogLevel(level)
    if pixels is None or pixels.ndim != 3 or pixels.shape[2] != 3:
        raise DecodeError(f"{kind}: the image data cannot be decoded")
    decoded: NDArray[np.uint8] = np.ascontiguousarray(pixels)
    return decoded


def _portrait_bytes(document: Document | FaceImage | ImageInput) -> bytes:
    if isinstance(document, FaceImage):
        return document.image
    if isinstance(document, str | os.PathLike) and Path(document).is_dir():
        return _dg2_portrait(_dump_dg2(Path(document)))
    if isinstance(document, bytes | bytearray | memoryview | str | os.PathLike):
        data = _read(document, PORTRAIT)
        return _dg2_portrait(data) if data[:1] == _DG2_TAG else data
    faces: tuple[FaceImage, ...] = getattr(document, "faces", ())
    if not faces:
        raise FaceError("the document has no face image (DG2)", "no_portrait", PORTRAIT)
    return faces[0].image


def _dump_dg2(folder: Path) -> bytes:
    """DG2 among the files of a folder (a dump), found by content as `mrtd verify` finds it."""
    from mrtd.pipeline.document import collect_files  # noqa: PLC0415 - only for a folder

    try:
        files = collect_files([folder])
    except (DecodeError, OSError) as exc:
        raise FaceError(f"the document's files: {exc}", "no_portrait", PORTRAIT) from exc
    if "DG2" not in files:
        raise FaceError("no DG2 (face) among the document's files", "no_portrait", PORTRAIT)
    return files["DG2"][1]


def _dg2_portrait(data: bytes) -> bytes:
    """The first face image of a DG2 file."""
    try:
        faces = DG2File.from_bytes(data).faces
    except DecodeError as exc:
        raise FaceError(f"DG2 cannot be parsed: {exc}", "image_unreadable", PORTRAIT) from exc
    if not faces:
        raise FaceError("DG2 holds no face image", "no_portrait", PORTRAIT)
    return faces[0].image


def _read(source: ImageInput, which: str) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        error = lambda message: FaceError(message, "image_unreadable", which)  # noqa: E731
        data = read_bounded(Path(source), MAX_IMAGE_BYTES, error, f"the {which}")
    if len(data) > MAX_IMAGE_BYTES:
        raise FaceError(f"the {which} is over {MAX_IMAGE_BYTES} bytes", "image_unreadable", which)
    return data


def _decode(data: bytes, which: str, decoder: Any) -> NDArray[np.uint8]:
    try:
        pixels: NDArray[np.uint8] = decoder(data)
    except DecodeError as exc:
        raise FaceError(f"the {which} cannot be decoded: {exc}", "image_unreadable", which) from exc
    return pixels


def _is_greyscale(pixels: NDArray[np.uint8]) -> bool:
    import numpy as np  # noqa: PLC0415

    step = max(1, min(pixels.shape[:2]) // 200)  # a sample is enough
    sample = pixels[::step, ::step].astype(np.int16)
    spread = np.abs(sample[:, :, 0] - sample[:, :, 1]) + np.abs(sample[:, :, 1] - sample[:, :, 2])
    return bool(spread.mean() < 3.0)


def _analyse(
    models: FaceModels, bgr: NDArray[np.uint8], which: str, *, grey: bool, as_grey: bool
) -> _Face:
    """Exactly one face: its embedding and the quality notes of the image (`grey`: it has no
    colour; `as_grey`: compare it without colour, since one of the two has none)."""
    import cv2  # noqa: PLC0415
    import dlib  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    pixels: Any = bgr
    if as_grey:
        pixels = cv2.cvtColor(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    rgb = np.ascontiguousarray(pixels[:, :, ::-1])
    height, width = rgb.shape[:2]
    scale = min(1.0, _DETECT_SIDE / max(height, width))
    small = rgb if scale == 1.0 else cv2.resize(rgb, None, fx=scale, fy=scale,
                                                 interpolation=cv2.INTER_AREA)  # fmt: skip
    boxes = list(models.detector(small, 0))  # faces of 80 px and more
    if not boxes:  # smaller faces, and faces at HOG's margin, show at twice the size
        boxes = list(models.detector(small, 1))
    if not boxes:
        raise FaceError(f"no face found in the {which}", "no_face", which)
    if len(boxes) > 1:
        raise FaceError(f"{len(boxes)} faces found in the {which}; one is needed",
                        "several_faces", which)  # fmt: skip
    box = boxes[0]
    box = dlib.rectangle(
        round(box.left() / scale), round(box.top() / scale),
        round(box.right() / scale), round(box.bottom() / scale),
    )  # fmt: skip
    shape = models.landmarks(rgb, box)
    chip = dlib.get_face_chip(rgb, shape, size=_CHIP_SIZE, padding=_CHIP_PADDING)
    embedding = np.array(models.embedder.compute_face_descriptor(chip), dtype=np.float64)
    return _Face(embedding, _notes(rgb, shape, chip, grey=grey))


def _notes(rgb: Any, shape: Any, chip: Any, *, grey: bool) -> tuple[str, ...]:
    import cv2  # noqa: PLC0415

    notes = []
    points = [(shape.part(i).x, shape.part(i).y) for i in range(4)]  # eye corners, 2 per eye
    eyes = [((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) for a, b in (points[0:2], points[2:4])]
    if math.dist(eyes[0], eyes[1]) < _MIN_EYE_DISTANCE:
        notes.append("face_too_small")
    if min(rgb.shape[:2]) < _MIN_SIDE:
        notes.append("image_too_small")
    if grey:
        notes.append("greyscale")
    if cv2.Laplacian(cv2.cvtColor(chip, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var() < _BLUR_VARIANCE:
        notes.append("blur")
    return tuple(notes)
