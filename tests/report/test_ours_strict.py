"""ours.csv feeds every number of the diff: anything malformed is one line naming the file, and a non-zero exit."""
import subprocess
import sys

import math
import pytest

from shared.report.results import read_ours

HEADER = "artifact,setting,method,seed,value,diverged,data,scale\n"
ROW = "table1,hopper-medium,NEW,{seed},{value},{diverged},D4RL v2,tiny\n"


def _rows(*specs) -> str:
    return HEADER + "".join(ROW.format(seed=s, value=v, diverged=d) for s, v, d in specs)


@pytest.mark.parametrize("content, fragment", [
    (_rows((0, "abc", False)), "column value must be a finite number unless the row says diverged (line 2: 'abc')"),
    (_rows((0, "nan", False)), "line 2: 'nan'"),
    (_rows((0, 1.0, False), (0, 2.0, False)), "line 3 repeats (artifact, setting, method, seed)"),
    (_rows((0, 1.0, False)).replace(",tiny\n", ",tiny,extra\n"), "line 2 has 9 fields, expected 8"),
    (_rows((0, 1.0, False), (1, 2.0, False))[:-9], "truncated"),
    (_rows((0, 1.0, False)) + "table1,hopper-medium\n", "line 3 has 2 fields, expected 8"),
    ("", "empty; expected the header"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text CSV file"),
    (b"artifact\x00,seed\n", "not a text CSV file (holds NUL bytes)"),
    (HEADER.replace("seed", "sead"), "missing columns ['seed']"),
    (HEADER.replace("\n", ",extra\n"), "unexpected or repeated columns ['extra']"),
    (HEADER.replace("\n", ",seed\n"), "unexpected or repeated columns"),
    (_rows((-1, 1.0, False)), "column seed must hold integers >= 0"),
    (_rows((0, 1.0, "maybe")), "column diverged must be True or False"),
    (_rows((0, 1.0, False)).replace("table1,", ",", 1), "column artifact must not be empty"),
])
def test_malformed_ours_csv_is_one_line(tmp_path, content, fragment):
    path = tmp_path / "ours.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(SystemExit) as err:
        read_ours(path)
    message = str(err.value)
    assert fragment in message and str(path) in message and "\n" not in message


def test_a_diverged_row_may_hold_anything_and_counts_as_nan(tmp_path):
    path = tmp_path / "ours.csv"
    path.write_text(_rows((0, 1.5, False), (1, "", True), (2, "inf", "True"), (3, "exploded", 1)))
    df = read_ours(path)
    assert df["seed"].tolist() == [0, 1, 2, 3] and df["diverged"].tolist() == [False, True, True, True]
    assert df["value"].iloc[0] == 1.5 and all(math.isnan(v) for v in df["value"].iloc[1:])


def test_an_optional_machine_column_is_kept(tmp_path):
    (tmp_path / "ours.csv").write_text(_rows((0, 1.0, False), (1, 2.0, False)).replace("scale\n", "scale,machine\n")
                                       .replace("tiny\n", "tiny,x86\n", 1).replace("tiny\n", "tiny,\n"))
    df = read_ours(tmp_path / "ours.csv")
    assert df["machine"].tolist()[0] == "x86" and df["machine"].isna().tolist() == [False, True]


def test_header_only_is_nothing_run(tmp_path):
    (tmp_path / "ours.csv").write_text(HEADER)
    assert read_ours(tmp_path / "ours.csv").empty


def test_the_diff_exits_non_zero_with_one_line(synth):
    papers, results = synth
    ours = results / "synth" / "ours.csv"
    ours.write_text(ours.read_text() + ours.read_text().splitlines()[1] + "\n")  # a duplicated row
    proc = subprocess.run([sys.executable, "-m", "shared.report", "diff", "--paper", "synth", "--papers-dir",
                           str(papers), "--results-dir", str(results)], capture_output=True, text=True)
    assert proc.returncode != 0
    assert proc.stderr.strip().count("\n") == 0 and "repeats (artifact, setting, method, seed)" in proc.stderr
