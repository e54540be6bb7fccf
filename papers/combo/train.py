r"""Train COMBO or CQL+MBPO (App. C: conservative term at dataset states only) on one dataset, all seeds at once.

  python -m papers.combo.train --algo combo --dataset hopper-medium --seeds 0 1 --steps 3000 \
      --set model_dir=results/models/runs/hopper-medium/seed{seed} --set beta=5.0 --out results/combo/runs/x

Writes <out>/metrics.jsonl (with the conservative regulariser per seed), eval.csv, final.json, checkpoint.pt.
"""
from shared.model.cli import train_main
from shared.rl.cli import AlgoSpec
from shared.rl.combo import COMBO, COMBOConfig

ALGOS = {
    "combo": AlgoSpec(COMBO, COMBOConfig, normalize_states=False),
    "cql_mbpo": AlgoSpec(COMBO, COMBOConfig, {"rho_states": "data"}, normalize_states=False),
}


def main(argv=None) -> dict:
    return train_main(ALGOS, argv, prog="python -m papers.combo.train", description=__doc__)


if __name__ == "__main__":
    main()
