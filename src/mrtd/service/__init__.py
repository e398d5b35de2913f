"""The verification service: the back-end of an onboarding flow (docs/service.md).

`create_app(config)` is the ASGI application (FastAPI) that `mrtd serve` runs under uvicorn:
single-use Active Authentication challenges, verifications of uploads under the configured
policy, an audit record per verification and no personal data kept. `store` holds the
database (SQLite by default, PostgreSQL for many workers), `config` the TOML configuration
(`ServiceConfig`, `load_config`), `client` the reference client behind `mrtd read --submit`
(`verify_with_service`; the standard library only), `relay_client` the client of remote chip
authentication behind `mrtd read --submit --remote-proof` (`prove_remotely`; needs
websockets). The server side needs the `service` extra; names are imported on first use, so
the client never loads FastAPI.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mrtd.service.app import create_app
    from mrtd.service.client import request_challenge, submit_files, verify_with_service
    from mrtd.service.config import ServiceConfig, load_config
    from mrtd.service.relay_client import prove_remotely

__all__ = [
    "ServiceConfig",
    "create_app",
    "load_config",
    "prove_remotely",
    "request_challenge",
    "submit_files",
    "verify_with_service",
]

_HOMES = {
    "create_app": "mrtd.service.app",
    "ServiceConfig": "mrtd.service.config",
    "load_config": "mrtd.service.config",
    "prove_remotely": "mrtd.service.relay_client",
    "request_challenge": "mrtd.service.client",
    "submit_files": "mrtd.service.client",
    "verify_with_service": "mrtd.service.client",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'mrtd.service' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
