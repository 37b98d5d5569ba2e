"""Fault runs: processes killed (``kill -9``) at random moments, and what they leave."""
