"""How a read is shown: the JSON document (docs/design.md, "The `mrtd` command") and a
readable terminal summary."""

from __future__ import annotations

import hashlib
from typing import Any, TextIO

from mrtd import redact
from mrtd.cli import exit_status
from mrtd.pipeline.document import Document
from mrtd.pipeline.result import Stats

SCHEMA_VERSION = exit_status.SCHEMA_VERSION  # of every --json document (one home: exit_status)


def error_json(message: str, exit_code: int, kind: str | None = None) -> dict[str, Any]:
    """The one JSON document of a run that failed before it had a result (`--json`)."""
    error: dict[str, Any] = {"message": message, "exit_code": exit_code}
    if kind is not None:
        error["type"] = kind
    return {"schema_version": SCHEMA_VERSION, "error": error}


def verdict_json(document: Document) -> dict[str, Any]:
    """The checks and the verdict: `verification` (every check, passive in full), `verdict`,
    `verdict_reasons` with `verdict_codes` beside them, and the `policy` that decided."""
    verdict = document.verdict
    return {
        "verification": verification_json(document),
        "verdict": verdict.summary,
        "verdict_reasons": list(verdict.reasons),
        "verdict_codes": list(verdict.codes),
        "policy": verdict.policy.as_dict(),
    }


def document_json(
    document: Document, stats: Stats, modeled_seconds: float | None
) -> dict[str, Any]:
    mrz = document.mrz.to_dict() if document.mrz is not None else None
    details: dict[str, Any] = {}
    if mrz is not None:
        keep = ("format", "document_code", "issuing_state", "surname", "given_names",
                "document_number", "nationality", "birth_date", "sex", "expiry_date",
                "optional_data", "valid")  # fmt: skip
        details = {key: mrz[key] for key in keep}
    details["faces"] = [
        {"mime_type": f.mime_type, "width": f.width, "height": f.height, "bytes": len(f.image)}
        for f in document.faces
    ]
    if document.personal_details is not None:
        dg11 = document.personal_details
        details["personal_details"] = {
            "full_name": dg11.full_name,
            "birth_date": dg11.birth_date.isoformat() if dg11.birth_date else None,
            "place_of_birth": list(dg11.place_of_birth),
            "address": list(dg11.address),
            "personal_number": dg11.personal_number,
            "profession": dg11.profession,
        }
    if document.document_details is not None:
        dg12 = document.document_details
        details["document_details"] = {
            "issuing_authority": dg12.issuing_authority,
            "date_of_issue": dg12.date_of_issue.isoformat() if dg12.date_of_issue else None,
        }
    details.update(other_groups_json(document))
    statistics: dict[str, Any] = stats.as_dict()
    if modeled_seconds is not None:
        statistics["modeled_seconds"] = round(modeled_seconds, 6)
    return {
        "schema_version": SCHEMA_VERSION,
        "document": details,
        "access": document.access.as_dict(),
        "files": {
            name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in document.files.items()
        },
        "denied": list(document.denied),
        "absent": list(document.absent),
        "problems": list(document.problems),
        **verdict_json(document),
        "stats": statistics,
    }


def other_groups_json(document: Document) -> dict[str, Any]:
    """What DG3-DG16 hold, in outline: kinds, sizes and keys, not their personal content."""
    out: dict[str, Any] = {}
    for name, group in (("fingerprints", document.fingerprints), ("irises", document.irises)):
        if group is not None:
            out[name] = [
                {"format": (r.format_identifier or b"").rstrip(b"\0").decode("ascii", "replace"),
                 "bytes": len(r.data)}
                for r in group.records
            ]  # fmt: skip
    for name, images in (("displayed_portraits", document.displayed_portraits),
                         ("signature_images", document.signature_images)):  # fmt: skip
        if images:
            out[name] = [{"mime_type": i.mime_type, "width": i.width, "height": i.height,
                          "bytes": len(i.image)} for i in images]  # fmt: skip
    key = document.active_authentication_key
    if key is not None:
        out["active_authentication_key"] = {
            "algorithm": key.algorithm,
            "key_size": key.key_size,
            **({"curve": key.curve.name} if key.curve is not None else {}),
        }
    if document.security_infos is not None:
        out["security_infos"] = len(document.security_infos.infos)
    if document.persons_to_notify:
        out["persons_to_notify"] = len(document.persons_to_notify)
    return out


def verification_json(document: Document) -> dict[str, Any]:
    """Every check's status and reason; passive also per data group, signature and chain."""
    checks: dict[str, Any] = {n: c.as_dict() for n, c in document.verdict.checks.items()}
    checks["passive"] = document.passive.as_dict()
    if document.passive.card_security is not None:  # files given with EF.CardSecurity
        checks["card_security"] = document.passive.card_security.as_dict()
    return checks


def print_document(
    document: Document, stats: Stats, modeled_seconds: float | None, out: TextIO
) -> None:
    mrz = document.mrz
    print(f"access           {_access_line(document)}", file=out)
    if mrz is not None:  # redacted: a terminal's output ends up in logs (--json has the data)
        print(f"holder           {redact.name(mrz.surname)}, {redact.name(mrz.given_names)}",
              file=out)  # fmt: skip
        print(f"document         {mrz.format.value} {mrz.document_code} "
              f"{redact.document_number(mrz.document_number)} issued by {mrz.issuing_state}",
              file=out)  # fmt: skip
        print(f"nationality      {mrz.nationality}", file=out)
        print(f"born             {redact.date(mrz.birth_date or mrz.birth_date_text)}", file=out)
        print(f"expires          {redact.date(mrz.expiry_date or mrz.expiry_date_text)}"
              f"  (personal data redacted; --json prints it)", file=out)  # fmt: skip
    for n, face in enumerate(document.faces, 1):
        size = f"{face.width}x{face.height}" if face.width and face.height else "size unknown"
        print(f"face {n}           {face.mime_type}, {size}, {len(face.image)} bytes", file=out)
    if document.personal_details is not None:
        place = ", ".join(document.personal_details.place_of_birth)
        print(f"place of birth   {redact.text(place)}", file=out)
    if document.document_details is not None:
        dg12 = document.document_details
        issued = redact.date(dg12.date_of_issue or dg12.date_of_issue_text)
        print(f"issued           {issued} by {dg12.issuing_authority}", file=out)
    files = ", ".join(f"{name} ({len(data)} B)" for name, data in document.files.items())
    print(f"files read       {files}", file=out)
    if document.denied:
        print(f"access denied    {', '.join(document.denied)} (need Extended Access Control)",
              file=out)  # fmt: skip
    for problem in document.problems:
        print(f"problem          {problem}", file=out)
    print_checks(document, out)
    line = (f"stats            {stats.apdus} APDUs, {stats.bytes_sent} B sent, "
            f"{stats.bytes_received} B received, {stats.seconds * 1000:.1f} ms host")  # fmt: skip
    if modeled_seconds is not None:
        line += f", {modeled_seconds * 1000:.0f} ms modeled air time"
    print(line, file=out)


def print_checks(document: Document, out: TextIO) -> None:
    """The passive parts (data groups, signature, chain, revocation), each check, the verdict."""
    passive = document.passive
    groups = passive.data_groups
    if groups:
        line = ", ".join(f"{name} {check.status}" for name, check in groups.items())
        print(f"hashes           {line}", file=out)
    for name, part in (("signature", passive.signature), ("chain", passive.chain),
                       ("revocation", passive.revocation)):  # fmt: skip
        reason = f" ({part.reason})" if part.reason else ""
        print(f"  {name:<14} {part.status}{reason}", file=out)
    for quirk in passive.quirks:
        print(f"  quirk          {quirk}", file=out)
    card = passive.card_security
    if card is not None:
        reason = f" ({card.outcome.reason})" if card.outcome.reason else ""
        print(f"card security    {card.outcome.status}{reason}", file=out)
        for info in card.infos.infos if card.infos is not None else ():
            print(f"  {type(info).__name__:<14} {info.oid}", file=out)
    for name, check in document.verdict.checks.items():
        reason = f" ({check.reason})" if check.reason else ""
        print(f"check {name:<10} {check.status}{reason}", file=out)
    print(f"verdict          {document.verdict.summary}", file=out)
    for reason in document.verdict.reasons:
        print(f"  because        {reason}", file=out)


def _access_line(document: Document) -> str:
    access = document.access
    line = access.protocol
    if access.pace:
        pace = access.pace
        line += f" ({pace['mapping']}, {pace['domain']}, {pace['cipher']})"
        if pace.get("mapping") == "CAM":
            line += f", chip authentication {access.chip_authentication}"
    if access.downgraded:
        line += f"; DOWNGRADED from PACE: {access.reason}"
    return line
