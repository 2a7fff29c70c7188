"""The floors of the code, as it really is, and the checks that keep them: a module
imports its own floor or lower ones, the packages import each other without a
loop, and the environment is read and written in iku/settings.py only. Read from
the source with ast, so a lazy import inside a function counts too.

The floors, top first:
  entry points   iku.cli, iku.app (the demo), iku.web (the portal), iku.orchestration
                 (the Prefect server and the deployments): what a person starts
  flows          flows: the order of the steps (pipeline.py) and the Prefect flows
  tasks          tasks: the steps as plain functions and as Prefect tasks
  outputs        iku.reports, iku.alerts
  root           iku.resources (the composition root) and what reads through it:
                 iku.queries, iku.history, iku.sheet_template, iku.budget_import,
                 iku.budget_template
  stores         iku.warehouse (the database), iku.validation (Great Expectations)
  foundations    settings, storage, the archive, the collector's passes, reading a sheet
                 (iku.consolidation), formatting, ...
  configuration  iku.config: the validated configuration
  rules          iku.domain: pure rules, no Prefect, database or GX
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import REPO

FLOORS: list[tuple[str, tuple[str, ...]]] = [
    ("entry points", ("iku.cli", "iku.app", "iku.web", "iku.orchestration")),
    ("flows", ("flows",)),
    ("tasks", ("tasks",)),
    ("outputs", ("iku.reports", "iku.alerts")),
    (
        "root",
        (
            "iku.resources",
            "iku.queries",
            "iku.history",
            "iku.sheet_template",
            "iku.budget_import",
            "iku.budget_template",
        ),
    ),
    ("stores", ("iku.warehouse", "iku.validation")),
    (
        "foundations",
        (
            "iku.settings",
            "iku.storage",
            "iku.archive",
            "iku.files",
            "iku.collector",
            "iku.locations",
            "iku.shipped",
            "iku.formatting",
            "iku.excel_layout",
            "iku.console",
            "iku.consolidation",
            "iku.sample_data",
            "iku.sample_budget",
            "iku.testhook",
        ),
    ),
    ("configuration", ("iku.config",)),
    ("rules", ("iku.domain", "iku")),  # `iku` itself: the package's empty __init__
]
RULES = len(FLOORS) - 1

# Who may touch os.environ besides iku/settings.py, and why; the list only shrinks.
ENVIRONMENT_ELSEWHERE = {
    "iku.testhook": "the crash-safety tests' hooks (IKU_TEST_*), never set in production",
    "iku.reports.pdf": "IKU_CHROMIUM, read where Chromium is looked for (refactor's area)",
    "iku.validation.warm_worker": "IKU_GX_WORKER_IDLE, read in the warm GX worker's own process",
    "iku.web.jobs": "the portal's consolidation child process inherits the environment",
    "iku.cli.server": "PREFECT_API_URL shown by `iku server status`",
}


def _floor(module: str) -> int:
    for rank, (_, prefixes) in enumerate(FLOORS):
        if any(module == p or (p != "iku" and module.startswith(p + ".")) for p in prefixes):
            return rank
    raise LookupError(f"{module} has no floor in tests/test_layers.py: place it in FLOORS")


PACKAGES = ("iku", "tasks", "flows")


def _modules() -> dict[str, Path]:
    found = {}
    for path in (p for top in PACKAGES for p in (REPO / top).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(REPO).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
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


def _package(module: str) -> str:
    """iku.<sub-package> for a module inside one; tasks and flows are one package each;
    a top-level module of iku stands for itself."""
    parts = module.split(".")
    if parts[0] != "iku":
        return parts[0]
    if len(parts) > 1 and (REPO / "iku" / parts[1]).is_dir():
        return ".".join(parts[:2])
    return module


def _package_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        for name in _imports(module, path):
            if name in modules and _package(name) != _package(module):
                graph.setdefault(_package(module), set()).add(_package(name))
    return graph


def _reach(graph: dict[str, set[str]], start: str) -> set[str]:
    """Every package `start` imports, directly or through others."""
    seen: set[str] = set()
    todo = list(graph.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, ()))
    return seen


def _loops(graph: dict[str, set[str]]) -> list[set[str]]:
    """The groups of packages that import each other, directly or round a circle."""
    reach = {node: _reach(graph, node) for node in graph}
    groups = {frozenset({a} | {b for b in reach[a] if a in reach.get(b, ())}) for a in graph}
    return [set(g) for g in sorted(groups, key=sorted) if len(g) > 1]


def test_every_module_has_a_floor_and_every_floor_a_module():
    floors = {_floor(m) for m in MODULES}
    assert floors == set(range(len(FLOORS)))
    assert _floor("flows.pipeline") < _floor("tasks.consolidate_steps") < _floor("iku.resources")


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_upward_import(module):
    mine = _floor(module)
    upward = sorted(
        name for name in _imports(module, MODULES[module]) if name in MODULES and _floor(name) < mine
    )
    assert not upward, f"{module} ({FLOORS[mine][0]}) imports a higher floor: {upward}"


def test_no_package_imports_another_that_imports_it_back():
    assert _loops(_package_graph(MODULES)) == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _floor(m) == RULES))
def test_the_rules_use_no_orchestrator_and_no_database(module):
    outside = {n.split(".")[0] for n in _imports(module, MODULES[module])}
    assert not outside & {"prefect", "sqlalchemy", "alembic", "psycopg", "great_expectations"}


def test_the_order_of_the_steps_imports_no_prefect():
    """The commands typed by hand run flows/pipeline.py without Prefect's import."""
    import subprocess
    import sys

    code = "import sys, flows.pipeline; print('prefect' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


ENVIRONMENT = {"environ", "getenv", "putenv", "unsetenv"}


def _touches_environment(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os":
            found = node.attr in ENVIRONMENT
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            found = bool({a.name for a in node.names} & ENVIRONMENT)
        else:
            found = False
        if found:
            return True
    return False


def test_the_environment_is_read_and_written_in_settings_only():
    touching = {m for m, path in MODULES.items() if _touches_environment(path)}
    assert "iku.settings" in touching
    assert touching - {"iku.settings"} <= set(ENVIRONMENT_ELSEWHERE), sorted(
        touching - {"iku.settings"} - set(ENVIRONMENT_ELSEWHERE)
    )


def test_the_checks_catch_an_upward_import_a_loop_and_an_environment_read(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import os\n\ndef f():\n    from flows.pipeline import consolidate_all\n"
        "    return os.environ.get('IKU_X')\n",
        encoding="utf-8",
    )
    assert "flows.pipeline" in _imports("iku.queries", bad)
    assert _floor("flows.pipeline") < _floor("iku.queries")
    assert _touches_environment(bad)
    assert _loops({"iku.a": {"iku.b"}, "iku.b": {"iku.c"}, "iku.c": {"iku.a"}}) == [
        {"iku.a", "iku.b", "iku.c"}
    ]
    with pytest.raises(LookupError):
        _floor("iku.somewhere_new")
