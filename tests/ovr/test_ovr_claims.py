import math

import pandas as pd

from papers.ovr import claims
from shared.report import Results
from shared.report.claim import run_claims

def _results(tmp_path, rows):
    df = pd.DataFrame([{"artifact": a, "setting": s, "method": m, "seed": k, "value": v,
                        "diverged": not math.isfinite(v), "data": "generated", "scale": "quick"}
                       for a, s, m, values in rows for k, v in enumerate(values)])
    return Results(tmp_path, df)


def _verdicts(tmp_path, rows):
    return {c.name: c.verdict for c in run_claims(claims.CLAIMS, _results(tmp_path, rows))}


def _rows(spread, gains):
    """Every claim's cells, 3 seeds: BCQ at base + offsets, BCQ+OVR at base + gain + offsets (offsets x spread,
    mean 0.5 for every method, so each cell's mean gain is exactly `gains`)."""
    offsets = {"BCQ": [0.0, 0.5, 1.0], "BCQ+OVR": [0.1, 0.3, 1.1], "BCQ+I.W.": [0.2, 0.4, 0.9]}
    cells = [("table1", "hopper-medium", 10.0), ("table1", "hopper-random", 5.0),
             ("table1", "halfcheetah-medium", 30.0), ("figure3", "hopper-medium (r + noise)", 1.0),
             ("figure2", "hopper-medium", 10.0)]
    rows = []
    for artifact, setting, base in cells:
        methods = {"BCQ": 0.0, "BCQ+OVR": gains[artifact, setting]}
        if artifact == "figure2":
            methods = {"BCQ+OVR": gains["table1", setting], "BCQ+I.W.": gains[artifact, setting]}
        rows += [(artifact, setting, m, [base + g + spread * o for o in offsets[m]]) for m, g in methods.items()]
    return rows


# gains: hopper-medium +10, hopper-random -3, halfcheetah-medium +2, under noise +2 (< +10 clean), I.W. +15 (> OVR)
CLEAR = {("table1", "hopper-medium"): 10.0, ("table1", "hopper-random"): -3.0, ("table1", "halfcheetah-medium"): 2.0,
         ("figure3", "hopper-medium (r + noise)"): 2.0, ("figure2", "hopper-medium"): 15.0}


def test_clear_differences_hold_or_fail(tmp_path):
    assert _verdicts(tmp_path, _rows(1.0, CLEAR)) == {
        "ovr_geq_bcq": "hold", "gain_medium_mixed": "hold", "gain_hopper_walker": "hold", "no_gain_random": "hold",
        "gain_under_noise": "fail", "ovr_beats_iw": "fail"}


def test_the_evidence_gives_the_deciding_numbers(tmp_path):
    outcome = {c.name: c for c in run_claims(claims.CLAIMS, _results(tmp_path, _rows(1.0, CLEAR)))}
    hw = outcome["gain_hopper_walker"].evidence
    assert "hopper/walker2d: hopper-medium +10.00" in hw and "halfcheetah: halfcheetah-medium +2.00" in hw
    assert "hopper/walker2d 10 > halfcheetah 2" in hw and "Welch p" in hw and "n 3/3" in hw
    assert "BCQ+OVR 20.5 < BCQ+I.W. 25.5" in outcome["ovr_beats_iw"].evidence


def test_differences_within_seed_noise_are_inconclusive(tmp_path):
    assert set(_verdicts(tmp_path, _rows(40.0, CLEAR)).values()) == {"inconclusive"}


def test_differences_below_one_point_are_inconclusive_however_tight(tmp_path):
    tiny = {key: gain / 20 for key, gain in CLEAR.items()}  # every gap under MIN_EFFECT, seeds nearly identical
    assert set(_verdicts(tmp_path, _rows(0.001, tiny)).values()) == {"inconclusive"}


def test_one_finite_seed_a_side_decides_nothing(tmp_path):
    rows = [("table1", "hopper-random", "BCQ", [5.0, math.nan]), ("table1", "hopper-random", "BCQ+OVR", [50.0, 51.0])]
    assert _verdicts(tmp_path, rows)["no_gain_random"] == "inconclusive"


def test_missing_cells_are_not_run(tmp_path):
    rows = _rows(1.0, CLEAR)
    assert set(_verdicts(tmp_path, rows[:1]).values()) == {"not run"}
    table1_hopper = [r for r in rows if r[0] == "table1" and r[1].startswith("hopper")]
    verdicts = _verdicts(tmp_path, table1_hopper)
    assert {n for n, v in verdicts.items() if v == "not run"} == {"gain_hopper_walker", "gain_under_noise",
                                                                  "ovr_beats_iw"}
    assert verdicts["ovr_geq_bcq"] == verdicts["gain_medium_mixed"] == "hold"
