import textwrap

import pytest

from shared.report import Claim, Results
from shared.report.claim import run_claims
from shared.report.cli import main


def new_beats_old(results: Results) -> Claim:
    """NEW's total exceeds OLD's."""
    statement = "NEW scores above OLD on hopper-medium"
    new, old = results.cell("table1", "hopper-medium", "NEW"), results.cell("table1", "hopper-medium", "OLD")
    if new is None or old is None:
        return Claim.not_run("new_beats_old", statement, "hopper-medium not run")
    return Claim.check("new_beats_old", statement, new.mean > old.mean, f"NEW {new.mean:.1f} vs OLD {old.mean:.1f}")


def old_beats_new(results: Results) -> Claim:
    new, old = results.cell("table1", "hopper-medium", "NEW"), results.cell("table1", "hopper-medium", "OLD")
    return Claim.check("old_beats_new", "OLD scores above NEW", old.mean > new.mean, f"OLD {old.mean:.1f} vs NEW {new.mean:.1f}")


def broken(results: Results) -> Claim:
    """A check with a bug."""
    return results.cell("table1", "nowhere", "NEW").mean


def test_claim_that_holds_and_one_that_fails(synth):
    _, results_dir = synth
    outcomes = run_claims([new_beats_old, old_beats_new], Results(results_dir / "synth"))
    assert [(c.verdict, c.evidence) for c in outcomes] == [("hold", "NEW 60.0 vs OLD 40.0"), ("fail", "OLD 40.0 vs NEW 60.0")]


def test_claim_not_run_without_data(tmp_path):
    empty = Results(tmp_path)
    assert empty.df[~empty.df["diverged"]].empty and empty.df["value"].dtype == float  # typed even when empty
    outcome = run_claims([new_beats_old], empty)[0]
    assert outcome.verdict == "not run" and outcome.evidence == "hopper-medium not run"


def test_a_raising_check_is_a_failing_claim_naming_the_error(synth):
    _, results_dir = synth
    outcome = run_claims([broken], Results(results_dir / "synth"))[0]
    assert outcome.verdict == "fail" and outcome.name == "broken" and "AttributeError" in outcome.evidence


def test_claim_rejects_unknown_verdict():
    with pytest.raises(ValueError, match="verdict must be one of"):
        Claim("x", "y", "maybe", "z")


@pytest.fixture
def synth_with_claims(synth):
    """The synthetic paper with a papers/synth/claims.py."""
    papers, results = synth
    (papers / "synth" / "claims.py").write_text(textwrap.dedent("""
        from shared.report import Claim

        def holds(results):
            return Claim.check("holds", "always", True, "1 > 0")

        CLAIMS = [holds]
    """))
    return papers, results


def test_strict_exit_code_follows_the_claims(synth_with_claims):
    papers, results = synth_with_claims
    args = ["diff", "--paper", "synth", "--papers-dir", str(papers), "--results-dir", str(results), "--strict"]
    assert main(args) == 0
    claims = papers / "synth" / "claims.py"
    claims.write_text(claims.read_text().replace('True, "1 > 0"', 'False, "0 > 1"'))
    assert main(args) == 1
    assert main(args[:-1]) == 0  # without --strict a failing claim is reported, not fatal
    assert "| **holds**: always | fail | 0 > 1 |" in (results / "synth" / "diff.md").read_text()


def test_a_claims_module_that_cannot_load_is_one_clear_line(synth_with_claims):
    papers, results = synth_with_claims
    (papers / "synth" / "claims.py").write_text("import not_a_module_anywhere\n")
    with pytest.raises(SystemExit, match=r"claims\.py: cannot be loaded \(ModuleNotFoundError: No module named"):
        main(["diff", "--paper", "synth", "--papers-dir", str(papers), "--results-dir", str(results)])
