"""Learning check on a one-step task: r = -(a - target(s))^2 with uniformly random dataset actions.

BC can only copy the behaviour (mean action 0); the value-based baselines must move towards the best action."""
import torch

from shared.baselines import BC, IQL, TD3BC, BCConfig, IQLConfig, TD3BCConfig

SMALL = (64, 64)


def one_step_dataset(n=4096, seed=0):
    g = torch.Generator().manual_seed(seed)
    obs = torch.randn(n, 2, generator=g)
    actions = torch.rand(n, 1, generator=g) * 2 - 1
    return {"observations": obs, "actions": actions, "rewards": -(actions[:, 0] - target(obs)) ** 2,
            "next_observations": torch.zeros(n, 2), "terminals": torch.ones(n)}


def target(obs):
    return 0.8 * torch.tanh(obs[:, 0])


def policy_reward(algo, obs) -> float:
    return -((algo.act(obs.unsqueeze(0))[0, :, 0] - target(obs)) ** 2).mean().item()


def train(algo, data, steps=600, batch_size=256):
    g = torch.Generator().manual_seed(1)
    for step in range(1, steps + 1):
        idx = torch.randint(len(data["rewards"]), (1, batch_size), generator=g)
        algo.update({k: v[idx] for k, v in data.items()}, step)
    return algo


def test_value_based_baselines_beat_behaviour_cloning_on_a_one_step_task():
    data = one_step_dataset()
    test_obs = torch.randn(2000, 2, generator=torch.Generator().manual_seed(9))
    bc = train(BC(2, 1, 1.0, [0], BCConfig(hidden=SMALL)), data)
    td3bc = train(TD3BC(2, 1, 1.0, [0], TD3BCConfig(hidden=SMALL)), data)
    iql = train(IQL(2, 1, 1.0, [0], IQLConfig(hidden=SMALL, cosine_steps=600)), data)
    behaviour = -((torch.rand(2000, generator=torch.Generator().manual_seed(3)) * 2 - 1 - target(test_obs)) ** 2)
    r_bc, r_td3bc, r_iql = (policy_reward(a, test_obs) for a in (bc, td3bc, iql))
    assert r_bc > behaviour.mean().item()           # copying the mean action already beats random actions
    assert r_td3bc > r_bc + 0.1 and r_td3bc > -0.05  # close to the best action
    assert r_iql > r_bc + 0.1                        # advantage weighting shifts the policy towards it
