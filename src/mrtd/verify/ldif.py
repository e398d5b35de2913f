"""LDIF (RFC 2849), as the ICAO PKD publishes its collections: one entry per certificate, CRL or
master list, binary values in base64 after "::", long lines folded (a continuation line starts
with one space), entries separated by blank lines.

`read_ldif` yields the entries (content records, and "changetype: add" change records; other
changes are skipped: a trust store is loaded, not replicated). The attributes the trust store
reads are in `PKD_ATTRIBUTES`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass

from mrtd.errors import TrustStoreError

__all__ = [
    "CA_CERTIFICATE",
    "CRL",
    "DS_CERTIFICATE",
    "MASTER_LIST",
    "PKD_ATTRIBUTES",
    "LDIFRecord",
    "looks_like_ldif",
    "read_ldif",
]

DS_CERTIFICATE = "usercertificate"  # userCertificate;binary: Document Signer certificates
CA_CERTIFICATE = "cacertificate"  # cACertificate;binary: CSCA certificates
CRL = "certificaterevocationlist"  # certificateRevocationList;binary
MASTER_LIST = "pkdmasterlistcontent"  # a CMS master list (9303-12 §9)
PKD_ATTRIBUTES = frozenset((DS_CERTIFICATE, CA_CERTIFICATE, CRL, MASTER_LIST))

_SNIFF_BYTES = 4096


@dataclass(frozen=True, slots=True)
class LDIFRecord:
    """One entry: its DN and its attributes in file order, as (type, value). Types are lower
    case with their options (";binary") removed."""

    dn: str
    attributes: tuple[tuple[str, bytes], ...]

    def values(self, name: str) -> tuple[bytes, ...]:
        """Every value of attribute `name` (lower case, no options)."""
        return tuple(value for key, value in self.attributes if key == name)


def looks_like_ldif(data: bytes) -> bool:
    """Whether `data` starts like LDIF: after comments, "version:" or "dn:"."""
    head = data[:_SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf")
    for line in head.splitlines():
        if not line.strip() or line.startswith(b"#"):
            continue
        return line.lower().startswith((b"version:", b"dn:"))
    return False


def read_ldif(data: bytes, what: str = "LDIF") -> Iterator[LDIFRecord]:
    """The entries of an LDIF file; `TrustStoreError` (naming `what` and the line) if it is
    not LDIF."""
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TrustStoreError(f"{what}: not LDIF (not UTF-8 text)") from exc
    first = True
    for number, lines in _records(text, what):
        entry = [_attribute(line, line_number, what) for line_number, line in lines]
        if first and entry and entry[0][0] == "version":
            if entry[0][1] != b"1":
                raise TrustStoreError(f"{what}: line {number}: LDIF version is not 1")
            entry = entry[1:]
        first = False
        if entry:
            record = _record(entry, number, what)
            if record is not None:
                yield record


def _records(text: str, what: str) -> Iterator[tuple[int, list[tuple[int, str]]]]:
    """Unfolded logical lines, grouped by entry: (first line number, [(line number, line)])."""
    record: list[tuple[int, str]] = []
    comment = False
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.removesuffix("\r")
        if line.startswith(" "):
            if not comment:
                if not record:
                    raise TrustStoreError(f"{what}: line {number}: a continuation of nothing")
                start, previous = record[-1]
                record[-1] = (start, previous + line[1:])
            continue
        comment = line.startswith("#")
        if comment:
            continue
        if line:
            record.append((number, line))
        elif record:
            yield record[0][0], record
            record = []
    if record:
        yield record[0][0], record


def _attribute(line: str, number: int, what: str) -> tuple[str, bytes]:
    """One "type: value", "type:: base64" or "-" (a change record's separator)."""
    if line == "-":
        return "-", b""
    name, colon, rest = line.partition(":")
    if not colon or not name or " " in name:
        raise TrustStoreError(f"{what}: line {number}: not 'attribute: value'")
    key = name.split(";", 1)[0].lower()
    if rest.startswith(":"):
        try:
            return key, base64.b64decode(rest[1:].strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise TrustStoreError(f"{what}: line {number}: {name} is not base64") from exc
    if rest.startswith("<"):
        raise TrustStoreError(f"{what}: line {number}: values by URL are not supported")
    return key, rest.lstrip(" ").encode("utf-8")


def _record(entry: list[tuple[str, bytes]], number: int, what: str) -> LDIFRecord | None:
    key, value = entry[0]
    if key != "dn":
        raise TrustStoreError(f"{what}: line {number}: an entry must start with dn")
    try:
        dn = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TrustStoreError(f"{what}: line {number}: the dn is not UTF-8") from exc
    attributes = entry[1:]
    if attributes and attributes[0][0] == "changetype":
        if attributes[0][1].lower() != b"add":
            return None  # modify, delete, moddn: nothing to load
        attributes = attributes[1:]
    if any(key == "-" for key, _ in attributes):
        raise TrustStoreError(f"{what}: line {number}: '-' outside a modify record")
    return LDIFRecord(dn, tuple(attributes))
