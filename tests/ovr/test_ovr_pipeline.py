import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from papers.ovr import collect, settings
from papers.ovr.train import main as train_main, reward_noise

REPO = Path(__file__).resolve().parents[2]
CFG = {"hyperparameters": {"ovr_lambda": 0.01, "dice_setup_steps": 5}, "seeds": [0, 1], "steps": 20,
       "log_every": 10, "eval": {"every": 10, "episodes": 1}, "noise": {"datasets": ["hopper-medium"],
       "methods": ["bcq"], "std": 1.0, "seed": 3}, "table1": {"datasets": ["hopper-medium", "hopper-random"],
       "methods": ["bcq", "bcq_ovr"]}, "ablation": {"datasets": ["hopper-medium"], "methods": ["bcq_iw"]},
       "lambda_sweep": {"datasets": ["hopper-medium"], "values": [0.0, 0.03]}}


def test_run_args_per_method_and_group():
    assert "--set" not in settings.run_args(CFG, "table1", "hopper-medium", "bcq")
    ovr = settings.run_args(CFG, "table1", "hopper-medium", "bcq_ovr")
    assert "ovr_lambda=0.01" in ovr and "--reward-noise-std" not in ovr
    assert "ovr_lambda=0.01" not in settings.run_args(CFG, "ablation", "hopper-medium", "bcq_iw")
    noisy = settings.run_args(CFG, "noise", "hopper-medium", "bcq")
    assert noisy[noisy.index("--reward-noise-std") + 1] == "1.0" and noisy[noisy.index("--reward-noise-seed") + 1] == "3"
    swept = settings.run_args(CFG, "lambda", "hopper-medium", "bcq_ovr-lam0.03")
    assert "ovr_lambda=0.03" in swept and "ovr_lambda=0.01" not in swept
    with pytest.raises(ValueError, match="unknown run variant"):
        settings.parse_variant("bcq_ovr-mu3")


def test_run_dirs_and_figure2_reuse_table1_runs():
    dirs = settings.run_dirs(CFG, "runs")
    assert dirs["table1"] == ["runs/table1/hopper-medium/bcq", "runs/table1/hopper-medium/bcq_ovr",
                              "runs/table1/hopper-random/bcq", "runs/table1/hopper-random/bcq_ovr"]
    assert dirs["lambda"] == ["runs/lambda/hopper-medium/bcq_ovr-lam0", "runs/lambda/hopper-medium/bcq_ovr-lam0.03"]
    assert settings.figure2_dirs(CFG, "runs") == ["runs/table1/hopper-medium/bcq", "runs/table1/hopper-medium/bcq_ovr",
                                                  "runs/ablation/hopper-medium/bcq_iw"]


def test_reward_noise_is_fixed_by_its_seed_and_standard_normal():
    a, b = reward_noise(50_000, 1.0, 0), reward_noise(50_000, 1.0, 0)
    assert torch.equal(a, b) and not torch.equal(a, reward_noise(50_000, 1.0, 1))
    assert abs(a.mean()) < 0.02 and abs(a.std() - 1) < 0.02


def test_train_refuses_bad_arguments(capsys):
    base = ["--algo", "bcq", "--dataset", "hopper-medium", "--steps", "10", "--out", "x"]
    with pytest.raises(SystemExit, match="distinct"):
        train_main(base + ["--seeds", "1", "1"])
    with pytest.raises(SystemExit):
        train_main(base + ["--seeds", "0", "--reward-noise-std", "-1"])
    assert "--reward-noise-std" in capsys.readouterr().err


def _final(tmp_path, group, dataset, variant, scores, omega_mean=None):
    run = tmp_path / "runs" / group / dataset / variant
    run.mkdir(parents=True)
    final = {"seeds": [0, 1], "final_score": scores, "diverged": [False, False], "data": "generated",
             "final_stats": {"q_mean": [1.0, 2.0]}}
    (run / "final.json").write_text(json.dumps(final))
    if omega_mean is not None:
        members = [{"seed": s, "mean": omega_mean, "max": 3.0, "quantiles": {"0.5": 0.9}, "below": 1, "above": 0}
                   for s in (0, 1)]
        (run / "ratio.json").write_text(json.dumps({"members": members}))
    return run / "final.json"


def test_collect_duplicates_table1_runs_into_figure2_and_labels_noise(tmp_path):
    paths = [_final(tmp_path, "table1", "hopper-medium", "bcq", [10.0, 12.0]),
             _final(tmp_path, "table1", "hopper-medium", "bcq_ovr", [14.0, 15.0], omega_mean=1.1),
             _final(tmp_path, "noise", "hopper-medium", "bcq", [5.0, 6.0]),
             _final(tmp_path, "lambda", "hopper-medium", "bcq_ovr-lam0.03", [1.0, 2.0])]
    ours, ratios, sweeps = collect.collect(paths, "quick", {"hopper-medium"})
    cells = set(zip(ours["artifact"], ours["setting"], ours["method"]))
    assert cells == {("table1", "hopper-medium", "BCQ"), ("table1", "hopper-medium", "BCQ+OVR"),
                     ("figure2", "hopper-medium", "BCQ"), ("figure2", "hopper-medium", "BCQ+OVR"),
                     ("figure3", "hopper-medium (r + noise)", "BCQ")}
    assert ratios["mean"].tolist() == [1.1, 1.1] and sweeps["value"].tolist() == [0.03, 0.03]


def test_dry_run_lists_table1_figures_and_theory():
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--forceall", "--cores", "2", "ovr_all"],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    jobs = dict(re.findall(r"^(ovr_\w+)\s+(\d+)$", proc.stdout.split("Job stats:")[1], re.MULTILINE))
    assert {"ovr_train", "ovr_theory", "ovr_collect", "ovr_figure"} <= set(jobs) and jobs["ovr_figure"] == "3"
    assert "results/ovr/theory.md" in proc.stdout
