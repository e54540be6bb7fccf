import json
import math

import torch

from shared.nets import EnsembleMLP, sample_indices, seed_generators
from shared.rl.losses import member_mse
from shared.runs import Run, atomic_write_json


def _train(run_dir, seeds, total_steps, stop_at=None, checkpoint_every=5):
    """A toy training job with checkpoint/resume; returns its final parameters."""
    run = Run(run_dir, seeds)
    net = EnsembleMLP(3, 1, hidden=(16,), n_members=len(seeds), seeds=seeds)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    gens = seed_generators(seeds)
    x = torch.linspace(-1, 1, 300).reshape(100, 3)
    start = 0
    if (restored := run.load_checkpoint()) is not None:
        state, start = restored
        net.load_state_dict(state["net"])
        opt.load_state_dict(state["opt"])
        for g, s in zip(gens, state["rng"]):
            g.set_state(s)
    for step in range(start + 1, total_steps + 1):
        idx = sample_indices(gens, 100, 16)
        loss = member_mse(net(x[idx]), x[idx].sum(-1, keepdim=True) ** 2)
        opt.zero_grad()
        loss.sum().backward()
        opt.step()
        run.log(step, loss=loss)
        if step % checkpoint_every == 0:
            run.save_checkpoint({"net": net.state_dict(), "opt": opt.state_dict(),
                                 "rng": [g.get_state() for g in gens]}, step)
        if step == stop_at:
            return None  # simulated kill: lines after the last checkpoint are left behind
    return net


def test_resume_gives_the_same_numbers_as_an_uninterrupted_run(tmp_path):
    whole = _train(tmp_path / "whole", [0, 1], 20)
    assert _train(tmp_path / "resumed", [0, 1], 20, stop_at=13) is None
    resumed = _train(tmp_path / "resumed", [0, 1], 20)
    for a, b in zip(whole.parameters(), resumed.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert (tmp_path / "whole" / "metrics.jsonl").read_text() == (tmp_path / "resumed" / "metrics.jsonl").read_text()


def test_divergence_is_recorded_and_later_values_are_nan(tmp_path):
    run = Run(tmp_path, [5, 6, 7])
    alive = run.check_finite(10, loss=torch.tensor([1.0, float("inf"), 2.0]), q=torch.ones(3, 4))
    assert alive.tolist() == [True, False, True]
    run.log(11, loss=torch.tensor([1.0, 2.0, 3.0]))
    logged = run.metrics()[-1]["loss"]
    assert logged[0] == 1.0 and math.isnan(logged[1]) and logged[2] == 3.0
    assert json.loads((tmp_path / "diverged.json").read_text()) == {"6": {"step": 10, "reason": "non-finite loss"}}
    assert Run(tmp_path, [5, 6, 7]).alive.tolist() == [True, False, True]


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    atomic_write_json(tmp_path / "out" / "a.json", {"x": torch.tensor([1.0, 2.0])})
    assert json.loads((tmp_path / "out" / "a.json").read_text()) == {"x": [1.0, 2.0]}
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["a.json"]
    assert (tmp_path / "out" / "a.json").stat().st_mode & 0o777 == 0o644
