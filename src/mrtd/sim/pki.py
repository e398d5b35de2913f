"""The simulated chip's test PKI: a stable CSCA and a Document Signer, per signature scheme.

The keys and certificates were generated once by scripts/make_test_pki.py and ship as package
data (pki_data/*.pem), so the CSCA is the same on every run: a terminal that trusts the
exported CSCA (`mrtd sim --export-csca PATH`, then `mrtd read --csca PATH`) keeps trusting the
simulated chip. They are TEST keys, private keys included, of the test state Utopia (C=UT):
the library never trusts them on its own; a caller must pass the CSCA explicitly.

  "rsa":   CSCA RSA-3072 (valid 2025-01-01..2045-01-01) -> DS RSA-2048 (..2036-01-01)
  "ecdsa": CSCA brainpoolP384r1 (same dates)           -> DS brainpoolP256r1 (same dates)

The trust material handed out (`csca_pem`, `export_csca`) carries, after each CSCA, a CRL of
that CSCA revoking nothing, issued when first asked for in this process and current for 30
days: the strict default policy needs revocation checked against a current CRL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Literal, get_args

from asn1crypto import pem, x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from mrtd.lds.sod import SignerKey
from mrtd.sim.pki_builder import Issued, issue_crl

__all__ = ["KINDS", "Kind", "TestPKI", "all_csca_pem", "export_csca"]

Kind = Literal["rsa", "ecdsa"]
KINDS: tuple[Kind, ...] = get_args(Kind)


class TestPKI:
    """Loads the stored test PKI (cached: every instance shares the same objects).

    Certificates are asn1crypto `Certificate`s, as `build_sod` and `SODFile` use; private
    keys are pyca/cryptography keys.
    """

    __test__ = False  # not a pytest test class, despite the name

    def csca_certificate(self, kind: Kind = "rsa") -> x509.Certificate:
        """The self-signed CSCA certificate of chain `kind`."""
        return _certificate(f"csca_{_check_kind(kind)}")

    def csca_private_key(self, kind: Kind = "rsa") -> SignerKey:
        """The CSCA's private key, to issue extra test certificates (expired DS, ...)."""
        return _private_key(f"csca_{_check_kind(kind)}")

    def document_signer(self, kind: Kind = "rsa") -> tuple[SignerKey, x509.Certificate]:
        """The Document Signer's private key and certificate (issued by the CSCA of `kind`)."""
        name = f"ds_{_check_kind(kind)}"
        return _private_key(name), _certificate(name)

    def csca_pem(self, kind: Kind | None = None) -> bytes:
        """The CSCA certificate of `kind` and its current CRL, as PEM; None means every CSCA,
        one after another."""
        kinds = KINDS if kind is None else (_check_kind(kind),)
        return b"".join(_read(f"csca_{k}.cert.pem") + _crl_pem(k) for k in kinds)

    def all_csca_pem(self) -> bytes:
        """Every test CSCA certificate, PEM, concatenated (a trust list for the sim)."""
        return self.csca_pem()

    def export_csca(self, path: str | PathLike[str], kind: Kind | None = None) -> Path:
        """Write `csca_pem(kind)` to `path` (for `mrtd sim --export-csca PATH`)."""
        target = Path(path)
        target.write_bytes(self.csca_pem(kind))
        return target


def all_csca_pem() -> bytes:
    """Every test CSCA certificate, PEM, concatenated; see `TestPKI.all_csca_pem`."""
    return TestPKI().all_csca_pem()


def export_csca(path: str | PathLike[str], kind: Kind | None = None) -> Path:
    """Write the test CSCA certificate(s) as PEM to `path`; see `TestPKI.export_csca`."""
    return TestPKI().export_csca(path, kind)


CRL_VALIDITY = timedelta(days=30)


@cache
def _crl_pem(kind: Kind) -> bytes:
    """A CRL of the CSCA `kind`, revoking nothing, current from an hour ago for CRL_VALIDITY."""
    now = datetime.now(UTC).replace(microsecond=0)
    issuer = Issued(_private_key(f"csca_{kind}"), _certificate(f"csca_{kind}"))
    certificate_list = issue_crl(
        issuer, this_update=now - timedelta(hours=1), next_update=now + CRL_VALIDITY
    )
    armored: bytes = pem.armor("X509 CRL", certificate_list.dump())
    return armored


def _check_kind(kind: str) -> Kind:
    for known in KINDS:
        if kind == known:
            return known
    raise ValueError(f"test PKI kind must be one of {', '.join(KINDS)}, not {kind!r}")


def _read(filename: str) -> bytes:
    return resources.files("mrtd.sim").joinpath("pki_data", filename).read_bytes()


@cache
def _certificate(name: str) -> x509.Certificate:
    _, _, der = pem.unarmor(_read(f"{name}.cert.pem"))
    certificate = x509.Certificate.load(der, strict=True)
    _ = certificate.native  # parse it all now, not on first use
    return certificate


@cache
def _private_key(name: str) -> SignerKey:
    key = serialization.load_pem_private_key(_read(f"{name}.key.pem"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):  # pragma: no cover
        raise TypeError(f"test PKI key {name} is neither RSA nor EC")
    return key
