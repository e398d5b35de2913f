"""Names of pyca/cryptography that moved between its versions, imported here and only here.

TripleDES (BAC and 3DES secure messaging, ICAO 9303-11 §9.8) moved to `hazmat.decrepit` in
cryptography 43; the declared floor is 42, where it is still in `hazmat.primitives`. The same
class either way: only where it is imported from differs.
"""

from __future__ import annotations

try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # pragma: no cover - cryptography 42
    from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES

__all__ = ["TripleDES"]
