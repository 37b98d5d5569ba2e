"""``python -m bot``: the same commands as ``articlebot``."""

from bot.cli import main

main()
