"""Reading from an application: progress events in order, cancel from another thread, a
timeout for the whole read, and what was read carried on the exception (`.partial`)."""

from __future__ import annotations

import queue
import threading
from typing import Any

import pytest

from mrtd import errors
from mrtd.access.keys import CANKey, MRZKey
from mrtd.errors import CardRemovedError, ReadCancelledError, SecureMessagingError
from mrtd.lds.files import LDS_FILES
from mrtd.pipeline.events import (
    AccessOpened,
    AccessStarted,
    CheckDone,
    FileDone,
    FileProgress,
    ReadEvent,
    WaitingForCard,
)
from mrtd.pipeline.read_chip import read_document
from mrtd.readers.open import open_reader
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.profile import Profile

DEFAULT = Profile.default()
SOD_FID = LDS_FILES["EF.SOD"].fid
KEY = MRZKey.from_mrz(DEFAULT.mrz)
PACE_CAM = {
    "access": ["pace", "bac"],
    "can": "123456",
    "pace": {"mapping": "CAM", "domain": "brainpoolP256r1", "cipher": "AES-128"},
    "aa": "ecdsa-brainpoolP256r1-sha256",
}


def _reader(chip: dict[str, Any] | None = None, **faults: Any) -> SimulatedReader:
    return SimulatedReader(SimulatedChip(Profile.from_dict({"chip": chip or {}, "faults": faults})))


def _outline(events: list[ReadEvent]) -> list[tuple[Any, ...]]:
    """The events without the chunk-by-chunk progress, as comparable tuples."""
    outline: list[tuple[Any, ...]] = []
    for event in events:
        if isinstance(event, CheckDone):
            outline.append(("CheckDone", event.check, str(event.outcome.status)))
        elif not isinstance(event, FileProgress):
            outline.append((type(event).__name__, *(getattr(event, f) for f in event.__slots__)))
    return outline


def _check_progress(events: list[ReadEvent]) -> None:
    """Each file's progress grows to its size, and ends before its FileDone."""
    done: dict[str, int] = {}
    for event in events:
        if isinstance(event, FileProgress):
            assert event.done > done.get(event.name, 0)
            assert event.total is None or event.done <= event.total
            done[event.name] = event.done
        elif isinstance(event, FileDone) and event.status == "read" and event.name in done:
            assert done.pop(event.name) == event.size
    assert not done


def test_events_of_a_bac_read_by_reader_name_in_order() -> None:
    events: list[ReadEvent] = []
    document = read_document("sim", KEY, on_event=events.append)
    sizes = {name: len(data) for name, data in document.files.items()}
    assert _outline(events) == [
        ("WaitingForCard", "sim", 10.0, False),
        ("AccessStarted", "BAC", ""),
        ("AccessOpened", "BAC", False),
        ("FileDone", "EF.COM", "read", sizes["EF.COM"]),
        ("FileDone", "EF.SOD", "read", sizes["EF.SOD"]),
        ("CheckDone", "chip", "not_supported"),
        ("FileDone", "DG1", "read", sizes["DG1"]),
        ("FileDone", "DG2", "read", sizes["DG2"]),
        ("CheckDone", "active", "not_supported"),
        ("CheckDone", "passive", "not_checked"),
    ]
    _check_progress(events)
    assert sum(isinstance(e, FileProgress) and e.name == "DG2" for e in events) > 10


def test_events_of_a_pace_cam_read_in_order() -> None:
    events: list[ReadEvent] = []
    document = read_document(_reader(PACE_CAM), CANKey("123456"), on_event=events.append)
    sizes = {name: len(data) for name, data in document.files.items()}
    assert _outline(events) == [
        ("FileDone", "EF.CardAccess", "read", sizes["EF.CardAccess"]),
        ("AccessStarted", "PACE", "CAM brainpoolP256r1 AES-128"),
        ("FileDone", "EF.CardSecurity", "read", sizes["EF.CardSecurity"]),
        ("AccessOpened", "PACE", False),
        ("FileDone", "EF.COM", "read", sizes["EF.COM"]),
        ("FileDone", "EF.SOD", "read", sizes["EF.SOD"]),
        ("FileDone", "DG14", "read", sizes["DG14"]),  # first: CA protects the rest
        ("CheckDone", "chip", "not_checked"),  # PACE-CAM: no CSCA to verify its key
        ("FileDone", "DG1", "read", sizes["DG1"]),
        ("FileDone", "DG2", "read", sizes["DG2"]),
        ("FileDone", "DG15", "read", sizes["DG15"]),
        ("CheckDone", "active", "passed"),
        ("CheckDone", "passive", "not_checked"),
    ]
    _check_progress(events)


def test_a_downgrade_and_a_denied_file_are_events() -> None:
    events: list[ReadEvent] = []
    chip = {"access": ["pace", "bac"], "data_groups": [1, 2, 3]}
    read_document(_reader(chip, pace_public="off-curve"), KEY, on_event=events.append)
    assert AccessStarted("PACE", "GM brainpoolP256r1 AES-128") in events
    assert AccessOpened("BAC", downgraded=True) in events
    assert FileDone("DG3", "denied") in events  # EAC-protected


def test_a_card_that_leaves_and_comes_back_is_waited_for() -> None:
    events: list[ReadEvent] = []
    document = read_document(
        _reader(remove_at_apdu=40, return_after_ms=300), KEY, on_event=events.append
    )
    assert document.stats.resumes == 1
    waiting = [e for e in events if isinstance(e, WaitingForCard)]
    assert waiting == [WaitingForCard("", 5.0, resume=True)]
    assert [e for e in events if isinstance(e, AccessOpened)] == [AccessOpened("BAC")] * 2


def test_cancel_from_another_thread_stops_the_read_between_apdus() -> None:
    stop, reached, release = threading.Event(), threading.Event(), threading.Event()
    reader = _reader()
    outcome: queue.Queue[BaseException | None] = queue.Queue()

    def on_event(event: ReadEvent) -> None:  # on the reading thread
        if isinstance(event, FileDone) and event.name == "EF.SOD":
            reached.set()
            release.wait(5)  # the UI thread cancels meanwhile

    def worker() -> None:
        try:
            read_document(reader, KEY, on_event=on_event, cancel=stop)
        except BaseException as exc:
            outcome.put(exc)
        else:
            outcome.put(None)

    thread = threading.Thread(target=worker)
    thread.start()
    assert reached.wait(10)
    sent = reader.chip.apdus
    stop.set()  # the UI's Cancel button, on this thread
    release.set()
    thread.join(10)
    error = outcome.get_nowait()
    assert isinstance(error, ReadCancelledError)
    assert error.partial is not None
    assert set(error.partial.files) == {"EF.COM", "EF.SOD"}
    assert error.partial.files["EF.SOD"] == reader.chip.files[SOD_FID].data
    assert reader.chip.apdus == sent == error.partial.stats.apdus  # none after the cancel


def test_a_cancel_set_before_the_card_is_there_stops_the_wait() -> None:
    stop = threading.Event()
    stop.set()
    with pytest.raises(ReadCancelledError) as caught:
        read_document("pcsc:no such reader", KEY, cancel=stop)  # no pyscard needed
    assert caught.value.partial is None  # no reader was opened
    with pytest.raises(ReadCancelledError):
        open_reader("nfc", cancel=stop)


def test_the_timeout_bounds_the_whole_read() -> None:
    class Slow(SimulatedReader):
        def transmit(self, apdu: bytes) -> bytes:
            gate.wait(0.01)
            return super().transmit(apdu)

    gate = threading.Event()
    reader = Slow(SimulatedChip(DEFAULT))
    with pytest.raises(errors.CardTimeoutError) as caught:
        read_document(reader, KEY, timeout=0.4)
    assert not isinstance(caught.value, OSError)  # a TransportError only: exit 4
    assert isinstance(caught.value, errors.TransportError)
    assert "timeout" in str(caught.value)
    assert caught.value.partial is not None
    assert 0 < caught.value.partial.stats.apdus < 108


def test_a_removed_card_carries_what_was_read_on_the_exception() -> None:
    reader = _reader(remove_at_apdu=60, return_after_ms=-1)
    with pytest.raises(CardRemovedError, match="did not come back within 1 s") as caught:
        read_document(reader, KEY, resume_timeout=1.0)
    partial = caught.value.partial
    assert partial is not None
    assert set(partial.files) == {"EF.COM", "EF.SOD", "DG1"}  # DG2 was being read
    assert partial.stats.resumes == 0
    assert partial.access.protocol == "BAC"


def test_a_hostile_answer_carries_what_was_read_on_the_exception() -> None:
    reader = _reader(hostile="wrong-mac", target_file="DG2")
    with pytest.raises(SecureMessagingError) as caught:
        read_document(reader, KEY)
    assert caught.value.partial is not None
    assert {"EF.COM", "EF.SOD", "DG1"} <= set(caught.value.partial.files)


def test_waits_for_the_card_in_slices_add_up_when_the_read_can_be_cancelled() -> None:
    stop = threading.Event()  # never set: the wait is sliced, the card still comes back
    reader = _reader(remove_at_apdu=40, return_after_ms=1800)
    document = read_document(reader, KEY, cancel=stop, resume_timeout=2.0)
    assert document.stats.resumes == 1
    with pytest.raises(CardRemovedError, match="did not come back within 1 s"):
        read_document(_reader(remove_at_apdu=40, return_after_ms=1800), KEY, cancel=stop,
                      resume_timeout=1.0)  # fmt: skip


def test_open_reader_by_name() -> None:
    reader = open_reader("sim")
    assert isinstance(reader, SimulatedReader)
    assert reader.chip.profile.mrz == DEFAULT.mrz
    with pytest.raises(ValueError, match="reader 'usb' is not available"):
        open_reader("usb")
