"""Draw the simulated chip's face image: a FICTITIOUS cartoon face, no real person.

Writes src/mrtd/sim/data/face.jpg: 480 x 640 (3:4, the ICAO portrait shape), a drawn head on a
plain light background, with a soft gradient and a little noise so the JPEG weighs about
20 kB like a real DG2 image. Deterministic (fixed seed). Needs numpy and opencv, which the
package does not depend on, so run it from a throwaway venv:

    python3 -m venv /tmp/facevenv
    /tmp/facevenv/bin/pip install numpy opencv-python-headless
    /tmp/facevenv/bin/python scripts/make_face.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

WIDTH, HEIGHT = 480, 640
TARGET = (18_000, 22_000)  # bytes
OUT = Path(__file__).resolve().parents[1] / "src" / "mrtd" / "sim" / "data" / "face.jpg"
SKIN = (150, 185, 225)  # BGR
HAIR = (40, 55, 80)
SHIRT = (120, 80, 50)


def draw() -> np.ndarray:
    rng = np.random.default_rng(9303)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    background = 225 + 15 * (y / HEIGHT) - 10 * np.abs(x / WIDTH - 0.5)
    img = np.dstack([background + 8, background, background - 6]).clip(0, 255).astype(np.uint8)

    cx = WIDTH // 2
    cv2.ellipse(img, (cx, HEIGHT + 40), (230, 170), 0, 180, 360, SHIRT, -1, cv2.LINE_AA)
    cv2.rectangle(img, (cx - 45, 430), (cx + 45, 520), (135, 170, 210), -1)
    cv2.ellipse(img, (cx, 270), (175, 190), 0, 180, 360, HAIR, -1, cv2.LINE_AA)  # hair behind
    for side in (-1, 1):  # ears
        cv2.ellipse(img, (cx + side * 140, 300), (22, 40), 0, 0, 360, SKIN, -1, cv2.LINE_AA)
    _shaded_ellipse(img, (cx, 300), (140, 180))  # head
    cv2.ellipse(img, (cx, 180), (150, 80), 0, 180, 360, HAIR, -1, cv2.LINE_AA)  # fringe
    for side in (-1, 1):
        ex = cx + side * 55
        cv2.ellipse(img, (ex, 280), (30, 16), 0, 0, 360, (245, 245, 245), -1, cv2.LINE_AA)
        cv2.circle(img, (ex, 280), 11, (90, 110, 60), -1, cv2.LINE_AA)
        cv2.circle(img, (ex, 280), 5, (20, 20, 20), -1, cv2.LINE_AA)
        cv2.circle(img, (ex - 3, 276), 2, (255, 255, 255), -1, cv2.LINE_AA)
        cv2.ellipse(img, (ex, 245), (34, 10), 0, 200, 340, HAIR, 6, cv2.LINE_AA)  # brow
    nose = np.array([[cx, 290], [cx - 14, 350], [cx + 10, 355]], np.int32)
    cv2.polylines(img, [nose], False, (110, 140, 185), 3, cv2.LINE_AA)
    cv2.ellipse(img, (cx, 395), (45, 18), 0, 10, 170, (90, 90, 170), 5, cv2.LINE_AA)  # mouth

    noise = rng.normal(0, 6, img.shape)
    img = (img.astype(np.float32) + noise).clip(0, 255).astype(np.uint8)
    return cv2.GaussianBlur(img, (3, 3), 0)


def _shaded_ellipse(img: np.ndarray, centre: tuple[int, int], axes: tuple[int, int]) -> None:
    """A skin-coloured ellipse lit from the upper left."""
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.ellipse(mask, centre, axes, 0, 0, 360, 255, -1, cv2.LINE_AA)
    y, x = np.mgrid[0 : img.shape[0], 0 : img.shape[1]].astype(np.float32)
    across = (x - centre[0] + axes[0]) / (2 * axes[0])  # 0 at the left edge, 1 at the right
    down = (y - centre[1] + axes[1]) / (2 * axes[1])
    light = 1.05 - 0.125 * (across + down)
    shaded = (np.array(SKIN, np.float32) * light[..., None]).clip(0, 255)
    alpha = (mask.astype(np.float32) / 255)[..., None]
    img[:] = (img * (1 - alpha) + shaded * alpha).astype(np.uint8)


def encode(img: np.ndarray) -> tuple[bytes, int]:
    """The JPEG at the best quality whose file fits the target size, and that quality."""
    for quality in range(95, 20, -1):
        ok, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok and len(data) <= TARGET[1]:
            if len(data) < TARGET[0]:
                break
            return data.tobytes(), quality
    sys.exit(f"no JPEG quality gives {TARGET[0]}..{TARGET[1]} bytes")


def main() -> None:
    data, quality = encode(draw())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(data)
    where = OUT.relative_to(OUT.parents[4])
    print(f"{where}: {WIDTH}x{HEIGHT}, JPEG quality {quality}, {len(data)} bytes")


if __name__ == "__main__":
    main()
