"""Rows of a ``.jsonl`` or ``.csv`` file as dicts, each with its line, or the error that line is."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from corpus.loaders.records import LoadError


def jsonl_objects(path: Path) -> Iterator[tuple[int, dict[str, Any] | LoadError]]:
    """Every JSON object of a ``.jsonl`` file with its line number; a line that is not one is a :class:`LoadError`."""
    try:
        handle = path.open(encoding="utf-8-sig")
    except OSError as exc:
        yield 0, LoadError(str(path), None, None, f"cannot be read: {exc.strerror or exc}")
        return
    with handle:
        line_no = 0
        while True:
            try:
                line = handle.readline()
            except UnicodeDecodeError as exc:
                yield (
                    line_no + 1,
                    LoadError(str(path), line_no + 1, None, f"is not UTF-8 text ({exc.reason})"),
                )
                return
            if not line:
                return
            line_no += 1
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                yield (
                    line_no,
                    LoadError(
                        str(path), line_no, None, f"is not valid JSON ({exc.msg} at column {exc.colno})"
                    ),
                )
                continue
            if not isinstance(data, dict):
                yield (
                    line_no,
                    LoadError(str(path), line_no, None, f"must be a JSON object, got {type(data).__name__}"),
                )
                continue
            yield line_no, data


def csv_rows(
    path: Path,
    encoding: str = "utf-8-sig",
    *,
    required: tuple[str, ...] = ("id", "name"),
    keep_empty: bool = False,
) -> Iterator[tuple[int, dict[str, Any] | LoadError]]:
    """Every non-empty row of a ``.csv`` file as a dict with its line number, after a header naming ``required``."""
    try:
        handle = path.open(encoding=encoding, newline="")
    except OSError as exc:
        yield 0, LoadError(str(path), None, None, f"cannot be read: {exc.strerror or exc}")
        return
    with handle:
        reader = csv.DictReader(handle)
        try:
            header = reader.fieldnames
        except UnicodeDecodeError as exc:
            yield 1, LoadError(str(path), 1, None, f"is not UTF-8 text ({exc.reason})")
            return
        if not header:
            yield 1, LoadError(str(path), 1, None, "has no header row of profile field names")
            return
        header = [h.strip() for h in header]
        reader.fieldnames = header
        missing = [name for name in required if name not in header]
        if missing:
            yield (
                1,
                LoadError(
                    str(path),
                    1,
                    ", ".join(missing),
                    f"the header must name the columns {' and '.join(required)}",
                ),
            )
            return
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                yield (
                    reader.line_num + 1,
                    LoadError(str(path), reader.line_num + 1, None, f"is not UTF-8 text ({exc.reason})"),
                )
                return
            except csv.Error as exc:
                yield (
                    reader.line_num,
                    LoadError(str(path), reader.line_num, None, f"is not valid CSV ({exc})"),
                )
                return
            if None in row:
                yield (
                    reader.line_num,
                    LoadError(
                        str(path),
                        reader.line_num,
                        None,
                        f"has {len(header) + len(row[None])} cells for {len(header)} columns",
                    ),
                )
                continue
            values = {k: v for k, v in row.items() if k and v is not None and v.strip() != ""}
            if not values:
                continue
            if keep_empty:  # a partial import tells an empty cell from an absent column
                values = {k: ("" if v is None else v) for k, v in row.items() if k}
            yield reader.line_num, values
