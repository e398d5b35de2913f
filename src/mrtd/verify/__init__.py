"""Verification: Passive Authentication (EF.SOD hashes and signature); chain, Active and Chip
Authentication follow."""
