"""Datasets that come from elsewhere: Minari's remote (download) and D4RL v2 / v0 HDF5 files (converted to Minari)."""
from __future__ import annotations

import hashlib
import json
import os
import sys
import shutil
import urllib.request
from pathlib import Path

import numpy as np

from shared.data.catalog import d4rl_env_id, d4rl_id, d4rl_url, minari_id, parse_d4rl_name
from shared.data.checks import check_transitions
from shared.data.episodes import content_hash, flatten, split_transitions
from shared.data.minari_io import minari_datasets_path, minari_root, write_dataset
from shared.runs import atomic_write_text

D4RL_KEYS = ("observations", "actions", "rewards", "next_observations", "terminals", "timeouts")
D4RL_SCORE_LABEL = "D4RL normalised (D4RL {version} data, Gymnasium -v4 evaluation env)"
# sha256 per D4RL file name. D4RL publishes none, so a file's hash is recorded here on its first download (commit
# the change) and every later download, cached copy or local --hdf5 file of that name must match it.
D4RL_PINS = Path(__file__).resolve().parent / "d4rl_sha256.json"


def fetch(name: str, source: str, root: str | Path, hdf5: str | Path | None = None) -> Path:
    if source == "minari":
        return fetch_minari(name, root)
    if source == "d4rl":
        return fetch_d4rl(name, root, hdf5)
    raise SystemExit(f"source {source!r} cannot be fetched; generated datasets are made by "
                     "`python -m shared.data generate <name>`")


def fetch_minari(name: str, root: str | Path) -> Path:
    """Download a dataset from Minari's remote into <root>/minari; one clear line when that fails."""
    import minari
    dataset_id = minari_id(name)
    minari_root(root).mkdir(parents=True, exist_ok=True)
    with minari_datasets_path(minari_root(root)):
        try:
            minari.load_dataset(dataset_id, download=True)
        except Exception as err:  # network, unknown remote id, remote format: all end the same way for a user
            reason = (str(err).splitlines() or [type(err).__name__])[0]
            raise SystemExit(f"cannot download Minari dataset {dataset_id!r} ({type(err).__name__}: {reason}); "
                             "without network use --source generated (config data.source=generated)") from None
    from shared.data.loading import load_dataset
    load_dataset(name, "minari", root=root)  # shapes against the env and finite values, now rather than mid-training
    return minari_root(root) / dataset_id


def _download(url: str, path: Path) -> None:
    """Stream `url` to a temporary file beside `path`, then rename (files are up to ~2 GB)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(partial, "wb") as out:
            shutil.copyfileobj(response, out, length=1 << 20)
        os.replace(partial, path)
    except OSError as err:
        partial.unlink(missing_ok=True)
        raise SystemExit(f"cannot download {url} ({err}); pass a local file with --hdf5, or use "
                         "--source generated (config data.source=generated)") from None


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pins() -> dict[str, str]:
    return json.loads(D4RL_PINS.read_text()) if D4RL_PINS.exists() else {}


def verify_pinned(hdf5: Path, file_name: str, downloaded: bool) -> str:
    """The file's sha256, checked against the pin of `file_name`; a downloaded file without one is pinned now."""
    actual = _file_sha256(hdf5)
    pins = _pins()
    pinned = pins.get(file_name)
    if pinned is None and downloaded:
        try:
            atomic_write_text(D4RL_PINS, json.dumps({**pins, file_name: actual}, indent=2, sort_keys=True) + "\n")
            print(f"pinned sha256 of {file_name} in {D4RL_PINS} (first download): commit it", file=sys.stderr)
        except OSError as err:
            print(f"cannot record the sha256 {actual} of {file_name} in {D4RL_PINS} ({err.strerror})", file=sys.stderr)
    elif pinned is not None and pinned != actual:
        raise SystemExit(f"{hdf5}: sha256 {actual[:12]}... differs from the pinned {pinned[:12]}... of {file_name} "
                         f"({D4RL_PINS.name}): damaged or not the D4RL file; delete it and fetch again")
    return actual


def read_d4rl_hdf5(path: Path, version: str = "v2") -> dict[str, np.ndarray]:
    """The transition arrays of a D4RL HDF5 file; SystemExit naming the file when it is not one. v0 files have
    no next_observations: each is the following row's observation (the last row's own observation), as D4RL's
    qlearning_dataset reads them."""
    import h5py
    optional = ("next_observations",) if version == "v0" else ()
    try:
        with h5py.File(path, "r") as f:
            missing = [k for k in D4RL_KEYS if k not in f and k not in optional]
            if missing:
                raise SystemExit(f"{path} is not a D4RL {version} dataset: missing {missing}")
            arrays = {k: f[k][()] for k in D4RL_KEYS if k in f}
        if "next_observations" not in arrays:
            obs = arrays["observations"]
            arrays["next_observations"] = np.concatenate([obs[1:], obs[-1:]])
    except OSError as err:
        raise SystemExit(f"{path} is not a readable HDF5 file ({err})") from None
    dims = {k: 2 if k in ("observations", "next_observations", "actions") else 1 for k in D4RL_KEYS}
    wrong = [f"{k} {arrays[k].shape}" for k in D4RL_KEYS if arrays[k].ndim != dims[k]]
    if wrong:
        raise SystemExit(f"{path} is not a D4RL {version} dataset: expected [N] flags and rewards, [N, d] observations "
                         f"and actions; got {', '.join(wrong)}")
    n = len(arrays["rewards"])
    bad = [k for k, v in arrays.items() if len(v) != n]
    if bad or n == 0:
        raise SystemExit(f"{path} is not a D4RL {version} dataset: {bad or 'rewards'} have lengths other than rewards' "
                         f"{n} (or no transitions)")
    return arrays


def fetch_d4rl(name: str, root: str | Path, hdf5: str | Path | None = None) -> Path:
    """Convert a D4RL v2 (or v0: name suffix -v0) locomotion HDF5 (local file, else downloaded from D4RL's public URL) to Minari format,
    to be evaluated on the matching Gymnasium -v4 environment."""
    parsed, version = parse_d4rl_name(name)
    url = d4rl_url(name)
    downloaded = False
    if hdf5 is None:
        hdf5 = Path(root) / "d4rl_hdf5" / Path(url).name
        if not hdf5.exists():
            _download(url, hdf5)
            downloaded = True
    hdf5 = Path(hdf5)
    if not hdf5.exists():
        raise SystemExit(f"D4RL file {hdf5} does not exist")
    sha256 = verify_pinned(hdf5, Path(url).name, downloaded)
    arrays = read_d4rl_hdf5(hdf5, version)
    env_id = d4rl_env_id(parsed.family)
    check_transitions(arrays, env_id, f"D4RL file {hdf5} ({name})")
    episodes = split_transitions(**arrays)
    # Minari keeps one observation sequence per episode: inside an episode the next observation is the
    # following row. Count the transitions of the file that disagree (0 for D4RL's own files).
    inside = ~np.logical_or(arrays["terminals"], arrays["timeouts"])[:-1]
    following = arrays["observations"][1:][inside]
    mismatches = int((arrays["next_observations"][:-1][inside] != following).any(1).sum())
    provenance = {
        "source": "d4rl", "name": name, "env_id": env_id, "recipe": f"D4RL {version} dataset converted to Minari episodes",
        "d4rl_url": url, "hdf5": str(hdf5), "hdf5_sha256": sha256,
        "next_observation_mismatches": mismatches, "score_label": D4RL_SCORE_LABEL.format(version=version),
        "transitions": len(arrays["rewards"]), "episodes": len(episodes),
        "content_sha256": content_hash(flatten(episodes)),
    }
    return write_dataset(root, d4rl_id(name), episodes, env_id, parsed.family.ref_min_score,
                         parsed.family.ref_max_score, {"provenance": provenance},
                         description=f"D4RL {d4rl_id(name)} converted from {Path(url).name}")
