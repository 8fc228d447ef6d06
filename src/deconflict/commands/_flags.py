"""Option declarations that several commands share."""

from __future__ import annotations

import argparse

__all__ = ["add_number"]


def add_number(
    p: argparse.ArgumentParser, flag: str, default: float, what: str, *, metavar: str = "S"
) -> None:
    """Declare ``flag`` taking one number of the type of ``default`` (an int or a float:
    seconds, metres, a count), ``default`` when not given; its help is ``what`` followed
    by the default, as in ``seconds between rounds (default 5)``."""
    p.add_argument(
        flag,
        type=type(default),
        default=default,
        metavar=metavar,
        help=f"{what} (default {default:g})",
    )
