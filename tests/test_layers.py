"""Imports only point down: entry points (iku.cli, iku.app) -> flows -> tasks ->
the library (everything else in iku) -> iku.domain. Read from the source with ast,
so a lazy import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import REPO

# Layer of each package, top first; a module may import its own layer or lower ones.
ENTRY = ("iku.cli", "iku.app")
FLOWS = ("iku.flows",)
TASKS = ("iku.tasks",)
SOURCE_ROOTS = {"iku": REPO / "iku"}


def _layer(module: str) -> int:
    for rank, prefixes in enumerate((ENTRY, FLOWS, TASKS)):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    # the rules, and the validated configuration they read
    if module in ("iku.domain", "iku.config") or module.startswith("iku.domain."):
        return 4
    return 3  # the library


def _modules() -> dict[str, Path]:
    found = {}
    for package, root in SOURCE_ROOTS.items():
        for path in root.rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            name = ".".join((package, *parts))
            found[name] = path
    return found


def _imports(module: str, path: Path) -> set[str]:
    names = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names.add(target)
            names.update(f"{target}.{a.name}" for a in node.names)
    return names


MODULES = _modules()


def test_the_walk_finds_every_layer():
    layers = {_layer(m) for m in MODULES}
    assert layers == {0, 1, 2, 3, 4}
    assert "iku.flows.consolidate" in MODULES and "iku.tasks.consolidate" in MODULES


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_upward_import(module):
    mine = _layer(module)
    upward = sorted(
        name for name in _imports(module, MODULES[module]) if name in MODULES and _layer(name) < mine
    )
    assert not upward, f"{module} (layer {mine}) imports a higher layer: {upward}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m) == 4))
def test_the_rules_use_no_orchestrator_and_no_database(module):
    outside = {n.split(".")[0] for n in _imports(module, MODULES[module])}
    assert not outside & {"prefect", "sqlalchemy", "alembic", "psycopg", "great_expectations"}


def test_the_check_catches_an_upward_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from iku.flows.consolidate import consolidate_flow\n", encoding="utf-8")
    assert "iku.flows.consolidate" in _imports("iku.queries", bad)
    assert _layer("iku.flows.consolidate") < _layer("iku.queries")
