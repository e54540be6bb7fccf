r"""Train DROMO (Eq. 13), strict DROMO (Eq. 17) or the COMBO baseline on one dataset, all seeds at once.

  python -m papers.dromo.train --algo dromo --dataset hopper-medium --seeds 0 1 --steps 3000 \
      --set model_dir=results/models/runs/hopper-medium/seed{seed} --set dro_alpha=1.0 --out results/dromo/runs/x

The paper has no experiments: these runs make the labelled extension table (COMBO vs DROMO vs strict DROMO on
the same datasets, seeds and cached dynamics models).
"""
from papers.dromo.algorithm import DROMO, DROMOConfig
from shared.model.cli import train_main
from shared.rl.cli import AlgoSpec
from shared.rl.combo import COMBO, COMBOConfig

ALGOS = {
    "combo": AlgoSpec(COMBO, COMBOConfig, normalize_states=False),
    "dromo": AlgoSpec(DROMO, DROMOConfig, {"dro_form": "action"}, normalize_states=False),
    "dromo_strict": AlgoSpec(DROMO, DROMOConfig, {"dro_form": "strict"}, normalize_states=False),
}


def main(argv=None) -> dict:
    return train_main(ALGOS, argv, prog="python -m papers.dromo.train", description=__doc__)


if __name__ == "__main__":
    main()
