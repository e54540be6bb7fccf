"""Command line: `python -m shared.report {diff,report,validate} ...`."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from shared.report import paper, site
from shared.report.published import PublishedError, load_published
from shared.runs import atomic_write_text

REPO_ROOT = Path(__file__).resolve().parents[2]


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--papers-dir", type=Path, default=REPO_ROOT / "papers",
                        help="folder with papers/<paper>/published.yaml and claims.py (default: %(default)s)")
    parser.add_argument("--results-dir", type=Path, default=REPO_ROOT / "results",
                        help="folder with results/<paper>/ours.csv; outputs go here (default: %(default)s)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m shared.report",
                                     description="Diff our runs against the papers' published numbers and report.")
    commands = parser.add_subparsers(dest="command", required=True)
    diff = commands.add_parser("diff", help="one paper: tables/, diff.{md,csv}, metrics.json under results/<paper>/")
    diff.add_argument("--paper", required=True, help="paper slug, a folder under papers/ with a published.yaml")
    diff.add_argument("--strict", action="store_true", help="exit with status 1 when a claim fails")
    _common(diff)
    report = commands.add_parser("report", help="every paper: results/report.html and results/README.md")
    report.add_argument("--html", type=Path, default=None, help="default: <results-dir>/report.html")
    report.add_argument("--readme", type=Path, default=None, help="default: <results-dir>/README.md")
    _common(report)
    validate = commands.add_parser("validate", help="check published.yaml files against the schema")
    validate.add_argument("--paper", action="append", help="paper slug (repeatable; default: every paper)")
    _common(validate)
    return parser.parse_args(argv)


def _check_dirs(args: argparse.Namespace) -> None:
    if not args.papers_dir.is_dir():
        raise SystemExit(f"--papers-dir {args.papers_dir}: not a directory")


def _paper_slug(args: argparse.Namespace, slug: str) -> str:
    if not (args.papers_dir / slug / "published.yaml").is_file():
        raise SystemExit(f"--paper {slug}: no {args.papers_dir / slug / 'published.yaml'}")
    return slug


def run_diff(args: argparse.Namespace) -> int:
    slug = _paper_slug(args, args.paper)
    started = time.perf_counter()
    report = paper.build(slug, args.papers_dir, args.results_dir)
    written = paper.write(report)
    print(f"{slug}: {report.summary()}")
    print(f"wrote {len(written)} files under {report.results.dir} in {time.perf_counter() - started:.1f} s")
    for claim in report.claims_failed:
        print(f"claim fails: {claim.name}: {claim.evidence}", file=sys.stderr)
    return 1 if args.strict and report.claims_failed else 0


def run_report(args: argparse.Namespace) -> int:
    statuses = [
        site.PaperStatus(slug, paper.build(slug, args.papers_dir, args.results_dir)
                         if site.has_published(args.papers_dir, slug) else None)
        for slug in site.discover(args.papers_dir)
    ]
    html_path = args.html or args.results_dir / "report.html"
    readme_path = args.readme or args.results_dir / "README.md"
    atomic_write_text(html_path, site.page(statuses, html_path.parent))
    atomic_write_text(readme_path, site.readme(statuses))
    for status in statuses:
        print(f"{status.slug}: {status.report.summary() if status.report else 'not started'}")
    print(f"wrote {html_path} and {readme_path}")
    return 0


def run_validate(args: argparse.Namespace) -> int:
    slugs = ([_paper_slug(args, s) for s in args.paper] if args.paper
             else [s for s in site.discover(args.papers_dir) if site.has_published(args.papers_dir, s)])
    for slug in slugs:
        published = load_published(args.papers_dir / slug / "published.yaml", paper=slug)
        cells = sum(len(a.cells) for a in published.artifacts)
        print(f"{slug}: ok ({len(published.artifacts)} artifacts, {cells} cells)")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _check_dirs(args)
    try:
        return {"diff": run_diff, "report": run_report, "validate": run_validate}[args.command](args)
    except (PublishedError, paper.ClaimsError) as error:
        raise SystemExit(str(error)) from None
