"""Load and validate the pipeline configuration; resolve each paper's settings for the active scale.

config/config.yaml chooses the scale and the papers; config/papers/<name>.yaml holds one mapping per scale for
`data` and for each paper. Overrides (--configfile, --config 'dmg={steps: 30}') are merged over them key by key.
Every mapping is validated before the DAG is built, against config/schema/config.yaml (top level) and
config/schema/<name>.yaml (the resolved per-scale mapping of `data` and of every paper with a rules.smk): a bad
value is one line naming its key and the allowed values. Besides JSON Schema, a schema may list
`x-relations: [[key, op, other_key], ...]` (op: multiple_of, <, <=; keys dotted, relative to that object).
"""
from __future__ import annotations

import argparse
import copy
import difflib
import functools
import json
import operator
from pathlib import Path

import jsonschema
import yaml

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "config" / "schema"
PAPER_CONFIGS = REPO / "config" / "papers"
PAPERS_DIR = REPO / "papers"
TOP_LEVEL = REPO / "config" / "config.yaml"


class ConfigError(ValueError):
    """A bad configuration value; the message is one line naming it."""


def repo_relative(path: Path) -> str:
    """The path relative to the repository when inside it (messages and committed files name no machine's path)."""
    path = Path(path).resolve()
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def load_yaml(path: Path):
    """The parsed file (a fresh copy); a syntax error is a ConfigError naming the file and line."""
    try:
        return copy.deepcopy(_parsed(str(path), Path(path).stat().st_mtime_ns))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ConfigError(f"{repo_relative(path)}{where}: invalid YAML: {problem}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{repo_relative(path)}: not a text file (not UTF-8)") from None
    except OSError as err:
        raise ConfigError(f"cannot read {repo_relative(path)}: {err.strerror}") from None


@functools.lru_cache(maxsize=64)
def _parsed(path: str, mtime_ns: int):
    return yaml.safe_load(Path(path).read_text())


def available_papers() -> list[str]:
    """Papers whose rules exist (papers/<name>/rules.smk)."""
    return sorted(p.name for p in PAPERS_DIR.iterdir() if (p / "rules.smk").is_file())


def load_schema(name: str) -> dict:
    path = SCHEMAS / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(f"{repo_relative(path)} is missing: every paper with a rules.smk needs a schema for its "
                          f"config/papers/{name}.yaml mapping (see config/schema/dmg.yaml)")
    return load_yaml(path)


def top_level_schema() -> dict:
    """config/schema/config.yaml with the papers that exist: as allowed `papers` items and as override keys."""
    schema = load_schema("config")
    papers = available_papers()
    schema["properties"]["papers"]["items"] = {"enum": papers}
    for paper in papers:
        schema["properties"][paper] = {"type": "object", "description": f"overrides of config/papers/{paper}.yaml"}
    return schema


# --- coercion: `--config dmg={steps: 30}` reaches us as {'steps': '30'} (Snakemake parses nested values as text)

def _types(schema: dict) -> list[str]:
    kind = schema.get("type", [])
    return [kind] if isinstance(kind, str) else list(kind)


def _from_text(text: str, types: list[str]):
    for kind in types:
        try:
            if kind == "integer":
                number = float(text)
                if number.is_integer() and "." not in text.split("e")[0]:
                    return int(number)
            elif kind == "number":
                return float(text)
            elif kind == "boolean" and text.lower() in ("true", "false"):
                return text.lower() == "true"
        except ValueError:
            continue
    return text


def coerce(value, schema: dict):
    """`value` with text converted to the number or boolean the schema expects at that place."""
    if not isinstance(schema, dict):
        return value
    if isinstance(value, str):
        return _from_text(value.strip(), [t for t in _types(schema) if t != "string"]) if "string" not in \
            _types(schema) else value
    if isinstance(value, dict):
        properties, extra = schema.get("properties", {}), schema.get("additionalProperties")
        return {k: coerce(v, properties.get(k, extra if isinstance(extra, dict) else {})) for k, v in value.items()}
    if isinstance(value, list):
        items = schema.get("items", {})
        prefix = schema.get("prefixItems", [])
        return [coerce(v, prefix[i] if i < len(prefix) else items) for i, v in enumerate(value)]
    return value


# --- validation

RELATIONS = {"multiple_of": lambda a, b: b != 0 and a % b == 0, "<": operator.lt, "<=": operator.le}
RELATION_WORDS = {"multiple_of": "a multiple of", "<": "less than", "<=": "at most"}


def _lookup(mapping, dotted: str):
    for part in dotted.split("."):
        if isinstance(mapping, dict) and part in mapping:
            mapping = mapping[part]
        elif isinstance(mapping, list) and part.isdigit() and int(part) < len(mapping):
            mapping = mapping[int(part)]
        else:
            return None
    return mapping


def _relations(validator, relations, instance, schema):
    if not isinstance(instance, dict):
        return
    for left, op, right in relations:
        a, b = _lookup(instance, left), _lookup(instance, right)
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b))
        if numbers and not RELATIONS[op](a, b):
            error = jsonschema.ValidationError(f"{a} must be {RELATION_WORDS[op]} '{right}' ({b})")
            error.relative_path.extend(left.split("."))
            yield error


Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"x-relations": _relations})


def _name(key) -> str:
    """A key as the message shows it: itself, or its repr when it holds line breaks or control characters."""
    return str(key) if str(key).isprintable() else repr(key)


def _did_you_mean(word, allowed) -> str:
    close = difflib.get_close_matches(str(word), [str(a) for a in allowed], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _message(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted((k for k in error.instance if k not in allowed), key=str)
        if not unknown:
            return error.message
        return f"unknown key '{_name(unknown[0])}' (allowed: {', '.join(allowed)})" + _did_you_mean(unknown[0], allowed)
    if error.validator == "enum":
        allowed = error.validator_value
        return (f"{error.instance!r} is not allowed (allowed: {', '.join(map(str, allowed))})"
                + _did_you_mean(error.instance, allowed))
    if error.validator == "type":
        return f"{error.instance!r} is not of type {' or '.join(_types(error.schema))}"
    if error.validator == "uniqueItems":
        return f"{error.instance!r} has repeated items"
    if error.validator == "minItems" and not error.instance:
        return "must not be empty"
    return error.message.replace("\n", " ")


def _check_keys(instance, path: list, origin: str) -> None:
    """Every mapping key is text (YAML allows `0:` or `null:` as keys; no setting is named so)."""
    items = instance.items() if isinstance(instance, dict) else enumerate(instance) if isinstance(instance, list) \
        else ()
    for key, value in items:
        if isinstance(instance, dict) and not isinstance(key, str):
            where = ".".join(map(_name, path)) or "<top level>"
            raise ConfigError(f"config error at '{where}'{origin}: key {key!r} is not a name")
        _check_keys(value, [*path, key], origin)


def validate(instance, schema: dict, prefix: str = "", source: str = "") -> None:
    """ConfigError with one line for the most relevant violation of `schema` by `instance`."""
    _check_keys(instance, [prefix] if prefix else [], origin=f" [{source}]" if source else "")
    error = jsonschema.exceptions.best_match(Validator(schema).iter_errors(instance))
    if error is None:
        return
    where = ".".join([prefix] * bool(prefix) + [_name(p) for p in error.absolute_path]) or "<top level>"
    origin = f" [{source}]" if source else ""
    raise ConfigError(f"config error at '{where}'{origin}: {_message(error)}")


# --- resolution

def merge(base, override):
    """`override` over `base`, mappings merged key by key (lists and values replaced)."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            out[key] = merge(base.get(key), value)
        return out
    return copy.deepcopy(override)


def scale_settings(name: str, scale: str) -> dict:
    """The mapping of `scale` in config/papers/<name>.yaml ({} when the file does not exist)."""
    path = PAPER_CONFIGS / f"{name}.yaml"
    if not path.exists():
        return {}
    profiles = load_yaml(path) or {}
    if not isinstance(profiles, dict) or not isinstance(profiles.get(scale), dict):
        raise ConfigError(f"config error: {repo_relative(path)} has no '{scale}' mapping")
    return copy.deepcopy(profiles[scale])


def settings(name: str, scale: str, overrides: dict | None = None) -> dict:
    """The validated settings of `name` (data or a paper) at `scale`, with `overrides` merged in."""
    schema = load_schema(name)
    source = f"config/papers/{name}.yaml '{scale}'" + (" + overrides" if overrides else "")
    if overrides is not None and not isinstance(overrides, dict):
        raise ConfigError(f"config error at '{name}': overrides must be a mapping, got {overrides!r}")
    mapping = coerce(merge(scale_settings(name, scale), overrides or {}), schema)
    validate(mapping, schema, prefix=name, source=source)
    return mapping


DEFAULT_SCALE = "quick"


def results_root(scale: str) -> str:
    """Where a scale's outputs go: results/ for the default scale (the committed results and the READMEs' links),
    results/<scale>/ for every other, so switching scale reruns instead of finding the other scale's files."""
    return "results" if scale == DEFAULT_SCALE else f"results/{scale}"


def data_root(root: str, scale: str) -> str:
    """Where a scale's datasets and behaviour policies go: `root` for the default scale, <root>/<scale>/ for every
    other. Generated datasets are named without their scale (generated/hopper/medium-v0), so without this a
    paper-scale run would regenerate the quick datasets in place at 1M transitions each."""
    return root if scale == DEFAULT_SCALE else f"{root}/{scale}"


def resolve(config: dict) -> dict:
    """`config` (config/config.yaml merged with the command line's) validated, with config[<paper>] = that
    paper's settings for the active scale and config["data"] the data settings, each validated by its schema; config["results"] and config["data_root"]
    the scale's output and data roots."""
    schema = top_level_schema()
    config = coerce(config, schema)
    validate(config, schema)
    resolved = copy.deepcopy(config)
    scale = resolved["scale"]
    resolved["data"] = settings("data", scale, resolved["data"])
    resolved["data_root"] = data_root(resolved["data"]["root"], scale)
    resolved["results"] = results_root(scale)
    resolved["model"] = settings("model", scale, resolved.get("model") or {})  # dynamics models of COMBO, DROMO
    for paper in resolved["papers"]:
        resolved[paper] = settings(paper, scale, resolved.get(paper) or {})
    return resolved


def load_config(overrides: dict | None = None) -> dict:
    """config/config.yaml with `overrides` (the command line's) merged in, resolved."""
    base = load_yaml(TOP_LEVEL)
    if not isinstance(base, dict):
        raise ConfigError(f"{repo_relative(TOP_LEVEL)}: expected a mapping of settings")
    return resolve(merge(base, overrides or {}))


def json_mapping(text: str) -> dict:
    """argparse type of a --settings argument: a JSON object."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"not valid JSON ({err.msg} at character {err.pos})") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object of settings")
    return value
