"""Where the files shipped with iku live (config/, templates/, expectations/):
beside the package, found from its own location, so `iku` works from any folder."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shipped(name: str) -> Path:
    """The shipped folder `name` (absolute)."""
    return ROOT / name


def default_config_dir(cwd: Path | None = None) -> Path:
    """Without IKU_CONFIG_DIR: ./config when it holds an opd.yaml (a deployment's own
    copy), else the configuration shipped with the package."""
    local = (cwd or Path.cwd()) / "config"
    return Path("config") if (local / "opd.yaml").is_file() else shipped("config")
