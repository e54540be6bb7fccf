r"""Offline training of one (dataset, algorithm, setting) with all its seeds in one process.

  python -m papers.dmg.train --algo dmg --dataset hopper-medium --seeds 0 1 2 --steps 1000000 --set nu=0.1 \
      --out results/dmg/runs/table2/hopper-medium/dmg

Writes <out>/metrics.jsonl, eval.csv, final.json (and checkpoint.pt, from which a killed run resumes).
Algorithms: dmg, xql_dmg, sql_dmg (DMG with the IQL / XQL / SQL in-sample maximum), the in-sample baselines
xql and sql, and the shared baselines bc, iql, td3bc. `--set key=value` overrides a field of the algorithm's
config dataclass (values are parsed as YAML: --set lam=0.5 --set hidden=[256,256]).
"""
from __future__ import annotations

from papers.dmg.algorithm import DMG, DMGConfig
from shared.baselines import BC, IQL, TD3BC, BCConfig, IQLConfig, TD3BCConfig
from shared.rl.cli import AlgoSpec, train_main

ALGOS = {
    "dmg": AlgoSpec(DMG, DMGConfig),
    "xql_dmg": AlgoSpec(DMG, DMGConfig, {"in_sample": "gumbel"}),
    "sql_dmg": AlgoSpec(DMG, DMGConfig, {"in_sample": "sparse"}),
    "xql": AlgoSpec(DMG, DMGConfig, {"in_sample": "gumbel", "lam": 0.0, "actor_objective": "weighted_bc"}),
    "sql": AlgoSpec(DMG, DMGConfig, {"in_sample": "sparse", "lam": 0.0, "actor_objective": "weighted_bc",
                                     "weight_kind": "sparse"}),
    "bc": AlgoSpec(BC, BCConfig),
    "iql": AlgoSpec(IQL, IQLConfig, normalize_states=False, iql_reward_scale=True),
    "td3bc": AlgoSpec(TD3BC, TD3BCConfig),
}


def main(argv=None) -> dict:
    return train_main(ALGOS, argv, prog="python -m papers.dmg.train", description=__doc__)


if __name__ == "__main__":
    main()
