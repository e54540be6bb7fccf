"""A paper's qualitative claim, checked over our aggregated results."""
from __future__ import annotations

from dataclasses import dataclass

from shared.report.stats import COMPARE_RULE, DIRECTIONS, compare

VERDICTS = ("hold", "fail", "inconclusive", "not run")

CLAIM_RULE = (
    "**Claim verdicts.** *hold* / *fail*: the claim's comparisons are decided for / against it; *inconclusive*: "
    "the differences it turns on are within the seeds' noise; *not run*: its cells are absent at this scale. "
    + COMPARE_RULE
)


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

    @classmethod
    def compare(cls, name: str, statement: str, per_seed_a, per_seed_b, direction: str = "greater",
                labels: tuple[str, str] = ("A", "B"), paired: bool = False, min_effect: float = 0.0) -> "Claim":
        """A claim that mean A is `direction` ("greater" or "less") than mean B, decided by stats.compare:
        hold / fail when the difference is outside the seeds' noise, inconclusive when within it."""
        comparison = compare(per_seed_a, per_seed_b, paired=paired, min_effect=min_effect)
        return cls.from_comparisons(name, statement, [(comparison, direction, labels)])

    @classmethod
    def from_comparisons(cls, name: str, statement: str, comparisons, prefix: str = "") -> "Claim":
        """A claim that needs every (Comparison, direction, (label_a, label_b)) to go its way: fail if any is
        decided against, else inconclusive if any is within noise, else hold. Evidence lists each comparison."""
        comparisons = list(comparisons)
        if not comparisons:
            raise ValueError(f"claim {name!r}: from_comparisons needs at least one comparison")
        for _, direction, _ in comparisons:
            if direction not in DIRECTIONS:
                raise ValueError(f"claim {name!r}: direction must be one of {DIRECTIONS}, got {direction!r}")
        outcomes = [c.decided == direction if c.decided else None for c, direction, _ in comparisons]
        verdict = "fail" if False in outcomes else "inconclusive" if None in outcomes else "hold"
        evidence = "; ".join(c.text(*labels) for c, _, labels in comparisons)
        return cls(name, statement, verdict, f"{prefix}{evidence}")

    @classmethod
    def combine(cls, name: str, statement: str, parts: list["Claim"], prefix: str = "") -> "Claim":
        """One claim from sub-claims (e.g. one per dataset): fail if any fails, else inconclusive if any is,
        else hold; evidence joins theirs."""
        if not parts:
            raise ValueError(f"claim {name!r}: combine needs at least one part")
        verdicts = {part.verdict for part in parts}
        verdict = next(v for v in ("fail", "inconclusive", "not run", "hold") if v in verdicts)
        return cls(name, statement, verdict, prefix + "; ".join(part.evidence for part in parts))


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
