"""The training command line every paper's train.py calls with its own registry of algorithms.

    ALGOS = {"dmg": AlgoSpec(DMG, DMGConfig), "bc": AlgoSpec(BC, BCConfig), ...}
    def main(argv=None):
        return train_main(ALGOS, argv, prog="python -m papers.<paper>.train", description=__doc__)

Offline training of one (dataset, algorithm, setting) with all its seeds in one process: --algo, --dataset,
--seeds, --steps, --set KEY=VALUE (a field of the algorithm's config dataclass, parsed as YAML), --device.
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from dataclasses import dataclass, field

import torch
import yaml

from shared.rl.device import DEVICES, resolve_device
from shared.rl.loop import LoopSettings, train
from shared.rl.sources import FixedDataset, prepare_transitions
from shared.runs import Run

# |mean learned Q| beyond this many times the largest possible discounted return counts as divergence.
Q_LIMIT_FACTOR = 10.0
# Config fields that follow the run length (cosine schedules span the whole run, as in the authors' code).
RUN_LENGTH_FIELDS = ("total_steps", "cosine_steps")


@dataclass(frozen=True)
class AlgoSpec:
    cls: type
    config_cls: type
    defaults: dict = field(default_factory=dict)   # preset config fields that define the variant
    normalize_states: bool = True                  # each method's own paper / code
    iql_reward_scale: bool = False                 # IQL scales locomotion rewards by 1000 / return range


def build_parser(registry: dict[str, AlgoSpec], prog: str, description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=description,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--algo", required=True, choices=sorted(registry))
    p.add_argument("--dataset", required=True, help="D4RL-style name, e.g. hopper-medium, antmaze-umaze")
    p.add_argument("--source", default="generated", choices=["generated", "minari", "d4rl"])
    p.add_argument("--data-root", default=None, help="dataset root (default: data/ under the repo)")
    p.add_argument("--seeds", type=int, nargs="+", required=True, help="seeds trained together in one process")
    p.add_argument("--steps", type=int, required=True, help="gradient steps (paper: 1000000)")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--eval-every", type=int, default=20_000, help="paper: 20000 Gym, 50000 AntMaze")
    p.add_argument("--eval-episodes", type=int, default=10, help="paper: 10 Gym, 100 AntMaze")
    p.add_argument("--log-every", type=int, default=1_000)
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a field of the algorithm's config (repeatable)")
    p.add_argument("--out", required=True, help="run directory")
    p.add_argument("--device", default="cpu", help=DEVICES + " (auto: cuda when available)")
    return p


def check_seeds(seeds: list[int] | None) -> None:
    if seeds is not None and (len(set(seeds)) != len(seeds) or min(seeds) < 0):
        raise SystemExit(f"--seeds must be distinct non-negative integers, got {seeds}")


def build_config(spec: AlgoSpec, overrides: list[str], steps: int):
    """The algorithm's config dataclass: paper defaults, then the variant's presets, then --set overrides."""
    fields = {f.name: f for f in dataclasses.fields(spec.config_cls)}
    values = dict(spec.defaults)
    values.update({name: steps for name in RUN_LENGTH_FIELDS if name in fields})
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or key not in fields:
            raise SystemExit(f"--set {item!r}: expected KEY=VALUE with KEY one of {sorted(fields)}")
        values[key] = parse_value(key, raw, fields[key].default)
    try:
        return spec.config_cls(**values)
    except (TypeError, ValueError) as err:
        raise SystemExit(f"--set: {err}") from None


def parse_value(key: str, raw: str, default):
    """YAML value, made a float where the field's default is one (YAML reads '3e-4' as a string)."""
    value = yaml.safe_load(raw)
    if isinstance(value, list):
        return tuple(value)
    if isinstance(default, float) and not isinstance(value, bool):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise SystemExit(f"--set {key}={raw}: expected a number") from None
    return value


def data_label(source: str, dataset, name: str = "") -> str:
    """The `data` column of ours.csv: where the numbers' dataset came from (`name`: the --dataset given)."""
    if source == "generated":
        return f"generated {dataset.env_id} (D4RL recipe)"
    if source == "d4rl":
        from shared.data.catalog import parse_d4rl_name

        return f"D4RL {parse_d4rl_name(name)[1] if name else 'v2'}"
    return f"minari {dataset.metadata.get('dataset_id', dataset.env_id)}"


def env_max_action(env_id: str) -> float:
    import gymnasium

    from shared.goal_observations import register_robotics_envs

    register_robotics_envs(env_id)
    env = gymnasium.make(env_id)
    try:
        return float(env.action_space.high.max())
    finally:
        env.close()


def dataset_evaluator(dataset):
    """The loop's Evaluator for a dataset's environment: batched rollouts, scores normalised by its references."""
    from shared.evaluate import evaluate_policy

    def evaluate(act, n_members, episodes, eval_seeds):
        returns = evaluate_policy(act, dataset.env_id, n_members, episodes, eval_seeds)
        return returns, dataset.normalized_score(returns)
    return evaluate


def command_line(prog: str, argv) -> str:
    return " ".join([prog, *(sys.argv[1:] if argv is None else argv)])


def train_main(registry: dict[str, AlgoSpec], argv=None, prog: str = "python -m shared.rl.cli",
               description: str = __doc__, extra_arguments=None, prepare=None, finish=None) -> dict:
    """Parse the command line, load and prepare the dataset, train every seed in one process; final.json's dict.

    A paper's own steps: extra_arguments(parser) adds flags; prepare(args, data) -> dict changes the prepared
    Transitions in place (say, reward noise) and returns what final.json should record about it;
    finish(args, algo, data, run) runs after training (say, diagnostics written beside final.json)."""
    torch.set_num_threads(1)
    parser = build_parser(registry, prog, description)
    if extra_arguments is not None:
        extra_arguments(parser)
    args = parser.parse_args(argv)
    check_seeds(args.seeds)
    device = resolve_device(args.device)
    spec = registry[args.algo]
    config = build_config(spec, args.overrides, args.steps)
    try:
        settings = LoopSettings(steps=args.steps, batch_size=args.batch_size, eval_every=args.eval_every,
                                eval_episodes=args.eval_episodes, log_every=min(args.log_every, args.eval_every))
    except ValueError as err:
        raise SystemExit(str(err)) from None

    from shared.baselines.iql import locomotion_reward_scale
    from shared.data import load_dataset  # imported late: --help and argument errors stay fast

    dataset = load_dataset(args.dataset, source=args.source, device="cpu", root=args.data_root)
    antmaze = args.dataset.startswith("antmaze")
    reward_scale = 1.0
    if spec.iql_reward_scale and not antmaze:
        reward_scale = locomotion_reward_scale(dataset.rewards, dataset.terminals, dataset.timeouts)
    # AntMaze: rewards minus 1 and raw states (App. C.1, authors' README); locomotion: each method's own choice.
    data = prepare_transitions(dataset, normalize_states=spec.normalize_states and not antmaze,
                               reward_scale=reward_scale, reward_shift=-1.0 if antmaze else 0.0, device=device)
    prepared = prepare(args, data) if prepare is not None else {}
    discount = getattr(config, "discount", 0.99)
    settings.q_limit = Q_LIMIT_FACTOR * float(data.rewards.abs().max()) / (1.0 - discount)

    obs_dim, act_dim = data.observations.shape[1], data.actions.shape[1]
    algo = spec.cls(obs_dim, act_dim, env_max_action(dataset.env_id), args.seeds, config, device)
    describe = {"algo": args.algo, "dataset": args.dataset, "source": args.source, "env_id": dataset.env_id,
                "data": data_label(args.source, dataset, args.dataset), "device": device, "reward_scale": reward_scale,
                **prepared, "config": dataclasses.asdict(config), "command": command_line(prog, argv)}
    run = Run(args.out, args.seeds)
    final = train(algo, FixedDataset(data, args.seeds), settings, run, dataset_evaluator(dataset), describe=describe)
    if finish is not None:
        finish(args, algo, data, run)
    scores = ", ".join("nan" if math.isnan(s) else f"{s:.1f}" for s in final["final_score"])
    print(f"{args.algo} {args.dataset}: final scores [{scores}], {final['updates_per_s']:.1f} updates/s")
    return final
