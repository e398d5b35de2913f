"""Verification: Passive Authentication (`passive`: EF.SOD's hashes and signature, the Document
Signer's chain to a trusted CSCA in `chain`, CRLs in `crl`), the trust store (`trust`: CSCA
certificates, master lists, ICAO PKD LDIF, CRLs), signatures on any curve (`signature`),
Active Authentication (`active`) and Chip Authentication (`chip_auth`), each check's outcome
(`outcome`: `CheckOutcome`, `CheckStatus`) and the fail-closed `Verdict` over them (`verdict`).
Nothing here talks to a reader: a chip read, a dump and an upload are checked alike."""
