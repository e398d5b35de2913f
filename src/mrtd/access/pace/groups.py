"""Key agreement in one group, ECDH or DH, with a generator that the PACE mapping replaces.

Every public value from the other side is validated before it is used: an EC point must be on
the curve, not infinity and in the prime-order subgroup; a DH value must lie in 2..p-2 and have
order q. A value that fails raises `InvalidPointError`, which PACE turns into `PACEError`.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass

from mrtd import tlv
from mrtd.crypto.domains import DHGroup, Domain, ECCurve
from mrtd.crypto.ec import Backend, ECGroup
from mrtd.errors import InvalidPointError

RandomBytes = Callable[[int], bytes]
MAX_DRAWS = 64  # rejection sampling: the odds of needing more than a few are negligible


def random_scalar(order: int, random_bytes: RandomBytes) -> int:
    """Uniform in 1..order-1 by rejection: draw as many bits as the order has until one fits
    (each draw fits with probability above 1/2)."""
    bits = order.bit_length()
    for _ in range(MAX_DRAWS):
        value = int.from_bytes(random_bytes((bits + 7) // 8), "big") & ((1 << bits) - 1)
        if 0 < value < order:
            return value
    raise RuntimeError("random source keeps giving values out of range")


@dataclass(frozen=True, slots=True)
class KeyPair:
    private: int
    public: bytes

    def __repr__(self) -> str:
        return "KeyPair(<redacted>)"


class ECAgreement:
    """ECDH on a curve whose generator is `generator` (G, or the mapped G~)."""

    public_key_tag = 0x86  # 9303-11 §4.4.3.4: public point in the token's public key object

    def __init__(
        self, curve: ECCurve, generator: bytes | None = None, backend: Backend | None = None
    ) -> None:
        self.curve = curve
        self.group = _group(curve, backend)
        self.generator = curve.generator if generator is None else generator

    @property
    def order(self) -> int:
        return self.curve.n

    @property
    def size(self) -> int:
        return self.curve.size

    def with_generator(self, generator: bytes) -> ECAgreement:
        mapped = copy.copy(self)
        mapped.generator = generator
        return mapped

    def keypair(self, random_bytes: RandomBytes) -> KeyPair:
        private = random_scalar(self.order, random_bytes)
        return KeyPair(private, self.group.mul(private, self.generator))

    def validate(self, public: bytes) -> bytes:
        return self.group.check(public)

    def shared_point(self, private: int, public: bytes) -> bytes:
        return self.group.mul(private, self.validate(public))

    def shared_secret(self, private: int, public: bytes) -> bytes:
        """The x-coordinate of private * public (TR-03111 ECKA)."""
        return self.group.x(self.shared_point(private, public))

    def public_key_object(self, public: bytes) -> bytes:
        return tlv.encode(self.public_key_tag, public)


class DHAgreement:
    """Diffie-Hellman in the order-q subgroup of Z_p*, generator g (or the mapped g~)."""

    public_key_tag = 0x84

    def __init__(self, group: DHGroup, generator: int | None = None) -> None:
        self.dh = group
        self.generator = group.g if generator is None else generator

    @property
    def order(self) -> int:
        return self.dh.q

    @property
    def size(self) -> int:
        return self.dh.size

    def with_generator(self, generator: int) -> DHAgreement:
        return DHAgreement(self.dh, generator)

    def keypair(self, random_bytes: RandomBytes) -> KeyPair:
        private = random_scalar(self.order, random_bytes)
        return KeyPair(private, self.encode(pow(self.generator, private, self.dh.p)))

    def encode(self, value: int) -> bytes:
        return value.to_bytes(self.size, "big")

    def decode(self, public: bytes) -> int:
        """A received public value as an element of the order-q subgroup (else refused)."""
        if not public or len(public) > self.size + 1:
            raise InvalidPointError("DH public value has the wrong length")
        value = int.from_bytes(public, "big")
        p = self.dh.p
        if not 1 < value < p - 1:
            raise InvalidPointError("DH public value is out of range")
        if pow(value, self.dh.q, p) != 1:
            raise InvalidPointError("DH public value is not in the prime-order subgroup")
        return value

    def validate(self, public: bytes) -> bytes:
        return self.encode(self.decode(public))

    def shared_value(self, private: int, public: bytes) -> int:
        return pow(self.decode(public), private, self.dh.p)

    def shared_secret(self, private: int, public: bytes) -> bytes:
        """(public ^ private) mod p, as many bytes as p (9303-11 §9.6)."""
        return self.encode(self.shared_value(private, public))

    def public_key_object(self, public: bytes) -> bytes:
        return tlv.encode(self.public_key_tag, public)


Agreement = ECAgreement | DHAgreement


@functools.lru_cache(maxsize=32)
def _group(curve: ECCurve, backend: Backend | None) -> ECGroup:
    """One group per curve: building it (and matching it to OpenSSL's named curve) costs about
    as much as a tenth of a scalar multiplication. Its methods hold the GIL while they run."""
    return ECGroup(curve, backend)


def agreement_for(domain: Domain, backend: Backend | None = None) -> Agreement:
    if isinstance(domain, ECCurve):
        return ECAgreement(domain, backend=backend)
    return DHAgreement(domain)
