"""Face comparison (issue 22) on the simulated chip's portrait, so a bare clone tests it: the DG2
of a simulated document against degraded captures, JPEG 2000 portraits, refusals of zero or
several faces and of unreadable images, quality notes, the install hint, and the 68-point
landmark model never opened."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("dlib", reason="needs the face extra (mrtd[face])")
cv2 = pytest.importorskip("cv2")
np = pytest.importorskip("numpy")

from mrtd.errors import FaceError, OptionalDependencyError  # noqa: E402
from mrtd.face import models  # noqa: E402
from mrtd.face.calibration import CALIBRATED_FOR, THRESHOLD  # noqa: E402
from mrtd.face.compare import FaceComparison, compare_faces  # noqa: E402
from mrtd.face.degrade import adjust_light, crop, encode_jp2, encode_jpeg, icao_size  # noqa: E402
from mrtd.lds.dg2 import DG2File  # noqa: E402
from mrtd.lds.face import FaceImage  # noqa: E402
from mrtd.pipeline.document import verify_files  # noqa: E402
from tests.sim_files import sim_files  # noqa: E402

FACE = Path(__file__).resolve().parents[2] / "src" / "mrtd" / "sim" / "data" / "face.jpg"


def _pixels(data: bytes) -> Any:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


def _png(pixels: Any) -> bytes:
    ok, data = cv2.imencode(".png", pixels)
    assert ok
    return bytes(data.tobytes())


@pytest.fixture(scope="module")
def portrait() -> Any:
    """The simulated chip's DG2 portrait, decoded (BGR)."""
    [face] = DG2File.from_bytes(sim_files()["DG2"]).faces
    return _pixels(face.image)


@pytest.mark.parametrize(
    "capture",
    [
        pytest.param(_png, id="same-png"),
        pytest.param(lambda p: encode_jpeg(adjust_light(p, gamma=1.6), 60), id="darker-jpeg"),
        pytest.param(lambda p: encode_jpeg(adjust_light(p, offset=40)), id="brighter"),
        pytest.param(lambda p: _png(crop(p, 0.2)), id="cropped"),
        pytest.param(lambda p: encode_jpeg(cv2.resize(p, (960, 1280))), id="larger"),
    ],
)
def test_the_dg2_of_a_simulated_document_matches_degraded_captures(
    portrait: Any, capture: Any
) -> None:
    document = verify_files(sim_files())
    result = compare_faces(capture(portrait), document)
    assert isinstance(result, FaceComparison)
    assert result.match, result
    assert result.decision == "match"
    assert result.distance <= result.threshold == THRESHOLD
    assert result.calibrated_for == CALIBRATED_FOR
    assert result.as_json()["decision"] == "match"


@pytest.mark.parametrize("size", [12_000, 6_000])
def test_a_jpeg_2000_portrait_at_chip_bitrates_matches(portrait: Any, size: int) -> None:
    jp2 = encode_jp2(icao_size(portrait, 240, 320), size)
    assert jp2.startswith(bytes.fromhex("0000000C6A502020"))
    assert len(jp2) <= size
    face = FaceImage(jp2, "image/jp2", 240, 320)
    assert compare_faces(_png(portrait), face).match
    codestream_capture = encode_jpeg(portrait)
    assert compare_faces(codestream_capture, jp2).match  # the encoded bytes as well


def test_a_phone_capture_is_turned_as_its_exif_orientation_says(portrait: Any) -> None:
    image = pytest.importorskip("PIL.Image")
    sideways = image.fromarray(np.ascontiguousarray(portrait[:, :, ::-1])).rotate(90, expand=True)
    exif = image.Exif()
    exif[0x0112] = 6  # turn 90 degrees clockwise to show
    buffer = io.BytesIO()
    sideways.save(buffer, "JPEG", exif=exif.tobytes())
    assert compare_faces(buffer.getvalue(), FACE.read_bytes()).match


def test_a_path_is_read(tmp_path: Path, portrait: Any) -> None:
    capture = tmp_path / "capture.png"
    capture.write_bytes(_png(portrait))
    assert compare_faces(capture, FACE).match
    assert compare_faces(str(capture), str(FACE)).match


def test_a_dg2_file_or_a_dump_folder_is_the_document(tmp_path: Path, portrait: Any) -> None:
    capture = _png(adjust_light(portrait, offset=-30))
    assert compare_faces(capture, sim_files()["DG2"]).match
    for name, data in sim_files().items():
        (tmp_path / f"{name}.bin").write_bytes(data)
    assert compare_faces(capture, tmp_path).match
    assert compare_faces(capture, tmp_path / "DG2.bin").match
    (tmp_path / "DG2.bin").unlink()
    with pytest.raises(FaceError) as caught:
        compare_faces(capture, tmp_path)
    assert caught.value.reason == "no_portrait"
    with pytest.raises(FaceError) as caught:
        compare_faces(capture, b"\x75\x03\x7f\x61\x00")
    assert (caught.value.reason, caught.value.image) == ("image_unreadable", "portrait")


def test_another_face_does_not_match(portrait: Any) -> None:
    other = cv2.flip(portrait, 0)  # upside down: HOG finds no face there
    with pytest.raises(FaceError):
        compare_faces(_png(other), FACE.read_bytes())
    strict = compare_faces(_png(crop(portrait, 0.1)), FACE.read_bytes(), threshold=1e-6)
    assert not strict.match
    assert strict.decision == "no_match"


def test_no_face_is_refused_naming_the_image(portrait: Any) -> None:
    blank = _png(np.full((480, 640, 3), 128, np.uint8))
    with pytest.raises(FaceError, match="no face") as caught:
        compare_faces(blank, FACE.read_bytes())
    assert (caught.value.reason, caught.value.image) == ("no_face", "capture")
    with pytest.raises(FaceError) as caught:
        compare_faces(_png(portrait), encode_jpeg(np.full((320, 240, 3), 200, np.uint8)))
    assert (caught.value.reason, caught.value.image) == ("no_face", "portrait")


def test_several_faces_are_refused_not_guessed(portrait: Any) -> None:
    """Two people side by side (the synthetic face is a weak HOG detection, so it is shown at
    a size where both are found; tests/integration/test_face_portraits.py uses real faces)."""
    two = _png(cv2.resize(np.hstack([portrait, portrait]), (640, 427)))
    with pytest.raises(FaceError, match="2 faces") as caught:
        compare_faces(two, FACE.read_bytes())
    assert (caught.value.reason, caught.value.image) == ("several_faces", "capture")


@pytest.mark.parametrize(
    "data",
    [
        b"not an image",
        b"GIF89a" + bytes(32),
        b"\xff\xd8\xff\xe0" + bytes(64),  # a JPEG header and nothing
        b"\x89PNG\r\n\x1a\n" + bytes(4) + b"IHDR" + (60_000).to_bytes(4, "big") * 2 + bytes(8),
        b"\x89PNG\r\n\x1a\n" + bytes(4) + b"IHDR" + (640).to_bytes(4, "big") * 2 + bytes(50),
        bytes.fromhex("0000000C6A5020200D0A870A") + bytes(32),  # JPEG 2000: not a capture
    ],
    ids=["text", "gif", "jpeg-truncated", "png-huge", "png-truncated", "jp2"],
)
def test_an_unreadable_capture_is_refused(data: bytes) -> None:
    with pytest.raises(FaceError) as caught:
        compare_faces(data, FACE.read_bytes())
    assert (caught.value.reason, caught.value.image) == ("image_unreadable", "capture")


def test_a_document_without_a_portrait_is_refused(portrait: Any) -> None:
    files = {k: v for k, v in sim_files().items() if k != "DG2"}
    with pytest.raises(FaceError) as caught:
        compare_faces(_png(portrait), verify_files(files))
    assert caught.value.reason == "no_portrait"
    with pytest.raises(FaceError) as caught:
        compare_faces(_png(portrait), Path("/nonexistent/face.jpg"))
    assert (caught.value.reason, caught.value.image) == ("image_unreadable", "portrait")


def test_quality_notes(portrait: Any) -> None:
    grey = cv2.cvtColor(cv2.cvtColor(portrait, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    result = compare_faces(_png(grey), FACE.read_bytes())
    assert result.match
    assert result.capture_notes == ("greyscale",)
    assert result.portrait_notes == ()
    small = compare_faces(_png(cv2.resize(portrait, (120, 160))), FACE.read_bytes())
    assert {"face_too_small", "image_too_small"} <= set(small.capture_notes)
    blurred = compare_faces(_png(cv2.GaussianBlur(portrait, (0, 0), 3)), FACE.read_bytes())
    assert "blur" in blurred.capture_notes
    assert "blur" not in compare_faces(_png(portrait), FACE.read_bytes()).capture_notes


def test_the_threshold_is_a_distance() -> None:
    with pytest.raises(ValueError, match="threshold"):
        compare_faces(b"", FACE.read_bytes(), threshold=0)


def test_the_missing_extra_gives_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dlib", None)  # `import dlib` raises ImportError
    with pytest.raises(OptionalDependencyError, match=r"pip install 'mrtd\[face\]'"):
        compare_faces(FACE.read_bytes(), FACE.read_bytes())
    with pytest.raises(OptionalDependencyError, match=r"pip install 'mrtd\[face\]'"):
        models.require_face_extra()


def test_the_missing_model_package_gives_the_install_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(OptionalDependencyError, match=r"pip install 'mrtd\[face\]'"):
        models.model_path(models.EMBEDDING_MODEL)


def test_the_68_point_model_is_refused_by_name() -> None:
    for name in ("shape_predictor_68_face_landmarks.dat", "mmod_human_face_detector.dat"):
        with pytest.raises(ValueError, match="not allowed"):
            models.model_path(name)
    assert models.model_path(models.LANDMARK_MODEL).name == models.LANDMARK_MODEL


_PROBE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    opened = []
    sys.addaudithook(lambda event, args: opened.append(str(args[0]))
                     if event == "open" and args else None)
    import dlib
    handed = []
    for name in ("shape_predictor", "face_recognition_model_v1", "cnn_face_detection_model_v1"):
        real = getattr(dlib, name)
        def spy(*args, _real=real):
            handed.extend(str(a) for a in args)
            return _real(*args)
        setattr(dlib, name, spy)
    from mrtd.face.compare import compare_faces
    face = Path(sys.argv[1]).read_bytes()
    result = compare_faces(face, face)
    print(json.dumps({"opened": opened, "handed": handed, "match": result.match}))
    """
)


def test_the_68_point_model_is_never_opened() -> None:
    """Every path Python opens (an audit hook) and every path handed to dlib's model loaders
    (which open files in C++), while the models load and two faces are compared; under strace
    as well when it is installed, which sees the C++ opens themselves."""
    command = [sys.executable, "-c", _PROBE, str(FACE)]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
    report = json.loads(out.stdout.splitlines()[-1])
    assert report["match"] is True
    paths = report["opened"] + report["handed"]
    assert not [p for p in paths if p.endswith("shape_predictor_68_face_landmarks.dat")]
    assert sorted(Path(p).name for p in report["handed"]) == sorted(models.ALLOWED_MODELS)
    strace = "/usr/bin/strace"
    if Path(strace).exists():
        traced = subprocess.run(
            [strace, "-f", "-e", "trace=open,openat,openat2", "-o", "/dev/stderr", *command],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        if traced.returncode == 0:  # strace may be refused (ptrace) in a container
            assert models.LANDMARK_MODEL in traced.stderr
            assert "shape_predictor_68_face_landmarks.dat" not in traced.stderr
