"""DMG's wiring: per-dataset hyperparameters, run variants, ours.csv collection, claims, published numbers, CLIs."""
import json
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

from papers.dmg import claims, collect, settings, train
from papers.dmg.figures import sweep_figure
from shared.report import Results
from shared.rl.cli import build_config
from shared.report.published import load_published

REPO = Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((REPO / "config/papers/dmg.yaml").read_text())


def overrides(group, dataset, variant, scale="quick"):
    algo, args = settings.run_overrides(CONFIG[scale], group, dataset, variant)
    return algo, dict(a.split("=", 1) for a in args[1::2])


def test_table5_hyperparameters_per_dataset():
    assert overrides("table2", "hopper-medium", "dmg") == (
        "dmg", {"lam": "0.25", "expectile": "0.7", "temperature": "3.0", "max_weight": "3.0", "nu": "0.1"})
    assert overrides("table2", "walker2d-medium-expert", "dmg")[1]["nu"] == "10.0"
    assert overrides("table2", "halfcheetah-random", "dmg")[1]["nu"] == "0.1"
    antmaze = overrides("table2", "antmaze-large-play", "dmg")[1]
    assert antmaze == {"lam": "0.25", "nu": "0.5", "expectile": "0.9", "temperature": "10.0", "max_weight": "100.0"}
    assert overrides("table2", "antmaze-umaze", "iql")[1] == {"expectile": "0.9", "temperature": "10.0"}
    assert overrides("table3", "hopper-medium-expert", "sql_dmg")[1]["sql_alpha"] == "5.0"
    assert overrides("table3", "hopper-medium", "sql")[1] == {"sql_alpha": "2.0"}
    assert overrides("table3", "hopper-medium", "xql_dmg")[1]["xql_beta"] == "5.0"
    assert overrides("table2", "hopper-medium", "bc") == ("bc", {})


def test_sweeps_fix_the_other_coefficient_and_override_the_dataset_default():
    algo, values = overrides("lambda", "hopper-expert", "dmg-lam1")
    assert algo == "dmg" and values["lam"] == "1.0" and values["nu"] == "0.1"   # not expert's nu = 10
    assert overrides("nu", "hopper-medium-replay", "dmg-nu0.001")[1]["nu"] == "0.001"
    assert settings.sweep_variant("nu", 0.001) == "dmg-nu0.001"
    assert settings.parse_variant(settings.sweep_variant("lam", 0.25)) == ("dmg", {"lam": 0.25})
    with pytest.raises(ValueError, match="unknown run variant 'dmg-tau0.5'"):
        settings.parse_variant("dmg-tau0.5")


def test_quick_scale_runs_table2_in_full_and_both_sweeps():
    dirs = settings.run_dirs(CONFIG["quick"], "runs")
    assert len(dirs["table2"]) == 15 * 4
    assert {d.rsplit("/", 1)[1] for d in dirs["table2"]} == {"dmg", "bc", "iql", "td3bc"}
    assert len(dirs["lambda"]) >= 3 and len(dirs["nu"]) >= 3
    paper = settings.run_dirs(CONFIG["paper"], "runs")
    assert len(paper["table2"]) == 21 * 4 and len(paper["table3"]) == 9 * 4 and len(paper["table6"]) == 21
    assert settings.group_seeds(CONFIG["paper"], "table6") == list(range(10))


def test_set_parses_numbers_like_the_command_line_writes_them():
    config = build_config(train.ALGOS["dmg"], ["actor_lr=3e-4", "nu=10", "hidden=[64,64]"], steps=100)
    assert config.actor_lr == 3e-4 and isinstance(config.nu, float) and config.hidden == (64, 64)
    assert config.total_steps == 100
    assert build_config(train.ALGOS["iql"], [], steps=100).cosine_steps == 100


def write_final(root: Path, rel: str, **fields) -> Path:
    final = {"algo": "dmg", "dataset": rel.split("/")[1], "data": "generated Hopper-v5 (D4RL recipe)",
             "seeds": [0, 1], "final_score": [50.0, 60.0], "diverged": [False, False], "device": "cpu",
             "updates_per_s": 100.0, "final_stats": {"q_mean": [10.0, 12.0]}, **fields}
    path = root / rel / "final.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(final))
    return path


def test_collect_builds_ours_sweeps_and_runtime(tmp_path):
    paths = [
        write_final(tmp_path, "table2/halfcheetah-medium-replay/dmg"),
        write_final(tmp_path, "table2/halfcheetah-medium-replay/td3bc", algo="td3bc", updates_per_s=150.0),
        write_final(tmp_path, "lambda/hopper-medium/dmg-lam1", final_score=[70.0, math.nan],
                    diverged=[False, True], final_stats={"q_mean": [1e3, math.nan]}),
        write_final(tmp_path, "finetune/hopper-medium/dmg", algo=None, offline_score=[20.0, 30.0],
                    online_score=[40.0, 50.0]),
    ]
    ours, sweeps, runtime = collect.collect(paths, "quick", "halfcheetah-medium-replay")
    assert list(ours.columns) == ["artifact", "setting", "method", "seed", "value", "diverged", "data", "scale"]
    cell = ours[(ours.artifact == "table2") & (ours.method == "TD3BC")]
    assert cell["value"].tolist() == [50.0, 60.0] and set(cell["setting"]) == {"halfcheetah-medium-replay"}
    fig1 = ours[ours.artifact == "figure1"]
    assert set(fig1["setting"]) == {"lambda=1 hopper-medium"}
    assert fig1["diverged"].tolist() == [False, True] and math.isnan(fig1["value"].tolist()[1])
    table4 = ours[ours.artifact == "table4"].groupby("method")["value"].mean().to_dict()
    assert table4 == {"DMG (offline)": 25.0, "DMG (online)": 45.0}
    assert set(ours[ours.artifact == "table4"]["setting"]) == {"hopper-medium (stand-in)"}
    assert sweeps[["value", "q"]].iloc[0].tolist() == [1.0, 1e3]
    hours = runtime.set_index("method")["hours_per_1m_updates_per_seed"]
    assert hours["DMG"] == pytest.approx(1e6 / 100 / 3600 / 2)
    with pytest.raises(SystemExit, match="expected runs/<group>"):
        collect.collect([write_final(tmp_path, "other/hopper-medium/dmg")], "quick", "x")


def results_of(rows, tmp_path, sweeps=None):
    df = pd.DataFrame([dict(zip(["artifact", "setting", "method", "seed", "value"], r), diverged=False,
                            data="generated", scale="quick") for r in rows])
    if sweeps is not None:
        sweeps.to_csv(tmp_path / "sweeps.csv", index=False)
    return Results(tmp_path, df)


def test_claims_hold_fail_and_not_run(tmp_path):
    rows = [("table2", d, m, s, v) for d, base in (("hopper-medium", 50), ("hopper-expert", 100))
            for m, v in (("DMG", base + 10), ("IQL", base), ("TD3BC", base + 20)) for s in (0, 1)]
    res = results_of(rows, tmp_path)
    outcome = claims.dmg_beats_iql_and_td3bc(res)
    assert outcome.verdict == "fail" and "DMG 170.0, IQL 150.0, TD3BC 190.0" in outcome.evidence
    assert claims.dmg_improves_in_sample_learners(res).verdict == "hold"
    assert claims.finetuning_improves_dmg(res).verdict == "not run"
    assert claims.q_grows_with_lambda(res).verdict == "not run"


def test_sweep_claims_read_q_and_count_divergence(tmp_path):
    sweeps = pd.DataFrame([{"sweep": "lambda", "dataset": "hopper-medium", "value": lam, "seed": s,
                            "score": score, "q": q, "diverged": div}
                           for lam, score, q, div in ((0.0, 40, 10, False), (0.25, 60, 20, False),
                                                      (1.0, 10, math.nan, True)) for s in (0, 1)])
    res = results_of([("table2", "hopper-medium", "DMG", 0, 1.0)], tmp_path, sweeps)
    assert claims.q_grows_with_lambda(res).verdict == "hold"
    best = claims.moderate_lambda_best(res)
    assert best.verdict == "hold" and "best 0.25" in best.evidence and "2 diverged" in best.evidence
    assert claims.q_grows_as_nu_shrinks(res).verdict == "not run"


def test_published_numbers_validate_and_totals_add_up():
    published = load_published(REPO / "papers/dmg/published.yaml", paper="dmg")
    assert {a.id for a in published.artifacts} >= {"table2", "table3", "table4", "table6", *(f"figure{i}" for i in range(1, 7))}
    for artifact in published.artifacts:
        means = {(c.setting, c.method): c.mean for c in artifact.cells}
        for total in artifact.totals:
            for (setting, method), value in means.items():
                if setting == total.setting:
                    assert sum(means[(s, method)] for s in total.over) == pytest.approx(value, abs=0.15)
    table6 = {(c.setting, c.method): c for c in published.artifact("table6").cells}
    assert table6[("antmaze total", "DMG (10 seeds)")].mean == 435.9
    assert table6[("hopper-random", "DMG (10 seeds)")].spread_kind == "ci95"
    assert table6[("hopper-random", "DMG (5 seeds)")].spread == 10.4


def test_sweep_figure_is_written(tmp_path):
    sweeps = pd.DataFrame([{"sweep": "nu", "dataset": "hopper-medium", "value": nu, "seed": s, "score": 10 * s + nu,
                            "q": 5.0 / nu, "diverged": False} for nu in (10.0, 0.1, 0.01) for s in (0, 1)])
    sweep_figure(sweeps, "nu", tmp_path / "figure2.png")
    assert (tmp_path / "figure2.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("argv, message", [
    (["--set", "nonsense=1"], "--set 'nonsense=1': expected KEY=VALUE"),
    (["--set", "lam=2"], "lam=2"),
    (["--seeds", "1", "1"], "--seeds must be distinct"),
    (["--set", "actor_lr=fast"], "--set actor_lr=fast: expected a number"),
])
def test_train_cli_bad_input_is_one_clear_line(argv, message, tmp_path):
    base = ["--algo", "dmg", "--dataset", "hopper-medium", "--seeds", "0", "--steps", "10", "--out", str(tmp_path)]
    with pytest.raises(SystemExit) as err:
        train.main(base + argv)
    assert message in str(err.value)
