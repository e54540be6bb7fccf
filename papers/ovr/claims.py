"""OVR's qualitative claims (../shared/papers/ovr/notes.md sections 4-5), checked on whatever data our runs used.

A gain is BCQ+OVR's mean minus BCQ's on one dataset; it counts as beyond seed noise when it exceeds the larger of
the two cells' seed std. Claims whose cells are absent at this scale are "not run"; the evidence always says how
many of the deciding differences are beyond seed noise (none: the verdict is within noise, i.e. inconclusive).
"""
from __future__ import annotations

import math

from shared.report import Claim

OVR, BCQ, IW = "BCQ+OVR", "BCQ", "BCQ+I.W."
FAVOURED_LEVELS = ("medium", "medium-replay")
OTHER_LEVELS = ("random", "expert", "medium-expert")


def level(setting: str) -> str:
    return setting.split(" ")[0].split("-", 1)[1]


def gains(results, artifact: str, better: str = OVR, base: str = BCQ) -> dict[str, tuple[float, bool]]:
    """{setting: (mean(better) - mean(base), beyond seed noise)} over the settings where both ran."""
    df = results.df[results.df["artifact"] == artifact]
    out = {}
    for setting in sorted(set(df["setting"])):
        a, b = results.cell(artifact, setting, better), results.cell(artifact, setting, base)
        if a is None or b is None or math.isnan(a.mean) or math.isnan(b.mean):
            continue
        noise = max(x for x in (a.std, b.std, 0.0) if not math.isnan(x))
        out[setting] = (a.mean - b.mean, abs(a.mean - b.mean) > noise)
    return out


def _fmt(found: dict[str, tuple[float, bool]]) -> str:
    beyond = sum(b for _, b in found.values())
    return (", ".join(f"{s} {g:+.1f}{'' if b else ' (noise)'}" for s, (g, b) in found.items())
            + f"; {beyond}/{len(found)} beyond seed noise")


def ovr_at_least_bcq_on_most(results) -> Claim:
    name, statement = "ovr_geq_bcq", "BCQ+OVR scores at least as well as BCQ on most datasets (Table 1)."
    found = gains(results, "table1")
    if not found:
        return Claim.not_run(name, statement, "no dataset with both BCQ and BCQ+OVR run")
    wins = sum(g >= 0 for g, _ in found.values())
    return Claim.check(name, statement, wins > len(found) / 2, f"{wins}/{len(found)} datasets: {_fmt(found)}")


def larger_gains_on_medium_and_mixed(results) -> Claim:
    name = "gain_medium_mixed"
    statement = ("OVR's gain over BCQ is larger on medium and mixed (medium-replay) data than on random, expert and "
                 "medium-expert data (Table 1, Sec. 5).")
    found = gains(results, "table1")
    fav = [g for s, (g, _) in found.items() if level(s) in FAVOURED_LEVELS]
    other = [g for s, (g, _) in found.items() if level(s) in OTHER_LEVELS]
    if not fav or not other:
        return Claim.not_run(name, statement, "needs BCQ and BCQ+OVR on medium/mixed and on other datasets")
    mean_fav, mean_other = sum(fav) / len(fav), sum(other) / len(other)
    return Claim.check(name, statement, mean_fav > mean_other,
                       f"mean gain medium/mixed {mean_fav:+.2f} ({len(fav)} datasets), others {mean_other:+.2f} "
                       f"({len(other)}); {_fmt(found)}")


def larger_gains_on_hopper_walker_medium_mixed(results) -> Claim:
    name = "gain_hopper_walker"
    statement = "On medium and mixed data the gains are largest for Hopper and Walker (Sec. 5)."
    found = {s: v for s, v in gains(results, "table1").items() if level(s) in FAVOURED_LEVELS}
    hw = [g for s, (g, _) in found.items() if s.startswith(("hopper", "walker2d"))]
    hc = [g for s, (g, _) in found.items() if s.startswith("halfcheetah")]
    if not hw or not hc:
        return Claim.not_run(name, statement, "needs medium/mixed runs on hopper or walker2d and on halfcheetah")
    return Claim.check(name, statement, sum(hw) / len(hw) > sum(hc) / len(hc),
                       f"mean gain hopper/walker2d {sum(hw) / len(hw):+.2f}, halfcheetah {sum(hc) / len(hc):+.2f}; "
                       f"{_fmt(found)}")


def no_gain_on_random(results) -> Claim:
    name, statement = "no_gain_random", "OVR brings no improvement on random data (Sec. 5)."
    found = {s: v for s, v in gains(results, "table1").items() if level(s) == "random"}
    if not found:
        return Claim.not_run(name, statement, "no random dataset with both methods run")
    holds = all(g <= 0 or not beyond for g, beyond in found.values())
    return Claim.check(name, statement, holds, _fmt(found))


def larger_gain_under_reward_noise(results) -> Claim:
    name = "gain_under_noise"
    statement = "OVR's gain over BCQ is larger when rewards are corrupted by N(0, 1) noise (Fig. 3 vs Fig. 1)."
    noisy = {s.split(" ")[0]: v for s, v in gains(results, "figure3").items()}
    clean = gains(results, "table1")
    common = sorted(set(noisy) & set(clean))
    if not common:
        return Claim.not_run(name, statement, "no dataset run both with and without reward noise")
    g_noisy = sum(noisy[s][0] for s in common) / len(common)
    g_clean = sum(clean[s][0] for s in common) / len(common)
    return Claim.check(name, statement, g_noisy > g_clean,
                       f"mean gain with noise {g_noisy:+.2f}, without {g_clean:+.2f} over {', '.join(common)}")


def ovr_beats_importance_weighting(results) -> Claim:
    name, statement = "ovr_beats_iw", "BCQ+OVR outperforms BCQ with importance weighting alone (Fig. 2, App. E.1)."
    found = gains(results, "figure2", OVR, IW)
    if not found:
        return Claim.not_run(name, statement, "no Hopper ablation with both BCQ+OVR and BCQ+I.W. run")
    wins = sum(g > 0 for g, _ in found.values())
    return Claim.check(name, statement, wins > len(found) / 2,
                       f"BCQ+OVR - BCQ+I.W.: {wins}/{len(found)} datasets: {_fmt(found)}")


CLAIMS = [ovr_at_least_bcq_on_most, larger_gains_on_medium_and_mixed, larger_gains_on_hopper_walker_medium_mixed,
          no_gain_on_random, larger_gain_under_reward_noise, ovr_beats_importance_weighting]
