"""DROMO's extension claim (learned Q below COMBO's) under the shared noise rule."""
import pandas as pd
import pytest

from papers.dromo.claims import dromo_more_pessimistic_than_combo
from shared.report import Results


def _results(tmp_path, q: dict[str, list[float]], dataset: str = "hopper-medium"):
    rows = [{"artifact": "extension_q", "setting": dataset, "method": m, "seed": k, "value": v, "diverged": False,
             "data": "generated", "scale": "quick"} for m, values in q.items() for k, v in enumerate(values)]
    return Results(tmp_path, pd.DataFrame(rows))


COMBO = [34.0, 34.5, 35.0]


@pytest.mark.parametrize("eq13, eq17, verdict", [
    ([30.0, 30.5, 31.0], [32.0, 32.5, 33.0], "hold"),           # both forms clearly below
    ([30.0, 30.5, 31.0], [34.1, 34.6, 35.1], "inconclusive"),   # the strict form within noise
    ([30.0, 30.5, 31.0], [38.0, 38.5, 39.0], "fail"),           # the strict form clearly above
])
def test_the_verdict_follows_the_noise_rule(tmp_path, eq13, eq17, verdict):
    claim = dromo_more_pessimistic_than_combo(
        _results(tmp_path, {"COMBO": COMBO, "DROMO (Eq. 13)": eq13, "strict DROMO (Eq. 17)": eq17}))
    assert claim.verdict == verdict and claim.evidence.count("Welch p") == 2


def test_without_the_extension_cells_it_is_not_run(tmp_path):
    assert dromo_more_pessimistic_than_combo(_results(tmp_path, {"COMBO": COMBO})).verdict == "not run"
