"""COMBO's settings (runs of Tables 4-8), the transcribed Table 4 rows and collect, without training."""
import json
import math

import yaml

from papers.combo import settings
from papers.combo.collect import collect
from shared.config import scale_settings

PUBLISHED_TABLE4 = {  # (beta=0.5 score, reg, beta=5 score, reg) from appendix.txt Table 4
    "halfcheetah-medium": (54.2, -778.6, 40.8, -236.8), "hopper-medium": (75.0, -740.7, 97.2, -2035.9),
    "walker2d-medium-expert": (10.3, -788.3, 103.3, -3891.4)}


def test_tables_share_the_per_dataset_setting_and_vary_one_factor():
    cfg = scale_settings("combo", "paper")
    cands = settings.selection_candidates(cfg)
    base = settings.default_variant(cfg, "hopper-medium")
    assert base == "combo_beta5_muuniform_rhomodel_f0.5"
    hopper = {(t, label): v for t, d, label, v in cands if d == "hopper-medium"}
    assert hopper[("table4", "beta=5")] == hopper[("table5", "mu=Unif(a)")] == hopper[("table7", "f=0.5")] == base
    assert hopper[("table6", "rho(s)=d_f")] == "combo_beta5_muuniform_rhomix_f0.5"
    runs = settings.run_list(cfg)
    assert len(runs) == len({(d, v) for d, v, _ in runs})     # each (dataset, setting) trained once
    assert ("halfcheetah-jump", "cql_mbpo_beta1_mupolicy_rhodata_f0.5", [0, 1, 2, 3, 4, 5]) in runs
    algo, fields = settings.run_config(cfg, "walker2d-medium", settings.default_variant(cfg, "walker2d-medium"), "m")
    assert (algo, fields["rollout_length"], fields["critic_lr"], fields["real_fraction"], fields["env"]) == \
        ("combo", 1, 1e-4, 0.8, "walker2d")


def test_published_yaml_table4_matches_the_transcribed_rows():
    published = yaml.safe_load(open("papers/combo/published.yaml"))
    cells = {(a["id"], c["setting"], c["method"]): c["mean"] for a in published["artifacts"] for c in a["cells"]}
    for dataset, (s05, r05, s5, r5) in PUBLISHED_TABLE4.items():
        assert (cells[("table4", dataset, "beta=0.5")], cells[("table4_reg", dataset, "beta=0.5")]) == (s05, r05)
        assert (cells[("table4", dataset, "beta=5")], cells[("table4_reg", dataset, "beta=5")]) == (s5, r5)
        assert cells[("d4rl", dataset, "COMBO")] == (s05 if r05 < r5 else s5)


def test_collect_writes_score_and_regulariser_rows_and_the_d4rl_cell(tmp_path):
    run = tmp_path / "runs" / "hopper-medium" / "combo_beta5_muuniform_rhomodel_f0.5"
    run.mkdir(parents=True)
    (run / "final.json").write_text(json.dumps({
        "seeds": [0, 1], "final_score": [50.0, 60.0], "diverged": [False, True], "data": "generated Hopper-v5",
        "final_stats": {"regulariser": [-3.0, -4.0]}}))
    ours = collect([run / "final.json"], "quick")
    t4 = ours[ours["artifact"] == "table4"]
    assert set(t4["method"]) == {"beta=5"} and t4["value"].iloc[0] == 50.0 and math.isnan(t4["value"].iloc[1])
    assert set(ours["artifact"]) == {f"table{i}{s}" for i in (4, 5, 6, 7) for s in ("", "_reg")} | {"d4rl"}
    assert ours[ours["artifact"] == "table7_reg"]["value"].iloc[0] == -3.0
