"""The extension table's runs and rows, without training."""
import json
import math

import pytest

from papers.dromo import settings
from papers.dromo.collect import rows_of_run
from shared.config import scale_settings


def test_every_algorithm_runs_on_the_same_setting_and_only_dromo_gets_the_penalty_knobs():
    cfg = scale_settings("dromo", "paper")
    assert settings.run_list(cfg)[:3] == [("halfcheetah-medium", a) for a in ("combo", "dromo", "dromo_strict")]
    combo = settings.run_config(cfg, "hopper-medium", "combo", "m/{seed}")
    dromo = settings.run_config(cfg, "hopper-medium", "dromo", "m/{seed}")
    assert "dro_alpha" not in combo and dromo["dro_alpha"] == 1.0
    assert {k: dromo[k] for k in combo} == combo       # same base setting, same cached models
    assert combo["model_dir"] == "m/{seed}" and combo["beta"] == 5.0 and combo["rho_states"] == "model"
    with pytest.raises(ValueError, match="unknown algorithm"):
        settings.run_config(cfg, "hopper-medium", "mopo", "m")


def test_collect_rows_carry_score_q_and_regulariser_per_seed():
    final = {"seeds": [0, 1], "final_score": [10.0, 12.0], "diverged": [False, True], "data": "generated Hopper-v5",
             "final_stats": {"q_mean": [3.0, 4.0], "regulariser": [-1.0, -2.0]}}
    rows = rows_of_run("hopper-medium", "dromo_strict", json.loads(json.dumps(final)), "quick")
    by = {(r["artifact"], r["seed"]): r for r in rows}
    assert by[("extension", 0)]["method"] == "strict DROMO (Eq. 17)" and by[("extension", 0)]["value"] == 10.0
    assert by[("extension_q", 0)]["value"] == 3.0 and by[("extension_reg", 0)]["value"] == -1.0
    assert math.isnan(by[("extension", 1)]["value"]) and by[("extension", 1)]["diverged"]
