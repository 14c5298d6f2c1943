"""Enterprise profiles from ``.jsonl`` and ``.csv`` files (a header row of profile field names), whole or partial."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.loaders.files import UnsupportedFormatError, sniff_encoding
from corpus.loaders.records import Loaded, LoadError, LoadResult, load_all, record_errors
from corpus.loaders.rows import csv_rows, jsonl_objects
from corpus.schemas import PROFILE_FIELD_NAMES, EnterpriseProfile, ProfileError, validate_profile

ENTERPRISE_SUFFIXES = (".jsonl", ".csv")


def _profile_rows(
    path: Path,
    warnings: list[str] | None,
    read: Callable[[int, dict[str, Any]], Iterator[Loaded[Any] | LoadError]],
    *,
    partial: bool,
) -> Iterator[Loaded[Any] | LoadError]:
    """Yield what ``read`` makes of each row of an enterprise file (and the errors of bad rows), warning once of extra columns.

    A partial import needs only the ``id`` column and keeps empty cells (an empty cell is a change there).
    """
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        rows: Iterator[tuple[int, dict[str, Any] | LoadError]] = jsonl_objects(path)
    elif suffix == ".csv":
        encoding = sniff_encoding(path)
        if encoding != "utf-8-sig" and warnings is not None:
            warnings.append(
                f"{path}: not UTF-8; read as {encoding.upper()} (save as “CSV UTF-8” to avoid this)"
            )
        rows = (
            csv_rows(path, encoding, required=("id",), keep_empty=True)
            if partial
            else csv_rows(path, encoding)
        )
    else:
        raise UnsupportedFormatError(
            f"{path}: unsupported enterprise file type {suffix or '(none)'}; use .jsonl or .csv"
        )
    warned = False
    known = set(PROFILE_FIELD_NAMES)
    for line_no, data in rows:
        if isinstance(data, LoadError):
            yield data
            continue
        if not warned and warnings is not None:
            extra = sorted(k for k in data if k not in known)
            if extra:
                warnings.append(f"{path}: ignored columns that are not profile fields: {', '.join(extra)}")
                warned = True
        yield from read(line_no, data)


def read_enterprises(
    path: str | Path, warnings: list[str] | None = None
) -> Iterator[Loaded[EnterpriseProfile] | LoadError]:
    """Every profile of a ``.jsonl`` or ``.csv`` file, validated, or the errors of the bad ones.

    Columns (CSV) or keys (JSONL) that are not profile fields are ignored; the
    first time a file has some, a warning naming them is appended to ``warnings``.
    """
    path = Path(path)

    def profile(line_no: int, data: dict[str, Any]) -> Iterator[Loaded[EnterpriseProfile] | LoadError]:
        try:
            yield Loaded(validate_profile(data), str(path), line_no)
        except ProfileError as exc:
            yield from record_errors(path, line_no, exc)

    yield from _profile_rows(path, warnings, profile, partial=False)


@dataclass(frozen=True)
class ProfileRow:
    """One row of a partial enterprise import: the id and the fields it changes (``None``: make unknown)."""

    id: str
    changes: Mapping[str, Any]


def read_enterprise_rows(
    path: str | Path, warnings: list[str] | None = None, *, empty: str = "keep"
) -> Iterator[Loaded[ProfileRow] | LoadError]:
    """Every row of a ``.jsonl`` or ``.csv`` file as the changes it makes to a profile (a partial import).

    Only the columns (CSV) or keys (JSONL) a row carries are changed; a present-but-empty
    cell is kept or cleared as ``empty`` says (:mod:`corpus.merge`); JSONL ``null`` clears.
    Each row's own values are checked here (a bad number is reported with its line); whether
    the merged profile is whole (a new enterprise needs a name) is checked when it is stored.
    """
    from corpus.merge import merge_profile, profile_changes

    path = Path(path)

    def changed(line_no: int, data: dict[str, Any]) -> Iterator[Loaded[ProfileRow] | LoadError]:
        changes = profile_changes(data, empty)
        record_id = changes.get("id")
        if not isinstance(record_id, str) or not record_id.strip():
            yield LoadError(str(path), line_no, "id", "is required and must be a non-empty string")
            return
        try:  # the row's own values, on a stand-in name: a new enterprise's missing name is found on merge
            merge_profile(None, {"name": "（检查）", **{k: v for k, v in changes.items() if v is not None}})
        except ProfileError as exc:
            yield from record_errors(path, line_no, exc)
            return
        yield Loaded(ProfileRow(record_id.strip(), changes), str(path), line_no)

    yield from _profile_rows(path, warnings, changed, partial=True)


def load_enterprises(paths: Iterable[str | Path]) -> LoadResult[EnterpriseProfile]:
    """Read every enterprise file (folders are searched) into one result."""
    return load_all(paths, ENTERPRISE_SUFFIXES, read_enterprises)
