"""Which files to read, what one may cost before it is parsed (:class:`FileCaps`), and in which encoding."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


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
