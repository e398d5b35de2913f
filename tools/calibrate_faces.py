"""Calibrate face comparison's threshold on the shared official portraits; print docs/face.md's
tables.

    .venv/bin/python tools/calibrate_faces.py [--portraits DIR] [--fmr 0.001] [--json PATH]

The portraits (one per person; tests/shared_data.py: $MRTD_SHARED_DATA/faces/portraits) give
every impostor pair (different people). The threshold is the largest distance that keeps the
false-match rate on those pairs at or under the target; the measured rate is given with its
exact (Clopper-Pearson) 95 % interval. Each portrait then goes through the degradations of
`mrtd.face.degrade` (ICAO sizes, JPEG 2000 at chip bitrates, crop, light) and is compared with
its original: the same-photo match rate per degradation. Only file names are ever printed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
for entry in (ROOT, ROOT / "src"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from mrtd.errors import FaceError  # noqa: E402
from mrtd.face.compare import embed_image  # noqa: E402
from mrtd.face.degrade import DEGRADATIONS  # noqa: E402
from mrtd.lds.image_decode import decode_image  # noqa: E402
from tests.shared_data import shared_data_root  # noqa: E402


def clopper_pearson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """The exact two-sided (1 - alpha) interval of a binomial proportion k/n."""

    def cdf(p: float, upto: int) -> float:  # P[X <= upto], X ~ Bin(n, p)
        if p <= 0.0:
            return 1.0
        if p >= 1.0:
            return 0.0 if upto < n else 1.0
        logs = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
                + i * math.log(p) + (n - i) * math.log1p(-p) for i in range(upto + 1)]  # fmt: skip
        top = max(logs)
        return min(1.0, math.exp(top) * sum(math.exp(x - top) for x in logs))

    def solve(f: object, target: float) -> float:
        low, high = 0.0, 1.0
        for _ in range(100):
            mid = (low + high) / 2
            if f(mid) > target:  # type: ignore[operator]
                low = mid
            else:
                high = mid
        return (low + high) / 2

    lower = 0.0 if k == 0 else solve(lambda p: cdf(p, k - 1), 1 - alpha / 2)
    upper = 1.0 if k == n else solve(lambda p: cdf(p, k), alpha / 2)
    return lower, upper


def threshold_for(impostors: list[float], fmr: float) -> tuple[float, int]:
    """The largest threshold (in steps of 0.01) whose false-match rate on `impostors` is at
    most `fmr` with 95 % confidence (the upper Clopper-Pearson bound), and its false matches."""
    best = (0.0, 0)
    for step in range(1, 200):
        threshold = step / 100
        false_matches = sum(d <= threshold for d in impostors)
        if clopper_pearson(false_matches, len(impostors))[1] > fmr:
            break
        best = (threshold, false_matches)
    return best


def point_threshold(impostors: list[float], fmr: float) -> tuple[float, int]:
    """The largest threshold (in steps of 0.01) whose measured false-match rate is <= fmr."""
    best = (0.0, 0)
    for step in range(1, 200):
        threshold = step / 100
        false_matches = sum(d <= threshold for d in impostors)
        if false_matches > fmr * len(impostors):
            break
        best = (threshold, false_matches)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portraits", type=Path)
    parser.add_argument("--fmr", type=float, default=0.001)
    parser.add_argument("--threshold", type=float, help="measure at this threshold instead")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    folder = args.portraits
    if folder is None:
        root = shared_data_root()
        if root is None:
            print("no shared data: pass --portraits DIR", file=sys.stderr)
            return 2
        folder = root / "faces" / "portraits"
    start = time.perf_counter()
    originals = embed_all(sorted(folder.glob("*.jpg")))
    names = sorted(originals)
    impostors = [float(((originals[a] - originals[b]) ** 2).sum() ** 0.5)
                 for a, b in itertools.combinations(names, 2)]  # fmt: skip
    threshold, false_matches = threshold_for(impostors, args.fmr)
    if args.threshold is not None:
        threshold = args.threshold
        false_matches = sum(d <= threshold for d in impostors)
    low, high = report_impostors(impostors, threshold, false_matches, args.fmr)
    rows = report_degradations(folder, originals, threshold)
    print(f"\n{time.perf_counter() - start:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({
            "threshold": threshold, "pairs": len(impostors), "false_matches": false_matches,
            "ci95": [low, high], "impostors": impostors, "degradations": rows,
        }))  # fmt: skip
    return 0


def embed_all(paths: list[Path]) -> dict[str, Any]:
    originals, refused = {}, []
    for path in paths:
        try:
            originals[path.name], _ = embed_image(path.read_bytes())
        except FaceError as exc:
            refused.append((path.name, exc.reason))
    print(f"portraits: {len(paths)}, faces found: {len(originals)}, refused: {refused}")
    return originals


def report_impostors(
    impostors: list[float], threshold: float, false_matches: int, fmr: float
) -> tuple[float, float]:
    low, high = clopper_pearson(false_matches, len(impostors))
    ordered = sorted(impostors)
    print(f"impostor pairs: {len(impostors)}; distance min {ordered[0]:.3f}, "
          f"1st percentile {ordered[len(ordered) // 100]:.3f}, "
          f"median {statistics.median(ordered):.3f}")  # fmt: skip
    print(f"threshold {threshold:.2f} for FMR <= {fmr:.2%} (95 % upper bound): "
          f"{false_matches} false matches, FMR {false_matches / len(impostors):.4%} "
          f"(95 % CI {low:.4%} - {high:.4%})")  # fmt: skip
    print("\n| target FMR | threshold (upper bound <= target) | false matches | threshold "
          "(measured <= target) | false matches |\n|---|---|---|---|---|")  # fmt: skip
    for target in (0.0001, 0.001, 0.01):
        t, k = threshold_for(impostors, target)
        tp, kp = point_threshold(impostors, target)
        shown = f"{t:.2f}" if t else "none (too few pairs)"
        print(f"| {target:.2%} | {shown} | {k} | {tp:.2f} | {kp} |")
    print("\n| threshold | false matches | FMR | 95 % CI |\n|---|---|---|---|")
    for step in range(48, 62):
        t = step / 100
        k = sum(d <= t for d in impostors)
        lo, hi = clopper_pearson(k, len(impostors))
        print(f"| {t:.2f} | {k} | {k / len(impostors):.3%} | {lo:.3%} - {hi:.3%} |")
    return low, high


def report_degradations(
    folder: Path, originals: dict[str, Any], threshold: float
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    print("\n| degradation | pairs | matches | match rate | mean distance | max distance | "
          "mean size |\n|---|---|---|---|---|---|---|")  # fmt: skip
    for label, degrade in DEGRADATIONS.items():
        distances, sizes, failed = [], [], []
        for name in sorted(originals):
            encoded = degrade(decode_image((folder / name).read_bytes()))
            sizes.append(len(encoded))
            try:
                embedding, _ = embed_image(encoded)
            except FaceError as exc:
                failed.append((name, exc.reason))
                continue
            distances.append(float(((embedding - originals[name]) ** 2).sum() ** 0.5))
        matches = sum(d <= threshold for d in distances)
        pairs = len(originals)
        rows.append({"degradation": label, "pairs": pairs, "matches": matches,
                     "refused": failed, "distances": distances})  # fmt: skip
        print(f"| {label} | {pairs} | {matches} | {matches / pairs:.1%} | "
              f"{statistics.mean(distances):.3f} | {max(distances):.3f} | "
              f"{statistics.mean(sizes) / 1000:.1f} KB |"
              + (f" refused: {failed}" if failed else ""))  # fmt: skip
    return rows


if __name__ == "__main__":
    sys.exit(main())
