"""The kill -9 rounds (``rounds``) as the suite runs them: ten ingests killed at random
moments and two bots killed during /reload (about a minute; ``python -m tests.faults`` runs
more)."""

from pathlib import Path

from . import rounds

SEED = 12


def test_ingests_killed_at_random_moments_leave_a_library_that_a_rerun_finishes(
    tmp_path: Path,
) -> None:
    report = rounds.Report()
    rounds.ingest_rounds(tmp_path, 10, SEED, report)
    assert report.failures == [], "\n".join(report.lines)
    assert len(report.lines) == 10
    # the kills land in the ingest's work, not all after its end
    assert sum(": killed," in line for line in report.lines) >= 5, "\n".join(report.lines)


def test_bots_killed_during_reload_leave_a_library_that_a_rerun_finishes(tmp_path: Path) -> None:
    report = rounds.Report()
    rounds.reload_rounds(tmp_path, 2, SEED, report)
    assert report.failures == [], "\n".join(report.lines)
    assert len(report.lines) == 2
