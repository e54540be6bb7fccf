"""Where behaviour training stands: per env, the steps done, each checkpoint's score, the medium candidate,
wall time and hardware (from progress.json while it trains, behaviour.json when done; the pinned manifest when the
data root has neither), and its figure."""
from __future__ import annotations

import json
from pathlib import Path

from shared.config import repo_relative
from shared.data.levels import select_checkpoints
from shared.data.settings import PINNED_DIR, DataSettings, behaviour_dir
from shared.runs import atomic_write_json

# D4RL's own medium and expert data, D4RL-normalised (as issue 9 quotes them): the levels the training aims at.
D4RL_DATA_SCORES = {"hopper": {"medium": 44.0, "expert": 108.0}, "halfcheetah": {"medium": 41.0, "expert": 88.0},
                    "walker2d": {"medium": 62.0, "expert": 107.0}}
EXPERT_TARGET = 80.0   # issue 9: the best checkpoint must reach at least this on every env


def record_path(trained: Path, pinned: Path) -> Path | None:
    """The record to report: the data root's (done, else in progress), else the committed pin's manifest."""
    for path in (trained / "behaviour.json", trained / "progress.json", pinned / "behaviour.json"):
        if path.exists():
            return path
    return None


def env_progress(path: Path | None, band: tuple[float, float]) -> dict:
    if path is None:
        return {"status": "not started"}
    record = json.loads(path.read_text())
    checkpoints = [{k: c[k] for k in ("step", "normalized_score", "mean_return", "wall_seconds",
                                      "load_average_1min") if k in c} for c in record["checkpoints"]]
    selection = select_checkpoints(checkpoints, band)
    return {"status": "done" if path.name == "behaviour.json" else "training", "record": repo_relative(path),
            "step": checkpoints[-1]["step"], "total_steps": record.get("total_steps", record.get("steps")),
            "wall_seconds": record["wall_seconds"], "best_score": selection["expert_score"],
            "best_step": selection["expert_step"], "medium_band": list(band),
            "medium_step": selection["medium_step"] if selection["medium_in_band"] else None,
            "hardware": record["hardware"], "code_commit": record["code_commit"], "checkpoints": checkpoints}


def behaviour_progress(settings: DataSettings, root: str | Path, out: str | Path | None = None,
                       pinned_root: Path = PINNED_DIR) -> dict:
    report = {"behaviour": settings.behaviour_name, "scale": settings.scale, "sac": settings.sac.__dict__,
              "envs": {env: env_progress(record_path(behaviour_dir(root, settings.behaviour_name, env),
                                                     pinned_root / settings.behaviour_name / env),
                                         settings.medium_band(env))
                       for env in settings.envs}}
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out, report)
    return report


def progress_figure(report: dict, out: str | Path) -> Path:
    """One panel per env: each checkpoint's D4RL-style score over env steps, the medium band, the medium
    checkpoint found, D4RL's own medium and expert data scores and the expert target."""
    from shared.report.figures import apply_style, plt, save
    apply_style()
    envs = report["envs"]
    fig, axes = plt.subplots(1, len(envs), figsize=(4.2 * len(envs), 3.4), sharey=True, squeeze=False)
    for ax, (env, record) in zip(axes[0], envs.items()):
        ax.set_title(f"{env} ({record['status']})")
        ax.set_xlabel("env steps (thousands)")
        if record["status"] == "not started":
            continue
        steps = [c["step"] / 1e3 for c in record["checkpoints"]]
        ax.plot(steps, [c["normalized_score"] for c in record["checkpoints"]], lw=1.2, label="checkpoint score")
        ax.axhspan(*record["medium_band"], color="tab:orange", alpha=0.15, label="medium band")
        for level, style in (("medium", ":"), ("expert", "--")):
            ax.axhline(D4RL_DATA_SCORES[env][level], color="grey", ls=style, lw=1, label=f"D4RL {level} data")
        ax.axhline(EXPERT_TARGET, color="tab:green", lw=1, label="expert target")
        if record["medium_step"] is not None:
            medium = next(c for c in record["checkpoints"] if c["step"] == record["medium_step"])
            ax.plot(medium["step"] / 1e3, medium["normalized_score"], "o", color="tab:orange", label="medium found")
        ax.set_xlim(0, record["total_steps"] / 1e3)
    axes[0][0].set_ylabel("D4RL-style normalised score")
    labelled = {label: handle for ax in axes[0] for handle, label in zip(*ax.get_legend_handles_labels())}
    if labelled:
        fig.legend(labelled.values(), labelled.keys(), loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    fig.suptitle(f"behaviour SAC '{report['behaviour']}' ({report['scale']} scale): score per checkpoint", y=1.03)
    return save(fig, out)
