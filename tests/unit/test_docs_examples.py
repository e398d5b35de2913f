"""Every Python example in README.md and docs/ runs as written."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
EXAMPLES = [
    pytest.param(code, id=f"{path.name}:{n}")
    for path in DOCS
    for n, code in enumerate(BLOCK.findall(path.read_text()), 1)
]


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("code", EXAMPLES)
def test_example_runs(code: str) -> None:
    exec(compile(code, "<docs>", "exec"), {})


@pytest.mark.parametrize("code", EXAMPLES)
def test_examples_use_the_public_face(code: str) -> None:
    """mrtd names come from `mrtd` itself (`from mrtd import read_document, lds`), never from
    the modules behind it: what the guides show is what a user may rely on."""
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            assert node.module == "mrtd" or node.module.split(".")[0] != "mrtd", node.module
        elif isinstance(node, ast.Import):
            assert all(a.name.split(".")[0] != "mrtd" for a in node.names)
