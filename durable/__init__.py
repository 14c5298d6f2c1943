"""Files that survive a crash and are checked when read back: one way to hash, sync, write and verify.

Every layer writes such files (the store's backups, the model registry, index
versions, labelled sets), so this package sits below all of them and imports
nothing of the project: ``corpus`` and ``models`` both stand on it and still
know nothing of each other.

- :func:`sha256_file`: the hex SHA-256 of a file's bytes, read in 1 MiB blocks;
- :func:`fsync_path`: flush a file's or a folder's entry to disk;
- :func:`write_text_atomic` (and :func:`write_json_atomic` over it): temporary file, fsync,
  rename, fsync the folder — a reader sees the old file or the new one, never half of one;
- :func:`verify_checksums`: every file listed in a manifest against its sha256, raising the
  caller's error naming the first bad one;
- :class:`FileRecord`: one file a manifest lists (path, size, sha256);
- :func:`read_manifest`: load a JSON manifest of a known format, raising the
  caller's error type;
- :func:`exclusive_lock`: hold a lock file against other processes for a block;
- :func:`staging_folder`: a new hidden folder to build into, removed if the build fails.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_BLOCK = 1 << 20


@dataclass(frozen=True)
class FileRecord:
    """One file a manifest lists: its path relative to the manifest's folder, size in bytes and sha256."""

    path: str
    size: int
    sha256: str


def sha256_file(path: Path | str) -> str:
    """Return the hex SHA-256 of a file's bytes (``FileNotFoundError`` when it is missing)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def fsync_path(path: Path | str) -> None:
    """Flush a file's contents (or a folder's entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_text_atomic(path: Path | str, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically: a temporary file, fsync, rename, fsync the folder."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_path(path.parent)


def write_json_atomic(path: Path, data: Any, *, indent: int = 1) -> None:
    """Write JSON to ``path`` atomically (:func:`write_text_atomic`)."""
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=indent) + "\n")


def read_manifest(path: Path, fmt: str, error: type[Exception], missing: str) -> dict[str, Any]:
    """Load the JSON manifest at ``path`` and check its ``format``; problems raise ``error`` naming the file.

    ``missing`` is the sentence for an absent manifest (what the folder then is not).
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise error(missing) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise error(f"{path}: unreadable manifest ({exc})") from exc
    if not isinstance(data, dict):
        raise error(f"{path}: not a manifest (a JSON object was expected)")
    if data.get("format") != fmt:
        raise error(f"{path}: unknown format {data.get('format')!r}, expected {fmt}")
    return data


def verify_checksums(folder: Path, checksums: Mapping[str, str], error: type[Exception], what: str) -> None:
    """Check each file of ``folder`` named in ``checksums`` against its sha256; raise ``error`` at the first mismatch.

    ``what`` finishes the sentence "checksum mismatch, …" (what is then corrupted, and what to do);
    a listed file that is gone raises ``error`` too.
    """
    for name, digest in checksums.items():
        path = Path(folder) / name
        try:
            found = sha256_file(path)
        except FileNotFoundError as exc:
            raise error(f"{path}: file missing from the saved index, {what}") from exc
        if found != digest:
            raise error(f"{path}: checksum mismatch, {what}")


@contextmanager
def staging_folder(parent: Path, prefix: str) -> Iterator[Path]:
    """Yield a new folder ``parent/<prefix><random hex>`` to build into; if the block raises, delete it.

    The caller renames the folder into place as the block's last step, so a reader never sees half of it.
    """
    staging = Path(parent) / f"{prefix}{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


@contextmanager
def exclusive_lock(path: Path | str, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (made when missing) for the block, waiting for any holder.

    ``on_wait`` is called once, before waiting, when another process holds the lock (to say why nothing moves).
    """
    with open(path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
