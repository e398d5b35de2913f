"""The trust store: CSCA certificates (the trust anchors), their CRLs, and Document Signer
certificates from the PKD (9303-12 §5, §9; 9303-11 §5.1).

Material is recognised by content, never by file name: a DER X.509 certificate or CRL, PEM (any
number of certificates and CRLs), a CMS CSCA master list (.ml, .mls; its signature is verified
before anything from it is used) and ICAO PKD LDIF (CSCA certificates, CRLs, master lists, and
Document Signer certificates, which are kept apart: they are not anchors).

Every CA certificate in the store is a trust anchor: that is what a master list or a CSCA file
given on the command line means. Input is hostile until parsed: files over `MAX_FILE_SIZE` are
refused, everything is parsed completely when loaded, and anything that is not trust material
raises `TrustStoreError`, except inside a folder, whose unusable entries become `problems`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import crl, pem, x509
from asn1crypto import parser as asn1_parser

from mrtd.errors import TrustStoreError
from mrtd.verify.certificates import (
    ASN1_ERRORS,
    TrustAnchor,
    check_parsed,
    country,
    describe,
    error_detail,
    is_ca,
    load_certificate,
    name_key,
)
from mrtd.verify.crl import RevocationList, load_crl
from mrtd.verify.ldif import (
    CA_CERTIFICATE,
    CRL,
    DS_CERTIFICATE,
    MASTER_LIST,
    PKD_ATTRIBUTES,
    looks_like_ldif,
    read_ldif,
)
from mrtd.verify.master_list import read_master_list

__all__ = ["MAX_FILE_SIZE", "MAX_FOLDER_DEPTH", "TrustProblem", "TrustSource", "TrustStore"]

#: The largest file or blob read (the German master list is under 1 MiB).
MAX_FILE_SIZE = 64 << 20
#: How deep `add_path` descends into a folder.
MAX_FOLDER_DEPTH = 16

_PEM_CERTIFICATES = frozenset(("CERTIFICATE", "X509 CERTIFICATE"))
_PEM_CRLS = frozenset(("X509 CRL",))
_OID_TAG = 0x06


@dataclass(frozen=True, slots=True)
class TrustSource:
    """What one file or blob gave the store. `count` is the certificates and CRLs it added
    (ones already in the store are not counted again)."""

    source: str
    kind: str  # "certificate", "CRL", "PEM", "master list" or "LDIF"
    count: int
    detail: str = ""


@dataclass(frozen=True, slots=True)
class TrustProblem:
    """Something skipped while loading, and why."""

    source: str
    reason: str


TEST_PKI_CSCA_KEYS = frozenset({
    "4abefd7dfe4bc4878deacc4ce126716192261a8d2f25554571b8db4e2cbc0f4c",  # mrtd test CSCA ECDSA
    "c2dc7e3b521a7f12541e3ea7b7cbbfc6545f7b83abc366ceb1aab4b4e697cb37",  # mrtd test CSCA RSA
})  # fmt: skip
"""SHA-256 of the SubjectPublicKeyInfo of the simulated chip's CSCAs (mrtd.sim.pki): their
private keys ship with mrtd, so anyone can sign documents they would accept. A store refuses
any certificate with one of these keys unless `allow_test_pki` says otherwise."""


class TrustStore:
    """CSCA certificates, CRLs and Document Signer certificates, deduplicated by encoding.

    Load it, then share it: checking chains against it from several threads is safe, loading
    into it while others read is not. mrtd's own test CSCAs (`TEST_PKI_CSCA_KEYS`) are refused,
    into `problems`, unless `allow_test_pki=True`: the demo and tests trust them on purpose,
    a deployment never by accident.
    """

    def __init__(self, *, allow_test_pki: bool = False) -> None:
        self.allow_test_pki = allow_test_pki
        self._certificates: dict[bytes, x509.Certificate] = {}
        self._by_subject: dict[str, list[TrustAnchor]] = {}
        self._crls: dict[bytes, RevocationList] = {}
        self._crls_by_issuer: dict[str, list[RevocationList]] = {}
        self._document_signers: dict[bytes, x509.Certificate] = {}
        self._sources: list[TrustSource] = []
        self._problems: list[TrustProblem] = []

    @classmethod
    def from_paths(
        cls, paths: Iterable[str | os.PathLike[str]], *, allow_test_pki: bool = False
    ) -> TrustStore:
        """A store loaded from files and folders (`add_path` each)."""
        store = cls(allow_test_pki=allow_test_pki)
        for path in paths:
            store.add_path(path)
        return store

    # -- what is in it ----------------------------------------------------------------------

    @property
    def certificates(self) -> tuple[x509.Certificate, ...]:
        """The trust anchors: every CSCA and link certificate, in the order loaded."""
        return tuple(self._certificates.values())

    @property
    def crls(self) -> tuple[crl.CertificateList, ...]:
        return tuple(rl.certificate_list for rl in self._crls.values())

    @property
    def document_signers(self) -> tuple[x509.Certificate, ...]:
        """Document Signer certificates from PKD LDIF: not anchors, kept for SODs without one."""
        return tuple(self._document_signers.values())

    @property
    def sources(self) -> tuple[TrustSource, ...]:
        return tuple(self._sources)

    @property
    def problems(self) -> tuple[TrustProblem, ...]:
        return tuple(self._problems)

    def __len__(self) -> int:
        return len(self._certificates)

    def __repr__(self) -> str:
        return f"TrustStore(certificates={len(self)}, crls={len(self._crls)})"

    def issuers(self, certificate: x509.Certificate) -> tuple[x509.Certificate, ...]:
        """The anchors that may have issued `certificate` (name, and key identifiers when both
        are present); only a signature check tells which one did."""
        authority = certificate.authority_key_identifier
        anchors = self.anchors(name_key(certificate.issuer))
        return tuple(a.certificate for a in anchors if a.matches(authority))

    def named(self, name: x509.Name) -> tuple[x509.Certificate, ...]:
        """The anchors whose subject is `name`: a CSCA's certificates over its key rollovers."""
        return tuple(a.certificate for a in self.anchors(name_key(name)))

    def revocation_lists(self, issuer: x509.Name) -> tuple[RevocationList, ...]:
        """The CRLs whose issuer is `issuer` (their signatures are not checked here)."""
        return self.revocation_lists_by_key(name_key(issuer))

    def anchors(self, subject_key: str) -> tuple[TrustAnchor, ...]:
        """The anchors whose subject has the comparison key `subject_key` (`name_key`)."""
        return tuple(self._by_subject.get(subject_key, ()))

    def revocation_lists_by_key(self, issuer_key: str) -> tuple[RevocationList, ...]:
        """The CRLs whose issuer has the comparison key `issuer_key` (`name_key`)."""
        return tuple(self._crls_by_issuer.get(issuer_key, ()))

    # -- loading ------------------------------------------------------------------------------

    def add_path(self, path: str | os.PathLike[str]) -> int:
        """Load a file, or every file in a folder (recursively); the number of certificates and
        CRLs added. A file that is not trust material raises `TrustStoreError`; inside a folder
        it becomes a problem instead (hidden entries, "."-names, are passed over)."""
        target = Path(path)
        if target.is_dir():
            return self._add_folder(target)
        return self._add_file(target)

    def add_bytes(self, data: bytes, source: str = "") -> int:
        """Load trust material recognised by its content; the number of certificates and CRLs
        added."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"trust material must be bytes, not {type(data).__name__}")
        what = source or "trust material"
        data = bytes(data)
        if len(data) > MAX_FILE_SIZE:
            raise TrustStoreError(f"{what}: {len(data)} bytes is more than {MAX_FILE_SIZE}")
        if data[:1] == b"\x30":
            return self._add_der(data, what)
        if looks_like_ldif(data):
            return self._add_ldif(data, what)
        if b"-----BEGIN " in data:
            return self._add_pem(data, what)
        raise TrustStoreError(f"{what}: not a certificate, CRL, master list, PEM or LDIF")

    def add_certificate(self, certificate: x509.Certificate, source: str = "") -> None:
        """Add a CSCA (or link) certificate as a trust anchor; `TrustStoreError` if it is
        malformed or not a CA certificate."""
        what = source or "certificate"
        self._check_anchor(certificate, what)
        self._sources.append(TrustSource(what, "certificate", self._add_anchor(certificate)))

    def add_crl(self, certificate_list: crl.CertificateList, source: str = "") -> None:
        """Add a CRL; it counts for a CSCA only if that CSCA's key verifies it (when used)."""
        what = source or "CRL"
        if not isinstance(certificate_list, crl.CertificateList):
            raise TypeError("a CRL must be an asn1crypto.crl.CertificateList")
        try:
            check_parsed(certificate_list)
        except ASN1_ERRORS as exc:
            raise TrustStoreError(f"{what}: malformed CRL ({error_detail(exc)})") from exc
        self._sources.append(TrustSource(what, "CRL", self._add_revocation_list(certificate_list)))

    def add_master_list(self, data: bytes, source: str = "") -> int:
        """Verify a CSCA master list and add its certificates; `TrustStoreError`, and nothing
        added, if its signature does not verify. The number of certificates added."""
        what = source or "master list"
        if len(data) > MAX_FILE_SIZE:
            raise TrustStoreError(f"{what}: {len(data)} bytes is more than {MAX_FILE_SIZE}")
        added, detail = self._add_master_list(bytes(data), what)
        self._sources.append(TrustSource(what, "master list", added, detail))
        return added

    # -- by kind ------------------------------------------------------------------------------

    def _add_file(self, path: Path) -> int:
        try:
            size = path.stat().st_size
            if size > MAX_FILE_SIZE:
                raise TrustStoreError(f"{path}: {size} bytes is more than {MAX_FILE_SIZE}")
            with path.open("rb") as file:
                data = file.read(MAX_FILE_SIZE + 1)
        except OSError as exc:
            raise TrustStoreError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
        return self.add_bytes(data, str(path))

    def _add_folder(self, root: Path) -> int:
        added = 0
        for path in self._walk(root):
            try:
                added += self._add_file(path)
            except TrustStoreError as exc:
                self._problem(str(path), str(exc))
        return added

    def _walk(self, root: Path) -> Iterator[Path]:
        """Files under `root`, sorted, depth-first without recursion; a folder reached twice
        (a symbolic link loop) is read once."""
        seen: set[tuple[int, int]] = set()
        stack = [(root, 0)]
        while stack:
            folder, depth = stack.pop()
            try:
                status = folder.stat()
                if (status.st_dev, status.st_ino) in seen:
                    continue
                seen.add((status.st_dev, status.st_ino))
                entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
            except OSError as exc:
                self._problem(str(folder), f"cannot be read ({exc.strerror or exc})")
                continue
            folders = []
            for entry in entries:
                if entry.is_dir():
                    folders.append(entry)
                elif entry.is_file():
                    yield entry
                else:  # a FIFO would block, a device never ends
                    self._problem(str(entry), "not a regular file")
            if folders and depth >= MAX_FOLDER_DEPTH:
                self._problem(str(folder), f"folders deeper than {MAX_FOLDER_DEPTH} not read")
                continue
            stack.extend((f, depth + 1) for f in reversed(folders))

    def _add_der(self, data: bytes, what: str) -> int:
        if _starts_with_oid(data):
            return self.add_master_list(data, what)
        try:
            certificate = load_certificate(data, what)
        except TrustStoreError as not_certificate:
            try:
                certificate_list = load_crl(data, what)
            except TrustStoreError:
                raise TrustStoreError(
                    f"{what}: not a certificate, CRL or master list ({not_certificate})"
                ) from None
            kind, added = "CRL", self._add_revocation_list(certificate_list)
        else:
            self._check_anchor(certificate, what)
            kind, added = "certificate", self._add_anchor(certificate)
        self._sources.append(TrustSource(what, kind, added))
        return added

    def _add_pem(self, data: bytes, what: str) -> int:
        added = used = 0
        try:
            blocks = list(pem.unarmor(data, multiple=True))
        except ASN1_ERRORS as exc:
            raise TrustStoreError(f"{what}: malformed PEM ({error_detail(exc)})") from exc
        for number, (kind, _headers, der) in enumerate(blocks, 1):
            label = f"{what} block {number}"
            try:
                if kind in _PEM_CERTIFICATES:
                    certificate = load_certificate(der, label)
                    self._check_anchor(certificate, label)
                    added += self._add_anchor(certificate)
                elif kind in _PEM_CRLS:
                    added += self._add_revocation_list(load_crl(der, label))
                else:
                    raise TrustStoreError(f"{label}: {kind} is not a certificate or CRL")
            except TrustStoreError as exc:
                self._problem(what, str(exc))
                continue
            used += 1
        if not used:
            raise TrustStoreError(f"{what}: PEM without a CA certificate or CRL")
        self._sources.append(TrustSource(what, "PEM", added))
        return added

    def _add_ldif(self, data: bytes, what: str) -> int:
        added = signers = lists = found = 0
        records = list(read_ldif(data, what))  # all of it parses, or nothing is added
        for number, record in enumerate(records, 1):
            label = f"{what} entry {number}"
            for key, value in record.attributes:
                found += key in PKD_ATTRIBUTES
                try:
                    if key == CA_CERTIFICATE:
                        certificate = load_certificate(value, label)
                        self._check_anchor(certificate, label)
                        added += self._add_anchor(certificate)
                    elif key == CRL:
                        added += self._add_revocation_list(load_crl(value, label))
                    elif key == MASTER_LIST:
                        added += self._add_master_list(value, label)[0]
                        lists += 1
                    elif key == DS_CERTIFICATE:
                        certificate = load_certificate(value, label)
                        self._document_signers.setdefault(certificate.dump(), certificate)
                        signers += 1
                except TrustStoreError as exc:
                    self._problem(what, str(exc))
        if not found:
            raise TrustStoreError(f"{what}: LDIF without certificates, CRLs or master lists")
        parts = [f"{lists} master lists"] if lists else []
        parts += [f"{signers} Document Signer certificates"] if signers else []
        self._sources.append(TrustSource(what, "LDIF", added, ", ".join(parts)))
        return added

    def _add_master_list(self, data: bytes, what: str) -> tuple[int, str]:
        master_list = read_master_list(data, trusted=self.certificates, what=what)
        vouched = master_list.signer_issuer.dump() in self._certificates
        added = sum(self._add_anchor(c) for c in master_list.certificates)
        for reason in master_list.skipped:
            self._problem(what, reason)
        signer = f"signed by {master_list.country or 'a signer without country'}"
        by = "a CSCA already trusted" if vouched else "a CSCA in the list itself"
        return added, f"{len(master_list.certificates)} CSCA certificates, {signer}, under {by}"

    # -- bookkeeping --------------------------------------------------------------------------

    def _check_anchor(self, certificate: x509.Certificate, what: str) -> None:
        if not isinstance(certificate, x509.Certificate):
            raise TypeError("a certificate must be an asn1crypto.x509.Certificate")
        try:
            check_parsed(certificate)
        except ASN1_ERRORS as exc:
            raise TrustStoreError(f"{what}: malformed certificate ({error_detail(exc)})") from exc
        if not is_ca(certificate):
            state = country(certificate.subject) or "no country"
            raise TrustStoreError(f"{what}: not a CA certificate (C={state}), so not a CSCA")

    def _add_anchor(self, certificate: x509.Certificate) -> int:
        """1 if `certificate` is new, 0 if it was there already or is mrtd's test CSCA."""
        if not self.allow_test_pki and _is_test_pki(certificate):
            self._problem(
                "mrtd's test PKI",
                f"{describe(certificate)} refused: its private key ships with mrtd "
                "(allow_test_pki=True, or --allow-test-pki, trusts it for tests and demos)",
            )
            return 0
        anchor = TrustAnchor.from_certificate(certificate)
        if anchor.der in self._certificates:
            return 0
        self._certificates[anchor.der] = certificate
        self._by_subject.setdefault(anchor.subject, []).append(anchor)
        return 1

    def _add_revocation_list(self, certificate_list: crl.CertificateList) -> int:
        der = certificate_list.dump()
        if der in self._crls:
            return 0
        try:
            revocation_list = RevocationList.from_crl(certificate_list)
        except ASN1_ERRORS as exc:
            raise TrustStoreError(f"malformed CRL ({error_detail(exc)})") from exc
        self._crls[der] = revocation_list
        issuer = name_key(certificate_list.issuer)
        self._crls_by_issuer.setdefault(issuer, []).append(revocation_list)
        return 1

    def _problem(self, source: str, reason: str) -> None:
        self._problems.append(TrustProblem(source, reason.removeprefix(f"{source}: ")))


def _is_test_pki(certificate: x509.Certificate) -> bool:
    try:
        key = certificate.public_key.dump()
    except ASN1_ERRORS:
        return False
    return hashlib.sha256(key).hexdigest() in TEST_PKI_CSCA_KEYS


def _starts_with_oid(data: bytes) -> bool:
    """A CMS ContentInfo (SEQUENCE { contentType OID, ... }) rather than a certificate or CRL
    (SEQUENCE { SEQUENCE ... })."""
    try:
        contents = asn1_parser.parse(data)[4]
    except ASN1_ERRORS:
        return False
    return bool(contents[:1] == bytes((_OID_TAG,)))
