"""The verification service's configuration: one TOML file, every setting optional.

    [service]
    host = "127.0.0.1"            # loopback unless told: a deployment puts a proxy in front
    port = 8000
    workers = 1                   # processes; each is stateless (docs/service.md)
    max_body_bytes = 4194304      # an upload over this is refused (413) before it is parsed
    challenge_ttl_seconds = 300   # how long a challenge may be redeemed
    return_holder_data = false    # put DG1's data in the response (never stored either way)
    trusted_proxies = []          # addresses whose X-Forwarded-For names the client
    api_tokens = []               # "sha256:<hex>" of each caller's bearer token; [] = open

    [database]
    url = "sqlite:///mrtd-service.sqlite3"   # or postgresql://user@host/db for many workers
    migrate = true                # bring the schema up to date at start

    [trust]
    paths = ["csca/", "crls/"]    # CSCA certificates, master lists, LDIF, CRLs
    allow_test_pki = false

    [status]                      # a document-status provider (docs/status.md)
    provider = "list"
    list = "listed.txt"
    key_file = "status-list.key"

    [policy]                      # mrtd.Policy's settings (docs/verify.md, "Policy")
    issuing_states = ["UTO"]

    [audit]                       # the audit log's tamper evidence (docs/service.md)
    signing_key = "audit-key.pem" # Ed25519 private key (mrtd audit keygen); none: unsigned
    checkpoint_every = 1000       # sign the chain's head every N records
    retention_years = 5           # mrtd audit purge keeps the current year and N before

Relative paths (trust, a SQLite file, the audit key) are the configuration file's folder's. The
policy's `active_authentication` is always "required" here: Active Authentication over this
service's challenge is the only chip proof an upload can carry, so a document whose EF.SOD
lists DG15 must pass it (a client cannot skip it by leaving DG15 out).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

from mrtd.bounded import read_toml
from mrtd.errors import PolicyError, ServiceConfigError
from mrtd.service.audit import DEFAULT_CHECKPOINT_EVERY, AuditSettings, load_private_key
from mrtd.status.base import StatusProvider
from mrtd.status.config import status_provider_from_mapping
from mrtd.verify.policy import STRICT, ActiveAuthentication, Policy

__all__ = ["CONFIG_ENV", "ServiceConfig", "load_config"]

CONFIG_ENV = "MRTD_SERVICE_CONFIG"  # how `mrtd serve` hands the file to its worker processes
MAX_CONFIG_BYTES = 256 * 1024
DEFAULT_DATABASE = "mrtd-service.sqlite3"
SECTIONS = {
    "service": {"host", "port", "workers", "max_body_bytes", "challenge_ttl_seconds",
                "return_holder_data", "trusted_proxies", "api_tokens"},
    "database": {"url", "migrate"},
    "trust": {"paths", "allow_test_pki"},
    "policy": None,  # Policy.from_mapping checks its own keys
    "audit": {"signing_key", "checkpoint_every", "retention_years"},
    "status": None,  # mrtd.status.config checks its own keys
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """What one worker needs. `ServiceConfig()` runs on one machine with nothing else: SQLite in
    the working folder, no trust material (every verdict incomplete until some is given)."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    max_body_bytes: int = 4 * 1024 * 1024
    challenge_ttl: timedelta = timedelta(minutes=5)
    return_holder_data: bool = False
    trusted_proxies: tuple[str, ...] = ()
    api_token_hashes: tuple[bytes, ...] = ()  # SHA-256 of each accepted bearer token
    database_url: str = f"sqlite:///{DEFAULT_DATABASE}"
    migrate: bool = True
    trust_paths: tuple[Path, ...] = ()
    allow_test_pki: bool = False
    policy: Policy = field(
        default_factory=lambda: replace(STRICT, active_authentication=ActiveAuthentication.REQUIRED)
    )
    audit_signing_key: Path | None = None  # Ed25519 PEM; None: checkpoints unsigned
    audit_checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY
    audit_retention_years: int = 5  # purge keeps the current year and this many before
    status: StatusProvider | None = field(default=None, compare=False)  # lost, stolen, ...
    source: str = ""  # the file it came from, for messages and `mrtd serve`'s workers

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ServiceConfigError("service.port is between 1 and 65535")
        if not 1 <= self.workers <= 256:
            raise ServiceConfigError("service.workers is between 1 and 256")
        if not 1024 <= self.max_body_bytes <= 64 * 1024 * 1024:
            raise ServiceConfigError("service.max_body_bytes is between 1 KiB and 64 MiB")
        if not timedelta(seconds=10) <= self.challenge_ttl <= timedelta(hours=1):
            raise ServiceConfigError("service.challenge_ttl_seconds is between 10 and 3600")
        if not 1 <= self.audit_checkpoint_every <= 1_000_000:
            raise ServiceConfigError("audit.checkpoint_every is between 1 and 1000000")
        if not 0 <= self.audit_retention_years <= 100:
            raise ServiceConfigError("audit.retention_years is between 0 and 100")
        if self.policy.active_authentication is not ActiveAuthentication.REQUIRED:
            raise ServiceConfigError(
                "policy.active_authentication must be 'required' in the service: Active "
                "Authentication over its challenge is the only chip proof an upload carries"
            )

    def audit_settings(self) -> AuditSettings:
        """The store's audit settings: the signing key read from its file."""
        key = load_private_key(self.audit_signing_key) if self.audit_signing_key else None
        return AuditSettings(signing_key=key, checkpoint_every=self.audit_checkpoint_every)


def load_config(path: str | os.PathLike[str] | None) -> ServiceConfig:
    """The configuration in the TOML file at `path` (None: the defaults). Unknown sections or
    settings and wrong types are a `ServiceConfigError` naming them, so a typo never changes
    what the service accepts."""
    if path is None:
        return ServiceConfig()
    path = Path(path)
    data = read_toml(path, MAX_CONFIG_BYTES, ServiceConfigError, "the configuration")
    return from_mapping(data, base=path.resolve().parent, source=str(path))


def from_mapping(data: Mapping[str, object], *, base: Path, source: str = "") -> ServiceConfig:
    """A configuration from parsed TOML; relative paths are taken from `base`."""
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise ServiceConfigError(f"unknown section(s): {', '.join(unknown)}")
    tables = {name: _table(data, name) for name in SECTIONS}
    for name, known in SECTIONS.items():
        extra = sorted(set(tables[name]) - known) if known is not None else []
        if extra:
            raise ServiceConfigError(f"unknown setting(s) in [{name}]: {', '.join(extra)}")
    service, database, trust = tables["service"], tables["database"], tables["trust"]
    changes: dict[str, object] = {"source": source}
    if "host" in service:
        changes["host"] = _string(service, "service.host", "host")
    for key in ("port", "workers", "max_body_bytes"):
        if key in service:
            changes[key] = _integer(service, f"service.{key}", key)
    if "challenge_ttl_seconds" in service:
        seconds = _integer(service, "service.challenge_ttl_seconds", "challenge_ttl_seconds")
        changes["challenge_ttl"] = timedelta(seconds=seconds)
    if "return_holder_data" in service:
        changes["return_holder_data"] = _boolean(service, "service.return_holder_data")
    if "trusted_proxies" in service:
        changes["trusted_proxies"] = _strings(service, "service.trusted_proxies")
    if "api_tokens" in service:
        changes["api_token_hashes"] = tuple(
            _token_hash(t) for t in _strings(service, "service.api_tokens")
        )
    if "url" in database:
        changes["database_url"] = _database_url(_string(database, "database.url", "url"), base)
    else:
        changes["database_url"] = _database_url(f"sqlite:///{DEFAULT_DATABASE}", base)
    if "migrate" in database:
        changes["migrate"] = _boolean(database, "database.migrate")
    if "paths" in trust:
        changes["trust_paths"] = tuple(base / p for p in _strings(trust, "trust.paths"))
    if "allow_test_pki" in trust:
        changes["allow_test_pki"] = _boolean(trust, "trust.allow_test_pki")
    changes.update(_audit(tables["audit"], base))
    if tables["status"]:
        try:
            changes["status"] = status_provider_from_mapping(tables["status"], base=base)
        except ValueError as exc:
            raise ServiceConfigError(f"[status]: {exc}") from exc
    policy_table = dict(tables["policy"])
    policy_table.setdefault("active_authentication", "required")
    try:
        changes["policy"] = Policy.from_mapping(policy_table)
    except PolicyError as exc:
        raise ServiceConfigError(f"[policy]: {exc}") from exc
    return replace(ServiceConfig(), **changes)  # type: ignore[arg-type]


def _audit(audit: Mapping[str, object], base: Path) -> dict[str, object]:
    """[audit]: the signing key must be a readable Ed25519 private key, checked now."""
    changes: dict[str, object] = {}
    if "signing_key" in audit:
        path = base / _string(audit, "audit.signing_key", "signing_key")
        load_private_key(path)  # ServiceConfigError naming the file
        changes["audit_signing_key"] = path
    for key in ("checkpoint_every", "retention_years"):
        if key in audit:
            changes[f"audit_{key}"] = _integer(audit, f"audit.{key}", key)
    return changes


def _token_hash(text: str) -> bytes:
    """ "sha256:<64 hex digits>": the configuration holds no token, only its hash."""
    prefix, _, digest = text.partition(":")
    if prefix != "sha256" or len(digest) != 64:
        raise ServiceConfigError('service.api_tokens holds "sha256:<64 hex digits>" entries')
    try:
        return bytes.fromhex(digest)
    except ValueError:
        raise ServiceConfigError("service.api_tokens: a hash is not hexadecimal") from None


def _database_url(url: str, base: Path) -> str:
    """A relative SQLite file is the configuration folder's, not the working folder's."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix:
        rest = url[len(prefix) :]
        if not rest.startswith(":memory:"):
            return prefix + str(base / rest)
    return url


def _table(data: Mapping[str, object], name: str) -> Mapping[str, object]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ServiceConfigError(f"[{name}] is a table")
    return table


def _string(table: Mapping[str, object], name: str, key: str) -> str:
    value = table[key]
    if not isinstance(value, str) or not value or not value.isprintable():
        raise ServiceConfigError(f"{name} is a non-empty string")
    return value


def _integer(table: Mapping[str, object], name: str, key: str) -> int:
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ServiceConfigError(f"{name} is a whole number")
    return value


def _boolean(table: Mapping[str, object], name: str) -> bool:
    value = table[name.split(".", 1)[1]]
    if not isinstance(value, bool):
        raise ServiceConfigError(f"{name} is true or false")
    return value


def _strings(table: Mapping[str, object], name: str) -> tuple[str, ...]:
    value = table[name.split(".", 1)[1]]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ServiceConfigError(f"{name} is a list of non-empty strings")
    return tuple(value)
