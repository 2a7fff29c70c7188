"""Installed from a wheel, `iku` runs from an unrelated folder and finds what it
ships (configuration, templates, GX suites, migrations) as package data. The
wheel is built once (no build isolation: the venv's setuptools, no download)
and installed with --no-deps into a fresh venv whose dependencies come from the
project's venv through a .pth file (also no download)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("wheel")
    dist, venv, source = root / "dist", root / "venv", root / "source"
    # a copy: pip builds in the source tree (build/, *.egg-info), never in the checkout
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(
            # docs/ stays: the wheel ships the user guides (docs/panduan-*.md) the portal serves
            ".git",
            ".venv",
            "data",
            "out",
            "build",
            "site",
            "tests",
            "bench",
            "*.egg-info",
            "__pycache__",
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            str(source),
            "-w",
            str(dist),
        ],
        check=True,
        capture_output=True,
        cwd=root,
        timeout=600,
    )
    (wheel,) = dist.glob("iku_pipeline-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = Path(
        subprocess.run(
            [venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # the dependencies: the project venv's site-packages, after the venv's own (the wheel's iku wins)
    (site / "project-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return venv


def _run(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IKU_", "PYTHON", "VIRTUAL_ENV"))}
    env["IKU_WAREHOUSE_URL"] = f"sqlite:///{cwd / 'iku.sqlite'}"
    env["IKU_OUTPUT_DIR"] = str(cwd / "out")
    env["IKU_INBOX_DIR"] = str(cwd / "inbox")
    return subprocess.run(
        [str(venv / "bin" / "iku"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_wheel_runs_from_any_folder(installed, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")  # no config/ here, no repository
    where = subprocess.run(
        [
            installed / "bin" / "python",
            "-c",
            "import iku, iku.shipped as s; print(iku.__file__); print(s.shipped('config'))",
        ],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(Path(p).is_relative_to(installed) for p in where), where  # not the checkout
    # the kabupaten demo's examples, the RPJMD one in its own folder too
    examples = Path(where[1]).parent / "examples" / "kabupaten"
    assert (examples / "dinkes-tjb.yaml").is_file() and (examples / "rpjmd" / "rpjmd.yaml").is_file()

    shown = _run(installed, elsewhere, "--help")
    assert shown.returncode == 0 and "Pemakaian: iku" in shown.stdout, shown.stderr

    out = elsewhere / "isian.xlsx"
    made = _run(
        installed, elsewhere, "template", "--bidang", "perumahan", "--period", "2023-04", "--out", str(out)
    )
    assert made.returncode == 0, made.stderr
    assert out.stat().st_size > 0

    # the migrations and the catalogue: an empty warehouse answers the status matrix
    status = _run(installed, elsewhere, "status", "--year", "2023", "--json")
    assert status.returncode == 0, status.stderr
    assert '"year": 2023' in status.stdout


def test_every_module_and_migration_is_in_the_wheel(installed):
    """A new sub-package must be listed in pyproject.toml; this says which one is not."""
    (site,) = (installed / "lib").glob("python3*/site-packages")
    got = {
        p.relative_to(site).as_posix()
        for top in ("iku", "tasks", "flows")
        for p in (site / top).rglob("*.py")
    }
    want = {
        p.relative_to(REPO).as_posix()
        for top in ("iku", "tasks", "flows")
        for p in (REPO / top).rglob("*.py")
    }
    assert sorted(want - got) == []
