"""The public face: `import mrtd` is light, and every name it offers resolves, is documented
and has a typed signature."""

from __future__ import annotations

import builtins
import inspect
import json
import subprocess
import sys

import pytest

import mrtd

HEAVY = ("asn1crypto", "cryptography", "cv2", "numpy", "smartcard", "nfc", "PIL", "tomllib")


def _modules_after(code: str) -> list[str]:
    probe = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    loaded: list[str] = json.loads(out)
    return loaded


def test_import_mrtd_loads_the_errors_only() -> None:
    loaded = _modules_after("import mrtd")
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []
    assert [m for m in loaded if m.startswith("mrtd")] == ["mrtd", "mrtd.errors"]


def test_names_load_what_they_need_and_no_more() -> None:
    loaded = _modules_after("from mrtd import MRZKey, open_reader, ReadEvent, Verdict, CheckStatus")
    assert not {"asn1crypto", "cv2", "smartcard", "nfc"} & {m.split(".")[0] for m in loaded}
    assert "mrtd.pipeline.session" not in loaded
    assert "mrtd.sim.chip" not in loaded  # the simulated chip only when "sim" is opened


@pytest.mark.parametrize("name", sorted(set(mrtd.__all__) - {"__version__"}))
def test_every_public_name_resolves_with_a_docstring(name: str) -> None:
    value = getattr(mrtd, name)
    assert name in dir(mrtd)
    if name in ("ReadEvent", "OnEvent"):  # type aliases: documented in mrtd.pipeline.events
        return
    assert (value.__doc__ or "").strip(), f"{name} has no docstring"
    if inspect.isfunction(value):
        signature = inspect.signature(value)
        untyped = [p for p in signature.parameters.values() if p.annotation is p.empty]
        assert not untyped, f"{name}: {untyped}"
        assert signature.return_annotation is not signature.empty


def test_unknown_names_are_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="no attribute 'read_documents'"):
        _ = mrtd.read_documents


def test_a_star_import_keeps_the_builtin_timeout_error() -> None:
    assert "TimeoutError" not in mrtd.__all__
    namespace: dict[str, object] = {}
    exec("from mrtd import *", namespace)
    assert namespace.get("TimeoutError", builtins.TimeoutError) is builtins.TimeoutError
    assert not issubclass(mrtd.CardTimeoutError, builtins.TimeoutError)
    assert not hasattr(mrtd.errors, "TimeoutError")  # renamed CardTimeoutError, no alias


def test_the_public_modules_named_in_the_package_docstring_import() -> None:
    doc = mrtd.__doc__ or ""
    public = doc[doc.index("Public modules") : doc.index("Internal (may change")]
    names = {word.strip("`,.():") for word in public.split() if word.startswith("`mrtd")}
    assert len(names) > 10
    for name in sorted(names):
        __import__(name)
