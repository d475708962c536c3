"""Configuration, read once at the edge (CLI, app factory) and passed down.

Core code never reads the environment; it takes a Settings or plain arguments.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HOME_ENV = "SAFEPUPIL_HOME"
DEFAULT_HOME = Path("safepupil-home")


@dataclass(frozen=True)
class Settings:
    home: Path  # a deployment's folder: stores, keys, policy files


def settings_from_environment(home: Path | None = None) -> Settings:
    """Settings for a command: ``--home`` wins, then SAFEPUPIL_HOME, then ./safepupil-home."""
    chosen = home or (Path(os.environ[HOME_ENV]) if os.environ.get(HOME_ENV) else DEFAULT_HOME)
    return Settings(home=chosen)
