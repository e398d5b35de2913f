"""The revisions, numbered in order (0001_initial, 0002_...). Alembic loads them by path."""
