# A fixed CUDA environment that runs the whole pipeline:
#   docker build -t offrl-repl .
#   docker run --gpus all -v $PWD/results:/work/results -v $PWD/data:/work/data offrl-repl
#   docker run --gpus all offrl-repl snakemake --cores all --config scale=paper
# BASE_IMAGE can point at any Debian/Ubuntu image with Python 3.11 available (e.g. for a CPU-only test build).
ARG BASE_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu22.04
FROM ${BASE_IMAGE}

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONUNBUFFERED=1 \
    MUJOCO_GL=egl \
    PYOPENGL_PLATFORM=egl \
    OMP_NUM_THREADS=1

# Python 3.11, and headless MuJoCo rendering: EGL on GPUs, OSMesa as the fallback (MUJOCO_GL=osmesa).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3.11 python3.11-venv python3.11-dev gcc make git \
        libegl1 libgl1 libglfw3 libosmesa6 \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 repl
WORKDIR /work
RUN chown repl:repl /work
USER repl

# Dependencies first (cached layer), then the project itself.
COPY --chown=repl:repl requirements.lock pyproject.toml ./
RUN python3.11 -m venv /home/repl/venv \
 && /home/repl/venv/bin/pip install --no-cache-dir --upgrade pip \
 && /home/repl/venv/bin/pip install --no-cache-dir -r requirements.lock
ENV PATH=/home/repl/venv/bin:$PATH

COPY --chown=repl:repl . .
RUN pip install --no-cache-dir --no-deps -e .

CMD ["snakemake", "--cores", "all"]
