"""Subcommands of ``policymatch``, one module per area (see ``api.cli``)."""

from __future__ import annotations

import argparse


def flag(parser: argparse.ArgumentParser, name: str, help_text: str | None = None) -> None:
    """Add a yes/no option: off unless given on the command line."""
    parser.add_argument(name, action="store_true", help=help_text)
