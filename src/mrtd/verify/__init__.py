"""Verification: Passive Authentication (`passive`: EF.SOD hashes and signature, the DS chain to
a trusted CSCA in `chain`, CRLs), the trust store (`trust`: certificates, master lists, LDIF,
CRLs) and signature checks on any curve (`signature`). Active and Chip Authentication follow."""
