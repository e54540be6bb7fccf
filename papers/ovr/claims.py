"""OVR's qualitative claims (../shared/papers/ovr/notes.md sections 4-5), checked on whatever data our runs used.

Every claim is decided by the shared rule (shared.report.stats.compare: Welch's t-test on per-seed values, two-sided,
alpha 0.05, at least MIN_EFFECT normalised points), so a claim whose deciding difference is within the seeds' noise
is inconclusive, never hold or fail; a claim whose cells are absent at this scale is "not run". The claims span
several datasets; each is one comparison of per-seed values averaged over the datasets both sides ran:

- scores (ovr_geq_bcq, no_gain_random, ovr_beats_iw): per seed, the method's mean score over the datasets, one
  method against the other. "At least as well" and "no improvement" are tested as "above" and "below": the rule
  has no equivalence test, so a gap within noise leaves them inconclusive, like any other claim.
- gains (gain_medium_mixed, gain_hopper_walker, gain_under_noise): per seed id, BCQ+OVR's score minus BCQ's on each
  dataset, averaged over a group of datasets; one group's per-seed mean gain against the other's.

The evidence gives each dataset's mean gain (or the datasets averaged) and the comparison that decided the verdict.
"""
from __future__ import annotations

import math

from shared.report import Claim
from shared.report.stats import compare

OVR, BCQ, IW = "BCQ+OVR", "BCQ", "BCQ+I.W."
FAVOURED_LEVELS = ("medium", "medium-replay")
OTHER_LEVELS = ("random", "expert", "medium-expert")
HOPPER_WALKER = ("hopper", "walker2d")
NOISE_SUFFIX = " (r + noise)"  # Figure 3's settings: the Table 1 dataset with N(0, 1) reward noise
MIN_EFFECT = 1.0  # normalised points: the diff's absolute floor; a smaller gap in a score is never a finding


def level(setting: str) -> str:
    return setting.split(" ")[0].split("-", 1)[1]


def _settings(results, artifact: str, methods) -> list[str]:
    """The settings of `artifact` that every one of `methods` ran."""
    df = results.df[results.df["artifact"] == artifact]
    return sorted(set.intersection(*(set(df.loc[df["method"] == m, "setting"]) for m in methods)))


def _per_seed_mean(results, artifact: str, method: str, settings) -> dict[int, float]:
    """{seed: mean of the method's scores over `settings`} for the seeds that ran all of them (NaN if one of a
    seed's runs diverged)."""
    cells = [results.cell(artifact, s, method) for s in settings]
    seeds = sorted(set.intersection(*(set(c.seed_ids) for c in cells))) if cells else []
    return {k: sum(c.values[c.seed_ids.index(k)] for c in cells) / len(cells) for k in seeds}


def _per_seed_gain(results, artifact: str, settings, better: str = OVR, base: str = BCQ) -> list[float]:
    """Per seed id: mean over `settings` of `better`'s score minus `base`'s."""
    a, b = (_per_seed_mean(results, artifact, m, settings) for m in (better, base))
    return [a[k] - b[k] for k in sorted(set(a) & set(b))]


def _gains_text(results, artifact: str, settings, better: str = OVR, base: str = BCQ) -> str:
    """Each dataset's gain of mean `better` over mean `base`, for the evidence."""
    gains = ((s, results.cell(artifact, s, better).mean - results.cell(artifact, s, base).mean) for s in settings)
    return ", ".join(f"{s} {g:+.2f}" if math.isfinite(g) else f"{s} n/a" for s, g in gains)


def _scores_claim(results, name: str, statement: str, artifact: str, settings, direction: str,
                  better: str = OVR, base: str = BCQ) -> Claim:
    """`better`'s per-seed mean score over `settings` is `direction` than `base`'s."""
    a, b = (list(_per_seed_mean(results, artifact, m, settings).values()) for m in (better, base))
    comparison = compare(a, b, min_effect=MIN_EFFECT)
    prefix = (f"{better} - {base} per dataset: {_gains_text(results, artifact, settings, better, base)}; "
              f"per-seed mean score over the {len(settings)} dataset(s): ")
    return Claim.from_comparisons(name, statement, [(comparison, direction, (better, base))], prefix=prefix)


def _gains_claim(results, name: str, statement: str, group_a, group_b, labels: tuple[str, str]) -> Claim:
    """The per-seed mean gain over `group_a` is greater than over `group_b`; a group is (artifact, settings)."""
    gain_a, gain_b = (_per_seed_gain(results, artifact, settings) for artifact, settings in (group_a, group_b))
    comparison = compare(gain_a, gain_b, min_effect=MIN_EFFECT)
    per_dataset = "; ".join(f"{label}: {_gains_text(results, *group)}"
                            for label, group in zip(labels, (group_a, group_b)))
    return Claim.from_comparisons(name, statement, [(comparison, "greater", labels)],
                                  prefix=f"{OVR} - {BCQ} per dataset, {per_dataset}; per-seed mean gain: ")


def ovr_at_least_bcq_on_most(results) -> Claim:
    name, statement = "ovr_geq_bcq", "BCQ+OVR scores at least as well as BCQ on most datasets (Table 1)."
    common = _settings(results, "table1", [OVR, BCQ])
    if not common:
        return Claim.not_run(name, statement, "no dataset with both BCQ and BCQ+OVR run")
    return _scores_claim(results, name, statement, "table1", common, "greater")


def larger_gains_on_medium_and_mixed(results) -> Claim:
    name = "gain_medium_mixed"
    statement = ("OVR's gain over BCQ is larger on medium and mixed (medium-replay) data than on random, expert and "
                 "medium-expert data (Table 1, Sec. 5).")
    common = _settings(results, "table1", [OVR, BCQ])
    fav = [s for s in common if level(s) in FAVOURED_LEVELS]
    other = [s for s in common if level(s) in OTHER_LEVELS]
    if not fav or not other:
        return Claim.not_run(name, statement, "needs BCQ and BCQ+OVR on medium/mixed and on other datasets")
    return _gains_claim(results, name, statement, ("table1", fav), ("table1", other), ("medium/mixed", "others"))


def larger_gains_on_hopper_walker_medium_mixed(results) -> Claim:
    name = "gain_hopper_walker"
    statement = "On medium and mixed data the gains are largest for Hopper and Walker (Sec. 5)."
    fav = [s for s in _settings(results, "table1", [OVR, BCQ]) if level(s) in FAVOURED_LEVELS]
    hw = [s for s in fav if s.startswith(HOPPER_WALKER)]
    hc = [s for s in fav if s.startswith("halfcheetah")]
    if not hw or not hc:
        return Claim.not_run(name, statement, "needs medium/mixed runs on hopper or walker2d and on halfcheetah")
    return _gains_claim(results, name, statement, ("table1", hw), ("table1", hc), ("hopper/walker2d", "halfcheetah"))


def no_gain_on_random(results) -> Claim:
    name, statement = "no_gain_random", "OVR brings no improvement on random data (Sec. 5)."
    random = [s for s in _settings(results, "table1", [OVR, BCQ]) if level(s) == "random"]
    if not random:
        return Claim.not_run(name, statement, "no random dataset with both methods run")
    return _scores_claim(results, name, statement, "table1", random, "less")


def larger_gain_under_reward_noise(results) -> Claim:
    name = "gain_under_noise"
    statement = "OVR's gain over BCQ is larger when rewards are corrupted by N(0, 1) noise (Fig. 3 vs Fig. 1)."
    clean = set(_settings(results, "table1", [OVR, BCQ]))
    common = [s for s in _settings(results, "figure3", [OVR, BCQ]) if s.removesuffix(NOISE_SUFFIX) in clean]
    if not common:
        return Claim.not_run(name, statement, "no dataset run both with and without reward noise")
    return _gains_claim(results, name, statement, ("figure3", common),
                        ("table1", [s.removesuffix(NOISE_SUFFIX) for s in common]), ("with noise", "without"))


def ovr_beats_importance_weighting(results) -> Claim:
    name, statement = "ovr_beats_iw", "BCQ+OVR outperforms BCQ with importance weighting alone (Fig. 2, App. E.1)."
    common = _settings(results, "figure2", [OVR, IW])
    if not common:
        return Claim.not_run(name, statement, "no Hopper ablation with both BCQ+OVR and BCQ+I.W. run")
    return _scores_claim(results, name, statement, "figure2", common, "greater", OVR, IW)


CLAIMS = [ovr_at_least_bcq_on_most, larger_gains_on_medium_and_mixed, larger_gains_on_hopper_walker_medium_mixed,
          no_gain_on_random, larger_gain_under_reward_noise, ovr_beats_importance_weighting]
