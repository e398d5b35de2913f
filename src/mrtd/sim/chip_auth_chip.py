"""The simulated chip's half of Chip Authentication version 1 (ICAO 9303-11 §6.2): MSE:Set KAT
(3DES), or MSE:Set AT then GENERAL AUTHENTICATE (AES), with the terminal's command builders and
key-agreement code.

The chip checks what the terminal sent as a conformant chip must (the protocol OID and key id it
advertised, the terminal's key on the curve / in the subgroup) and answers a failure with a
status word, never an exception. A successful run leaves the new channel pending: the chip's
owner protects the answer with the old channel, then calls `take_new_channel` and switches.
"""

from __future__ import annotations

import hashlib

from mrtd import tlv
from mrtd.access.pace.groups import KeyPair, agreement_for
from mrtd.access.pace.suite import Suite
from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.crypto.domains import CURVES_BY_NAME, DH_BY_NAME, DHGroup, Domain, ECCurve
from mrtd.crypto.ec import Backend
from mrtd.crypto.kdf import Cipher
from mrtd.crypto.spki import DomainEncoding, decode_domain
from mrtd.der import OCTET_STRING, encode_oid, read_integer, read_primitive, read_sequence
from mrtd.errors import DecodeError, InvalidPointError
from mrtd.lds.security.infos import (
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    SecurityInfo,
    SecurityInfos,
)
from mrtd.lds.security.kinds import key_agreement_of
from mrtd.sm import SecureChannel
from mrtd.verify import chip_auth as ca

SW_OK, SW_WRONG_DATA, SW_CONDITIONS, SW_WRONG_P1P2 = 0x9000, 0x6A80, 0x6985, 0x6A86
CIPHERS = {"3des": Cipher.DES3, "aes128": Cipher.AES128, "aes192": Cipher.AES192,
           "aes256": Cipher.AES256}  # fmt: skip
DH_BITS = {"1024": "MODP-1024-160", "2048": "MODP-2048-224"}  # RFC 5114 §2.1, §2.2
MAX_KEY_FILE = 1 << 14


class ChipChipAuthentication:
    """Chip Authentication state of one chip: its static key pair and what DG14 says of it.

    `mse` answers MSE (INS 22, P1P2 41A6 or 41A4), `general_authenticate` GENERAL AUTHENTICATE
    (INS 86); after a successful run `take_new_channel` hands over the new channel, once.
    """

    def __init__(
        self,
        domain: Domain,
        private: int,
        info: ChipAuthenticationInfo,
        *,
        key_id: int | None = None,
        domain_encoding: DomainEncoding = DomainEncoding.EXPLICIT,
        backend: Backend | None = None,
    ) -> None:
        if info.key_agreement is not key_agreement_of(domain):
            raise ValueError(f"a {info.key_agreement.value} protocol with {domain.name}")
        self.domain = domain
        self.info = info
        self.key_id = info.key_id if key_id is None else key_id
        self.domain_encoding = domain_encoding
        self._agreement = agreement_for(domain, backend)
        self.key = KeyPair(private, ca.public_key_of(self._agreement, private))
        self._armed = False  # MSE:Set AT for CA accepted, GENERAL AUTHENTICATE may follow
        self._pending: SecureChannel | None = None

    @classmethod
    def from_spec(
        cls, spec: str, seed: bytes, *, key_id: int | None = None
    ) -> ChipChipAuthentication:
        """A chip for "ecdh-<curve>-<cipher>" or "dh-<bits>-<cipher>" ("ecdh-P-256-aes256",
        "dh-1024-3des"), its key derived from `seed`; ValueError for an unknown spec."""
        domain, cipher = _parse_spec(spec)
        info = ChipAuthenticationInfo.build(key_agreement_of(domain), cipher, key_id)
        digest = hashlib.sha512(b"mrtd-sim-ca-v1|" + spec.encode() + b"|" + seed).digest()
        order = domain.n if isinstance(domain, ECCurve) else domain.q
        return cls(domain, int.from_bytes(digest, "big") % (order - 1) + 1, info)

    @staticmethod
    def spec_check(spec: str) -> None:
        """ValueError unless `from_spec` knows `spec` (a profile check, without making keys)."""
        _parse_spec(spec)

    @classmethod
    def from_private_key(cls, der_pkcs8: bytes, dg14: bytes) -> ChipChipAuthentication:
        """The chip of a data set: its private key (PKCS#8, EC or DH) and the DG14 that
        publishes the public key. ValueError if the key is not in DG14 or DG14 offers no
        version 1 protocol for it."""
        domain, private = _read_pkcs8(der_pkcs8)
        infos = SecurityInfos.from_dg14(dg14)
        public = ca.public_key_of(agreement_for(domain), private)
        for key in infos.chip_authentication_keys:
            if key.domain == domain and _same_key(domain, key.public_key, public):
                chosen = ca.choose_chip_authentication(
                    SecurityInfos((*infos.chip_authentication, key))
                )
                if chosen is None:
                    raise ValueError("DG14 offers no Chip Authentication v1 for this key")
                return cls(domain, private, chosen[0], key_id=key.key_id,
                           domain_encoding=key.domain_encoding)  # fmt: skip
        raise ValueError("the private key matches no Chip Authentication key in DG14")

    def security_infos(self) -> tuple[SecurityInfo, ...]:
        """The ChipAuthenticationInfo and ChipAuthenticationPublicKeyInfo DG14 lists."""
        key = ChipAuthenticationPublicKeyInfo.build(
            self.domain, self.key.public, self.key_id, self.domain_encoding
        )
        return self.info, key

    def reset(self) -> None:
        self._armed, self._pending = False, None

    def take_new_channel(self) -> SecureChannel | None:
        """The channel of a completed run, once; call it after protecting the last answer."""
        channel, self._pending = self._pending, None
        return channel

    def mse(self, command: CommandAPDU) -> ResponseAPDU:
        self._armed = False
        step = {ca.SET_KAT: self._set_kat, ca.SET_AT: self._set_at}.get((command.p1, command.p2))
        if step is None:
            return _sw(SW_WRONG_P1P2)
        objects = _objects(command.data)
        return _sw(SW_WRONG_DATA) if objects is None else step(objects)

    def general_authenticate(self, command: CommandAPDU) -> ResponseAPDU:
        if not self._armed or command.cla & 0x10:  # CA v1 sends one unchained command
            self._armed = False
            return _sw(SW_CONDITIONS)
        self._armed = False
        try:
            outer = tlv.decode_one(command.data, max_depth=2, max_length=ca.MAX_DATA)
            inner = {child.tag: child.value for child in outer.children()}
        except DecodeError:
            return _sw(SW_WRONG_DATA)
        if outer.tag != ca.DYNAMIC_AUTHENTICATION_DATA or set(inner) != {ca.GA_EPHEMERAL_KEY}:
            return _sw(SW_WRONG_DATA)
        if not self._agree(inner[ca.GA_EPHEMERAL_KEY]):
            return _sw(SW_WRONG_DATA)
        return ResponseAPDU(tlv.encode(ca.DYNAMIC_AUTHENTICATION_DATA, b""), SW_OK)

    # -- steps -------------------------------------------------------------------------------

    def _set_kat(self, objects: dict[int, bytes]) -> ResponseAPDU:
        if ca.session_cipher(self.info) is not Cipher.DES3:
            return _sw(SW_CONDITIONS)  # MSE:Set KAT leads to 3DES secure messaging only
        if (
            not set(objects) <= {ca.KAT_EPHEMERAL_KEY, ca.KEY_REFERENCE}
            or not self._our_key(objects)
            or not self._agree(objects.get(ca.KAT_EPHEMERAL_KEY, b""))
        ):
            return _sw(SW_WRONG_DATA)
        return _sw(SW_OK)

    def _set_at(self, objects: dict[int, bytes]) -> ResponseAPDU:
        if (
            not set(objects) <= {ca.MECHANISM, ca.KEY_REFERENCE}
            or objects.get(ca.MECHANISM) != encode_oid(self.info.oid)
            or not self._our_key(objects)
        ):
            return _sw(SW_WRONG_DATA)
        self._armed = True
        return _sw(SW_OK)

    def _our_key(self, objects: dict[int, bytes]) -> bool:
        reference = objects.get(ca.KEY_REFERENCE)
        if reference is None:
            return True
        return self.key_id is not None and reference == ca.key_reference(self.key_id)

    def _agree(self, terminal_key: bytes) -> bool:
        """Derive the new channel from the terminal's key; False if the key is invalid."""
        try:
            secret = self._agreement.shared_secret(self.key.private, terminal_key)
        except InvalidPointError:
            return False
        self._pending = Suite(ca.session_cipher(self.info)).session(secret)
        return True

    def __repr__(self) -> str:
        agreement, cipher = self.info.key_agreement.value, ca.session_cipher(self.info).value
        return f"ChipChipAuthentication({agreement}, {self.domain.name}, {cipher})"


def _parse_spec(spec: str) -> tuple[Domain, Cipher]:
    kind, _, rest = spec.partition("-")
    name, _, cipher_name = rest.rpartition("-")
    domain: Domain | None = None
    if kind == "ecdh":
        domain = CURVES_BY_NAME.get(name)
    elif kind == "dh":
        domain = DH_BY_NAME.get(DH_BITS.get(name, name))
    cipher = CIPHERS.get(cipher_name)
    if domain is None or cipher is None:
        raise ValueError(
            f"unknown Chip Authentication spec {spec!r}: expected ecdh-<curve>-<cipher> or "
            "dh-<1024|2048>-<cipher>, cipher one of " + ", ".join(CIPHERS)
        )
    return domain, cipher


def _objects(data: bytes) -> dict[int, bytes] | None:
    """The data objects of an MSE command, each tag once and primitive; None if not."""
    try:
        found = tlv.decode(data, max_depth=1, max_length=ca.MAX_DATA)
    except DecodeError:
        return None
    objects = {obj.tag: obj.value for obj in found}
    if len(objects) != len(found) or any(obj.constructed for obj in found):
        return None
    return objects


def _read_pkcs8(der: bytes) -> tuple[Domain, int]:
    """Domain and private key of a PKCS#8 PrivateKeyInfo (RFC 5208): an ECPrivateKey (RFC 5915)
    with named or explicit parameters, or an X9.42 DH private value."""
    if len(der) > MAX_KEY_FILE:
        raise ValueError("PKCS#8 key file too large")
    try:
        top = tlv.decode_one(der, max_depth=8)
        fields = read_sequence(top, "PrivateKeyInfo", min_fields=3, max_fields=5)
        read_integer(fields[0], "PrivateKeyInfo version")
        domain, _ = decode_domain(fields[1])
        inner = tlv.decode_one(read_primitive(fields[2], OCTET_STRING, "privateKey"))
        if isinstance(domain, DHGroup):
            private = read_integer(inner, "DH private key", max_bytes=domain.size)
        else:
            parts = read_sequence(inner, "ECPrivateKey", min_fields=2, max_fields=4)
            scalar = read_primitive(parts[1], OCTET_STRING, "ECPrivateKey privateKey")
            private = int.from_bytes(scalar, "big")
    except DecodeError as exc:
        raise ValueError(f"not a usable PKCS#8 private key: {exc}") from None
    if not 0 < private < (domain.n if isinstance(domain, ECCurve) else domain.p - 1):
        raise ValueError("PKCS#8 private key out of range")
    return domain, private


def _same_key(domain: Domain, advertised: bytes, public: bytes) -> bool:
    try:
        return agreement_for(domain).validate(advertised) == public
    except InvalidPointError:
        return False


def _sw(sw: int) -> ResponseAPDU:
    return ResponseAPDU(b"", sw)
