"""Tests of the verification service: its database (test_store) and, later, its application."""
