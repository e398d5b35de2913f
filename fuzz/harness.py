"""What every fuzz harness shares: the rule for hostile input and the libFuzzer entry point.

Hostile bytes may make mrtd raise an `MRTDError`: that is a rejection, the expected outcome.
Any other exception escapes the harness's `test_one_input`, and libFuzzer records it as a
crash together with the input. Hangs and runaway memory are libFuzzer's to catch, through the
`-timeout` and `-rss_limit_mb` defaults set here.

Harnesses import mrtd inside `instrumented(__name__ == "__main__")`: instrumented for
coverage when they run as a program under libFuzzer, plain when the smoke test
(tests/fuzz/test_fuzz_smoke.py) imports them, so the smoke run needs no atheris.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import NoReturn, TypeVar

__all__ = ["InvariantBrokenError", "TestOneInput", "agree", "fuzz", "instrumented", "rejecting"]

FUZZ_DIR = Path(__file__).resolve().parent
TestOneInput = Callable[[bytes], None]
_Implementation = TypeVar("_Implementation")


class InvariantBrokenError(AssertionError):
    """A harness's own check failed (two implementations disagree, a result is malformed)."""


@contextmanager
def instrumented(enabled: bool, *packages: str, exclude: Sequence[str] = ()) -> Iterator[None]:
    """Imports inside are instrumented for coverage (mrtd and `packages`, but not the modules
    named in `exclude`) when `enabled`."""
    if not enabled:
        yield
        return
    import atheris  # type: ignore[import-untyped]  # noqa: PLC0415 - only the fuzzing run needs it

    with atheris.instrument_imports(include=["mrtd", *packages], exclude=list(exclude)):
        yield


def rejecting(target: Callable[[bytes], object]) -> TestOneInput:
    """`target` as a libFuzzer TestOneInput: an `MRTDError` is a rejection, anything else a
    crash. Call it after the instrumented imports (it imports mrtd.errors)."""
    from mrtd.errors import MRTDError  # noqa: PLC0415 - after the harness's instrumented imports

    def test_one_input(data: bytes) -> None:
        with suppress(MRTDError):
            target(data)

    test_one_input.__doc__ = target.__doc__
    return test_one_input


def agree(run: Callable[[_Implementation], object], twins: Sequence[_Implementation]) -> object:
    """`run` with each of two implementations (C core, pure-Python twin): both must return
    equal results, or raise the same exception type with the same message. The result, or
    the first implementation's exception raised again, for `rejecting` to judge."""
    outcomes: list[tuple[object, Exception | None]] = []
    for twin in twins:
        try:
            outcomes.append((run(twin), None))
        except Exception as exc:
            outcomes.append((None, exc))
    (first, first_error), (second, second_error) = outcomes
    if first_error is None and second_error is None:
        if first != second:
            raise InvariantBrokenError(f"the twins' results differ: {first!r} != {second!r}")
        return first
    described = [
        None if e is None else (type(e).__name__, str(e)) for e in (first_error, second_error)
    ]
    if described[0] != described[1]:
        raise InvariantBrokenError(f"the twins fail differently: {described}")
    assert first_error is not None
    raise first_error


def fuzz(
    test_one_input: TestOneInput,
    *,
    max_len: int,
    timeout: int = 10,
    dictionary: str | None = None,
) -> NoReturn:
    """Run libFuzzer with sys.argv (flags, corpus folders). The defaults below apply unless
    the command line sets the flag: `max_len` bounds inputs (a large seed, such as a master
    list, would otherwise raise it), `timeout` seconds per input is a hang, `dictionary`
    names a fuzz/<name>.dict of tokens."""
    import atheris  # noqa: PLC0415 - only the fuzzing run needs it

    defaults = {"-max_len": str(max_len), "-timeout": str(timeout), "-rss_limit_mb": "2048"}
    if dictionary is not None:
        defaults["-dict"] = str(FUZZ_DIR / f"{dictionary}.dict")
    argv = list(sys.argv)
    for flag, value in defaults.items():
        if not any(arg.startswith(f"{flag}=") for arg in argv[1:]):
            argv.insert(1, f"{flag}={value}")
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()
    raise SystemExit(0)  # pragma: no cover - atheris.Fuzz() exits the process itself
