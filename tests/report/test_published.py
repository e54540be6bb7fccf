import re

import pytest
import yaml

from shared.report.cli import main
from shared.report.published import PublishedError, load_published


def test_valid_file_loads_with_defaults_and_overrides(synth):
    papers, _ = synth
    published = load_published(papers / "synth" / "published.yaml", paper="synth")
    table = published.artifact("table1")
    assert [a.id for a in published.artifacts] == ["table1", "figure1", "figure2"]
    assert table.cells[0].seeds == 5 and table.cells[0].spread_kind == "std"
    total = next(c for c in table.cells if c.setting == "total")
    assert total.spread is None and total.spread_kind == "none"  # spread omitted = none
    assert table.total_for("total").over == ("hopper-medium", "walker2d-medium")
    frame = published.artifact("figure1").frame()
    assert list(frame["setting"]) == ["lambda=0.25 hopper-medium", "lambda=1.0 hopper-medium"]
    assert frame["mean"].tolist() == [60.0, 5.0] and frame["spread"].isna().all()


def _mutate(papers, edit):
    path = papers / "synth" / "published.yaml"
    document = yaml.safe_load(path.read_text())
    edit(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d["artifacts"][0].pop("score_kind"), r"artifacts\[0\]: missing key\(s\) score_kind"),
        (lambda d: d["artifacts"][0].update(score_kind="points"), r"artifacts\[0\]\.score_kind: expected one of"),
        (lambda d: d["artifacts"][0]["cells"][1].update(mean="n/a"), r"artifacts\[0\]\.cells\[1\]\.mean: expected a finite number"),
        (lambda d: d["artifacts"][0]["cells"][0].update(sd=1.0), r"artifacts\[0\]\.cells\[0\]: unknown key\(s\) sd"),
        (lambda d: d["artifacts"][0]["cells"][0].update(spread=-1.0), r"cells\[0\]\.spread: expected a number >= 0"),
        (lambda d: d["artifacts"][0]["cells"][0].update(spread_kind="none"), r"cells\[0\]\.spread: a spread is given but spread_kind is none"),
        (lambda d: d["artifacts"][0]["cells"].append(dict(d["artifacts"][0]["cells"][0])), r"duplicate \(setting, method\)"),
        (lambda d: d["artifacts"][0]["totals"][0]["over"].append("ant-medium"), r"totals\[0\]\.over: setting 'ant-medium' has no cell"),
        (lambda d: d["artifacts"][1].update(id="table1"), r"artifacts: duplicate id\(s\) table1"),
        (lambda d: d["artifacts"][0].update(seeds=0), r"artifacts\[0\]\.seeds: expected a positive integer"),
        (lambda d: d.update(paper="other"), r"paper: expected 'synth'"),
        (lambda d: d.update(artifacts=[]), r"artifacts: expected at least one artifact"),
    ],
)
def test_bad_file_names_file_and_key(synth, edit, message):
    papers, _ = synth
    path = _mutate(papers, edit)
    with pytest.raises(PublishedError, match=re.escape(str(path)) + ".*" + message):
        load_published(path, paper="synth")


def test_invalid_yaml_is_one_clear_line(synth):
    papers, _ = synth
    path = papers / "synth" / "published.yaml"
    path.write_text("paper: [unclosed\n")
    with pytest.raises(PublishedError) as error:
        load_published(path)
    assert "not valid YAML" in str(error.value) and "\n" not in str(error.value)


def test_cli_turns_a_bad_file_into_system_exit(synth):
    papers, results = synth
    _mutate(papers, lambda d: d["artifacts"][0].update(kind="plot"))
    with pytest.raises(SystemExit, match=r"artifacts\[0\]\.kind: expected one of table, figure, got 'plot'"):
        main(["diff", "--paper", "synth", "--papers-dir", str(papers), "--results-dir", str(results)])


def test_cli_rejects_unknown_paper(synth):
    papers, results = synth
    with pytest.raises(SystemExit, match="--paper nope: no "):
        main(["diff", "--paper", "nope", "--papers-dir", str(papers), "--results-dir", str(results)])
