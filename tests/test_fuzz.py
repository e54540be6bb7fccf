"""Fuzz tests: no input to the config resolver, the dataset loaders or the ours.csv / published.yaml parsers ends in
a traceback; each either succeeds or stops with the parser's own one-line error."""
import copy
import tempfile
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from shared.config import ConfigError, merge, resolve
from shared.data.checks import check_transitions
from shared.data.sources import D4RL_KEYS, fetch_d4rl, read_d4rl_hdf5
from shared.report.published import PublishedError, load_published
from shared.report.results import OURS_COLUMNS, read_ours

GOOD = {"scale": "tiny", "papers": ["dmg", "oo_lmdp"], "data": {"source": "generated", "root": "data"}}
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=True)
           | st.text(max_size=8) | st.sampled_from(["30", "1e3", "-1", "true", "tiny", "[1, 2]", ""]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=6) | st.integers(0, 3), inner, max_size=3), max_leaves=6)


def _paths(tree, prefix=()):
    """Every key path of a nested mapping (list items by index)."""
    yield prefix
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, list) else ()
    for key, child in items:
        yield from _paths(child, prefix + (key,))


RESOLVED = resolve(GOOD)
PATHS = [p for p in _paths({k: RESOLVED[k] for k in ("scale", "papers", "data", "dmg", "oo_lmdp")}) if p]


def _set(tree, path, value):
    """`tree` with the node at `path` replaced by `value` (unchanged when an earlier edit removed that path)."""
    tree = copy.deepcopy(tree)
    node = tree
    try:
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    except (KeyError, IndexError, TypeError):
        pass
    return tree


def _one_line(error):
    assert "\n" not in str(error) and str(error)


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(PATHS), values), min_size=1, max_size=3))
def test_config_resolver_never_tracebacks(edits):
    overrides = {k: RESOLVED[k] for k in ("scale", "papers", "data", "dmg", "oo_lmdp")}
    for path, value in edits:
        overrides = _set(overrides, path, value)
    try:
        resolve(overrides)
    except ConfigError as error:
        _one_line(error)


@FUZZ
@given(st.dictionaries(st.sampled_from(["scale", "papers", "data", "dmg", "oo_lmdp"]) | st.text(max_size=6), values,
                       max_size=4))
def test_config_overrides_of_any_shape_never_traceback(overrides):
    try:
        resolve(merge(GOOD, overrides))
    except ConfigError as error:
        _one_line(error)


float_arrays = hnp.arrays(st.sampled_from([np.float32, np.float64, np.int64, np.bool_]),
                          hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                          )


@FUZZ
@given(st.fixed_dictionaries({k: float_arrays for k in ("observations", "actions", "rewards", "next_observations")}),
       st.sampled_from(["Hopper-v4", "HalfCheetah-v5", "", "NoSuchEnv-v0"]))
def test_dataset_checks_never_traceback(arrays, env_id):
    try:
        check_transitions(arrays, env_id, "fuzz")
    except SystemExit as error:
        _one_line(error)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.integers(1, 6), st.dictionaries(st.sampled_from(D4RL_KEYS), hnp.arrays(
    st.sampled_from([np.float32, np.float64, np.bool_, np.int8]), hnp.array_shapes(min_dims=1, max_dims=2, max_side=7)),
    max_size=6), st.binary(max_size=64))
def test_d4rl_loader_never_tracebacks(n, overrides, junk):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        arrays = {"observations": np.zeros((n, 11), np.float32), "actions": np.zeros((n, 3), np.float32),
                  "rewards": np.zeros(n, np.float32), "next_observations": np.zeros((n, 11), np.float32),
                  "terminals": np.zeros(n, bool), "timeouts": np.zeros(n, bool), **overrides}
        path = tmp / "hopper_medium-v2.hdf5"
        with h5py.File(path, "w") as f:
            for key, value in arrays.items():
                f[key] = value
        (tmp / "junk.hdf5").write_bytes(junk)
        for candidate in (path, tmp / "junk.hdf5"):
            try:
                read_d4rl_hdf5(candidate)
                fetch_d4rl("hopper-medium", tmp / "root", hdf5=candidate)
            except SystemExit as error:
                _one_line(error)


csv_fields = st.text(st.characters(blacklist_categories=["Cs"]), max_size=6) | st.sampled_from(
    ["0", "1", "1.5", "nan", "True", "False", "table1", ""])


@FUZZ
@given(st.lists(st.lists(csv_fields, min_size=6, max_size=10), max_size=5), st.booleans(), st.binary(max_size=40))
def test_ours_csv_parser_never_tracebacks(rows, header, junk):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ours.csv"
        lines = ([",".join(OURS_COLUMNS)] if header else []) + [",".join(r) for r in rows]
        for content in (("\n".join(lines) + "\n").encode(), junk):
            path.write_bytes(content)
            try:
                read_ours(path)
            except SystemExit as error:
                _one_line(error)


PUBLISHED = {"paper": "synth", "title": "t", "source": "s.txt", "artifacts": [
    {"id": "table1", "kind": "table", "caption": "c", "source": "Table 1", "score_kind": "d4rl_normalised",
     "data": "D4RL v2", "checkpoint": "final", "seeds": 5, "spread_kind": "std",
     "totals": [{"setting": "total", "over": ["a"]}],
     "cells": [{"setting": "a", "method": "M", "mean": 1.0, "spread": 0.5}, {"setting": "total", "method": "M",
                                                                              "mean": 1.0}]}]}
PUBLISHED_PATHS = [p for p in _paths(PUBLISHED) if p]


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(PUBLISHED_PATHS), values), max_size=3), st.binary(max_size=40))
def test_published_parser_never_tracebacks(edits, junk):
    document = PUBLISHED
    for path, value in edits:
        document = _set(document, path, value)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "published.yaml"
        for content in (yaml.safe_dump(document).encode(), junk):
            path.write_bytes(content)
            try:
                load_published(path)
            except PublishedError as error:
                _one_line(error)
