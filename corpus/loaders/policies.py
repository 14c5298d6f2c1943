"""Policy documents from files: ``.txt``, ``.md``, ``.html``/``.htm``, ``.docx`` (one document per file) and ``.jsonl``.

A ``.txt`` or ``.md`` file may start with a front-matter block of ``key: value`` lines between
``---`` lines (id, title, region_code, department, issued, valid_until, url, fulfilment);
otherwise the id is the file name and the title the first line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from corpus.loaders.files import (
    DEFAULT_CAPS,
    FileCaps,
    FileTooLarge,
    UnsupportedFormatError,
    check_docx,
    check_file_size,
    check_html,
    sniff_encoding,
)
from corpus.loaders.formats import docx_to_text, front_matter, html_to_text, markdown_to_text
from corpus.loaders.records import Loaded, LoadError, LoadResult, load_all, record_errors
from corpus.loaders.rows import jsonl_objects
from corpus.schemas import FACT_KEYS, PolicyDocument, PolicyError, validate_policy

POLICY_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".jsonl")
_DOCUMENT_KEYS = ("id", "title", "region_code", "department", "issued", "valid_until", "url")
# The metadata a file may give: the document's own keys and its document facts (docs/conditions.md §5;
# ``fulfilment_mode`` is read as ``fulfilment`` when that is absent). Given, they win over what the text says.
_METADATA_KEYS = frozenset((*_DOCUMENT_KEYS, "fulfilment_mode", *FACT_KEYS))
_DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


def read_policies(
    path: str | Path, caps: FileCaps = DEFAULT_CAPS
) -> Iterator[Loaded[PolicyDocument] | LoadError]:
    """Every policy document of one file, or the errors that kept one out (a file over ``caps`` is one error)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        yield from _read_policy_jsonl(path)
        return
    if suffix not in POLICY_SUFFIXES:
        raise UnsupportedFormatError(
            f"{path}: unsupported policy file type {suffix or '(none)'}; use {', '.join(POLICY_SUFFIXES)}"
        )
    try:
        if suffix in (".txt", ".md", ".markdown"):
            check_file_size(path, caps)
            raw = path.read_text(encoding=sniff_encoding(path))
            metadata, body = front_matter(raw)
            text = markdown_to_text(body) if suffix != ".txt" else body
        elif suffix in (".html", ".htm"):
            check_html(path, caps)
            metadata, text = {}, html_to_text(path.read_text(encoding=sniff_encoding(path), errors="replace"))
        else:
            check_docx(path, caps)
            metadata, text = docx_to_text(path)
    except UnicodeDecodeError as exc:
        yield LoadError(str(path), None, None, f"is not UTF-8 text ({exc.reason} at byte {exc.start})")
        return
    except FileTooLarge as exc:
        yield LoadError(str(path), None, None, f"is refused before parsing: {exc}")
        return
    except Exception as exc:  # noqa: BLE001 - a hostile or broken file is reported, never a traceback for the folder
        yield LoadError(str(path), None, None, f"cannot be read: {type(exc).__name__}: {exc}")
        return
    record = _document_record(path, metadata, text)
    given = frozenset(k for k in metadata if k in _METADATA_KEYS and metadata[k])
    try:
        yield Loaded(validate_policy(record), str(path), given=given)
    except PolicyError as exc:
        yield from record_errors(path, None, exc)


def load_policies(paths: Iterable[str | Path]) -> LoadResult[PolicyDocument]:
    """Read every policy file (folders are searched) into one result."""
    return load_all(paths, POLICY_SUFFIXES, lambda path, _warnings: read_policies(path))


def _read_policy_jsonl(path: Path) -> Iterator[Loaded[PolicyDocument] | LoadError]:
    for line_no, data in jsonl_objects(path):
        if isinstance(data, LoadError):
            yield data
            continue
        try:
            given = frozenset(k for k, v in data.items() if v is not None) if isinstance(data, dict) else None
            yield Loaded(validate_policy(data), str(path), line_no, given=given)
        except PolicyError as exc:
            yield from record_errors(path, line_no, exc)


def _document_record(path: Path, metadata: dict[str, str], text: str) -> dict[str, Any]:
    record: dict[str, Any] = {k: v for k, v in metadata.items() if k in _METADATA_KEYS and v}
    record.setdefault("id", path.stem)
    lines = [line.strip().lstrip("#").strip() for line in text.splitlines() if line.strip()]
    if "title" not in record:
        first = lines[0] if lines else ""
        record["title"] = first if 0 < len(first) <= 80 else path.stem
    if "issued" not in record:
        # The signature date at the end of a 文件 is its 成文日期.
        dates = _DATE_RE.findall(text[-300:])
        if dates:
            year, month, day = dates[-1]
            record["issued"] = f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
    record["text"] = text
    return record
