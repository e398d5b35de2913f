"""`mrtd serve`: the verification service under uvicorn (docs/service.md)."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from mrtd.cli.exit_status import EXIT_OK, EXIT_USAGE
from mrtd.errors import MRTDError, OptionalDependencyError, ServiceConfigError

EPILOG = """examples:
  mrtd serve                                  # SQLite in this folder, 127.0.0.1:8000
  mrtd serve --config service.toml --workers 4
  mrtd serve --config service.toml --migrate-only   # bring the schema up to date, then exit
exit status: 0 stopped (Ctrl-C or SIGTERM) or migrated, 2 bad usage or configuration (the
setting is named), 70 internal error"""


def add_serve_parser(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the verification service (needs mrtd[service])",
        description="Serve POST /v1/challenges, POST /v1/verifications, GET /healthz and "
        "GET /metrics (OpenAPI at /docs). Settings come from --config; the options below "
        "override it.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--config", metavar="FILE.toml", help="the service's configuration")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8000)")
    serve.add_argument("--workers", type=int, help="worker processes (default 1)")
    serve.add_argument(
        "--migrate-only",
        action="store_true",
        help="bring the database schema up to date and exit (for workers run with "
        "database.migrate = false)",
    )
    serve.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    try:
        from mrtd.service.config import CONFIG_ENV, load_config  # noqa: PLC0415
        from mrtd.service.store import Store  # noqa: PLC0415

        config = load_config(args.config)
        overrides = {k: getattr(args, k) for k in ("host", "port", "workers")}
        config = replace(config, **{k: v for k, v in overrides.items() if v is not None})
        store = Store(config.database_url)
        try:
            if args.migrate_only or config.migrate:
                store.migrate()  # once here, not racing in every worker
            else:
                store.check_schema()
        finally:
            store.close()
        if args.migrate_only:
            print(f"mrtd serve: the database schema is up to date ({store.safe_url})")
            return EXIT_OK
        import uvicorn  # noqa: PLC0415
    except (ServiceConfigError, OptionalDependencyError) as exc:
        print(f"mrtd serve: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ImportError:
        print("mrtd serve: needs the service extra: pip install 'mrtd[service]'", file=sys.stderr)
        return EXIT_USAGE
    except MRTDError as exc:
        print(f"mrtd serve: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.config:
        os.environ[CONFIG_ENV] = str(Path(args.config).resolve())
    else:
        os.environ.pop(CONFIG_ENV, None)
    print(
        f"mrtd serve: http://{config.host}:{config.port} ({config.workers} worker(s), "
        f"{store.dialect}, policy {config.policy.name!r})",
        file=sys.stderr,
    )
    uvicorn.run(
        "mrtd.service.app:app_from_environment",
        factory=True,
        host=config.host,
        port=config.port,
        workers=config.workers,
        proxy_headers=bool(config.trusted_proxies),
        forwarded_allow_ips=list(config.trusted_proxies) or None,
        access_log=False,  # our own line per verification names no person
        ws="websockets-sansio",  # the relay; uvicorn's older websockets protocol is deprecated
        log_level="info",
    )
    return EXIT_OK
