"""articlebot's Telegram side and command line, built on the ``knowledge`` library."""
