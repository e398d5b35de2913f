"""`mrtd face`: compare a live capture with a document's portrait (the `mrtd[face]` extra).

The portrait is DG2's first face, found by content among the files of `--document` (a dump,
as `mrtd verify` reads it), or an image file (`--portrait`, JPEG or JPEG 2000). This command
does not verify the document: only a DG2 that Passive Authentication verified (`mrtd verify`)
is the portrait the issuer vouches for. Exit 0 match, 1 no match, 2 bad input (no face or
several, an unreadable image, no DG2, the extra missing).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from mrtd.cli.exit_status import EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE
from mrtd.cli.report import SCHEMA_VERSION, error_json
from mrtd.errors import DecodeError, FaceError, OptionalDependencyError
from mrtd.face.compare import compare_faces

EPILOG = """examples:
  mrtd face capture.jpg --document dump/
  mrtd face capture.png --portrait face.jp2 --json
the portrait is compared as found: verify the document first (mrtd verify) so that it is the
one the issuer signed; the threshold and what it is calibrated for: docs/face.md
exit status: 0 the faces match, 1 they do not, 2 bad usage or input (no face or several in an
image, an unreadable image, no DG2, the mrtd[face] extra missing), 70 internal error"""


def add_face_parser(commands: Any) -> None:
    face = commands.add_parser(
        "face",
        help="compare a live capture with the document's portrait (DG2)",
        description="Find the one face in the capture and in the document's portrait, align "
        "and embed both, and decide whether they are the same person at the calibrated "
        "threshold. Exit 0 only for a match.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    face.add_argument("capture", metavar="CAPTURE", help="the live capture (JPEG or PNG)")
    source = face.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--document", metavar="DIR", help="files read from the chip; DG2 found by content"
    )
    source.add_argument(
        "--portrait", metavar="FILE", help="the portrait image itself (JPEG or JPEG 2000)"
    )
    face.add_argument("--json", action="store_true", help="print one JSON document")
    face.set_defaults(run=run_face)


def run_face(args: argparse.Namespace) -> int:
    try:
        # a folder: DG2 found by content among its files (compare_faces); a file: the image
        result = compare_faces(Path(args.capture), Path(args.document or args.portrait))
    except (FaceError, DecodeError, OSError, OptionalDependencyError) as exc:
        message = f"mrtd face: {exc}"
        if args.json:
            document = error_json(message, EXIT_USAGE, type(exc).__name__)
            if isinstance(exc, FaceError):
                document["error"].update(reason=exc.reason, image=exc.image)
            print(json.dumps(document, indent=2))
        print(message, file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps({"schema_version": SCHEMA_VERSION, "face": result.as_json()}, indent=2))
    else:
        relation = "<=" if result.match else ">"
        print(f"{result.decision}: distance {result.distance:.3f} {relation} threshold "
              f"{result.threshold:.2f} ({result.calibrated_for})")  # fmt: skip
        notes = [("capture", n) for n in result.capture_notes]
        notes += [("portrait", n) for n in result.portrait_notes]
        for which, note in notes:
            print(f"  {which}: {note}")
    return EXIT_OK if result.match else EXIT_CHECK_FAILED
