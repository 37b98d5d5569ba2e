"""``python -m tests.faults [--rounds N] [--firsts N] [--reloads N] [--seed S]``: the kill -9 rounds
(``rounds``) with as many rounds as wanted, one line each; exit 1 if any check failed."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from . import rounds


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults", description=__doc__)
    parser.add_argument("--rounds", type=int, default=10, help="ingests killed (10)")
    parser.add_argument("--firsts", type=int, default=2, help="first ingests killed (2)")
    parser.add_argument("--reloads", type=int, default=2, help="bots killed in /reload (2)")
    parser.add_argument("--seed", type=int, default=12, help="seed of the articles and kills")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    options = parser.parse_args()
    report = rounds.Report()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="articlebot-faults-") as temporary:
        work = options.keep or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        rounds.ingest_rounds(work, options.rounds, options.seed, report)
        rounds.first_ingest_rounds(work, options.firsts, options.seed, report)
        rounds.reload_rounds(work, options.reloads, options.seed, report)
    for line in report.lines:
        print(line)
    for failure in report.failures:
        print("FAILED:", failure, file=sys.stderr)
    print(
        f"{len(report.lines)} rounds, {len(report.failures)} failures, "
        f"{time.monotonic() - started:.0f} s"
    )
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
