"""Remote chip authentication: network round trips and end-to-end time per verification, the
designed flows against relaying every APDU, with 0, 50, 100 and 150 ms of injected latency
(docs/benchmarks.md, "Remote chip authentication").

The service (`create_app`, SQLite, the test CSCAs trusted) runs under uvicorn on loopback; the
client (`mrtd.service.relay_client.prove_remotely`) reaches it through a delaying TCP proxy
that holds every chunk for half the latency in each direction, so a message and its answer
cost one latency. The chip is the simulated one in process; its modeled air time (about 10 ms
per short APDU at 424 kbit/s, `SimulatedChip.modeled_seconds`) is added to the wall time, as
a real reader would spend it. End to end: from the client's first APDU to the verdict.

    .venv/bin/python benchmarks/relay.py [--latencies 0,50,100,150] [--runs N] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import uvicorn

from mrtd.access.keys import MRZKey
from mrtd.readers.simulated import SimulatedReader
from mrtd.service.app import create_app
from mrtd.service.config import ServiceConfig
from mrtd.service.relay_client import RelayStats, prove_remotely
from mrtd.service.store import Store
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.pki import TestPKI
from mrtd.sim.profile import Profile
from mrtd.verify.trust import TrustStore

CHIPS: dict[str, dict[str, object]] = {
    "BAC+CA": {"ca": "ecdh-brainpoolP256r1-aes128"},
    "PACE-CAM": {
        "access": ["pace", "bac"],
        "pace": {"mapping": "CAM", "domain": "brainpoolP256r1", "cipher": "AES-128"},
    },
    "BAC+AA": {"aa": "rsa-1024-sha256"},
}


@dataclass
class Row:
    chip: str
    mode: str  # "proof" (the designed flow) or "relay" (every APDU)
    latency_ms: int
    verdict: str
    round_trips: int
    apdus_relayed: int
    apdus_local: int
    wall_seconds: float
    air_seconds: float

    @property
    def total(self) -> float:
        return self.wall_seconds + self.air_seconds


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def service() -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="mrtd-relay-bench-"))
    store = Store(f"sqlite:///{folder / 'bench.sqlite3'}")
    store.migrate()
    trust = TrustStore(allow_test_pki=True)
    trust.add_bytes(TestPKI().csca_pem(), "test CSCAs")
    app = create_app(ServiceConfig(database_url="unused://"), store=store, trust=trust)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           ws="websockets-sansio", lifespan="off"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        store.close()


@contextmanager
def delaying_proxy(target: str, latency: float) -> Iterator[str]:
    """A TCP proxy to `target` that delays each chunk by latency/2 each way, in order."""
    host, port = target.split(":")
    loop = asyncio.new_event_loop()
    listen = _free_port()

    async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, chunk = await queue.get()
                if not chunk:
                    break
                await asyncio.sleep(max(0.0, due - loop.time()))
                writer.write(chunk)
                await writer.drain()
            writer.close()

        sender = asyncio.ensure_future(deliver())
        while True:
            chunk = await reader.read(65536)
            await queue.put((loop.time() + latency / 2, chunk))
            if not chunk:
                break
        await sender

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(host, int(port))
        await asyncio.gather(pump(client_r, server_w), pump(server_r, client_w),
                             return_exceptions=True)  # fmt: skip

    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(asyncio.start_server(handle, "127.0.0.1", listen))
        started.set()
        loop.run_forever()
        server.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait()
    try:
        yield f"http://127.0.0.1:{listen}"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


def one(url: str, name: str, mode: str, latency_ms: int) -> Row:
    profile = Profile.from_dict({"chip": CHIPS[name]})
    chip = SimulatedChip(profile)
    reader = SimulatedReader(chip)
    stats = RelayStats()
    answer: dict[str, Any] = prove_remotely(url, reader, MRZKey.from_mrz(profile.mrz),
                                            mode=mode, stats=stats)  # type: ignore[arg-type]  # fmt: skip
    return Row(name, mode, latency_ms, answer["verdict"]["status"], stats.round_trips,
               stats.apdus_relayed, stats.apdus_local, stats.seconds,
               chip.modeled_seconds)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latencies", default="0,50,100,150", help="ms, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="runs of each designed flow")
    parser.add_argument("--relay-runs", type=int, default=1, help="runs of relay-everything")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    latencies = [int(x) for x in args.latencies.split(",")]
    rows: list[Row] = []
    with service() as target:
        for latency in latencies:
            with delaying_proxy(target, latency / 1000) as url:
                for name in CHIPS:
                    for mode, runs in (("proof", args.runs), ("relay", args.relay_runs)):
                        done = [one(url, name, mode, latency) for _ in range(runs)]
                        best = sorted(done, key=lambda r: r.total)[len(done) // 2]  # median
                        rows.append(best)
                        print(f"{name:9} {mode:6} {latency:4} ms  {best.verdict:8} "
                              f"{best.round_trips:4} RT {best.apdus_relayed:4} relayed "
                              f"{best.apdus_local:4} local  wall {best.wall_seconds:6.3f} s "
                              f"air {best.air_seconds:5.3f} s  total {best.total:6.3f} s",
                              file=sys.stderr, flush=True)  # fmt: skip
    print("| chip | flow | latency ms | verdict | round trips | APDUs relayed | APDUs local "
          "| network + host s | air s | end to end s |")  # fmt: skip
    print("|---|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        flow = "designed" if r.mode == "proof" else "every APDU"
        print(f"| {r.chip} | {flow} | {r.latency_ms} | {r.verdict} | {r.round_trips} | "
              f"{r.apdus_relayed} | {r.apdus_local} | {r.wall_seconds:.3f} | "
              f"{r.air_seconds:.3f} | {r.total:.3f} |")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps([asdict(r) | {"total": r.total} for r in rows], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
