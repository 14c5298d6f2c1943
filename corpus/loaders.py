"""Read policy documents and enterprise profiles from files.

Policies: ``.txt``, ``.md``, ``.html``/``.htm`` (stdlib ``html.parser``),
``.docx`` (python-docx) — one document per file — and ``.jsonl`` (one
``POST /v1/policies`` object per line). Enterprises: ``.jsonl`` and ``.csv``
(a header row of profile field names).

Readers are generators that yield, per record, either a :class:`Loaded`
record (with the file and line it came from) or a :class:`LoadError` naming
the file, the line and the field, so a caller can keep the good records and
report the bad ones (or, strict, keep none). Headings of ``.md``, ``.html``
and ``.docx`` become ``#`` lines in the text, which :mod:`corpus.splitting`
reads as section markers.

A ``.txt`` or ``.md`` file may start with a front-matter block of
``key: value`` lines between ``---`` lines (id, title, region_code,
department, issued, valid_until, url, fulfilment); otherwise the id is the
file name and the title the first line.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Generic, TypeVar

from corpus.schemas import (
    PROFILE_FIELD_NAMES,
    EnterpriseProfile,
    PolicyDocument,
    PolicyError,
    ProfileError,
    RecordError,
    validate_policy,
    validate_profile,
)

T = TypeVar("T")

POLICY_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".jsonl")
ENTERPRISE_SUFFIXES = (".jsonl", ".csv")
_METADATA_KEYS = (
    "id",
    "title",
    "region_code",
    "department",
    "issued",
    "valid_until",
    "url",
    "fulfilment",
    # Document facts (docs/conditions.md §5): given explicitly they win over what is read from the text.
    "fulfilment_mode",
    "is_policy",
    "doc_type",
    "valid_from",
    "window_open",
    "window_close",
)
_DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


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


class UnsupportedFormatError(ValueError):
    """A file whose suffix this loader does not read."""


class FileTooLarge(ValueError):
    """A file over one of the :class:`FileCaps` (checked before parsing)."""


@dataclass(frozen=True)
class FileCaps:
    """What one policy file may cost before it is parsed (settings: max_file_bytes, max_unzipped_bytes, max_xml_elements).

    A .docx is a zip: a 200 KB file may hold a 57 MB document.xml that python-docx would
    parse for minutes into gigabytes. The member sizes are checked from the zip directory and
    again while reading (a lying directory is caught), and the XML's elements are counted from
    the raw bytes, before any parser sees them.
    """

    max_file_bytes: int = 20 * 1024 * 1024
    max_unzipped_bytes: int = 25 * 1024 * 1024
    max_xml_elements: int = 500_000
    max_zip_members: int = 2_000

    @classmethod
    def from_settings(cls, settings: Any) -> FileCaps:
        """Read the caps from the settings (fields of the same name)."""
        return cls(
            **{
                k: getattr(settings, k)
                for k in ("max_file_bytes", "max_unzipped_bytes", "max_xml_elements")
                if hasattr(settings, k)
            }
        )


DEFAULT_CAPS = FileCaps()
_CHUNK = 1 << 20


def _count_elements(chunks: Iterable[bytes], limit: int, what: str) -> int:
    """Count start tags (``<`` not followed by ``/``, ``!`` or ``?``) in raw XML/HTML; raise past ``limit``."""
    count = 0
    tail = b""
    for chunk in chunks:
        data = tail + chunk
        # A tag split across chunks is counted once: the last byte is carried over.
        body, tail = data[:-1], data[-1:]
        count += body.count(b"<") - body.count(b"</") - body.count(b"<!") - body.count(b"<?")
        if count > limit:
            raise FileTooLarge(f"{what} has more than {limit} elements (the limit max_xml_elements)")
    return count


def check_file_size(path: Path, caps: FileCaps = DEFAULT_CAPS) -> None:
    """Raise :class:`FileTooLarge` when ``path`` is over ``caps.max_file_bytes``."""
    size = path.stat().st_size
    if size > caps.max_file_bytes:
        raise FileTooLarge(f"is {size} bytes, over the limit of {caps.max_file_bytes} (max_file_bytes)")


def check_docx(path: Path, caps: FileCaps = DEFAULT_CAPS) -> None:
    """Check a .docx before parsing: a zip, members within the uncompressed cap, XML within the element cap."""
    import zipfile

    check_file_size(path, caps)
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ValueError(f"is not a .docx (not a zip archive: {exc})") from None
    with archive:
        members = archive.infolist()
        if len(members) > caps.max_zip_members:
            raise FileTooLarge(f"holds {len(members)} zip members, over the limit of {caps.max_zip_members}")
        total = 0
        for member in members:
            if member.file_size > caps.max_unzipped_bytes:
                raise FileTooLarge(
                    f"{member.filename} unzips to {member.file_size} bytes, over the limit of "
                    f"{caps.max_unzipped_bytes} (max_unzipped_bytes)"
                )
            total += member.file_size
        if total > 2 * caps.max_unzipped_bytes:
            raise FileTooLarge(
                f"unzips to {total} bytes in all, over twice the limit of {caps.max_unzipped_bytes}"
            )
        for member in members:
            if not member.filename.endswith((".xml", ".rels")):
                continue

            def chunks(member: zipfile.ZipInfo = member) -> Iterator[bytes]:
                read = 0
                with archive.open(member) as handle:
                    while chunk := handle.read(_CHUNK):
                        read += len(chunk)
                        if read > caps.max_unzipped_bytes:  # the directory lied about the size
                            raise FileTooLarge(
                                f"{member.filename} unzips to more than {caps.max_unzipped_bytes} bytes"
                            )
                        yield chunk

            _count_elements(chunks(), caps.max_xml_elements, member.filename)


def check_html(path: Path, caps: FileCaps = DEFAULT_CAPS) -> None:
    """Check an .html file before parsing: size, and elements within the element cap."""
    check_file_size(path, caps)

    def chunks() -> Iterator[bytes]:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                yield chunk

    _count_elements(chunks(), caps.max_xml_elements, path.name)


def sniff_encoding(path: Path, sample_bytes: int = 1 << 20) -> str:
    """Guess a text file's encoding from its start: UTF-8, else GB18030 (Chinese Excel exports).

    Falls back to UTF-8 so that the reader reports where decoding fails.
    """
    with path.open("rb") as handle:
        sample = handle.read(sample_bytes)
    if len(sample) == sample_bytes and b"\n" in sample:
        sample = sample[: sample.rindex(b"\n") + 1]  # never cut a character in two
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return "utf-8-sig"


def expand_paths(paths: Iterable[str | Path], suffixes: tuple[str, ...]) -> list[Path]:
    """Files named, and the files of the right suffix under folders named, in a stable order."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes))
        elif path.exists():
            if path.suffix.lower() not in suffixes:
                raise UnsupportedFormatError(
                    f"{path}: unsupported file type {path.suffix or '(none)'}; use {', '.join(suffixes)}"
                )
            out.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return out


# --- policies ----------------------------------------------------------------------------------


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
            metadata, body = _front_matter(raw)
            text = _markdown_to_text(body) if suffix != ".txt" else body
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
        for problem in exc.problems:
            yield LoadError(str(path), None, problem.field, problem.message)


def load_policies(paths: Iterable[str | Path]) -> LoadResult[PolicyDocument]:
    """Read every policy file (folders are searched) into one result."""
    records: list[Loaded[PolicyDocument]] = []
    errors: list[LoadError] = []
    for path in expand_paths(paths, POLICY_SUFFIXES):
        for entry in read_policies(path):
            (errors if isinstance(entry, LoadError) else records).append(entry)  # type: ignore[arg-type]
    return LoadResult(tuple(records), tuple(errors))


def _read_policy_jsonl(path: Path) -> Iterator[Loaded[PolicyDocument] | LoadError]:
    for line_no, data in _jsonl_objects(path):
        if isinstance(data, LoadError):
            yield data
            continue
        try:
            given = frozenset(k for k, v in data.items() if v is not None) if isinstance(data, dict) else None
            yield Loaded(validate_policy(data), str(path), line_no, given=given)
        except PolicyError as exc:
            yield from _record_errors(path, line_no, exc)


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


def _front_matter(raw: str) -> tuple[dict[str, str], str]:
    lines = raw.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}, raw
    for end in range(1, min(len(lines), 40)):
        if lines[end].strip() == "---":
            metadata = {}
            for line in lines[1:end]:
                if ":" in line:
                    key, value = line.split(":", 1)
                    metadata[key.strip()] = value.strip().strip("\"'")
            return metadata, "\n".join(lines[end + 1 :])
    return {}, raw


def _markdown_to_text(body: str) -> str:
    out = []
    for line in body.splitlines():
        line = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", line)  # images
        line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)  # links keep their text
        line = re.sub(r"(\*\*|__|`)", "", line)
        line = re.sub(r"^\s*>\s?", "", line)
        line = re.sub(r"^\s*[-*+]\s+", "", line)
        out.append(line.rstrip())
    return "\n".join(out).strip()


class _HTMLText(HTMLParser):
    _BLOCKS = frozenset(
        {
            "p",
            "div",
            "br",
            "li",
            "tr",
            "table",
            "section",
            "article",
            "ul",
            "ol",
            "blockquote",
            "pre",
            "dd",
            "dt",
        }
    )
    _SKIP = frozenset({"script", "style", "noscript", "head", "nav", "footer"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")
        elif re.fullmatch(r"h[1-6]", tag):
            self.parts.append("\n" + "#" * int(tag[1]) + " ")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCKS or re.fullmatch(r"h[1-6]", tag):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip:
            self.parts.append(re.sub(r"[ \t\r\n]+", " ", data))


def html_to_text(html: str) -> str:
    """Visible text of an HTML page, one block per line; ``h1``–``h6`` become ``#`` lines."""
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).splitlines()]
    return "\n".join(line for line in lines if line and line != "#")


def docx_to_text(path: str | Path) -> tuple[dict[str, str], str]:
    """(metadata, text) of a .docx: paragraphs and table rows in order; Heading/标题 styles become ``#`` lines."""
    import docx  # python-docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(path))
    metadata: dict[str, str] = {}
    core_title = (document.core_properties.title or "").strip()
    if core_title:
        metadata["title"] = core_title
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(child, document)
            text = paragraph.text.strip()
            if not text:
                continue
            style = (paragraph.style.name if paragraph.style is not None else "") or ""
            level = re.search(r"(?:Heading|标题)\s*(\d)", style)
            if style == "Title" or style == "标题":
                metadata.setdefault("title", text)
                lines.append(f"# {text}")
            elif level:
                lines.append("#" * min(6, int(level.group(1))) + f" {text}")
            else:
                lines.append(text)
        elif tag == "tbl":
            table = Table(child, document)
            for row in table.rows:
                cells = [cell.text.strip() for cell in row.cells]
                lines.append(" ".join(c for c in cells if c))
    return metadata, "\n".join(lines)


# --- enterprises -------------------------------------------------------------------------------


def read_enterprises(
    path: str | Path, warnings: list[str] | None = None
) -> Iterator[Loaded[EnterpriseProfile] | LoadError]:
    """Every profile of a ``.jsonl`` or ``.csv`` file, validated, or the errors of the bad ones.

    Columns (CSV) or keys (JSONL) that are not profile fields are ignored; the
    first time a file has some, a warning naming them is appended to ``warnings``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        rows: Iterator[tuple[int, dict[str, Any] | LoadError]] = _jsonl_objects(path)
    elif suffix == ".csv":
        encoding = sniff_encoding(path)
        if encoding != "utf-8-sig" and warnings is not None:
            warnings.append(
                f"{path}: not UTF-8; read as {encoding.upper()} (save as “CSV UTF-8” to avoid this)"
            )
        rows = _csv_rows(path, encoding)
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
        try:
            yield Loaded(validate_profile(data), str(path), line_no)
        except ProfileError as exc:
            yield from _record_errors(path, line_no, exc)


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
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        rows: Iterator[tuple[int, dict[str, Any] | LoadError]] = _jsonl_objects(path)
    elif suffix == ".csv":
        encoding = sniff_encoding(path)
        if encoding != "utf-8-sig" and warnings is not None:
            warnings.append(
                f"{path}: not UTF-8; read as {encoding.upper()} (save as “CSV UTF-8” to avoid this)"
            )
        rows = _csv_rows(path, encoding, required=("id",), keep_empty=True)
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
        changes = profile_changes(data, empty)
        record_id = changes.get("id")
        if not isinstance(record_id, str) or not record_id.strip():
            yield LoadError(str(path), line_no, "id", "is required and must be a non-empty string")
            continue
        try:  # the row's own values, on a stand-in name: a new enterprise's missing name is found on merge
            merge_profile(None, {"name": "（检查）", **{k: v for k, v in changes.items() if v is not None}})
        except ProfileError as exc:
            yield from _record_errors(path, line_no, exc)
            continue
        yield Loaded(ProfileRow(record_id.strip(), changes), str(path), line_no)


def load_enterprises(paths: Iterable[str | Path]) -> LoadResult[EnterpriseProfile]:
    """Read every enterprise file (folders are searched) into one result."""
    records: list[Loaded[EnterpriseProfile]] = []
    errors: list[LoadError] = []
    warnings: list[str] = []
    for path in expand_paths(paths, ENTERPRISE_SUFFIXES):
        for entry in read_enterprises(path, warnings):
            (errors if isinstance(entry, LoadError) else records).append(entry)  # type: ignore[arg-type]
    return LoadResult(tuple(records), tuple(errors), tuple(warnings))


# --- shared ------------------------------------------------------------------------------------


def _jsonl_objects(path: Path) -> Iterator[tuple[int, dict[str, Any] | LoadError]]:
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


def _csv_rows(
    path: Path,
    encoding: str = "utf-8-sig",
    *,
    required: tuple[str, ...] = ("id", "name"),
    keep_empty: bool = False,
) -> Iterator[tuple[int, dict[str, Any] | LoadError]]:
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


def _record_errors(path: Path, line_no: int | None, exc: RecordError) -> Iterator[LoadError]:
    for problem in exc.problems:
        yield LoadError(str(path), line_no, problem.field, problem.message)
