"""The model-based layer of COMBO and DROMO: dynamics ensemble, termination rules, branched rollouts, the
cached model per (dataset, seed) and the halfcheetah-jump task."""
