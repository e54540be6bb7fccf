"""Exact save/restore of a Gymnasium MuJoCo environment's state, so an interrupted SAC run resumes bit-identically.

Pickling a Gymnasium env re-creates it from its spec and loses its state; instead we keep MuJoCo's full
integration state (positions, velocities, warm-start accelerations, time), the env's random generator (used by
resets) and the time-limit counter.
"""
from __future__ import annotations

import gymnasium as gym
import mujoco
import numpy as np

_STATE = mujoco.mjtState.mjSTATE_INTEGRATION


def _time_limit(env: gym.Env) -> gym.wrappers.TimeLimit:
    wrapper = env
    while not isinstance(wrapper, gym.wrappers.TimeLimit):
        if not hasattr(wrapper, "env"):
            raise ValueError(f"{env} has no TimeLimit wrapper")
        wrapper = wrapper.env
    return wrapper


def get_env_state(env: gym.Env) -> dict:
    u = env.unwrapped
    physics = np.empty(mujoco.mj_stateSize(u.model, _STATE))
    mujoco.mj_getState(u.model, u.data, physics, _STATE)
    return {"physics": physics, "np_random": u.np_random.bit_generator.state,
            "elapsed_steps": _time_limit(env)._elapsed_steps}


def set_env_state(env: gym.Env, state: dict) -> None:
    """Restore into an env of the same id that has been reset once (wrappers require a reset before a step)."""
    u = env.unwrapped
    mujoco.mj_setState(u.model, u.data, np.asarray(state["physics"]), _STATE)
    u.np_random.bit_generator.state = state["np_random"]
    _time_limit(env)._elapsed_steps = state["elapsed_steps"]
