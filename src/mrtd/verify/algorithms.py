"""The algorithms a Document Signer's signature relied on, for a policy to judge
(`mrtd.verify.verdict`): EF.SOD's (`mrtd.verify.passive`) and EF.CardSecurity's
(`mrtd.verify.card_security`). Its own module so that both can name it."""

from __future__ import annotations

from dataclasses import dataclass

from mrtd.verify.signature import SignatureInfo

__all__ = ["Algorithms"]


@dataclass(frozen=True, slots=True)
class Algorithms:
    """Every algorithm Passive Authentication (or EF.CardSecurity's check) relied on, for a
    policy to judge.

    `data_group_hash` hashes the data groups (the LDSSecurityObject's hashAlgorithm; "" for
    EF.CardSecurity, which hashes none);
    `signed_attributes_hash` the SignerInfo's digestAlgorithm (the hash of the LDS security
    object in the signed attributes); `ds_signature` EF.SOD's signature, with the DS
    certificate's key; `csca_signature` the signature on the DS certificate, with the key of
    the CSCA that verified it (None for the key when no trusted CSCA did).
    """

    data_group_hash: str
    signed_attributes_hash: str
    ds_signature: SignatureInfo | None = None
    csca_signature: SignatureInfo | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "data_group_hash": self.data_group_hash,
            "signed_attributes_hash": self.signed_attributes_hash,
            "ds_signature": self.ds_signature.as_dict() if self.ds_signature else None,
            "csca_signature": self.csca_signature.as_dict() if self.csca_signature else None,
        }
