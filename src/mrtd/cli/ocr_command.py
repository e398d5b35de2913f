"""`mrtd ocr IMAGE...`: read the MRZ from photos or scans of data pages.

Exit 0 when every image gave a valid MRZ (all check digits), 1 when one held no readable MRZ,
2 when one is not a usable image (unreadable, corrupt, too large). `--json` prints one object,
`{"schema_version", "results": [one entry per image, in order], "exit_code"}`.

`--camera N|FILE` reads a camera (index N) or a recorded video through OpenCV instead, with
progress on stderr, until `--agree` consecutive frames read the same valid MRZ.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from mrtd.cli.exit_status import EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE
from mrtd.cli.mrz_summary import print_mrz
from mrtd.cli.report import SCHEMA_VERSION, error_json
from mrtd.errors import DecodeError, MRZNotFoundError, OptionalDependencyError


def add_ocr_parser(commands: Any) -> None:
    ocr = commands.add_parser("ocr", help="read the MRZ from photos or scans of data pages")
    ocr.add_argument("images", nargs="*", metavar="IMAGE", help="JPEG, PNG, TIFF, ... files")
    ocr.add_argument("--json", action="store_true", help="print one JSON document")
    ocr.add_argument(
        "--camera",
        metavar="N|FILE",
        help="read frames from camera N (OpenCV's index) or a video file until consecutive "
        "frames agree on a valid MRZ",
    )
    ocr.add_argument("--agree", type=int, default=3, metavar="N",
                     help="with --camera: frames in a row that must agree (default 3)")  # fmt: skip
    ocr.add_argument("--timeout", type=float, default=60.0, metavar="S",
                     help="with --camera: give up after S seconds (default 60)")  # fmt: skip
    ocr.set_defaults(run=run_ocr)


def run_ocr(args: argparse.Namespace) -> int:
    from mrtd.mrz.ocr.pipeline import read_mrz_image  # noqa: PLC0415 - opencv only when used

    if args.camera is not None:
        if args.images:
            return _usage("give images or --camera, not both", as_json=args.json)
        return _run_camera(args)
    if not args.images:
        return _usage("give one or more images, or --camera N|FILE", as_json=args.json)
    results: list[dict[str, Any]] = []
    worst = EXIT_OK
    for name in args.images:
        entry: dict[str, Any] = {"image": name}
        try:
            result = read_mrz_image(Path(name))
        except MRZNotFoundError as exc:
            entry |= {"valid": False, "errors": [str(exc)]}
            worst = max(worst, EXIT_CHECK_FAILED)
        except (DecodeError, OSError, OptionalDependencyError) as exc:
            entry |= {"valid": False, "errors": [f"not a usable image: {exc}"]}
            worst = EXIT_USAGE
        else:
            entry |= result.mrz.to_dict()
            entry |= {"confidence": round(result.confidence, 4), "engine": result.engine,
                      "seconds": round(result.seconds, 4)}  # fmt: skip
            if not args.json:
                print(f"{name}: engine {result.engine}, confidence {result.confidence:.3f}")
                print_mrz(result.mrz, sys.stdout)
        if not args.json and not entry.get("valid", True):
            print(f"mrtd ocr: {name}: {entry['errors'][0]}", file=sys.stderr)
        results.append(entry)
    if args.json:
        report = {"schema_version": SCHEMA_VERSION, "results": results, "exit_code": worst}
        print(json.dumps(report, indent=2))
    return worst


def _usage(message: str, *, as_json: bool) -> int:
    """A usage error: one line on standard error and, with --json, one JSON document."""
    if as_json:
        print(json.dumps(error_json(f"mrtd ocr: {message}", EXIT_USAGE, "UsageError"), indent=2))
    print(f"mrtd ocr: {message}", file=sys.stderr)
    return EXIT_USAGE


def _run_camera(args: argparse.Namespace) -> int:
    from mrtd.mrz.ocr.camera import CameraProgress, read_mrz_camera  # noqa: PLC0415

    source: int | str = int(args.camera) if args.camera.isdigit() else args.camera

    def show(step: CameraProgress) -> None:
        state = f"{step.agreeing}/{step.needed} agree" if step.read else "no MRZ"
        print(f"\rmrtd ocr: frame {step.frames}, {state}   ", end="", file=sys.stderr, flush=True)

    entry: dict[str, Any] = {"camera": args.camera}
    try:
        result = read_mrz_camera(source, agree=max(1, args.agree), timeout=args.timeout,
                                 progress=show)  # fmt: skip
    except MRZNotFoundError as exc:
        entry |= {"valid": False, "errors": [str(exc)]}
        code = EXIT_CHECK_FAILED
    except (DecodeError, OSError, OptionalDependencyError) as exc:
        entry |= {"valid": False, "errors": [f"not a usable video source: {exc}"]}
        code = EXIT_USAGE
    else:
        entry |= result.mrz.to_dict()
        entry |= {"confidence": round(result.confidence, 4), "engine": result.engine}
        code = EXIT_OK
    print(file=sys.stderr)
    if args.json:
        report = {"schema_version": SCHEMA_VERSION, "results": [entry], "exit_code": code}
        print(json.dumps(report, indent=2))
    elif code == EXIT_OK:
        print(f"camera {args.camera}: engine {result.engine}, confidence {result.confidence:.3f}")
        print_mrz(result.mrz, sys.stdout)
    else:
        print(f"mrtd ocr: {entry['errors'][0]}", file=sys.stderr)
    return code
