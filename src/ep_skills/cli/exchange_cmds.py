"""``ep-skills exchange``: evidence and referentials in the formats other tools speak
(docs/exchange.md)."""

from __future__ import annotations

import click

__all__ = ["register"]


@click.group("exchange")
def exchange() -> None:
    """Evidence and referentials in the formats other tools speak: CASE (referentials for a
    network), Open Badges (a bloc acquired), xAPI (a learning record store), SACoche and
    Moodle (moving in and out)."""


def register(cli: click.Group) -> None:
    """Add ``exchange`` and its formats to the command line."""
    from ep_skills.cli.exchange_badges import badges
    from ep_skills.cli.exchange_case import case
    from ep_skills.cli.exchange_moodle import moodle
    from ep_skills.cli.exchange_sacoche import sacoche
    from ep_skills.cli.exchange_xapi import xapi

    for group in (case, badges, xapi, sacoche, moodle):
        exchange.add_command(group)
    cli.add_command(exchange)
