import subprocess
import sys

import pytest

from shared.config import ConfigError, resolve

GOOD = {"scale": "quick", "papers": ["oo_lmdp"], "data": {"source": "generated", "root": "data"}}


def test_resolve_fills_paper_settings_for_the_scale():
    resolved = resolve(GOOD)
    assert resolved["scale"] == "quick" and resolved["data_root"] == "data"
    assert isinstance(resolved["oo_lmdp"], dict)


@pytest.mark.parametrize("key, value, fragment", [
    ("scale", "huge", "'scale'"),
    ("papers", ["nope"], "'papers.0'"),
    ("data", {"source": "s3", "root": "data"}, "'data.source'"),
])
def test_bad_config_value_is_one_clear_line(key, value, fragment):
    with pytest.raises(ConfigError) as err:
        resolve({**GOOD, key: value})
    message = str(err.value)
    assert fragment in message and "\n" not in message


def test_snakemake_rejects_a_bad_scale_with_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1", "--config", "scale=huge"],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "config error at 'scale'" in proc.stderr + proc.stdout
