"""The verification service: the back-end of an onboarding flow (docs/service.md).

`create_app(config)` is the ASGI application (FastAPI) that `mrtd serve` runs under uvicorn:
single-use Active Authentication challenges, verifications of uploads under the configured
policy, an audit record per verification and no personal data kept. `store` holds the
database (SQLite by default, PostgreSQL for many workers), `config` the TOML configuration,
`client` the reference client behind `mrtd read --submit`. Needs the `service` extra.
"""
