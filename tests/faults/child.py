"""``python -m tests.faults.child ARGS``: ``articlebot ARGS`` in a process to kill, that says on
stdout when it is ready (imports done), so that kills land in the command's work, not its
start-up. ``ARTICLEBOT_FAULTS_PARALLEL`` (characters) lowers the size from which an ingest's
analysis runs in forked worker processes, so that a small test library uses them too."""

from __future__ import annotations

import os
import sys

from bot.cli import main
from knowledge import prepare

if __name__ == "__main__":
    if parallel := os.environ.get("ARTICLEBOT_FAULTS_PARALLEL"):
        prepare.PARALLEL_MIN_CHARS = int(parallel)
    print("ready", flush=True)
    sys.argv[0] = "articlebot"
    main()
