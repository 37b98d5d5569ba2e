"""``python -m tests.faults.child ARGS``: ``articlebot ARGS`` in a process to kill, that says on
stdout when it is ready (imports done), so that kills land in the command's work, not its
start-up."""

from __future__ import annotations

import sys

from bot.cli import main

if __name__ == "__main__":
    print("ready", flush=True)
    sys.argv[0] = "articlebot"
    main()
