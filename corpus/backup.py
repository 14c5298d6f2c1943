"""Backup and restore of a data directory: the SQLite store (online backup API) plus index and model folders.

A backup is a folder with ``policymatch.sqlite3`` (a consistent copy taken with
SQLite's online backup API while the service may be writing), every other file
of the data directory (the model registry, index versions, caches) copied as is,
and ``BACKUP.json`` listing the sha256 and size of every file. Half-built index
folders (``.building-*``) and SQLite side files (``-wal``, ``-shm``) are left out.
A backup is written into a hidden staging folder and renamed when complete, so a
folder named ``DEST`` is always a whole backup. :func:`restore` verifies every
checksum before it copies anything, restores only into an empty (or new) data
directory, and checks the restored store with ``PRAGMA integrity_check``.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from durable import FileRecord, fsync_path, read_manifest, sha256_file, staging_folder

STORE_FILE = "policymatch.sqlite3"
MANIFEST = "BACKUP.json"
FORMAT = "policymatch-backup/1"
# Never copied: SQLite's side files (the backup API already holds their committed pages), staging
# folders of builds and restores in progress, and folders being deleted.
_SKIP_SUFFIXES = ("-wal", "-shm", "-journal")
_SKIP_PREFIXES = (".building-", ".deleting-", ".restoring-", ".backup-")


class BackupError(RuntimeError):
    """A backup or restore cannot be made: a bad checksum, a missing file, a non-empty target."""


@dataclass(frozen=True)
class BackupManifest:
    """What a backup holds (``BACKUP.json``)."""

    folder: Path
    created: str
    files: tuple[FileRecord, ...]

    @property
    def total_bytes(self) -> int:
        """Sum of the file sizes."""
        return sum(f.size for f in self.files)

    def summary(self) -> str:
        """One line for the CLI."""
        return f"{len(self.files)} files, {self.total_bytes / 1e6:.1f} MB in {self.folder} (created {self.created})"


def _skipped(relative: Path) -> bool:
    return any(part.startswith(_SKIP_PREFIXES) for part in relative.parts) or relative.name.endswith(
        _SKIP_SUFFIXES
    )


def _data_files(data_dir: Path) -> list[Path]:
    out = []
    for path in sorted(data_dir.rglob("*")):
        relative = path.relative_to(data_dir)
        if path.is_file() and not path.is_symlink() and not _skipped(relative):
            if relative.as_posix() != STORE_FILE:
                out.append(relative)
    return out


def _empty_or_missing(folder: Path, what: str) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(f"{folder}: {what} must be a new or empty folder")


@contextmanager
def _staged(target: Path, what: str, prefix: str) -> Iterator[Path]:
    """Stage a new folder beside ``target`` (new or empty) and rename it into place when the block ends.

    On any failure the staging folder is removed and ``target`` is left as it was, so a folder of
    that name is always whole.
    """
    _empty_or_missing(target, what)
    target.parent.mkdir(parents=True, exist_ok=True)
    with staging_folder(target.parent, prefix) as staging:
        yield staging
        _publish(staging, target)


def backup(data_dir: Path, dest: Path) -> BackupManifest:
    """Copy ``data_dir`` (store, models, indexes) into the new folder ``dest`` with a checksum manifest."""
    data_dir, dest = Path(data_dir), Path(dest)
    store = data_dir / STORE_FILE
    if not store.is_file():
        raise BackupError(f"{store}: no SQLite store to back up (is POLICYMATCH_DATA_DIR right?)")
    with _staged(dest, "the backup destination", ".backup-") as staging:
        source = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
        target = sqlite3.connect(staging / STORE_FILE)
        try:
            # The online backup API copies a consistent snapshot even while another process writes.
            source.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        except sqlite3.Error as exc:
            raise BackupError(
                f"{store}: the online backup to {dest} failed ({exc}); nothing was written"
            ) from exc
        finally:
            target.close()
            source.close()
        for relative in _data_files(data_dir):
            (staging / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(data_dir / relative, staging / relative)
        files = [STORE_FILE, *(r.as_posix() for r in _data_files(data_dir))]
        entries = []
        for name in files:
            path = staging / name
            fsync_path(path)
            entries.append(FileRecord(name, path.stat().st_size, sha256_file(path)))
        created = datetime.now(UTC).isoformat(timespec="seconds")
        manifest = {
            "format": FORMAT,
            "created": created,
            "source": str(data_dir.resolve()),
            "files": [{"path": e.path, "size": e.size, "sha256": e.sha256} for e in entries],
        }
        with open(staging / MANIFEST, "w", encoding="utf-8") as handle:
            json.dump(manifest, handle, ensure_ascii=False, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        for folder in {staging, *((staging / e.path).parent for e in entries)}:
            fsync_path(folder)
    return BackupManifest(dest, created, tuple(entries))


def _publish(staging: Path, target: Path) -> None:
    """Rename a finished staging folder into place (over an empty target) and make the rename durable."""
    if target.exists():
        target.rmdir()
    os.rename(staging, target)
    fsync_path(target.parent)


def verify_backup(src: Path) -> BackupManifest:
    """Check every file of a backup against ``BACKUP.json``; raise :class:`BackupError` naming the first bad one."""
    src = Path(src)
    data = read_manifest(
        src / MANIFEST, FORMAT, BackupError, f"{src}: not a policymatch backup (no {MANIFEST})"
    )
    entries = tuple(FileRecord(f["path"], int(f["size"]), f["sha256"]) for f in data["files"])
    for entry in entries:
        path = src / entry.path
        if not path.is_file():
            raise BackupError(f"{path}: file listed in {MANIFEST} is missing; the backup is incomplete")
        if path.stat().st_size != entry.size:
            raise BackupError(
                f"{path}: {path.stat().st_size} bytes, {MANIFEST} says {entry.size}; the backup is truncated"
            )
        if sha256_file(path) != entry.sha256:
            raise BackupError(f"{path}: checksum mismatch with {MANIFEST}; the backup is corrupted")
    return BackupManifest(src, str(data["created"]), entries)


def restore(src: Path, data_dir: Path) -> BackupManifest:
    """Verify the backup ``src`` and copy it into ``data_dir``, which must be new or empty."""
    src, data_dir = Path(src), Path(data_dir)
    manifest = verify_backup(src)
    with _staged(data_dir, "the data directory to restore into", ".restoring-") as staging:
        for entry in manifest.files:
            target = staging / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / entry.path, target)
            if sha256_file(target) != entry.sha256:
                raise BackupError(f"{target}: copy differs from the backup (disk error?); nothing restored")
            fsync_path(target)
        conn = sqlite3.connect(staging / STORE_FILE)
        try:
            check = str(conn.execute("PRAGMA integrity_check").fetchone()[0])
        finally:
            conn.close()
        if check != "ok":
            raise BackupError(f"{src / STORE_FILE}: SQLite integrity check failed: {check}")
    return BackupManifest(data_dir, manifest.created, manifest.files)
