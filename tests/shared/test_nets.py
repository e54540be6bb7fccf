import pytest
import torch

from shared.nets import EnsembleMLP, sample_indices, seed_generators
from shared.rl.losses import expectile_loss, member_mse, soft_update


def _train(seeds, steps=25):
    """Regress a fixed random function with Adam; each seed samples its own minibatches."""
    data_x = torch.randn(512, 6, generator=torch.Generator().manual_seed(99))
    data_y = data_x.sin().sum(dim=1, keepdim=True)
    net = EnsembleMLP(6, 1, hidden=(32, 32), n_members=len(seeds), seeds=seeds)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    gens = seed_generators(seeds)
    losses = []
    for _ in range(steps):
        idx = sample_indices(gens, len(data_x), 64)
        loss = member_mse(net(data_x[idx]), data_y[idx])
        opt.zero_grad()
        loss.sum().backward()  # sum over members: each member gets exactly its own gradient
        opt.step()
        losses.append(loss.detach())
    return net, torch.stack(losses, dim=1)


def test_k_seed_training_equals_single_seed_runs():
    seeds = [3, 7, 11]
    net, losses = _train(seeds)
    for k, seed in enumerate(seeds):
        single, single_losses = _train([seed])
        torch.testing.assert_close(losses[k], single_losses[0], rtol=0, atol=1e-6)
        for p_all, p_one in zip(net.parameters(), single.parameters()):
            torch.testing.assert_close(p_all[k], p_one[0], rtol=0, atol=1e-6)


def test_members_differ_and_init_matches_nn_linear_bounds():
    net = EnsembleMLP(4, 2, hidden=(8,), n_members=2, seeds=[0, 1])
    first = net.linear_layers()[0]
    assert not torch.equal(first.weight[0], first.weight[1])
    assert first.weight.abs().max() <= 0.5  # U(-1/sqrt(4), 1/sqrt(4))


def test_wrong_input_shape_is_a_clear_error():
    net = EnsembleMLP(4, 2, n_members=3)
    with pytest.raises(ValueError, match=r"expected input \[K=3"):
        net(torch.zeros(2, 5, 4))


def test_expectile_loss_by_hand():
    diff = torch.tensor([[2.0, -1.0]])
    # tau = 0.7: (0.7 * 4 + 0.3 * 1) / 2
    torch.testing.assert_close(expectile_loss(diff, 0.7), torch.tensor([1.55]))


def test_soft_update_moves_target_by_tau():
    source, target = torch.nn.Linear(2, 1), torch.nn.Linear(2, 1)
    before = target.weight.detach().clone()
    soft_update(target, source, 0.25)
    torch.testing.assert_close(target.weight, 0.75 * before + 0.25 * source.weight)
