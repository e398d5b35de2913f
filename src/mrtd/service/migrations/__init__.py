"""The Alembic migrations of the verification service's database, run by `Store.migrate()`.

`env.py` takes the connection (already in a transaction, under the migration lock) from
`config.attributes`; there is no alembic.ini. A new revision: copy the last file in `versions/`,
or generate one programmatically against this folder (`script_location`) with a numbered id
("0002") whose `down_revision` is the previous one.
"""
