"""A paper's qualitative claim, checked over our aggregated results."""
from __future__ import annotations

from dataclasses import dataclass

VERDICTS = ("hold", "fail", "not run")


@dataclass(frozen=True)
class Claim:
    """The outcome of one claim check: `evidence` carries the numbers that decided the verdict."""

    name: str
    statement: str
    verdict: str
    evidence: str

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"claim {self.name!r}: verdict must be one of {VERDICTS}, got {self.verdict!r}")

    @classmethod
    def not_run(cls, name: str, statement: str, why: str) -> "Claim":
        return cls(name, statement, "not run", why)

    @classmethod
    def check(cls, name: str, statement: str, holds: bool, evidence: str) -> "Claim":
        """`hold` if `holds` else `fail`, with the evidence that decided it."""
        return cls(name, statement, "hold" if bool(holds) else "fail", evidence)


def run_claims(checks, results) -> list[Claim]:
    """Evaluate a paper's CLAIMS; a check that raises is reported as a failing claim naming the error,
    so one broken check neither hides the others nor passes silently."""
    outcomes = []
    for check in checks:
        name = getattr(check, "__name__", repr(check))
        try:
            outcome = check(results)
        except Exception as error:  # noqa: BLE001 - any bug in a check must surface as its verdict
            outcome = Claim(name, (check.__doc__ or name).strip(), "fail", f"check raised {type(error).__name__}: {error}")
        if not isinstance(outcome, Claim):
            outcome = Claim(name, (check.__doc__ or name).strip(), "fail", f"check returned {type(outcome).__name__}, not Claim")
        outcomes.append(outcome)
    return outcomes
