"""The store a command works on: the one the settings name, open for the command and closed after it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


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
