"""Environments of online training: one MuJoCo environment per seed, stepped in lockstep, and the exact
save/restore of a MuJoCo environment's state, so a killed online job resumes bit-identically.

Pickling a Gymnasium env re-creates it from its spec and loses its state; instead we keep MuJoCo's full
integration state (positions, velocities, warm-start accelerations, time), the env's random generators (used by
resets) and, for wrapped envs, the time-limit counter. A goal-conditioned maze (Gymnasium-Robotics AntMaze) wraps
its MuJoCo robot as a second env with its own generator and samples a goal and start on reset: those are kept too.
"""
from __future__ import annotations

from collections.abc import Sequence

import gymnasium as gym
import mujoco
import numpy as np

from shared.goal_observations import flat_observations, register_robotics_envs

PHYSICS_STATE = mujoco.mjtState.mjSTATE_INTEGRATION  # everything mj_step reads: resuming is bit-exact
ROBOT_ENV = "ant_env"               # AntMaze's inner MuJoCo env: its generator is drawn on every reset
MAZE_TASK = ("goal", "reset_pos")   # AntMaze's goal and start, sampled on reset


def get_physics(env) -> dict:
    """The unwrapped MuJoCo env's integration state and random generator state (and a maze's robot generator,
    goal and start)."""
    u = env.unwrapped
    physics = np.empty(mujoco.mj_stateSize(u.model, PHYSICS_STATE))
    mujoco.mj_getState(u.model, u.data, physics, PHYSICS_STATE)
    state = {"physics": physics, "np_random": u.np_random.bit_generator.state}
    if hasattr(u, ROBOT_ENV):
        state["robot_np_random"] = getattr(u, ROBOT_ENV).np_random.bit_generator.state
        state.update({name: np.array(getattr(u, name)) for name in MAZE_TASK})
    return state


def set_physics(env, state: dict) -> None:
    u = env.unwrapped
    mujoco.mj_setState(u.model, u.data, np.asarray(state["physics"]), PHYSICS_STATE)
    u.np_random.bit_generator.state = state["np_random"]
    if hasattr(u, ROBOT_ENV):
        getattr(u, ROBOT_ENV).np_random.bit_generator.state = state["robot_np_random"]
        for name in MAZE_TASK:
            setattr(u, name, np.array(state[name]))
        u.update_target_site_pos()  # the goal marker follows the goal


def _time_limit(env: gym.Env) -> gym.wrappers.TimeLimit:
    wrapper = env
    while not isinstance(wrapper, gym.wrappers.TimeLimit):
        if not hasattr(wrapper, "env"):
            raise ValueError(f"{env} has no TimeLimit wrapper")
        wrapper = wrapper.env
    return wrapper


def get_env_state(env: gym.Env) -> dict:
    """Physics, random generator and time-limit counter of a wrapped (gym.make) MuJoCo env."""
    return {**get_physics(env), "elapsed_steps": _time_limit(env)._elapsed_steps}


def set_env_state(env: gym.Env, state: dict) -> None:
    """Restore into an env of the same id that has been reset once (wrappers require a reset before a step)."""
    set_physics(env, state)
    _time_limit(env)._elapsed_steps = state["elapsed_steps"]


class SeedEnvs:
    """One environment per seed, stepped in lockstep. An episode ends when the MDP terminates or at the
    environment's time limit; only termination stops bootstrapping (the authors' done_bool)."""

    def __init__(self, env_id: str, reset_seeds: Sequence[int]):
        register_robotics_envs(env_id)
        try:
            spec = gym.spec(env_id)
            self.envs = [flat_observations(gym.make(env_id, disable_env_checker=True).unwrapped)
                         for _ in reset_seeds]
        except gym.error.Error as err:
            raise SystemExit(f"cannot make environment {env_id!r}: {err}") from None
        if not all(hasattr(env.unwrapped, "model") and hasattr(env.unwrapped, "data") for env in self.envs):
            raise SystemExit(f"environment {env_id!r} is not a MuJoCo environment; online training needs one")
        if not isinstance(self.envs[0].observation_space, gym.spaces.Box):
            raise SystemExit(f"environment {env_id!r} has {type(self.envs[0].observation_space).__name__} "
                             f"observations; online training supports flat Box observations only")
        self.max_episode_steps = spec.max_episode_steps or 1000
        self.action_space = self.envs[0].action_space
        self.obs = np.stack([env.reset(seed=int(s))[0] for env, s in zip(self.envs, reset_seeds)])
        self.episode_steps = np.zeros(len(self.envs), dtype=np.int64)
        self.episode_return = np.zeros(len(self.envs))
        self.last_return = np.full(len(self.envs), np.nan)  # return of each seed's latest finished episode

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Step every env; returns (next_obs [K, obs], rewards [K], terminated [K], truncated [K]: cut by the time
        limit) of these transitions and resets the envs whose episode ended (self.obs then holds the first
        observation of the new episode)."""
        actions = np.clip(actions, self.action_space.low, self.action_space.high)
        next_obs, rewards, terminated = np.empty_like(self.obs), np.zeros(len(self.envs)), np.zeros(len(self.envs))
        truncated = np.zeros(len(self.envs))
        for k, env in enumerate(self.envs):
            next_obs[k], rewards[k], term, trunc, _ = env.step(actions[k])
            terminated[k] = float(term)
            self.episode_steps[k] += 1
            self.episode_return[k] += rewards[k]
            truncated[k] = float(trunc or self.episode_steps[k] >= self.max_episode_steps)
            if term or truncated[k]:
                self.last_return[k] = self.episode_return[k]
                self.episode_steps[k], self.episode_return[k] = 0, 0.0
                self.obs[k] = env.reset()[0]
            else:
                self.obs[k] = next_obs[k]
        return next_obs, rewards, terminated, truncated

    def state_dict(self) -> dict:
        return {"envs": [get_physics(env) for env in self.envs],
                "obs": self.obs.copy(), "episode_steps": self.episode_steps.copy(),
                "episode_return": self.episode_return.copy(), "last_return": self.last_return.copy()}

    def load_state_dict(self, state: dict) -> None:
        for env, env_state in zip(self.envs, state["envs"]):
            set_physics(env, env_state)
        for name in ("obs", "episode_steps", "episode_return", "last_return"):
            setattr(self, name, state[name].copy())
