"""Data flows one way through the packages: a lower layer never imports a higher one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "src" / "safepupil"

# What each part may import from safepupil (besides itself). Anything else is a layering bug.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "config": set(),
    "domain": {"errors"},
    "keys": {"errors", "config", "domain"},
    "controlplane": {"errors", "config"},
    "disclosure": {"errors", "domain"},
    "collection": {"errors", "config", "domain", "keys", "disclosure"},
    "synth": {"errors", "domain", "collection", "store"},
    "store": {"errors", "config", "domain", "keys", "controlplane", "collection", "disclosure"},
    "query": {"errors", "domain", "store"},
    "audit": {"errors", "config", "controlplane"},
    "governance": {"errors", "config", "domain", "controlplane", "store", "audit"},
    "release": {"errors", "config", "domain", "store", "query", "disclosure", "controlplane"}
    | {"audit", "governance"},
    "transparency": {"errors", "config", "domain", "keys", "controlplane", "collection", "store"}
    | {"query", "audit", "governance", "release", "disclosure"},
}


def _part_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def _imported_parts(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {n.split(".")[1] for n in names if n.startswith("safepupil.") and n.count(".") >= 1}


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if _part_of(p) in ALLOWED)


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_module_imports_only_lower_layers(path: Path) -> None:
    part = _part_of(path)
    forbidden = _imported_parts(path) - ALLOWED[part] - {part}
    assert not forbidden, f"{path.relative_to(PACKAGE)} ({part}) imports {sorted(forbidden)}"


def test_every_top_level_part_is_placed_in_a_layer_or_is_an_edge() -> None:
    edges = {"cli", "demo", "web", "__init__", "py"}
    parts = {_part_of(p) for p in PACKAGE.rglob("*.py")}
    assert parts - set(ALLOWED) - edges == set(), "add the new package to ALLOWED"
