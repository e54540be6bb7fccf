"""One fitted dynamics model per (dataset, seed) on disk, and K of them stacked into one K-seed ensemble.

  <dir>/model.pt    state dict of a one-seed GaussianEnsemble, its settings and dimensions
  <dir>/model.json  hold-out error, epochs, training time, hardware, dataset provenance
"""
from __future__ import annotations

import io
import platform
from collections.abc import Sequence
from pathlib import Path

import torch

from shared.model.ensemble import FitReport, GaussianEnsemble, ModelSettings, settings_dict
from shared.runs import atomic_write_bytes, atomic_write_json, load_torch

# Entries of a one-seed state dict whose first dimension is the seed (the others are per member: K*M).
PER_SEED = ("in_mean", "in_std", "elites")


def hardware() -> dict:
    info = {"machine": platform.machine(), "processor": platform.processor() or platform.machine(),
            "torch_threads": torch.get_num_threads(), "cuda": torch.cuda.is_available()}
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def split_by_seed(model: GaussianEnsemble) -> list[dict]:
    """The K one-seed state dicts of a K-seed ensemble."""
    m = model.settings.n_models
    state = model.state_dict()
    return [{name: (v[k:k + 1] if name in PER_SEED else v[k * m:(k + 1) * m]).clone() for name, v in state.items()}
            for k in range(model.n_seeds)]


def save_seed_model(directory: str | Path, model_state: dict, seed: int, settings: ModelSettings, obs_dim: int,
                    act_dim: int, report: FitReport, k: int, describe: dict) -> None:
    directory = Path(directory)
    buffer = io.BytesIO()
    torch.save({"state": model_state, "seed": seed, "settings": settings_dict(settings), "obs_dim": obs_dim,
                "act_dim": act_dim}, buffer)
    atomic_write_bytes(directory / "model.pt", buffer.getvalue())
    report_k = {"holdout_mse": report.holdout_mse[k], "elite_holdout_mse": report.elite_holdout_mse[k],
                "initial_holdout_mse": report.initial_holdout_mse[k], "epochs": report.epochs[k],
                "train_seconds_all_seeds_together": report.seconds, "seeds_fitted_together": len(report.epochs)}
    atomic_write_json(directory / "model.json", {"seed": seed, **report_k, "settings": settings_dict(settings),
                                                 "hardware": hardware(), **describe})


def _settings_from(raw: dict) -> ModelSettings:
    return ModelSettings(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})


def load_ensemble(paths: Sequence[str | Path], device="cpu") -> GaussianEnsemble:
    """Stack the one-seed models at `paths` (model.pt files or their directories) into one K-seed ensemble."""
    payloads = []
    for path in paths:
        path = Path(path)
        path = path / "model.pt" if path.is_dir() else path
        if not path.exists():
            raise SystemExit(f"dynamics model {path} not found: fit it with `python -m shared.model.train`")
        payloads.append(load_torch(path))
    first = payloads[0]
    for p in payloads[1:]:
        if (p["obs_dim"], p["act_dim"], p["settings"]) != (first["obs_dim"], first["act_dim"], first["settings"]):
            raise SystemExit("dynamics models to stack differ in dimensions or settings")
    model = GaussianEnsemble(first["obs_dim"], first["act_dim"], [p["seed"] for p in payloads],
                             _settings_from(first["settings"]))
    model.load_state_dict({name: torch.cat([p["state"][name] for p in payloads]) for name in first["state"]})
    return model.to(device).requires_grad_(False)
