"""Subcommands of ``policymatch``, one module per area (see ``api.cli``)."""
