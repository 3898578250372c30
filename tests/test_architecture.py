"""The shape of the code, checked from its imports (those inside functions count too):
dependencies point one way (corpus -> index -> qa -> ui, and inside index embedding ->
disk -> vectors -> sync -> the face), no module imports itself back through others, qa
and ui use index's public face, the environment is read only in settings modules, and no
module outgrows 400 lines."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["corpus", "index", "qa", "ui"]
# index's subpackages from the bottom up; a module may import only from its own group or
# from groups below it.
INDEX_LEVELS = [
    ("index.errors", "index.settings"),
    ("index.embedding",),
    ("index.disk",),
    ("index.vectors",),
    ("index.sync",),
    ("index.candidates",),
    ("index.reader", "index.info"),
    ("index",),
]
INDEX_FACE = {"index", "index.errors"}  # what qa and ui may import from index
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for layer in LAYERS for p in sorted((ROOT / layer).rglob("*.py"))}


@cache
def imports(module: str) -> frozenset[str]:
    """The product modules `module` imports, anywhere in its code; `from a import b` counts
    as importing the module `a.b` when there is one, else `a`."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
    return frozenset(name for name in found if name in MODULES and name != module)


def imported_packages(module: str) -> set[str]:
    return {name.split(".")[0] for name in imports(module)}


@pytest.mark.parametrize("layer", LAYERS)
def test_no_backward_imports(layer: str) -> None:
    allowed = set(LAYERS[: LAYERS.index(layer) + 1])
    offenders = {
        module: sorted(imported_packages(module) - allowed)
        for module in MODULES
        if module.split(".")[0] == layer and imported_packages(module) - allowed
    }
    assert offenders == {}


def index_level(module: str) -> int:
    """The level of an index module: that of the longest group prefix it falls under."""
    best, level = -1, -1
    for n, group in enumerate(INDEX_LEVELS):
        for prefix in group:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, level = len(prefix), n
    return level


def test_index_subpackages_import_only_downwards() -> None:
    upward = sorted(
        f"{module} -> {name}"
        for module in MODULES
        if module.startswith("index")
        for name in imports(module)
        if name.startswith("index") and index_level(name) > index_level(module)
    )
    assert upward == []


def test_every_index_module_has_a_level() -> None:
    assert [m for m in MODULES if m.startswith("index") and index_level(m) < 0] == []


def test_no_import_circles() -> None:
    """Tarjan's strongly connected components of the import graph: each must be one module."""
    index_of: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        index_of[module] = low[module] = len(index_of)
        stack.append(module)
        on_stack.add(module)
        for name in imports(module):
            if name not in index_of:
                visit(name)
                low[module] = min(low[module], low[name])
            elif name in on_stack:
                low[module] = min(low[module], index_of[name])
        if low[module] == index_of[module]:
            component = []
            while True:
                name = stack.pop()
                on_stack.discard(name)
                component.append(name)
                if name == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in MODULES:
        if module not in index_of:
            visit(module)
    assert circles == []


@pytest.mark.parametrize("layer", ["qa", "ui"])
def test_qa_and_ui_use_the_index_face(layer: str) -> None:
    deep = {
        module: sorted(n for n in imports(module) if n.startswith("index") and n not in INDEX_FACE)
        for module in MODULES
        if module.split(".")[0] == layer
    }
    assert {m: names for m, names in deep.items() if names} == {}


def reads_environment(tree: ast.AST) -> list[int]:
    """Lines that read the environment: os.environ, os.getenv, Path.home()."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "home"):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("os", "Path"):
                lines.append(node.lineno)
    return lines


def test_the_environment_is_read_in_settings_modules_only() -> None:
    offenders = {
        module: lines
        for module, path in MODULES.items()
        if not module.endswith(".settings")
        and (lines := reads_environment(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert offenders == {}


def test_modules_stay_small() -> None:
    long = {
        module: n
        for module, path in MODULES.items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_no_pickle_anywhere() -> None:
    """The index never loads pickle (or anything that can run code)."""
    for path in MODULES.values():
        text = path.read_text(encoding="utf-8")
        assert "import pickle" not in text, path
        assert "allow_pickle=True" not in text, path
