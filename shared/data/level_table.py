"""The generated datasets' levels side by side: per env and level, the D4RL-style score of the data (mean over
its episodes), its size, the behaviour checkpoints it comes from, and D4RL's own data score where known. A medium
dataset is also checked against its medium band: the band picks a checkpoint by its score over a few evaluation
episodes, and the data's mean over many episodes can land outside it."""
from __future__ import annotations

from pathlib import Path

from shared.data.catalog import LOCOMOTION_LEVELS, generated_id
from shared.data.levels import level_check
from shared.data.loading import dataset_target
from shared.data.minari_io import dataset_dir, read_metadata
from shared.data.progress import D4RL_DATA_SCORES
from shared.runs import atomic_write_json


def level_rows(envs: tuple[str, ...], root: str | Path) -> list[dict]:
    """One row per existing generated dataset under `root` (missing ones are listed as such)."""
    rows = []
    for env in envs:
        for level in LOCOMOTION_LEVELS:
            folder = dataset_dir(root, generated_id(f"{env}-{level}"))
            row = {"env": env, "level": level, "d4rl_data_score": D4RL_DATA_SCORES[env].get(level)}
            if not Path(dataset_target(f"{env}-{level}", "generated", root)).exists():
                rows.append({**row, "status": "missing"})
                continue
            provenance = read_metadata(folder)["provenance"]
            row = {**row, "status": "ok", "score": provenance["episode_normalized_mean"],
                   "transitions": provenance["transitions"], "episodes": provenance["episodes"],
                   "checkpoints": provenance.get("checkpoints")}   # random has none
            if level == "medium":
                row["data_in_band"] = level_check(provenance)["data_in_band"]
            rows.append(row)
    return rows


def markdown(rows: list[dict]) -> str:
    """Env x level: 'score (transitions, episodes)', and D4RL's own data score beneath where known."""
    envs = list(dict.fromkeys(r["env"] for r in rows))
    cell = {(r["env"], r["level"]): r for r in rows}
    lines = ["| env | " + " | ".join(LOCOMOTION_LEVELS) + " |", "|---" * (len(LOCOMOTION_LEVELS) + 1) + "|"]
    for env in envs:
        ours = [level_cell(cell[env, level]) for level in LOCOMOTION_LEVELS]
        d4rl = [f"{cell[env, level]['d4rl_data_score']:.0f}" if cell[env, level]["d4rl_data_score"] is not None
                else "not known here" for level in LOCOMOTION_LEVELS]
        lines += [f"| {env} (ours) | " + " | ".join(ours) + " |", f"| {env} (D4RL's data) | " + " | ".join(d4rl) + " |"]
    return "\n".join(lines)


def level_cell(row: dict) -> str:
    if row["status"] != "ok":
        return "missing"
    size = f"{row['transitions'] / 1e3:g}k" if row["transitions"] >= 1000 else str(row["transitions"])
    text = f"{row['score']:.1f} ({size}, {row['episodes']} ep.)"
    if row.get("data_in_band") is False:
        low, high = row["checkpoints"]["medium_band"]
        text += f", outside the band [{low:g}, {high:g}]"
    return text


def level_table(envs: tuple[str, ...], root: str | Path, out: str | Path | None = None) -> str:
    rows = level_rows(envs, root)
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out, {"root": str(root), "rows": rows})
    return markdown(rows)
