"""The verification service under load: verifications per second, p50 / p99 latency and CPU per
verification of `mrtd serve` with 1 and 2 workers on SQLite and PostgreSQL, against the
library's in-process `verify_upload` in the same run (docs/benchmarks.md).

One verification is what a phone or kiosk does against the service: POST /v1/challenges, the
chip signs the nonce (Active Authentication), POST /v1/verifications with the files as read:
two round trips. The simulated passport (RSA-1024 AA, 21 kB face) is read once; its AA key
then signs each challenge's nonce in a setup step that is not timed. Requests go through a
small asyncio HTTP/1.1 client over keep-alive connections, pre-encoded, so that the load
generator takes little of the machine (its CPU is reported). Per configuration:

- challenges are issued (closed loop; their CPU is measured) before each loop that redeems
  them, and signed;
- a probe: the same upload cut short by one byte, refused with a 400 (HTTP, routing, the
  JSON scan, a problem document);
- closed loops of C = 1, 2, 4, 8 clients (the number of workers at least), each sending its
  next upload once the last is answered, for S/2 seconds: the maximum rate is the best;
- an open loop at 80 % of that maximum, Poisson arrivals over every connection for S
  seconds, latency taken from each request's scheduled time (a stalled server is not
  hidden): p50 and p99, and the CPU per verification; then one at 50 %.

CPU is read from /proc/PID/stat of the `mrtd serve` processes and of the PostgreSQL
cluster's; /proc/stat says how much the rest of the machine used meanwhile. With 2 workers
the connections are spread evenly over the worker processes (found by their sockets). Every
answer must be 200 with verdict "genuine" (201 for a challenge); any other is counted and
fails the run. In this process, one thread: `verify_upload` over the same files (measured
again before each configuration, for the ratio), the steps of the two handlers called
without FastAPI, the application itself without uvicorn, and the database's calls.

    .venv/bin/python benchmarks/service.py [--quick] [--seconds S] [--clients C]
        [--configs sqlite-1 sqlite-2 postgres-1 postgres-2] [--json PATH]

--quick: 2-second phases and C = 2, 8 (about a minute); the default takes 3 to 5 minutes.
PostgreSQL runs as a private cluster (tests/service/postgres.py); without its programs the
PostgreSQL configurations are skipped, with a note.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import math
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mrtd.access.keys import MRZKey
from mrtd.pipeline.document import Document
from mrtd.pipeline.read_chip import read_document
from mrtd.pipeline.upload import parse_upload, verify_upload
from mrtd.readers.simulated import SimulatedReader
from mrtd.service.config import ServiceConfig
from mrtd.service.store import AuditRecord, Store
from mrtd.sim.active_auth_chip import ChipActiveAuthentication
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.profile import Profile

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))
from tests.service import chips  # noqa: E402 - the service tests' chips, trust and servers
from tests.service.postgres import PostgresCluster, PostgresUnavailableError  # noqa: E402
from tests.service.servers import serving, write_config  # noqa: E402

CONFIGS = ("sqlite-1", "sqlite-2", "postgres-1", "postgres-2")
OPEN_LOOP_SHARE = 0.8
LIGHTER_SHARE = 0.5  # a second open loop: where the latency stands with room to spare
KEEP_ALIVE_S = 2.0  # uvicorn closes a connection idle for 5 s: ping each before that
AIM_CPU_RATIO = 1.3
AIM_P99_MS = 100.0
TICK = os.sysconf("SC_CLK_TCK")
POLICY = ServiceConfig().policy  # the service's: strict, Active Authentication required


@dataclass
class Library:
    per_second: float
    cpu_us: float  # per verification, process time
    parse_upload_us: float  # the upload's JSON and base64 (the service's parse_upload)
    answer_us: float  # verdict.as_dict() through FastAPI's jsonable_encoder and json.dumps
    store: dict[str, StoreCost] = field(default_factory=dict)
    asgi_us: dict[str, float] = field(default_factory=dict)  # the app in process, no HTTP
    handler_us: dict[str, float] = field(default_factory=dict)  # the handlers' steps, no app


@dataclass
class StoreCost:
    """The database work of one verification, in process: issue a challenge, look its nonce
    up, redeem it and write the audit record (the service's three transactions)."""

    client_cpu_us: float  # this process: SQLAlchemy, the driver (and SQLite itself)
    server_cpu_us: float  # PostgreSQL's processes
    statements: float  # SQL statements sent per verification
    transactions: float


@dataclass
class Phase:
    requests: int
    failures: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float
    service_cpu_us: float  # per request: the mrtd serve processes
    database_cpu_us: float  # per request: PostgreSQL's processes (0 for SQLite: in process)
    generator_cpu_us: float  # per request: this process, the load generator
    worker_share: list[float] = field(default_factory=list)  # of the service CPU, per process
    clients: int = 0  # connections used
    others_cores: float = 0.0  # CPU used by the rest of the machine meanwhile, in cores
    kernel_share: float = 0.0  # of the service's CPU, in the kernel (system time)


@dataclass
class Run:
    config: str
    challenges: list[Phase]  # issuing the uploads' challenges, before each closed loop
    closed: list[Phase]  # closed loops, one per number of clients
    best: Phase  # the closed loop of the highest rate: the maximum
    open: Phase  # Poisson arrivals at 80 % of the maximum
    light: Phase  # and at 50 %
    stack: Phase  # the same upload refused at its last byte: HTTP, routing, a 400 answer
    target_per_second: float
    challenge_cpu_us: float  # service and database, per challenge issued
    cpu_per_verification_us: float  # challenge + verification at 80 %: service and database
    library_cpu_us: float  # the library's CPU per verification, measured just before
    cpu_ratio: float  # cpu_per_verification_us / library_cpu_us
    round_trips: int = 2  # HTTP requests per verification: POST challenge, POST upload


# -- the simulated chip and its uploads ------------------------------------------------------


def read_chip() -> tuple[Document, ChipActiveAuthentication]:
    """The simulated passport with RSA-1024 AA, read once; its AA key signs every nonce."""
    profile = Profile.from_dict({"chip": dict(chips.AA_RSA)})
    chip = SimulatedChip(profile)
    document = read_document(SimulatedReader(chip), MRZKey.from_mrz(profile.mrz))
    active = chip.keys.active
    assert active is not None
    return document, active


def upload_body(document: Document, challenge_id: str, signature: bytes) -> bytes:
    body = chips.upload(document, challenge_id, signature=signature)
    return json.dumps(body, separators=(",", ":")).encode()


def request(path: str, body: bytes = b"") -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


CHALLENGE_REQUEST = request("/v1/challenges")
HEALTH_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"


# -- the library, in process -----------------------------------------------------------------


def per_call_us(call: Callable[[], object], seconds: float) -> tuple[float, float]:
    """(calls per second by the wall clock, process CPU µs per call) over `seconds`."""
    count, started, cpu = 0, time.perf_counter(), time.process_time()
    deadline = started + seconds
    while (now := time.perf_counter()) < deadline:
        call()
        count += 1
    return count / (now - started), (time.process_time() - cpu) * 1e6 / count


def signed_nonces(active: ChipActiveAuthentication, count: int = 64) -> list[tuple[bytes, bytes]]:
    return [(nonce, active.sign(nonce)) for nonce in (os.urandom(8) for _ in range(count))]


def library_rate(
    document: Document, signed: list[tuple[bytes, bytes]], seconds: float
) -> tuple[float, float]:
    """verify_upload over the files as read, in this process: (per second, CPU µs each)."""
    pairs = iter(signed * 1_000_000)

    def verify() -> None:
        nonce, signature = next(pairs)
        verdict = verify_upload(
            document.files, challenge=nonce, signature=signature, trust=chips.trust(),
            policy=POLICY,
        ).verdict  # fmt: skip
        if verdict.summary != "genuine":
            raise SystemExit(f"library: {verdict.summary} {verdict.codes}")

    for _ in range(20):
        verify()
    return per_call_us(verify, seconds)


def bench_library(document: Document, active: ChipActiveAuthentication, seconds: float) -> Library:
    signed = signed_nonces(active)
    rate, cpu = library_rate(document, signed, seconds)
    body = upload_body(document, uuid.uuid4().hex, signed[0][1])
    _, parse = per_call_us(lambda: parse_upload(body, "auto"), seconds / 4)
    nonce, signature = signed[0]
    verdict = verify_upload(
        document.files, challenge=nonce, signature=signature, trust=chips.trust(), policy=POLICY
    ).verdict
    from fastapi.encoders import jsonable_encoder  # noqa: PLC0415 - the service extra

    answer = {"verification_id": uuid.uuid4().hex, "time": "2026-12-06T14:00:00Z",
              "verdict": verdict.as_dict(), "proven_by_server": {"passive": "passed"}}  # fmt: skip
    _, encode = per_call_us(lambda: json.dumps(jsonable_encoder(answer)), seconds / 4)
    return Library(rate, cpu, parse, encode)


def bench_store(url: str, postmaster: int | None, count: int) -> StoreCost:
    """The service's database calls for `count` verifications, in this process."""
    from sqlalchemy import event  # noqa: PLC0415 - the service extra

    store = Store(url)
    store.migrate()
    statements, transactions = 0, 0

    def on_statement(*_: object) -> None:
        nonlocal statements
        statements += 1

    def on_commit(*_: object) -> None:
        nonlocal transactions
        transactions += 1

    engine = store._engine
    ttl = timedelta(minutes=5)

    def once() -> None:
        now = datetime.now(UTC)
        challenge = store.issue_challenge(now=now, ttl=ttl)
        store.challenge_nonce(challenge.id, now=now)
        record = AuditRecord(
            verification_id=uuid.uuid4().hex, time=now, document_number="L898902C3",
            subject="customer-4711", client_ip="127.0.0.1", verdict="genuine", reason_codes=(),
            policy=POLICY.name, challenge_id=challenge.id,
        )  # fmt: skip
        store.commit_verification(record, now=now)

    try:
        for _ in range(50):
            once()
        event.listen(engine, "before_cursor_execute", on_statement)
        event.listen(engine, "commit", on_commit)
        database = tree_ticks(postmaster) if postmaster else {}
        cpu = time.process_time()
        for _ in range(count):
            once()
        client = (time.process_time() - cpu) * 1e6 / count
        server = ticks_since(postmaster, database) * 1e6 / TICK / count if postmaster else 0.0
    finally:
        store.close()
    return StoreCost(client, server, statements / count, transactions / count)


def bench_handler(
    document: Document, active: ChipActiveAuthentication, url: str, folder: Path, count: int
) -> dict[str, float]:
    """What the two handlers do, called in sequence in this process without FastAPI: issue a
    challenge; parse the upload, look the nonce up, verify, redeem and record, encode the
    answer. CPU µs per step of one verification."""
    from fastapi.encoders import jsonable_encoder  # noqa: PLC0415 - the service extra

    from mrtd.service.app import load_trust  # noqa: PLC0415
    from mrtd.service.config import load_config  # noqa: PLC0415

    config = load_config(write_config(folder, url))
    store, trust = Store(config.database_url), load_trust(config)
    store.migrate()
    spent = dict.fromkeys(("challenge", "parse", "nonce", "verify", "commit", "answer"), 0.0)
    try:
        for done in range(count + 20):
            clock = time.process_time()
            challenge = store.issue_challenge(now=datetime.now(UTC), ttl=config.challenge_ttl)
            steps = [time.process_time() - clock]
            body = upload_body(document, challenge.id, active.sign(challenge.nonce))
            clock = time.process_time()
            upload = parse_upload(body, "auto")
            steps.append(time.process_time() - clock)
            clock, now = time.process_time(), datetime.now(UTC)
            assert upload.challenge_id is not None
            nonce = store.challenge_nonce(upload.challenge_id, now=now)
            steps.append(time.process_time() - clock)
            clock = time.process_time()
            verified = verify_upload(upload, challenge=nonce, trust=trust, policy=config.policy,
                                     today=now.date(), now=now)  # fmt: skip
            steps.append(time.process_time() - clock)
            clock, verdict = time.process_time(), verified.verdict
            record = AuditRecord(
                verification_id=uuid.uuid4().hex, time=now, document_number="L898902C3",
                subject=upload.subject, client_ip="127.0.0.1", verdict=str(verdict.status),
                reason_codes=verdict.codes, policy=verdict.policy.name,
                challenge_id=upload.challenge_id,
            )  # fmt: skip
            store.commit_verification(record, now=now)
            steps.append(time.process_time() - clock)
            clock = time.process_time()
            json.dumps(jsonable_encoder({"verification_id": record.verification_id,
                                         "verdict": verdict.as_dict()}))  # fmt: skip
            steps.append(time.process_time() - clock)
            if verdict.summary != "genuine":
                raise SystemExit(f"handlers in process: {verdict.summary} {verdict.codes}")
            if done >= 20:  # the first ones warm up
                for name, seconds in zip(spent, steps, strict=True):
                    spent[name] += seconds
    finally:
        store.close()
    return {name: seconds * 1e6 / count for name, seconds in spent.items()}


async def asgi_exchange(app: Any, path: str, body: bytes = b"") -> tuple[int, bytes]:
    """One POST straight to the ASGI application: no socket, no HTTP parsing."""
    headers = [(b"host", b"bench"), (b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]  # fmt: skip
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    answered, delivered = asyncio.Event(), False
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                answered.set()

    await app(scope, receive, send)
    return status, b"".join(chunks)


def bench_asgi(
    document: Document, active: ChipActiveAuthentication, url: str, folder: Path, count: int
) -> dict[str, float]:
    """The service's application in this process, one request at a time, without uvicorn:
    CPU µs per challenge and per verification (FastAPI, Starlette, the handlers, their
    thread-pool hops, the database). The chip's signature is made outside the timing."""
    from mrtd.service.app import create_app  # noqa: PLC0415 - the service extra
    from mrtd.service.config import load_config  # noqa: PLC0415

    app = create_app(load_config(write_config(folder, url)))
    spent = {"challenge": 0.0, "verification": 0.0}

    async def run() -> None:
        for rounds, timed in ((20, False), (count, True)):  # the first round warms up
            started = time.process_time()
            answers = [await asgi_exchange(app, "/v1/challenges") for _ in range(rounds)]
            issued = time.process_time() - started
            bodies = []
            for status, answer in answers:
                if status != 201:
                    raise SystemExit(f"in process: challenge {status} {answer[:300]!r}")
                challenge = json.loads(answer)
                signature = active.sign(base64.b64decode(challenge["nonce"]))
                bodies.append(upload_body(document, challenge["id"], signature))
            started = time.process_time()
            answers = [await asgi_exchange(app, "/v1/verifications", body) for body in bodies]
            verified = time.process_time() - started
            if any(status != 200 or not _genuine(answer) for status, answer in answers):
                raise SystemExit("in process: a verification failed")
            if timed:
                spent["challenge"], spent["verification"] = issued, verified

    asyncio.run(run())
    return {name: seconds * 1e6 / count for name, seconds in spent.items()}


# -- CPU of other processes ------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, int, int] | None:
    """(parent pid, utime + stime, stime) in clock ticks of a process, None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[12])


def _processes() -> dict[int, tuple[int, int, int]]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            found[int(entry.name)] = stat
    return found


def tree_ticks(root: int, *, system: bool = False) -> dict[int, int]:
    """CPU ticks (or only the kernel's) of `root` and each of its descendants, by pid."""
    processes = _processes()
    tree, frontier = {}, [root]
    while frontier:
        pid = frontier.pop()
        if pid in processes:
            tree[pid] = processes[pid][2 if system else 1]
            frontier += [child for child, (parent, *_) in processes.items() if parent == pid]
    return tree


def ticks_since(root: int, before: dict[int, int]) -> int:
    return sum(ticks - before.get(pid, 0) for pid, ticks in tree_ticks(root).items())


def serve_pid(config: Path) -> int:
    """The `mrtd serve` process started with `config` (servers.serving names no PID)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                words = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"serve" in words and os.fsencode(config) in words:
                return int(entry.name)
    raise RuntimeError(f"no mrtd serve process for {config}")


@dataclass
class Spent:
    """CPU seconds between CPUMeter.start() and stop()."""

    service: float  # the mrtd serve processes
    database: float  # the PostgreSQL cluster's processes
    generator: float  # this process
    others: float  # every other process of the machine (/proc/stat's busy time)
    wall: float
    shares: list[float]  # each service process's share of the service's CPU
    system: float  # the kernel's part of the service's CPU


class CPUMeter:
    """CPU of the service's, the database's, this process's and the rest of the machine's."""

    def __init__(self, service: int, database: int | None) -> None:
        self.service, self.database = service, database

    def start(self) -> None:
        self._service = tree_ticks(self.service)
        self._system = sum(tree_ticks(self.service, system=True).values())
        self._database = tree_ticks(self.database) if self.database else {}
        self._self, self._busy, self._wall = _own_cpu(), _busy_ticks(), time.perf_counter()

    def stop(self) -> Spent:
        now = tree_ticks(self.service)
        spent = {pid: ticks - self._service.get(pid, 0) for pid, ticks in now.items()}
        total = sum(spent.values())
        database = ticks_since(self.database, self._database) if self.database else 0
        shares = sorted((t / total for t in spent.values() if t), reverse=True) if total else []
        generator = _own_cpu() - self._self
        busy = (_busy_ticks() - self._busy) / TICK
        service_s, database_s = total / TICK, database / TICK
        others = max(0.0, busy - service_s - database_s - generator)
        system = (sum(tree_ticks(self.service, system=True).values()) - self._system) / TICK
        return Spent(service_s, database_s, generator, others,
                     time.perf_counter() - self._wall, shares, system)  # fmt: skip


def _busy_ticks() -> int:
    """The machine's busy CPU ticks: all but idle and iowait (/proc/stat)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return sum(fields) - fields[3] - fields[4]


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- the load generator ----------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection: a request as bytes in, (status, body) out."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        return cls(*await asyncio.open_connection(host, port))

    async def exchange(self, message: bytes) -> tuple[int, bytes]:
        self.writer.write(message)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise RuntimeError("an answer without Content-Length")
        return int(head[9:12]), await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    answers: list[bytes] = field(default_factory=list)
    last: float = 0.0

    def record(self, expected: int, status: int, body: bytes, started: float, keep: bool) -> None:
        self.last = time.perf_counter()
        self.latencies.append(self.last - started)
        if status != expected:
            self.failures += 1
            if self.failures <= 3:
                print(f"  answer {status}: {body[:300]!r}", file=sys.stderr)
        elif keep:
            self.answers.append(body)
        elif not _genuine(body):
            self.failures += 1


def _genuine(body: bytes) -> bool:
    verdict = json.loads(body).get("verdict", {})
    return bool(verdict.get("status") == "genuine")


async def closed_loop(
    connections: list[Connection], messages: list[bytes], expected: int, seconds: float,
    *, keep: bool = False, idle: list[Connection] | None = None,
) -> tuple[Tally, float]:  # fmt: skip
    """Each connection sends its next message as soon as the last is answered, until the
    messages run out or `seconds` pass. The tally and the seconds from start to last answer.
    `idle` connections are kept open meanwhile (GET /healthz every KEEP_ALIVE_S)."""
    tally, pending = Tally(), iter(messages)
    started = time.perf_counter()
    deadline = started + seconds

    async def client(connection: Connection) -> None:
        for message in pending:
            sent = time.perf_counter()
            status, body = await connection.exchange(message)
            tally.record(expected, status, body, sent, keep)
            if tally.last >= deadline:
                return

    done = asyncio.Event()

    async def keep_open() -> None:
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), KEEP_ALIVE_S)
            if not done.is_set():  # never cut an exchange short: the connection would desync
                await asyncio.gather(*(c.exchange(HEALTH_REQUEST) for c in idle or ()))

    pinger = asyncio.create_task(keep_open())
    try:
        await asyncio.gather(*(client(c) for c in connections))
    finally:
        done.set()
        await pinger
    return tally, tally.last - started


async def open_loop(
    connections: list[Connection], messages: list[bytes], per_second: float
) -> tuple[Tally, float]:
    """Poisson arrivals at `per_second`, each on an idle connection (or waiting for one);
    latency from the request's scheduled time."""
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for connection in connections:
        idle.put_nowait(connection)
    tally, arrivals = Tally(), random.Random(9303)
    started = time.perf_counter()

    async def send(message: bytes, scheduled: float) -> None:
        connection = await idle.get()
        status, body = await connection.exchange(message)
        tally.record(200, status, body, scheduled, False)
        idle.put_nowait(connection)

    tasks, scheduled = [], started
    for message in messages:
        scheduled += arrivals.expovariate(per_second)
        if (wait := scheduled - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(send(message, scheduled)))
    await asyncio.gather(*tasks)
    return tally, tally.last - started


def phase(tally: Tally, seconds: float, spent: Spent) -> Phase:
    count = len(tally.latencies)
    ordered = sorted(tally.latencies)

    def quantile(q: float) -> float:
        return ordered[min(count - 1, math.ceil(q * count) - 1)] * 1000 if count else math.nan

    return Phase(
        count, tally.failures, seconds, count / seconds if seconds else 0.0, quantile(0.50),
        quantile(0.99), spent.service * 1e6 / count, spent.database * 1e6 / count,
        spent.generator * 1e6 / count, [round(s, 3) for s in spent.shares],
        others_cores=spent.others / spent.wall,
        kernel_share=spent.system / spent.service if spent.service else 0.0,
    )  # fmt: skip


# -- one configuration -----------------------------------------------------------------------


@dataclass
class Setup:
    document: Document
    active: ChipActiveAuthentication
    library: Library
    seconds: float
    clients: int
    sweep: tuple[int, ...]
    sign_us: list[float] = field(default_factory=list)


async def prepare(
    setup: Setup, connections: list[Connection], count: int, meter: CPUMeter | None
) -> tuple[list[bytes], Phase | None]:
    """`count` uploads, each over its own challenge issued by the server under test."""
    if meter:
        meter.start()
    tally, seconds = await closed_loop(
        connections, [CHALLENGE_REQUEST] * count, 201, math.inf, keep=True
    )
    issued = phase(tally, seconds, meter.stop()) if meter else None
    if tally.failures:
        raise SystemExit(f"{tally.failures} challenges refused")
    started, bodies = time.perf_counter(), []
    pinged = started
    for answer in tally.answers:
        challenge = json.loads(answer)
        signature = setup.active.sign(base64.b64decode(challenge["nonce"]))
        bodies.append(request("/v1/verifications", upload_body(setup.document, challenge["id"],
                                                                 signature)))  # fmt: skip
        if time.perf_counter() - pinged > KEEP_ALIVE_S:  # uvicorn closes idle connections
            await asyncio.gather(*(c.exchange(HEALTH_REQUEST) for c in connections))
            pinged = time.perf_counter()
    setup.sign_us.append((time.perf_counter() - started) * 1e6 / count)
    return bodies, issued


def socket_owners(root: int, port: int) -> dict[int, int]:
    """The pid of the `mrtd serve` process holding each connection to `port`, by the
    connection's client port (/proc/PID/fd and /proc/net/tcp)."""
    owners = {}
    for pid in tree_ticks(root):
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        owners[int(target[8:-1])] = pid
    found = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], int(fields[9])
        if int(local.split(":")[1], 16) == port and inode in owners:
            found[int(remote.split(":")[1], 16)] = owners[inode]
    return found


async def balanced_connections(
    host: str, port: int, root: int, workers: int, count: int
) -> list[Connection]:
    """`count` keep-alive connections, as many to each worker process, in turn: the kernel
    hands each new connection to one worker, and a load balancer's many clients would spread
    evenly; a handful of benchmark connections need not."""
    by_worker: dict[int, list[Connection]] = {}
    surplus: list[Connection] = []
    for _ in range(count * 8):
        connection = await Connection.open(host, port)
        status, _ = await connection.exchange(HEALTH_REQUEST)  # accepted and answered
        if status != 200:
            raise SystemExit(f"/healthz answered {status}")
        client_port = connection.writer.get_extra_info("sockname")[1]
        owner = socket_owners(root, port).get(client_port, 0)
        group = by_worker.setdefault(owner, [])
        (group if len(group) < count // workers else surplus).append(connection)
        if len(by_worker) >= workers and all(
            len(g) >= count // workers for g in by_worker.values()
        ):
            break
    for connection in surplus:
        connection.close()
    groups = list(by_worker.values())
    if len(groups) < workers:
        raise SystemExit(f"connections reached {len(groups)} of {workers} workers")
    return [c for turn in zip(*groups, strict=False) for c in turn]


async def measure(setup: Setup, name: str, url: str, meter: CPUMeter, workers: int) -> Run:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    connections = await balanced_connections(host, int(port), meter.service, workers,
                                             setup.clients)  # fmt: skip
    issued: list[Phase] = []
    closed: list[Phase] = []
    try:
        warm, _ = await prepare(setup, connections, 60 * workers, None)
        few, rest = connections[: 2 * workers], connections[2 * workers :]
        tally, seconds = await closed_loop(few, warm, 200, math.inf, idle=rest)
        if tally.failures:
            raise SystemExit(f"{name}: {tally.failures} of the warm-up verifications failed")
        estimate = len(warm) / seconds
        # the HTTP stack: the same 30 kB upload, refused when its JSON ends too soon (400)
        refused = request("/v1/verifications", upload_body_of(warm[0])[:-1])
        meter.start()
        tally, seconds = await closed_loop(few,
                                           [refused] * int(estimate * setup.seconds / 4 + 50),
                                           400, math.inf, idle=rest)  # fmt: skip
        stack = replace(phase(tally, seconds, meter.stop()), clients=2 * workers)
        for clients in (c for c in setup.sweep if workers <= c <= len(connections)):
            count = int(estimate * 1.3 * setup.seconds / 2) + 50
            uploads, challenges = await prepare(setup, connections, count, meter)
            assert challenges is not None
            issued.append(challenges)
            meter.start()
            tally, seconds = await closed_loop(connections[:clients], uploads, 200,
                                               setup.seconds / 2,
                                               idle=connections[clients:])  # fmt: skip
            closed.append(replace(phase(tally, seconds, meter.stop()), clients=clients))
            estimate = max(estimate, closed[-1].per_second)
        best = max(closed, key=lambda p: p.per_second)
        target = best.per_second * OPEN_LOOP_SHARE
        uploads, _ = await prepare(setup, connections, int(target * setup.seconds), None)
        meter.start()
        tally, seconds = await open_loop(connections, uploads, target)
        opened = replace(phase(tally, seconds, meter.stop()), clients=len(connections))
        lighter = best.per_second * LIGHTER_SHARE
        uploads, _ = await prepare(setup, connections, int(lighter * setup.seconds), None)
        meter.start()
        tally, seconds = await open_loop(connections, uploads, lighter)
        light = replace(phase(tally, seconds, meter.stop()), clients=len(connections))
    finally:
        for connection in connections:
            connection.close()
    challenge_cpu = sum((p.service_cpu_us + p.database_cpu_us) * p.requests for p in issued)
    challenge_us = challenge_cpu / sum(p.requests for p in issued)
    cpu = opened.service_cpu_us + opened.database_cpu_us + challenge_us
    return Run(name, issued, closed, best, opened, light, stack, target, challenge_us, cpu,
               setup.library.cpu_us, cpu / setup.library.cpu_us)  # fmt: skip


def upload_body_of(message: bytes) -> bytes:
    return message[message.index(b"\r\n\r\n") + 4 :]


def run_config(setup: Setup, name: str, url: str, folder: Path, postmaster: int | None) -> Run:
    workers = int(name.rsplit("-", 1)[1])
    config = write_config(folder, url)
    # the library again, just before: the ratio compares figures taken minutes apart at most
    _, library_us = library_rate(setup.document, signed_nonces(setup.active, 16), setup.seconds / 2)
    with serving(config, workers=workers, timeout=60) as base:
        meter = CPUMeter(serve_pid(config), postmaster)
        run = asyncio.run(measure(setup, name, base, meter, workers))
    return replace(
        run, library_cpu_us=library_us, cpu_ratio=run.cpu_per_verification_us / library_us
    )


# -- report ----------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    model = platform.processor() or "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def report(library: Library, runs: list[Run], setup: Setup) -> None:
    print(f"\nlibrary, in process, one thread: {library.per_second:,.0f} verifications/s, "
          f"{library.cpu_us:,.0f} µs CPU each")  # fmt: skip
    print(f"  parse_upload (JSON, base64) {library.parse_upload_us:,.0f} µs; answer encoding "
          f"(as_dict, jsonable_encoder, json.dumps) {library.answer_us:,.0f} µs")  # fmt: skip
    for name, cost in library.store.items():
        print(f"  database calls, {name}: {cost.client_cpu_us:,.0f} µs here + "
              f"{cost.server_cpu_us:,.0f} µs in the server, {cost.statements:.1f} statements, "
              f"{cost.transactions:.1f} transactions per verification")  # fmt: skip
    steps = ", ".join(f"{name} {us:,.0f}" for name, us in library.handler_us.items())
    print(f"  the handlers' steps in process, no FastAPI (SQLite), µs: {steps};"
          f" sum {sum(library.handler_us.values()):,.0f}")  # fmt: skip
    asgi = library.asgi_us
    print(f"  the application in process (FastAPI, no uvicorn, SQLite, one request at a time):"
          f" challenge {asgi['challenge']:,.0f} µs, verification {asgi['verification']:,.0f}"
          f" µs")  # fmt: skip
    sign = statistics.median(setup.sign_us) if setup.sign_us else math.nan
    print(f"  setup, not timed: AA signature by the simulated chip and the request {sign:,.0f} µs")
    print(
        f"\n{'config':<10} {'max /s':>6} {'C':>2} {'80% /s':>6} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'chall.':>6} {'verif.':>6} {'DB':>5} {'CPU':>6} {'lib.':>5} {'ratio':>6}"
        f" {'400':>5} {'gen.':>5} {'others':>6} {'failed':>6} {'50% p99':>7}"
    )
    for run in runs:
        best, opened, stack = run.best, run.open, run.stack
        failed = sum(p.failures for p in [opened, run.light, *run.closed, *run.challenges])
        verification = opened.service_cpu_us + opened.database_cpu_us
        print(
            f"{run.config:<10} {best.per_second:>6,.0f} {best.clients:>2}"
            f" {opened.per_second:>6,.0f} {opened.p50_ms:>7.1f} {opened.p99_ms:>7.1f}"
            f" {run.challenge_cpu_us:>6,.0f} {verification:>6,.0f}"
            f" {opened.database_cpu_us:>5,.0f} {run.cpu_per_verification_us:>6,.0f}"
            f" {run.library_cpu_us:>5,.0f} {run.cpu_ratio:>5.2f}x {stack.service_cpu_us:>5,.0f}"
            f" {opened.generator_cpu_us:>5,.0f} {opened.others_cores:>6.2f} {failed:>6}"
            f" {run.light.p99_ms:>7.1f}"
        )
    print(
        "\nmax /s: the best closed loop, with C clients; p50, p99: open loop at 80 % of it."
        "\nCPU µs per request: chall. = POST /v1/challenges, verif. = POST /v1/verifications"
        " at 80 % (service and database processes; DB = PostgreSQL's part), CPU = both"
        " (2 round trips), lib. = verify_upload in process just before, ratio = CPU / lib.;"
        "\n400 = the same upload refused at its last byte (HTTP, routing, JSON scan);"
        " gen. = the load generator; others = cores used by the rest of the machine;"
        "\n50% p99: the open loop at 50 % of the maximum."
    )
    for run in runs:
        loops = ", ".join(
            f"C={p.clients} {p.per_second:,.0f}/s {p.service_cpu_us + p.database_cpu_us:,.0f} µs"
            f" (kernel {p.kernel_share:.0%})"
            for p in run.closed
        )
        print(f"{run.config} closed loops: {loops}; 400s: kernel {run.stack.kernel_share:.0%};"
              f" at 80 %: kernel {run.open.kernel_share:.0%}, worker shares"
              f" {run.open.worker_share}")  # fmt: skip
    for run in runs:
        cpu_met = run.cpu_ratio <= AIM_CPU_RATIO
        latency_met = run.open.p99_ms < AIM_P99_MS
        print(f"aims, {run.config}: CPU {run.cpu_ratio:.2f}x the library's "
              f"({'met' if cpu_met else 'not met'}: <= {AIM_CPU_RATIO}x); p99 "
              f"{run.open.p99_ms:.1f} ms at 80 % ({'met' if latency_met else 'not met'}: "
              f"< {AIM_P99_MS:.0f} ms)")  # fmt: skip


@contextmanager
def postgres() -> Iterator[PostgresCluster | None]:
    try:
        cluster = PostgresCluster()
    except PostgresUnavailableError as exc:
        print(f"PostgreSQL skipped: {exc}", file=sys.stderr)
        yield None
        return
    with cluster:
        yield cluster


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="per load phase")
    parser.add_argument("--clients", type=int, default=16, help="keep-alive connections")
    parser.add_argument("--configs", nargs="+", choices=CONFIGS, default=list(CONFIGS))
    parser.add_argument("--quick", action="store_true", help="2-second phases")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    seconds = 2.0 if args.quick else args.seconds
    started = time.perf_counter()
    document, active = read_chip()
    library = bench_library(document, active, seconds)
    sweep = (2, 8) if args.quick else (1, 2, 4, 8)
    setup = Setup(document, active, library, seconds, args.clients, sweep)
    runs = []
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mrtd-bench-")))
        library.store["sqlite"] = bench_store(f"sqlite:///{folder / 'store.sqlite3'}", None, 500)
        library.handler_us = bench_handler(
            document, active, f"sqlite:///{folder / 'handler.sqlite3'}", folder, 300
        )
        library.asgi_us = bench_asgi(
            document, active, f"sqlite:///{folder / 'asgi.sqlite3'}", folder, 300
        )
        cluster = (
            stack.enter_context(postgres())
            if any(c.startswith("postgres") for c in args.configs)
            else None
        )
        postmaster = None
        if cluster is not None:
            postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
            url = cluster.create_database("store")
            library.store["postgres"] = bench_store(url, postmaster, 500)
        for name in args.configs:
            if name.startswith("postgres"):
                if cluster is None:
                    continue
                url = cluster.create_database(name.replace("-", "_"))
                run = run_config(setup, name, url, folder, postmaster)
            else:
                url = f"sqlite:///{folder / (name + '.sqlite3')}"
                run = run_config(setup, name, url, folder, None)
            runs.append(run)
            print(f"{name}: {run.best.per_second:,.0f}/s closed loop, p99 "
                  f"{run.open.p99_ms:.1f} ms at {run.open.per_second:,.0f}/s",
                  file=sys.stderr)  # fmt: skip
    print(f"machine: {machine()}")
    report(library, runs, setup)
    print(f"run took {time.perf_counter() - started:.0f} s")
    if args.json:
        figures = {"machine": machine(), "seconds": seconds, "clients": args.clients,
                   "library": asdict(library), "runs": [asdict(r) for r in runs]}  # fmt: skip
        args.json.write_text(json.dumps(figures, indent=2))
    failed = sum(p.failures for r in runs for p in [r.open, r.light, *r.closed, *r.challenges])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
