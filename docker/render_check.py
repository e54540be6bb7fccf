"""Steps a MuJoCo environment and renders it with the backend MUJOCO_GL names (egl | osmesa): the image's check
that headless rendering works. python docker/render_check.py"""
import os

import gymnasium as gym
import numpy as np

env = gym.make("Hopper-v5", render_mode="rgb_array", width=64, height=64)
env.reset(seed=0)
for _ in range(5):
    env.step(env.action_space.sample())
frame = env.render()
env.close()
assert frame.shape == (64, 64, 3) and np.ptp(frame) > 0, f"blank or malformed frame {frame.shape}"
print(f"MUJOCO_GL={os.environ.get('MUJOCO_GL')}: stepped Hopper-v5 and rendered a {frame.shape} frame")
