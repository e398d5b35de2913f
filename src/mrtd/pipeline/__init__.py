"""The read pipeline: everything between a reader and a `Document`.

`read_chip.read_document` runs a whole read (`from mrtd import read_document`). `session.Session`
drives the sans-I/O protocols over a `Transport` (access with BAC or PACE, secure messaging,
resume after the card left the field, cancel and deadline); `read_binary` reads one elementary
file (sans I/O); `clone_checks` runs Chip and Active Authentication during the read; `document`
parses what was read into a `Document`, verifies it, and does the same for files read before
(`verify_files`); `result` is what a read has produced so far (`ReadResult`, `Stats`, also
`MRTDError.partial`); `events` are the progress events an application receives.

This package imports none of them: importing one module does not load the others.
"""
