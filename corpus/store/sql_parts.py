"""Small pieces of SQL text the table groups share: a WHERE of optional filters, ids in bounded chunks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from corpus.store.records import chunks

T = TypeVar("T")

#: Ids per ``IN (…)``: both drivers cap the parameters of one statement.
CHUNK = 500


@dataclass
class Filters:
    """The clauses and parameters of a WHERE, built from the filters a caller gave (None: not filtered)."""

    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def equal(self, *pairs: tuple[str, Any]) -> Filters:
        """Add ``column = ?`` for every (column, value) whose value is not None."""
        for column, value in pairs:
            if value is not None:
                self.clauses.append(f"{column} = ?")
                self.params.append(value)
        return self

    def add(self, clause: str, *params: Any) -> Filters:
        """Add one clause with its parameters."""
        self.clauses.append(clause)
        self.params.extend(params)
        return self

    @property
    def where(self) -> str:
        """``WHERE a AND b``, or nothing when no filter was given."""
        return f"WHERE {' AND '.join(self.clauses)}" if self.clauses else ""


def chunked(ids: Iterable[T], size: int = CHUNK) -> Iterator[tuple[list[T], str]]:
    """``ids`` in slices of at most ``size``, each with its ``?,?,…`` placeholders."""
    for chunk in chunks(ids, size):
        yield chunk, ",".join("?" * len(chunk))
