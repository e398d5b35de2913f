"""Remote chip authentication through the real PC/SC stack: the simulated chip behind pcscd
and vsmartcard's vpcd driver, read with `PCSCReader` by the library's relay client, the
service (uvicorn on loopback) proving it: a CA-only and a PACE-CAM chip read `genuine` with
the proof the service's own, their clones do not (conftest.py starts and stops pcscd)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mrtd.access.keys import MRZKey
from mrtd.service.relay_client import RelayStats, prove_remotely
from mrtd.service.store import Store
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.profile import Profile
from tests.interop.conftest import PCSCStack, require_pyscard, served
from tests.service.test_relay import CA_ONLY, MAX_ROUND_TRIPS, PACE_CAM, make_app, serve_in_thread

require_pyscard()

from mrtd.readers.pcsc import PCSCReader  # noqa: E402 - after the check: it needs pyscard


@pytest.mark.parametrize(
    ("settings", "clone"),
    [(CA_ONLY, False), (PACE_CAM, False), (CA_ONLY, True), (PACE_CAM, True)],
    ids=["bac-ca", "pace-cam", "bac-ca-clone", "pace-cam-clone"],
)
def test_remote_proof_through_pcscd(
    pcsc_stack: PCSCStack, tmp_path: Path, settings: dict[str, object], clone: bool
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'relay.sqlite3'}")
    store.migrate()
    data: dict[str, object] = {"chip": dict(settings)}
    if clone:
        data["faults"] = {"clone": True}
    profile = Profile.from_dict(data)
    chip = SimulatedChip(profile)
    stats = RelayStats()
    try:
        with serve_in_thread(make_app(store)) as url, served(chip, pcsc_stack) as bridge:
            reader = PCSCReader(pcsc_stack.readers[0], timeout=5)
            try:
                answer = prove_remotely(url, reader, MRZKey.from_mrz(profile.mrz), stats=stats)
            finally:
                reader.close()
        [record] = store.audit_records()
    finally:
        store.close()
    assert bridge.apdus == stats.apdus_local + stats.apdus_relayed  # all went through pcscd
    assert answer["verdict"]["status"] == ("failed" if clone else "genuine")
    assert answer["proven_by_server"]["chip"] == ("failed" if clone else "passed")
    assert answer["relay"]["round_trips"] <= MAX_ROUND_TRIPS
    assert record.verdict == answer["verdict"]["status"]
