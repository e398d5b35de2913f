"""The symmetric half of PACE: K_pi, the nonce cipher, session keys and authentication tokens.

One `Suite` per cipher of the PACE OID (ICAO 9303-11 §4.4, §9.7): 3DES (two-key, SHA-1 KDF)
or AES-128/192/256. Both roles, terminal and simulated chip, use it.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import Cipher as _CipherImpl
from cryptography.hazmat.primitives.ciphers import algorithms, modes

from mrtd import crypto, tlv
from mrtd.access.bac import cipher as des3  # two-key 3DES-CBC, zero IV, no padding
from mrtd.access.keys import AccessKey, CANKey
from mrtd.crypto import BytesLike, SMAlgorithm
from mrtd.crypto.kdf import ENC, MAC, PACE, Cipher, derive_key
from mrtd.errors import PACEError
from mrtd.sm import SecureChannel

PASSWORD_MRZ, PASSWORD_CAN = 0x01, 0x02  # MSE:Set AT tag 83 (9303-11 §4.4.4.1)
KEY_SIZE = {Cipher.DES3: 16, Cipher.AES128: 16, Cipher.AES192: 24, Cipher.AES256: 32}


@dataclass(frozen=True, slots=True)
class Suite:
    cipher: Cipher

    @property
    def algorithm(self) -> SMAlgorithm:
        return SMAlgorithm.DES3 if self.cipher is Cipher.DES3 else SMAlgorithm.AES

    @property
    def block_size(self) -> int:
        return 8 if self.cipher is Cipher.DES3 else 16

    @property
    def key_size(self) -> int:
        """Bytes of a key, and of the integrated mapping's nonce t (9303-11 §4.4.3.3.2)."""
        return KEY_SIZE[self.cipher]

    @property
    def nonce_size(self) -> int:
        """Bytes of the chip's nonce s: l = 128 bits for 3DES and AES-128, 256 for AES-192
        and AES-256 (9303-11 §4.4.3.3.2)."""
        return 16 if self.key_size == 16 else 32

    def password_key(self, key: AccessKey) -> bytes:
        """K_pi = KDF_pi(pi): the MRZ password is SHA-1 of the MRZ information, the CAN itself."""
        return derive_key(key.password, PACE, self.cipher)

    def encrypt(self, key: BytesLike, data: BytesLike) -> bytes:
        """E(K, data): CBC with a zero IV, no padding (data is whole blocks)."""
        if self.cipher is Cipher.DES3:
            return des3.encrypt(key, data)
        encryptor = _aes_cbc(key).encryptor()
        return encryptor.update(data) + encryptor.finalize()

    def decrypt(self, key: BytesLike, data: BytesLike) -> bytes:
        if not data or len(data) % self.block_size:
            raise PACEError("encrypted nonce is not a whole number of cipher blocks")
        if self.cipher is Cipher.DES3:
            return des3.decrypt(key, data)
        decryptor = _aes_cbc(key).decryptor()
        return decryptor.update(data) + decryptor.finalize()

    def session(self, shared_secret: BytesLike) -> SecureChannel:
        """KS_enc, KS_mac from the shared secret; the SSC starts at zero (9303-11 §9.8.2)."""
        return SecureChannel(
            self.algorithm,
            derive_key(shared_secret, ENC, self.cipher),
            derive_key(shared_secret, MAC, self.cipher),
            bytes(self.block_size),
        )

    def token(self, k_mac: BytesLike, oid: bytes, public_key_object: bytes) -> bytes:
        """T = MAC(KS_mac, 7F49 {06 OID, 86/84 public key}) (9303-11 §4.4.3.4)."""
        data = tlv.encode(0x7F49, tlv.encode(0x06, oid) + public_key_object)
        if self.cipher is Cipher.DES3:  # retail MAC: padding method 2 is part of the algorithm
            return crypto.mac(self.algorithm, k_mac, data)
        signer = cmac.CMAC(algorithms.AES(k_mac))  # AES-CMAC pads internally (§4.4.3.4 note)
        signer.update(data)
        return signer.finalize()[:8]

    def encrypt_chip_data(self, k_enc: BytesLike, data: bytes) -> bytes:
        """PACE-CAM: A_IC = E(KS_enc, CA_IC), AES-CBC with IV = E(KS_enc, -1) (9303-11 §4.4.3.5)."""
        return crypto.encrypt(self.algorithm, k_enc, b"\xff" * self.block_size, data)

    def decrypt_chip_data(self, k_enc: BytesLike, data: bytes) -> bytes:
        return crypto.decrypt(self.algorithm, k_enc, b"\xff" * self.block_size, data)


def _aes_cbc(key: BytesLike) -> _CipherImpl[modes.CBC]:
    return _CipherImpl(algorithms.AES(key), modes.CBC(bytes(16)))


def password_reference(key: AccessKey) -> int:
    return PASSWORD_CAN if isinstance(key, CANKey) else PASSWORD_MRZ
