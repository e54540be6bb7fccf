"""The paper-scale projection: job counts from the scale's runs, hours from the benchmark's throughput."""
import pytest

from papers.dmg import projection
from shared.config import scale_settings


def fake_bench(rate_k5):
    """Every algorithm at rate_k5 updates/s with 5 seeds (and a tenth of it per update at 10 seeds)."""
    rows = [{"algo": a, "seeds": k, "updates_per_s": rate_k5 * 5 / k} for a in projection.FAMILY.values()
            for k in (1, 5, 10)]
    return {"results": rows, "eval_env_steps_per_s": 1e12}


def test_hours_are_updates_over_measured_throughput():
    cfg = scale_settings("dmg", "paper")
    tables = projection.project(fake_bench(10.0), cfg)
    table2 = tables["table2"]
    n_jobs = (len(cfg["table2"]["datasets"]) + len(cfg["table2"]["antmaze"])) * len(cfg["table2"]["methods"])
    assert table2["jobs"] == n_jobs
    assert table2["train_hours"] == pytest.approx(n_jobs * cfg["steps"] / 10.0 / 3600)
    # Table 6 trains 10 seeds per job: the benchmark's K = 10 rate (half the updates/s of K = 5 here).
    assert tables["table6"]["train_hours"] == pytest.approx(tables["table6"]["jobs"] * cfg["steps"] / 5.0 / 3600)
    assert table2["eval_hours"] == pytest.approx(0.0, abs=1e-3)
