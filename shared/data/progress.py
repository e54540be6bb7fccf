"""Where behaviour training stands: per env, the steps done, each checkpoint's score, the medium candidate,
wall time and hardware (from progress.json while it trains, behaviour.json when done)."""
from __future__ import annotations

import json
from pathlib import Path

from shared.data.levels import select_checkpoints
from shared.data.settings import DataSettings, behaviour_dir
from shared.runs import atomic_write_json


def env_progress(directory: Path, band: tuple[float, float]) -> dict:
    done = directory / "behaviour.json"
    path = done if done.exists() else directory / "progress.json"
    if not path.exists():
        return {"status": "not started"}
    record = json.loads(path.read_text())
    checkpoints = [{k: c[k] for k in ("step", "normalized_score", "mean_return", "wall_seconds",
                                      "load_average_1min") if k in c} for c in record["checkpoints"]]
    selection = select_checkpoints(checkpoints, band)
    return {"status": "done" if path == done else "training",
            "step": checkpoints[-1]["step"], "total_steps": record.get("total_steps", record.get("steps")),
            "wall_seconds": record["wall_seconds"], "best_score": selection["expert_score"],
            "best_step": selection["expert_step"], "medium_band": list(band),
            "medium_step": selection["medium_step"] if selection["medium_in_band"] else None,
            "hardware": record["hardware"], "code_commit": record["code_commit"], "checkpoints": checkpoints}


def behaviour_progress(settings: DataSettings, root: str | Path, out: str | Path | None = None) -> dict:
    report = {"behaviour": settings.behaviour_name, "scale": settings.scale, "sac": settings.sac.__dict__,
              "envs": {env: env_progress(behaviour_dir(root, settings.behaviour_name, env), settings.medium_band(env))
                       for env in settings.envs}}
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out, report)
    return report
