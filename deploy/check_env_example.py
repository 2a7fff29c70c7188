"""`make lint`: every IKU_* variable the code reads has its line in deploy/iku.env.example.

Found in the source without importing it (modules move; this check should not): every
literal `IKU_…` name, and the fields of each pydantic-settings class with an
`env_prefix="IKU_…"` (its variables are the prefix plus the field name, upper case).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "deploy" / "iku.env.example"
NAME = re.compile(r"\bIKU_[A-Z0-9]+(?:_[A-Z0-9]+)*\b")


def _prefix(node: ast.ClassDef) -> str | None:
    """The env_prefix of a settings class (model_config = SettingsConfigDict(env_prefix=...))."""
    for stmt in node.body:
        if isinstance(stmt, ast.Assign | ast.AnnAssign) and isinstance(stmt.value, ast.Call):
            for kw in stmt.value.keywords:
                if kw.arg == "env_prefix" and isinstance(kw.value, ast.Constant):
                    return str(kw.value.value)
    return None


def _aliased(stmt: ast.AnnAssign) -> bool:
    """A field read from another variable (Field(validation_alias="PREFECT_API_URL"))."""
    call = stmt.value
    return isinstance(call, ast.Call) and any(kw.arg == "validation_alias" for kw in call.keywords)


def variables_in_code() -> set[str]:
    names: set[str] = set()
    for folder in ("iku", "tasks", "flows"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            names |= set(NAME.findall(text))
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.ClassDef) and (prefix := _prefix(node)) and prefix.startswith("IKU_"):
                    names |= {
                        prefix + stmt.target.id.upper()
                        for stmt in node.body
                        if isinstance(stmt, ast.AnnAssign)
                        and isinstance(stmt.target, ast.Name)
                        and not _aliased(stmt)
                    }
    return names


def main() -> int:
    missing = sorted(variables_in_code() - set(NAME.findall(EXAMPLE.read_text(encoding="utf-8"))))
    for name in missing:
        print(
            f"{EXAMPLE.relative_to(ROOT)}: {name} is read by the code but has no line (with a comment) here"
        )
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
