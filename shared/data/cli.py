"""python -m shared.data: train behaviour policies, generate datasets, fetch Minari/D4RL data, inspect datasets."""
from __future__ import annotations

import argparse
import json

import torch

from shared.config import DEFAULT_SCALE, data_root, json_mapping
from shared.data.carry import carry_dir, remove_carry
from shared.data.catalog import LOCOMOTION, SOURCES
from shared.data.settings import PINNED_DIR, behaviour_dir, load_settings

SCALES = ("tiny", "quick", "paper")
ROOT_HELP = "data root (default: the pipeline's: data, or data/<scale> for a scale other than quick)"
SETTINGS_HELP = ("the settings as JSON, over the scale's config/papers/data.yaml (the pipeline passes its resolved "
                 "values, so --config overrides reach the job)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shared.data", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("behaviour", help="train the SAC behaviour policy of one env (D4RL recipe, step 1)")
    p.add_argument("--env", required=True, choices=sorted(LOCOMOTION))
    p.add_argument("--scale", default="quick", choices=SCALES)
    p.add_argument("--root", help=ROOT_HELP)
    p.add_argument("--device", help="torch device of the SAC networks (default: the scale's `device`, else cpu)")
    p.add_argument("--settings", type=json_mapping, help=SETTINGS_HELP)
    p.add_argument("--retrain", action="store_true",
                   help="train even when pinned artifacts for these settings exist (shared/data/pinned/)")
    p.add_argument("--restart", action="store_true",
                   help="discard a checkpoint made with other settings or code instead of refusing to start")

    p = sub.add_parser("pin", help="write the trimmed pin of a trained behaviour to shared/data/pinned/ (to commit)")
    p.add_argument("--env", required=True, choices=sorted(LOCOMOTION))
    p.add_argument("--scale", default="quick", choices=SCALES)
    p.add_argument("--root", help=ROOT_HELP)

    p = sub.add_parser("carry", help="write an unfinished training's carry to shared/data/pinned/ (to commit; "
                                     "the next session's `behaviour` resumes from it)")
    p.add_argument("--env", required=True, choices=sorted(LOCOMOTION))
    p.add_argument("--scale", default="paper", choices=SCALES)
    p.add_argument("--root", help=ROOT_HELP)

    p = sub.add_parser("progress", help="the scores behaviour training has reached so far, per env (JSON)")
    p.add_argument("--scale", default="paper", choices=SCALES)
    p.add_argument("--root", help=ROOT_HELP)
    p.add_argument("--out", help="also write the JSON here (e.g. results/data/behaviour_progress.json)")
    p.add_argument("--figure", help="also draw it here (e.g. results/data/behaviour_progress.png)")

    p = sub.add_parser("generate", help="write one generated dataset from trained behaviour policies (step 2)")
    p.add_argument("name", help="D4RL-style name, e.g. hopper-medium-replay")
    p.add_argument("--scale", default="quick", choices=SCALES)
    p.add_argument("--root", help=ROOT_HELP)
    p.add_argument("--settings", type=json_mapping, help=SETTINGS_HELP)

    p = sub.add_parser("fetch", help="download (minari) or download/convert (d4rl) one dataset")
    p.add_argument("name", help="short name (hopper-medium, antmaze-umaze) or a Minari id")
    p.add_argument("--source", required=True, choices=[s for s in SOURCES if s != "generated"])
    p.add_argument("--root", help=ROOT_HELP)
    p.add_argument("--hdf5", help="d4rl: a local D4RL v2 HDF5 file instead of the public URL")

    p = sub.add_parser("levels", help="the generated datasets' D4RL-style scores per env and level beside "
                                      "D4RL's own (Markdown)")
    p.add_argument("--scale", default="quick", choices=SCALES)
    p.add_argument("--root", help=ROOT_HELP)
    p.add_argument("--out", help="also write the rows as JSON here (e.g. results/data/levels.json)")

    p = sub.add_parser("info", help="load a dataset and print its size, statistics and provenance")
    p.add_argument("name")
    p.add_argument("--source", default="generated", choices=SOURCES)
    p.add_argument("--root", help=ROOT_HELP)
    return parser


def _behaviour(args) -> None:
    from shared.data.behaviour import train_behaviour
    from shared.data.pinning import install_pinned
    settings = load_settings(args.scale, args.settings)
    out = behaviour_dir(args.root, settings.behaviour_name, args.env)
    pinned = PINNED_DIR / settings.behaviour_name / args.env
    if not args.retrain and install_pinned(pinned, out, settings, args.env):
        print(f"behaviour policy of {args.env} ({settings.behaviour_name}): installed pinned artifacts from {pinned}")
    else:
        train_behaviour(LOCOMOTION[args.env], settings.sac, out, settings.behaviour_name, settings.agent,
                        args.device or settings.device, settings.agent_source, restart=args.restart,
                        carry=carry_dir(PINNED_DIR, settings.behaviour_name, args.env))


def _carry(args) -> None:
    from shared.data.carry import export_carry
    settings = load_settings(args.scale)
    name = settings.behaviour_name
    record = export_carry(behaviour_dir(args.root, name, args.env), carry_dir(PINNED_DIR, name, args.env),
                          settings.medium_band(args.env))
    from shared.data.pinning import PINNED_BUDGET_BYTES, folder_bytes
    size = folder_bytes(PINNED_DIR)
    print(json.dumps({**{k: record[k] for k in ("step", "chunks", "actors_kept")}, "pinned_mb": round(size / 1e6, 1)}))
    if size > PINNED_BUDGET_BYTES:   # the committed folder's budget (a test checks it)
        raise SystemExit(f"{PINNED_DIR} now holds {size / 1e6:.1f} MB, over its budget of "
                         f"{PINNED_BUDGET_BYTES / 1e6:.0f} MB: pin finished envs, or carry fewer")


def _pin(args) -> None:
    from shared.data.pinning import pin_behaviour
    settings = load_settings(args.scale)
    name = settings.behaviour_name
    remake = (f"python -m shared.data behaviour --env {args.env} --scale {args.scale} --retrain && "
              f"python -m shared.data pin --env {args.env} --scale {args.scale}")
    entry = pin_behaviour(behaviour_dir(args.root, name, args.env), PINNED_DIR / name / args.env, settings,
                          args.env, remake)
    remove_carry(carry_dir(PINNED_DIR, name, args.env))   # the finished training replaces its carry
    print(json.dumps(entry))


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.root is None:
        args.root = data_root("data", getattr(args, "scale", DEFAULT_SCALE))
    torch.set_num_threads(1)
    if args.command == "behaviour":
        _behaviour(args)
    elif args.command == "pin":
        _pin(args)
    elif args.command == "carry":
        _carry(args)
    elif args.command == "progress":
        from shared.data.progress import behaviour_progress, progress_figure
        report = behaviour_progress(load_settings(args.scale), args.root, args.out)
        if args.figure:
            progress_figure(report, args.figure)
        print(json.dumps({env: {k: v for k, v in r.items() if k != "checkpoints"} for env, r in report["envs"].items()},
                         indent=1))
    elif args.command == "generate":
        from shared.data.generate import generate_dataset
        generate_dataset(args.name, load_settings(args.scale, args.settings), args.root)
    elif args.command == "levels":
        from shared.data.level_table import level_table
        print(level_table(load_settings(args.scale).envs, args.root, args.out))
    elif args.command == "fetch":
        from shared.data.sources import fetch
        fetch(args.name, args.source, args.root, hdf5=args.hdf5)
    elif args.command == "info":
        from shared.data.loading import load_dataset
        dataset = load_dataset(args.name, source=args.source, root=args.root)
        print(json.dumps(dataset.summary(), indent=2, default=str))
