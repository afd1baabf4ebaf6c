"""The `local` stage's environment, read from `.chalice/config.json` like `chalice local --stage local` does."""

from __future__ import annotations

import json
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def stage_environment(stage: str = "local") -> dict[str, str]:
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    return {**config.get("environment_variables", {}), **config["stages"][stage].get("environment_variables", {})}
