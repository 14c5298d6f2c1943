"""What the SQL core speaks to: one connection of either dialect, with the driver's errors turned into the store's.

Each dialect (:mod:`corpus.store.sqlite`, :mod:`corpus.store.postgres`) wraps its
driver's connection in a class with this shape: ``execute`` / ``executemany`` take
the core's SQL (``?`` placeholders) and return a :class:`Result` whose rows are
already read, so a driver error can only surface inside ``execute``, where it is
turned into :class:`~corpus.store.base.IntegrityError` (a constraint refused the
write) or :class:`~corpus.store.base.StoreError` (anything else). Callers above the
store catch those and never a driver's own exception types.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from corpus.store.base import IntegrityError, StoreError


class Row(Protocol):
    """A row readable by column name and by position, and iterable over its values (as ``sqlite3.Row``)."""

    def __getitem__(self, key: Any, /) -> Any:
        """Return the value of a column, by name or position."""
        ...

    def __iter__(self) -> Iterator[Any]:
        """Iterate over the values in column order."""
        ...

    def __len__(self) -> int:
        """Count the columns."""
        ...


class Result:
    """What one statement returned: its rows (read at once), ``rowcount`` and ``lastrowid``."""

    __slots__ = ("lastrowid", "rowcount", "rows")

    def __init__(self, rows: list[Row], rowcount: int, lastrowid: int | None) -> None:  # noqa: D107
        self.rows = rows
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    def fetchone(self) -> Row | None:
        """Return the first row, or None."""
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[Row]:
        """Every row."""
        return self.rows

    def scalar(self) -> Any:
        """Return the first column of the first row (a statement such as ``SELECT count(*)`` always has one)."""
        if not self.rows:
            raise StoreError("the statement returned no row")
        return self.rows[0][0]

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)


class Connection(Protocol):
    """One thread's connection to the store, speaking the core's SQL and raising only the store's errors."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        """Run one statement."""
        ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Result:
        """Run one statement for each row of parameters."""
        ...

    def execute_script(self, sql: str) -> None:
        """Run a migration script: several statements, no parameters."""
        ...

    def close(self) -> None:
        """Close the driver's connection."""
        ...


def store_error(exc: BaseException, *, integrity: bool) -> StoreError:
    """Turn a driver's error into the store's: :class:`IntegrityError` when a constraint refused the write."""
    message = str(exc).strip() or type(exc).__name__
    return IntegrityError(message) if integrity else StoreError(message)
