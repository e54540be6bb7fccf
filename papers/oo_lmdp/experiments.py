"""One experiment = one sweep of the paper's Section 6 / App. 12, all runs, points and methods in one batch.

Protocol (App. 12.2 and the authors' main.py): run i uses seed offset + 3 + i; its online MDP is fixed across
the sweep; each sweep point gets its own shifted offline MDP and offline dataset, shared by all methods. Methods
that ignore offline data (UCRL, UCBVI) are run once per run and reported at every point.
Randomness: the MDP from default_rng(seed); the offline behaviour from default_rng([seed, 1]) drawn at the
largest M_off (smaller datasets are prefixes); the online phase (tie-breaks, transitions) from a counter-based
stream keyed by the seed, the same for every method and point (common random numbers).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from papers.oo_lmdp import offline
from papers.oo_lmdp.env import offline_kernels, sample_online_mdps
from papers.oo_lmdp.online import LaneMDPs, run_online
from papers.oo_lmdp.rng import stream_keys
from papers.oo_lmdp.tabular import DPLSVI, UCBVI
from papers.oo_lmdp.vtr import MIN_OF_TWO, ONLINE_ONLY, POOLED_ONLY, OOUCRLVTR, RadiusConstants

log = logging.getLogger("oo_lmdp")

OPTIMAL, PESSIMISTIC = "O-O UCRL-VTR (Optimal)", "O-O UCRL-VTR (Pessimistic)"
VTR_MODES = {"UCRL": ONLINE_ONLY, OPTIMAL: MIN_OF_TWO, PESSIMISTIC: MIN_OF_TWO, "COMPLETE": POOLED_ONLY}
TABULAR = ("DP-LSVI", "UCBVI")
METHODS = tuple(VTR_MODES) + TABULAR
OFFLINE_FREE = {"UCRL", "UCBVI"}
SWEEPS = ("delta", "m_off", "tau", "delta_tau", "none")


@dataclass(frozen=True)
class SweepPoint:
    setting: str  # the label used in ours.csv / published.yaml
    delta: float
    m_off: int
    keep: float | None  # τ-control keep probability; None = full design
    rule: str = ""  # fig3 only: the Δ(τ) rule


def sweep_points(spec: dict) -> list[SweepPoint]:
    """The sweep points of an experiment spec (see config/papers/oo_lmdp.yaml)."""
    sweep = spec["sweep"]
    values = spec.get("values", [])
    base = dict(delta=float(spec.get("delta", 0.0)), m_off=int(spec.get("m_off", 0)), keep=None)
    if sweep == "delta":
        return [SweepPoint(f"Delta={v:g}", **{**base, "delta": float(v)}) for v in values]
    if sweep == "m_off":
        return [SweepPoint(f"M_off={int(v)}", **{**base, "m_off": int(v)}) for v in values]
    if sweep == "tau":
        return [SweepPoint(f"tau={v:g}", **{**base, "keep": float(v)}) for v in values]
    if sweep == "delta_tau":
        return [
            SweepPoint(f"{rule} tau={tau:g}", delta=(100.0 * tau) ** power / 200.0, m_off=base["m_off"],
                       keep=float(tau), rule=rule)
            for rule, power in spec["rules"].items() for tau in values
        ]
    if sweep == "none":
        return [SweepPoint(f"K={spec['episodes']}", **base)]
    raise ValueError(f"unknown sweep '{sweep}' (expected one of {SWEEPS})")


@dataclass
class OfflineStats:
    """Per point, per run: optimal/pessimistic design statistics, DP-LSVI counts, empirical coverage."""

    gram: dict[str, np.ndarray] = field(default_factory=dict)  # design -> [R, SA, S, S]
    target: dict[str, np.ndarray] = field(default_factory=dict)  # design -> [R, SA, S]
    counts: np.ndarray | None = None  # [R, H, S, A, S]
    coverage: np.ndarray | None = None  # tau_hat of the optimal design [R]


@dataclass
class ExperimentResult:
    points: list[SweepPoint]
    methods: list[str]
    seeds: np.ndarray
    episodes: int
    regret: dict[tuple[str, str], np.ndarray]  # (method, setting) -> per-episode regret [R, K]
    bound: dict[tuple[str, str], np.ndarray]  # (method, setting) -> per-episode proof gap [R, K] (VTR only)
    shift: dict[tuple[str, str], np.ndarray]  # (method, setting) -> shift term of gamma [R] (VTR only)
    coverage: dict[str, np.ndarray]  # setting -> tau_hat [R]
    seconds: dict[str, float]


def _offline_phase(model, points, kernel, reward, seeds, needs) -> list[OfflineStats]:
    """Offline MDPs, behaviour data and design statistics for every (point, run); runs loop, data vectorised."""
    env = model["environment"]
    n_states, n_actions, horizon, start = env["n_states"], env["n_actions"], env["horizon"], env["start_state"]
    largest = max(p.m_off for p in points)
    stats = [OfflineStats() for _ in points]
    shifted = {d: offline_kernels(kernel, reward, horizon, d) for d in sorted({p.delta for p in points})}
    designs = {j: [] for j in range(len(points))}
    trajectories = {j: [] for j in range(len(points))}
    for i, seed in enumerate(seeds):
        draws = offline.BehaviourDraws.draw(seed, largest, horizon, n_actions)
        rollouts = {d: offline.rollout(k[i], start, draws.actions, draws.step_uniform) for d, k in shifted.items()}
        for j, point in enumerate(points):
            states = rollouts[point.delta][: point.m_off]
            actions = draws.actions[: point.m_off]
            kept = offline.kept_samples(states, draws.keep_uniform[: point.m_off], point.keep, n_states)
            gram, target = offline.round_robin_design(states, actions, kept, n_states, n_actions,
                                                      model["probe_index_shift"])
            counts = offline.stage_counts(states, actions, kept, n_states, n_actions) if needs["counts"] else None
            designs[j].append((gram, target, counts))
            if needs["pessimistic"]:
                trajectories[j].append((states.astype(np.int16), actions.astype(np.int16)))
    for j, point in enumerate(points):
        grams, targets, counts = zip(*designs[j])
        stats[j].gram["optimal"], stats[j].target["optimal"] = np.stack(grams), np.stack(targets)
        stats[j].coverage = offline.coverage(stats[j].gram["optimal"], point.m_off)
        if needs["counts"]:
            stats[j].counts = np.stack(counts)
        if needs["pessimistic"]:
            states, actions = (np.stack(a) for a in zip(*trajectories[j]))
            stats[j].gram["pessimistic"], stats[j].target["pessimistic"] = offline.pessimistic_design(
                states, actions, reward, horizon, model["lam"], model["bonus"][PESSIMISTIC] * model["pessimism_scale"],
                desc=f"pessimistic design {point.setting}")
    return stats


@dataclass
class _Lanes:
    """Bookkeeping of which (method, point, run) each lane of one agent is."""

    method: list[str] = field(default_factory=list)
    point: list[int] = field(default_factory=list)  # -1 = offline-free (all points)
    run: list[int] = field(default_factory=list)

    def add(self, method: str, point: int, n_runs: int) -> None:
        self.method += [method] * n_runs
        self.point += [point] * n_runs
        self.run += list(range(n_runs))

    def __len__(self) -> int:
        return len(self.run)


def _lanes_for(methods, n_points, n_runs) -> _Lanes:
    lanes = _Lanes()
    for method in methods:
        for j in ([-1] if method in OFFLINE_FREE else range(n_points)):
            lanes.add(method, j, n_runs)
    return lanes


def _bonus(model, spec, method) -> float:
    return float(spec.get("bonus_override", model["bonus"][method]))


def _agent(group, lanes: _Lanes, mdps, points, stats, model, spec, constants, n_episodes):
    """The batched learner for one algorithm family ("VTR": UCRL, O-O and COMPLETE together, or a tabular one)."""
    bonus = np.array([_bonus(model, spec, m) for m in lanes.method])
    if group == "UCBVI":
        return UCBVI(mdps, bonus, n_episodes, constants.conf_delta)
    if group == "DP-LSVI":
        counts = np.concatenate([stats[j].counts for j in dict.fromkeys(lanes.point)])
        deltas = np.array([points[j].delta for j in lanes.point])
        return DPLSVI(mdps, counts, deltas, bonus, n_episodes, constants.conf_delta)
    n_runs = max(lanes.run) + 1
    zero_gram = np.zeros((n_runs,) + stats[0].gram["optimal"].shape[1:])
    zero_target = np.zeros((n_runs,) + stats[0].target["optimal"].shape[1:])
    grams, targets = [], []
    for method, j in dict.fromkeys(zip(lanes.method, lanes.point)):  # lanes come in blocks of n_runs
        design = {"UCRL": None, PESSIMISTIC: "pessimistic"}.get(method, "optimal")
        grams.append(zero_gram if design is None else stats[j].gram[design])
        targets.append(zero_target if design is None else stats[j].target[design])
    # shift_in_radius false (a sensitivity setting, decompose.py) drops the shift term of gamma_k
    keeps_shift = model.get("shift_in_radius", True)
    shift = np.array([points[j].delta if m in (OPTIMAL, PESSIMISTIC) and keeps_shift else 0.0
                      for m, j in zip(lanes.method, lanes.point)])
    mode = np.array([VTR_MODES[m] for m in lanes.method])
    return OOUCRLVTR(mdps, np.concatenate(grams), np.concatenate(targets), mode, bonus, shift, constants)


def run_experiment(name: str, spec: dict, model: dict) -> ExperimentResult:
    """Run every (method, sweep point, run) of experiment `name`; returns per-episode regret arrays."""
    env = model["environment"]
    horizon, start = env["horizon"], env["start_state"]
    unknown = [m for m in spec["methods"] if m not in METHODS]
    if unknown:
        raise ValueError(f"experiment {name}: unknown methods {unknown} (expected some of {list(METHODS)})")
    points, methods = sweep_points(spec), list(spec["methods"])
    n_runs, n_episodes = int(spec["runs"]), int(spec["episodes"])
    seeds = int(spec["seed_offset"]) + 3 + np.arange(n_runs)
    seconds: dict[str, float] = {}

    started = time.perf_counter()
    kernel, reward = sample_online_mdps(seeds, env["n_states"], env["n_actions"])
    needs = {"counts": "DP-LSVI" in methods, "pessimistic": PESSIMISTIC in methods}
    stats = _offline_phase(model, points, kernel, reward, seeds, needs)
    seconds["offline"] = time.perf_counter() - started
    log.info("%s: offline phase for %d points x %d runs in %.1fs", name, len(points), n_runs, seconds["offline"])

    constants = RadiusConstants(lam=model["lam"], norm_bound=model["norm_bound"], conf_delta=1.0 / n_episodes,
                                noise_scale=float(horizon))
    keys = stream_keys(seeds)
    regret, bound, shift_terms = {}, {}, {}
    groups = [("VTR", [m for m in methods if m in VTR_MODES])] + [(m, [m]) for m in methods if m in TABULAR]
    for group, group_methods in groups:
        if not group_methods:
            continue
        lanes = _lanes_for(group_methods, len(points), n_runs)
        lane_run = np.array(lanes.run)
        mdps = LaneMDPs.for_lanes(kernel, reward, lane_run, start, horizon)
        t0 = time.perf_counter()
        agent = _agent(group, lanes, mdps, points, stats, model, spec, constants, n_episodes)
        lane_regret = run_online(agent, mdps, n_episodes, keys[lane_run], desc=f"{name} {group} ({len(lanes)} lanes)")
        seconds[group] = time.perf_counter() - t0
        log.info("%s: %s, %d lanes x %d episodes in %.1fs (%.0f lane-episodes/s)", name, group, len(lanes),
                 n_episodes, seconds[group], len(lanes) * n_episodes / seconds[group])
        lane_bound = np.stack(agent.bound_terms, axis=1) if group == "VTR" else None
        for method in group_methods:
            for j, point in enumerate(points):
                source = -1 if method in OFFLINE_FREE else j
                rows = [k for k in range(len(lanes)) if lanes.method[k] == method and lanes.point[k] == source]
                regret[method, point.setting] = lane_regret[rows]
                if lane_bound is not None:
                    bound[method, point.setting] = lane_bound[rows]
                    shift_terms[method, point.setting] = agent.shift[rows]
    coverage = {p.setting: s.coverage for p, s in zip(points, stats)}
    seconds["total"] = time.perf_counter() - started
    return ExperimentResult(points, methods, seeds, n_episodes, regret, bound, shift_terms, coverage, seconds)
