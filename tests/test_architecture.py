"""Dependencies point one way: corpus -> index -> qa -> ui. Parse imports and fail on a
backward arrow."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["corpus", "index", "qa", "ui"]


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(LAYERS)


@pytest.mark.parametrize("layer", LAYERS)
def test_no_backward_imports(layer: str) -> None:
    allowed = set(LAYERS[: LAYERS.index(layer) + 1])
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) - allowed)
        for path in (ROOT / layer).rglob("*.py")
        if imported_packages(path) - allowed
    }
    assert offenders == {}


def test_no_pickle_anywhere() -> None:
    """The index never loads pickle (or anything that can run code)."""
    for layer in LAYERS:
        for path in (ROOT / layer).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert "import pickle" not in text, path
            assert "allow_pickle=True" not in text, path
