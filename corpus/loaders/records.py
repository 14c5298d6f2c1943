"""What a loader yields: a good record with where it came from, or an error naming the file, line and field."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from corpus.loaders.files import expand_paths
from corpus.schemas import RecordError

T = TypeVar("T")


@dataclass(frozen=True)
class LoadError:
    """One bad record: where it is and what is wrong with which field."""

    path: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.path + (f":{self.line}" if self.line is not None else "")
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass(frozen=True)
class Loaded(Generic[T]):
    """A good record and where it came from."""

    record: T
    path: str
    line: int | None = None
    # The keys the source gave explicitly (a JSONL record's, a front matter's); None when unknown. Facts read
    # from a policy's text fill only what was not given (matcher.extraction.document).
    given: frozenset[str] | None = None


@dataclass(frozen=True)
class LoadResult(Generic[T]):
    """Every good record and every error of a load."""

    records: tuple[Loaded[T], ...]
    errors: tuple[LoadError, ...]
    warnings: tuple[str, ...] = ()


def record_errors(path: str | Path, line_no: int | None, exc: RecordError) -> Iterator[LoadError]:
    """One :class:`LoadError` per problem of a record that failed validation."""
    for problem in exc.problems:
        yield LoadError(str(path), line_no, problem.field, problem.message)


def load_all(
    paths: Iterable[str | Path],
    suffixes: tuple[str, ...],
    read: Callable[[Path, list[str]], Iterable[Loaded[T] | LoadError]],
) -> LoadResult[T]:
    """Read every file of ``paths`` (folders are searched for ``suffixes``) with ``read`` into one result."""
    records: list[Loaded[T]] = []
    errors: list[LoadError] = []
    warnings: list[str] = []
    for path in expand_paths(paths, suffixes):
        for entry in read(path, warnings):
            if isinstance(entry, LoadError):
                errors.append(entry)
            else:
                records.append(entry)
    return LoadResult(tuple(records), tuple(errors), tuple(warnings))
