"""The ``ep-skills`` command line: a thin layer over the library, French or English."""

from ep_skills.cli.app import cli, main

__all__ = ["cli", "main"]
