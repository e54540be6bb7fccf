"""What shared/report/rules.smk computes from the workflow: the papers that have a published.yaml, and the final
outputs of a paper that its diff waits for."""
from __future__ import annotations

from pathlib import Path

REPORT_OUTPUTS = ("diff.md", "diff.csv", "metrics.json", "tables/")


def report_papers(papers: list[str], papers_dir: str | Path) -> list[str]:
    """The included papers with a published.yaml (the ones a diff is made for)."""
    return [paper for paper in papers if (Path(papers_dir) / paper / "published.yaml").is_file()]


def paper_outputs(rules, paper: str, results: str) -> list[str]:
    """The paper's final outputs (the inputs of its <paper>_all rule), so its figures exist before the diff
    looks for them; the diff's own outputs are left out, should the paper's rule list them."""
    paper_all = getattr(rules, f"{paper}_all", None)
    if paper_all is None:
        return []
    own = tuple(f"{results}/{paper}/{name}" for name in REPORT_OUTPUTS)
    return [str(path) for path in paper_all.input if not str(path).startswith(own)]
