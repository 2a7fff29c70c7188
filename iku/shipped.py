"""Where the files shipped with iku live (config/, templates/, expectations/,
examples/): inside the installed package (a wheel) or beside it (a checkout),
found from its own location, so `iku` works from any folder."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # a source checkout (also an editable install)
PACKAGED = Path(__file__).resolve().parent / "_shipped"  # an installed wheel (pyproject.toml)


def shipped(name: str) -> Path:
    """The shipped folder `name` (absolute): the wheel's package data, else the checkout's."""
    packaged = PACKAGED / name
    return packaged if packaged.is_dir() else ROOT / name


def default_config_dir(cwd: Path | None = None) -> Path:
    """Without IKU_CONFIG_DIR: ./config when it holds an opd.yaml or an opd/ folder
    (a deployment's own copy, one OPD or a kabupaten), else the configuration
    shipped with the package."""
    local = (cwd or Path.cwd()) / "config"
    own = (local / "opd.yaml").is_file() or (local / "opd").is_dir()
    return Path("config") if own else shipped("config")
