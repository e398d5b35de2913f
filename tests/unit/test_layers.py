"""The layer rules of docs/design.md ("Package map", "Layer rules"), from the import graph.

The graph is built with `ast` over src/mrtd: every `import` and `from ... import` of an mrtd
module, at module level, inside functions (imported when called) and under `TYPE_CHECKING`
(for annotations only). It must have no cycle, each package may import only the layers
before it (or its own), and the few edges against that order are listed below with their
reason. The top of src/mrtd holds the public face and the base modules only.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "mrtd"

# Each layer imports only from the layers before it (and from within itself).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("mrtd.errors", "mrtd.apdu", "mrtd.tlv", "mrtd.der", "mrtd.redact", "mrtd.bounded")),
    ("crypto", ("mrtd.crypto",)),
    ("sm", ("mrtd.sm",)),
    ("mrz", ("mrtd.mrz",)),
    ("lds", ("mrtd.lds",)),
    ("access", ("mrtd.access",)),
    ("verify", ("mrtd.verify",)),
    ("readers", ("mrtd.readers",)),
    ("status", ("mrtd.status",)),
    ("pipeline", ("mrtd.pipeline",)),
    ("sim", ("mrtd.sim",)),
    ("mrz.ocr", ("mrtd.mrz.ocr",)),
    ("face", ("mrtd.face",)),
    ("service", ("mrtd.service",)),
    ("cli", ("mrtd.cli",)),
    ("public", ("mrtd",)),
)
BASE = {"__init__.py", "errors.py", "apdu.py", "tlv.py", "der.py", "redact.py", "bounded.py"}

# Edges against the layer order, each with its reason. An edge listed here that the code no
# longer has fails the test too, so the list cannot rot.
ALLOWED: dict[tuple[str, str], str] = {
    ("mrtd.errors", "mrtd.pipeline.result"): "TYPE_CHECKING only: the type of MRTDError.partial",
    ("mrtd.readers.open", "mrtd.sim.chip"): "function-local: open_reader('sim[:PROFILE]')",
    ("mrtd.readers.open", "mrtd.sim.profile"): "function-local: open_reader('sim[:PROFILE]')",
    ("mrtd.readers.simulated", "mrtd.sim.chip"): "TYPE_CHECKING only: the chip passed in",
    ("mrtd.cli.app", "mrtd"): "__version__, defined once in the package (imported first anyway)",
    ("mrtd.cli.doctor", "mrtd"): "__version__, defined once in the package (imported first anyway)",
}


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    kind: str  # "module", "local" (inside a function) or "typing" (under TYPE_CHECKING)


def _modules() -> dict[str, Path]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _resolve(name: str) -> str:
    """The module `name` is, or the module it is an attribute of."""
    while name not in MODULES and "." in name:
        name = name.rpartition(".")[0]
    return name


def _targets(node: ast.Import | ast.ImportFrom, module: str, path: Path) -> list[str]:
    if isinstance(node, ast.Import):
        return [_resolve(a.name) for a in node.names if a.name.split(".")[0] == "mrtd"]
    base = node.module or ""
    if node.level:  # relative: from the package of `module`
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join(package + ([base] if base else []))
    if base.split(".")[0] != "mrtd":
        return []
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else _resolve(base)
            for a in node.names]  # fmt: skip


def _is_type_checking(test: ast.expr) -> bool:
    return isinstance(test, ast.Name | ast.Attribute) and ast.unparse(test).endswith(
        "TYPE_CHECKING"
    )


def _edges() -> list[Edge]:
    edges: list[Edge] = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))

        def walk(node: ast.AST, kind: str, module: str = module, path: Path = path) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.Import | ast.ImportFrom):
                    edges.extend(
                        Edge(module, target, kind)
                        for target in _targets(child, module, path)
                        if target != module
                    )
                elif isinstance(child, ast.If) and _is_type_checking(child.test):
                    for statement in child.body:
                        walk(ast.Module([statement], []), "typing")
                    for statement in child.orelse:
                        walk(ast.Module([statement], []), kind)
                elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                    walk(child, "typing" if kind == "typing" else "local")
                else:
                    walk(child, kind)

        walk(tree, "module")
    return edges


EDGES = _edges()


def _layer(module: str) -> int:
    """The index of the layer `module` is in: the longest prefix that names it wins."""
    best, index = -1, -1
    for n, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, index = len(prefix), n
    assert index >= 0, f"{module} is in no layer"
    return index


def _cycles(edges: list[Edge]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for edge in edges:
        graph[edge.importer].add(edge.imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(MODULES):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_graph_sees_the_imports() -> None:
    kinds = {edge.kind for edge in EDGES}
    assert kinds == {"module", "local", "typing"}
    assert Edge("mrtd.pipeline.session", "mrtd.pipeline.clone_checks", "module") in EDGES
    assert Edge("mrtd.errors", "mrtd.pipeline.result", "typing") in EDGES
    assert Edge("mrtd.readers.open", "mrtd.sim.chip", "local") in EDGES


def test_no_module_imports_a_module_that_imports_it_back() -> None:
    checked = [e for e in EDGES if (e.importer, e.imported) not in ALLOWED]
    assert _cycles(checked) == []
    runtime = [e for e in EDGES if e.kind != "typing"]  # what Python really runs
    assert _cycles(runtime) == []


def test_each_package_imports_only_the_layers_before_it() -> None:
    wrong = sorted(
        f"{e.importer} -> {e.imported} ({e.kind})"
        for e in EDGES
        if _layer(e.imported) > _layer(e.importer) and (e.importer, e.imported) not in ALLOWED
    )
    assert wrong == []


@pytest.mark.parametrize(("edge", "reason"), sorted(ALLOWED.items()))
def test_each_allowed_exception_is_still_needed_and_as_narrow_as_said(
    edge: tuple[str, str], reason: str
) -> None:
    kinds = {e.kind for e in EDGES if (e.importer, e.imported) == edge}
    assert kinds, f"{edge} is allowed but no longer imported: drop it from ALLOWED"
    if reason.startswith("TYPE_CHECKING only"):
        assert kinds == {"typing"}
    elif reason.startswith("function-local"):
        assert kinds == {"local"}


def test_the_top_of_the_package_is_the_public_face_and_the_base() -> None:
    files = {path.name for path in PACKAGE.glob("*.py")}
    assert files == BASE
    packages = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").exists()}
    assert packages == {"access", "cli", "crypto", "face", "lds", "mrz", "pipeline", "readers",
                        "service", "sim", "sm", "status", "verify"}  # fmt: skip


def test_every_module_is_in_a_layer() -> None:
    for module in MODULES:
        _layer(module)


def _definitions(name: str) -> list[str]:
    found = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign):
                targets = [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                found.append(module)
    return found


def test_the_emrtd_application_identifier_has_one_home() -> None:
    assert _definitions("EMRTD_AID") == ["mrtd.lds.files"]
