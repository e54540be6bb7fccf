"""Which checkpoints of a behaviour training the policy levels use (D4RL recipe): medium = the first inside the
scale's medium band, expert = the best."""
from __future__ import annotations


def select_checkpoints(checkpoints: list[dict], band: tuple[float, float]) -> dict:
    """Medium = first checkpoint scoring inside `band` (closest to the band when none does); expert = best."""
    if not checkpoints:
        raise SystemExit("behaviour manifest lists no checkpoints")
    low, high = band

    def distance_to_band(checkpoint: dict) -> float:
        return max(low - checkpoint["normalized_score"], checkpoint["normalized_score"] - high, 0.0)
    inside = [c for c in checkpoints if distance_to_band(c) == 0.0]
    medium = inside[0] if inside else min(checkpoints, key=distance_to_band)
    expert = max(checkpoints, key=lambda c: c["normalized_score"])
    return {"medium_step": medium["step"], "medium_score": medium["normalized_score"],
            "medium_in_band": bool(inside), "expert_step": expert["step"],
            "expert_score": expert["normalized_score"], "medium_band": list(band)}


def level_check(metadata: dict) -> dict | None:
    """A generated dataset's own score (mean over its episodes) and, for a medium dataset, whether it lies inside the
    band its checkpoint was picked by (the checkpoint's few evaluation episodes can land inside while the data's many
    episodes do not). None for data without a generated provenance."""
    if "episode_normalized_mean" not in metadata:
        return None
    check = {"data_score": metadata["episode_normalized_mean"]}
    if metadata.get("name", "").endswith("-medium"):
        low, high = metadata["checkpoints"]["medium_band"]
        check.update(medium_band=[low, high], data_in_band=bool(low <= check["data_score"] <= high))
    return check
