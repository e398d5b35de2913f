"""Document status: whether the issuer or the police list a document as lost, stolen, revoked
or blocked (docs/status.md).

A `StatusProvider` answers a `StatusQuery` (issuing state, document type, document number)
with a `StatusAnswer`: not listed, listed (why, by whom, since when) or unavailable. Providers:
`LocalListProvider` (a file of keyed hashes, so the list leaks no numbers; reloaded when it
changes) and `HTTPStatusProvider` (a service of the deployment's, with a deadline, retries and
a client certificate). The answer becomes the verdict's `status` check (`status_outcome`);
an unavailable provider fails closed unless the policy accepts it.
"""

from __future__ import annotations

from mrtd.status.base import (
    StatusAnswer,
    StatusKind,
    StatusProvider,
    StatusQuery,
    check_status,
    status_outcome,
)

__all__ = [
    "StatusAnswer",
    "StatusKind",
    "StatusProvider",
    "StatusQuery",
    "check_status",
    "status_outcome",
]
