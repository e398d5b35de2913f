"""Face comparison on the shared official portraits (150 people, one photo each; read in place,
never committed): the impostor pairs at the calibrated threshold stay within the stated
false-match rate, degraded copies of one portrait (ICAO sizes, JPEG 2000 at chip bitrates,
crop, light) match it, and several real faces are refused. Only file names are shown."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from tests.shared_data import shared_data_path

pytest.importorskip("dlib", reason="needs the face extra (mrtd[face])")
cv2 = pytest.importorskip("cv2")
np = pytest.importorskip("numpy")

from mrtd.errors import FaceError  # noqa: E402
from mrtd.face.calibration import (  # noqa: E402
    IMPOSTOR_PAIRS,
    MEASURED_FALSE_MATCHES,
    TARGET_FMR,
    THRESHOLD,
)
from mrtd.face.compare import compare_faces, embed_image  # noqa: E402
from mrtd.face.degrade import DEGRADATIONS, encode_jp2, icao_size  # noqa: E402
from mrtd.lds.face import FaceImage  # noqa: E402
from mrtd.lds.image_decode import decode_image  # noqa: E402

SAMPLE = 30  # portraits put through every degradation (every n-th of the sorted names)


@pytest.fixture(scope="module")
def portraits() -> list[Path]:
    return sorted(shared_data_path("faces", "portraits").glob("*.jpg"))


@pytest.fixture(scope="module")
def embeddings(portraits: list[Path]) -> dict[str, Any]:
    return {path.name: embed_image(path.read_bytes())[0] for path in portraits}


def _distance(a: Any, b: Any) -> float:
    return float(np.linalg.norm(a - b))


def test_every_portrait_has_one_face(portraits: list[Path], embeddings: dict[str, Any]) -> None:
    assert len(portraits) == 150
    assert set(embeddings) == {path.name for path in portraits}


def test_impostor_pairs_at_the_threshold_are_within_the_stated_fmr(
    embeddings: dict[str, Any],
) -> None:
    pairs = list(itertools.combinations(sorted(embeddings), 2))
    assert len(pairs) == IMPOSTOR_PAIRS
    false = [(a, b) for a, b in pairs if _distance(embeddings[a], embeddings[b]) <= THRESHOLD]
    assert len(false) <= TARGET_FMR * len(pairs), [f"{a}~{b}" for a, b in false]
    assert abs(len(false) - MEASURED_FALSE_MATCHES) <= 2  # what calibration.py records


def test_degraded_copies_of_one_portrait_match_it(
    portraits: list[Path], embeddings: dict[str, Any]
) -> None:
    misses = []
    for path in portraits[::SAMPLE]:
        pixels = decode_image(path.read_bytes())
        for label, degrade in DEGRADATIONS.items():
            distance = _distance(embed_image(degrade(pixels))[0], embeddings[path.name])
            if distance > THRESHOLD:
                misses.append(f"{path.name} {label}: {distance:.3f}")
    assert misses == []


@pytest.mark.parametrize("index", [0, 75, 149])
def test_a_jpeg_2000_chip_portrait_matches_the_capture(portraits: list[Path], index: int) -> None:
    """The whole call: a 240x320 JPEG 2000 portrait of chip size against the original."""
    path = portraits[index]
    jp2 = encode_jp2(icao_size(decode_image(path.read_bytes()), 240, 320), 12_000)
    result = compare_faces(path.read_bytes(), FaceImage(jp2, "image/jp2", 240, 320))
    assert result.match, f"{path.name}: {result.distance:.3f}"


def test_another_persons_portrait_does_not_match(portraits: list[Path]) -> None:
    result = compare_faces(portraits[0].read_bytes(), portraits[1].read_bytes())
    assert not result.match
    assert result.distance > THRESHOLD


@pytest.mark.parametrize("count", [2, 3])
def test_several_real_faces_are_refused(portraits: list[Path], count: int) -> None:
    group = np.hstack([decode_image(path.read_bytes()) for path in portraits[:count]])
    ok, png = cv2.imencode(".png", group)
    assert ok
    with pytest.raises(FaceError) as caught:
        compare_faces(bytes(png.tobytes()), portraits[0].read_bytes())
    assert (caught.value.reason, caught.value.image) == ("several_faces", "capture")
