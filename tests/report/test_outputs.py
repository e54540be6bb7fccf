import json

import pandas as pd
import pytest

from shared.report.cli import main
from shared.report.published import load_published


def run(*args):
    return main(list(args))


def test_diff_writes_every_published_cell_to_every_output(synth):
    papers, results = synth
    assert run("diff", "--paper", "synth", "--papers-dir", str(papers), "--results-dir", str(results)) == 0
    out = results / "synth"
    published = load_published(papers / "synth" / "published.yaml")
    diff = pd.read_csv(out / "diff.csv")
    expected = [(a.id, c.setting, c.method) for a in published.artifacts for c in a.cells]
    assert list(diff[["artifact", "setting", "method"]].itertuples(index=False, name=None)) == expected
    markdown = (out / "diff.md").read_text()
    for artifact, setting, method in expected:
        assert f"| {setting} | {method} |" in markdown
    table = (out / "tables" / "table1.md").read_text()
    assert "| halfcheetah-medium | not run | 45.0 ± 0.5 |  |  |" in table
    assert "| **total** | 140.0 ± 1.1 ✓ | 140.0 | 110.0 ± 0.4 ✗ | 120.0 |" in table
    tex = (out / "tables" / "table1.tex").read_text()
    assert r"\multicolumn{2}{c}{NEW}" in tex and r"60.0 $\pm$ 1.2 \checkmark" in tex and "scale: tiny" in tex
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["cells_published"] == 9 and metrics["cells_run"] == 8 and metrics["cells_within_tolerance"] == 6
    assert metrics["ours_mean"]["table1/halfcheetah-medium/NEW"] is None
    assert metrics["ours_mean"]["table1/total/OLD"] == 110.0


def test_paper_with_no_runs_still_lists_every_cell_as_not_run(synth):
    papers, results = synth
    (results / "synth" / "ours.csv").unlink()
    run("diff", "--paper", "synth", "--papers-dir", str(papers), "--results-dir", str(results))
    diff = pd.read_csv(results / "synth" / "diff.csv")
    assert len(diff) == 9 and set(diff["verdict"]) == {"not run"}


def test_report_lists_papers_not_started_and_misspelt_cells(synth):
    papers, results = synth
    ours = pd.read_csv(results / "synth" / "ours.csv")
    ours.loc[ours["setting"] == "walker2d-medium", "setting"] = "walker-medium"  # a typo in our runs
    curves = pd.DataFrame([dict(ours.iloc[0], artifact="figure2", setting="step=10 hopper-medium")])
    ours = pd.concat([ours, curves])  # a cell of a figure without published numbers: expected, not listed
    ours.to_csv(results / "synth" / "ours.csv", index=False)
    (papers / "dmg").mkdir()  # a paper folder without published.yaml
    assert run("report", "--papers-dir", str(papers), "--results-dir", str(results)) == 0
    readme = (results / "README.md").read_text()
    assert "| dmg | not started |" in readme and "| combo | not started |" in readme
    assert "| [synth](synth/diff.md): A synthetic paper | 1/3 | 4/9 | 3/4 |" in readme
    page = (results / "report.html").read_text()
    assert "table1 / walker-medium / NEW" in page  # shown as a cell with no published counterpart
    assert "step=10" not in page
    run("diff", "--paper", "synth", "--papers-dir", str(papers), "--results-dir", str(results))
    table = (results / "synth" / "tables" / "table1.md").read_text()
    assert "| walker-medium | 80.0 ± 0.8 | — | 70.0 ± 0.7 | — |" in table  # ours only, beside the paper's rows
    assert "| walker2d-medium | not run | 80.0 ± 1.0 | not run | 70.0 ± 1.0 |" in table
    assert len(pd.read_csv(results / "synth" / "diff.csv")) == 9  # the diff counts published cells only
    assert '<tr><td>walker2d-medium</td><td class="num nr" title="not run; ">not run' in page  # kept, marked


def test_bad_ours_csv_is_one_clear_line(synth):
    papers, results = synth
    ours = pd.read_csv(results / "synth" / "ours.csv")
    ours.astype({"seed": object}).assign(seed=["first"] + list(ours["seed"][1:])).to_csv(results / "synth" / "ours.csv", index=False)
    with pytest.raises(SystemExit, match=r"ours\.csv: column seed must hold integers"):
        run("diff", "--paper", "synth", "--papers-dir", str(papers), "--results-dir", str(results))
    ours.drop(columns=["diverged"]).to_csv(results / "synth" / "ours.csv", index=False)
    with pytest.raises(SystemExit, match=r"ours\.csv: missing columns \['diverged'\]"):
        run("diff", "--paper", "synth", "--papers-dir", str(papers), "--results-dir", str(results))


def test_the_report_names_the_machine_when_runs_record_one(tmp_path):
    from shared.report.results import Results, read_ours
    rows = "artifact,setting,method,seed,value,diverged,data,scale{extra}\n" \
           "t,s,M,0,1.0,False,d,quick{m0}\nt,s,M,1,2.0,False,d,quick{m1}\n"
    (tmp_path / "ours.csv").write_text(rows.format(extra="", m0="", m1=""))
    assert Results(tmp_path).machines() == "not recorded by these runs"
    (tmp_path / "ours.csv").write_text(rows.format(extra=",machine", m0=",AMD EPYC (torch AVX2)", m1=","))
    assert read_ours(tmp_path / "ours.csv")["machine"].tolist()[0] == "AMD EPYC (torch AVX2)"
    assert Results(tmp_path).machines() == "AMD EPYC (torch AVX2); not recorded for some runs"
