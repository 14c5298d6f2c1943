"""What the command modules share: the settings' store (open for a command only), printing records, progress lines."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from api.commands import flag

T = TypeVar("T")


def say(message: str) -> None:
    """Print a progress line of a long-running command (``serve``, ``events dispatch``) to stderr."""
    print(f"policymatch: {message}", file=sys.stderr, flush=True)


def open_cli_store() -> Any:
    """Open the store the settings name (``POLICYMATCH_STORE_URL`` or the data directory's SQLite file)."""
    from api.settings import get_settings
    from corpus.store import open_store

    return open_store(get_settings().store_location)


@contextmanager
def cli_store() -> Iterator[Any]:
    """Yield the store the settings name; close it when the block ends."""
    store = open_cli_store()
    try:
        yield store
    finally:
        store.close()


def print_records(
    records: Iterable[Any], as_json: bool, line: Callable[[Any], str], *, empty: str | None = None
) -> None:
    """Print each record as one JSON object per line (``as_json``, its ``to_dict()``) or as ``line(record)``.

    ``empty``: the line printed instead when there is no record (never with ``as_json``: JSON lines stay JSON).
    """
    printed = False
    for record in records:
        print(json.dumps(record.to_dict(), ensure_ascii=False) if as_json else line(record))
        printed = True
    if not printed and empty is not None and not as_json:
        print(empty)


def found(record: T | None, missing: str) -> T:
    """Return what the store found; ``LookupError(missing)`` when it found nothing (None)."""
    if record is None:
        raise LookupError(missing)
    return record


def add_listing_options(parser: argparse.ArgumentParser, *, limit: int | None = 50) -> None:
    """Add a listing's ``--limit`` (when ``limit``, its default, is given) and ``--json`` (JSON lines)."""
    if limit is not None:
        parser.add_argument("--limit", type=int, default=limit)
    flag(parser, "--json", "one JSON object per line")


def listing_limit(limit: int) -> int:
    """Return a listing's ``--limit``; ``ValueError`` below 1 (a listing of nothing is a mistake)."""
    if limit < 1:
        raise ValueError("--limit must be at least 1")
    return limit
