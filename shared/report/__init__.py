"""Reporting layer: published numbers, aggregation of our runs, the diff, tables, figures and the report."""
from shared.report.claim import Claim
from shared.report.results import CellStats, Results

__all__ = ["CellStats", "Claim", "Results"]
