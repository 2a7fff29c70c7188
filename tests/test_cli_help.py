"""Every help screen of `iku`, walked from the command tree, is in Indonesian:
no Click/Typer default left untranslated, no English sentence (technical terms
such as work pool, worker, deployment or traceback may stay)."""

from __future__ import annotations

import re

import pytest
import typer

from iku.cli import app

# Click/Typer's own words, and plain English words a help text would use
UNTRANSLATED = re.compile(
    r"Usage:|Options|Commands|Arguments|Show this message|\[default|\[required\]|\[env var|"
    r"<str>|<int>|<float>|<path>|<bool>|\bCOMMAND\b|\[ARGS\]|\[OPTIONS\]|"
    r"\b(the|and|of|to|with|from|is|are|this|that|for|when|Load|Run|Write|Show|Start|Stop|default|required)\b"
)


def _paths(command, path=()):
    yield path
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _paths(sub, (*path, name))


PATHS = list(_paths(typer.main.get_command(app)))


def test_the_walk_finds_every_command():
    names = {" ".join(p) for p in PATHS}
    assert {"", "deploy", "server", "server start", "import-history", "web", "web add-user"} <= names
    # the budget and SAKIP commands (CONTRACT §11, §12)
    assert {"import-budget", "pk", "verify", "return", "approve", "unlock", "audit"} <= names
    assert len(PATHS) >= 25


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "iku")
def test_every_help_screen_is_indonesian(path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # one line per text: a phrase is never split by wrapping
    with pytest.raises(SystemExit) as done:
        app([*path, "--help"])
    assert done.value.code == 0
    shown = capsys.readouterr().out
    assert "Pemakaian: iku" in shown and "Tampilkan bantuan ini lalu keluar." in shown
    prose = re.sub(r"--[\w-]+", "", shown)  # option names (--as-of) are not prose
    found = sorted({m.group(0) for m in UNTRANSLATED.finditer(prose)})
    assert not found, f"iku {' '.join(path)} --help: {found}\n{shown}"


CLICK_ERRORS = re.compile(r"\b(Option|requires|argument|Got|No such|Invalid|Missing|not a valid|Error)\b")


@pytest.mark.parametrize(
    "args",
    [
        ("template", "--out"),
        ("import-budget", "--period", "2024-03"),
        ("verify", "--bidang"),
        ("status", "--year", "abc"),
        ("status",),
        ("nosuch",),
        ("status", "--year", "2023", "extra"),
        ("server", "start", "--bogus"),
        ("web", "add-user", "--role", "bidang"),
    ],
    ids=" ".join,
)
def test_a_usage_error_is_one_indonesian_line(args, capsys):
    with pytest.raises(SystemExit) as done:
        app(list(args))
    assert done.value.code == 2
    said = capsys.readouterr().err.strip()
    assert said.startswith("iku: ") and "\n" not in said, said
    assert not CLICK_ERRORS.search(said) and not UNTRANSLATED.search(said), said
