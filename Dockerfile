# The project's image: Python 3.11, the pinned CUDA stack (requirements-cuda.lock: torch 2.13.0+cu130 and the
# CUDA 13 runtime it brings as wheels), headless MuJoCo rendering, and the project. The wheels bring CUDA, so the
# base is a plain Debian 12 (its python3 is 3.11); the host needs only an NVIDIA driver >= 580 and the NVIDIA
# container toolkit. See README "GPU machines, containers and clusters".
#   docker build -t offrl-repl .
#   mkdir -p results data && docker run --gpus all --user "$(id -u):$(id -g)" \
#       -v "$PWD/results:/work/results" -v "$PWD/data:/work/data" offrl-repl snakemake --cores all --config scale=paper
# `--target test` adds a stage that imports the stack, renders MuJoCo under EGL and OSMesa and runs the tiny
# pipeline (make docker-test builds it with podman on a local Debian base).
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE} AS runtime

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONUNBUFFERED=1 \
    MUJOCO_GL=egl \
    PYOPENGL_PLATFORM=egl \
    OMP_NUM_THREADS=1 \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics

# Python 3.11; headless MuJoCo rendering: EGL (the NVIDIA driver's with --gpus, else Mesa's software one) and
# OSMesa as the fallback (MUJOCO_GL=osmesa PYOPENGL_PLATFORM=osmesa).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv python3-dev gcc make git ca-certificates \
        libegl1 libegl-mesa0 libgl1 libgl1-mesa-dri libglfw3 libosmesa6 \
 && rm -rf /var/lib/apt/lists/*

# Dependencies first (a cached layer), then the project. Owned by root, readable by every uid: the container runs
# as the caller's uid (--user), so files it writes into mounted folders belong to the caller.
COPY requirements-cuda.lock /opt/
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/venv/bin/pip install --no-cache-dir -r /opt/requirements-cuda.lock
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /work
COPY . .
RUN pip install --no-cache-dir --no-deps --no-build-isolation -e . \
 && chmod -R a+rwX /work   # Snakemake keeps .snakemake/ in its working directory, whoever runs it

ENTRYPOINT ["/work/docker/entrypoint.sh"]
CMD ["snakemake", "--cores", "all"]


FROM runtime AS test
RUN python -c "import torch, gymnasium, mujoco, minari, snakemake, pandas, seaborn, h5py, scipy, jsonschema; \
print('torch', torch.__version__, 'CUDA', torch.version.cuda, 'mujoco', mujoco.__version__)"
RUN MUJOCO_GL=egl PYOPENGL_PLATFORM=egl python docker/render_check.py \
 && MUJOCO_GL=osmesa PYOPENGL_PLATFORM=osmesa python docker/render_check.py
RUN snakemake --cores all --configfile tests/tiny.yaml --directory /tmp/tiny \
 && test -s /tmp/tiny/results/report.html
