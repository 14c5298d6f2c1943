"""Versioned index builds under ``data_dir/indexes/`` with an atomic ``CURRENT`` pointer.

A build writes into a hidden folder ``.building-*``; when it finishes, every
file is fsynced, a ``VERSION.json`` (model id, corpus snapshot, time, sha256
of each file) is written, the folder is renamed to ``<version>`` and the
``CURRENT`` file is replaced atomically (write a temporary file, fsync,
``os.replace``, fsync the folder). A reader follows ``CURRENT`` and so sees
either the old complete version or the new complete one, never a half-built
folder; a build that fails leaves ``CURRENT`` untouched and removes its
folder. The previous version stays on disk until ``prune`` (keep N).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import durable
from durable import fsync_path, read_manifest, staging_folder, verify_checksums

_log = logging.getLogger(__name__)
CURRENT = "CURRENT"
VERSION_FILE = "VERSION.json"
FORMAT = "policymatch-index-version/1"


class IndexIntegrityError(RuntimeError):
    """A saved index (or index version) is missing files or fails its checksums."""


# --- durable file helpers (shared by the index implementations) ---------------------------------


def sha256_file(path: Path) -> str:
    """Return the sha256 hex digest of a file's bytes; a missing file raises ``IndexIntegrityError``."""
    try:
        return durable.sha256_file(path)
    except FileNotFoundError as exc:
        raise IndexIntegrityError(f"{path}: file missing from the saved index") from exc


def read_saved_index(
    folder: Path, manifest: str, fmt: str, *, missing: str, corrupted: str
) -> dict[str, Any]:
    """Read a saved index's manifest and check every file it lists against its sha256.

    A missing manifest raises ``IndexIntegrityError`` saying ``"<manifest>: " + missing``; a bad
    file raises it naming the file, "checksum mismatch, " + ``corrupted``.
    """
    path = Path(folder) / manifest
    data = read_manifest(path, fmt, IndexIntegrityError, f"{path}: {missing}")
    verify_checksums(Path(folder), data["checksums"], IndexIntegrityError, corrupted)
    return data


def write_json_durable(path: Path, data: Any) -> None:
    """Write JSON to ``path`` atomically (temporary file, fsync, rename, fsync the folder)."""
    durable.write_json_atomic(path, data, indent=1)


# --- versions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexVersion:
    """One complete index build: its folder and what it was built from."""

    version: str
    path: Path
    created: str
    model_id: str
    corpus_snapshot: str
    checksums: Mapping[str, str] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)


def _new_version_name() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != VERSION_FILE)


class IndexVersions:
    """The index versions of one data directory (``data_dir/indexes``)."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / "indexes"

    def versions(self) -> list[str]:
        """Names of the complete versions, oldest first."""
        if not self.root.exists():
            return []
        return sorted(
            p.name
            for p in self.root.iterdir()
            # Hidden folders are builds in progress or deletions: never versions, even with a VERSION.json.
            if p.is_dir() and not p.name.startswith(".") and (p / VERSION_FILE).exists()
        )

    def current_name(self) -> str | None:
        """Return the version ``CURRENT`` points to, or None before the first build."""
        try:
            name = (self.root / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def read(self, version: str) -> IndexVersion:
        """Return the manifest of ``version`` (not verified; see ``verify``)."""
        path = self.root / version
        try:
            data = json.loads((path / VERSION_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise IndexIntegrityError(
                f"{path}: index version missing or incomplete (no {VERSION_FILE})"
            ) from exc
        return IndexVersion(
            version=version,
            path=path,
            created=data["created"],
            model_id=data["model_id"],
            corpus_snapshot=data["corpus_snapshot"],
            checksums=data["checksums"],
            meta=data.get("meta", {}),
        )

    def verify(self, version: str) -> IndexVersion:
        """Check every file of ``version`` against its sha256; raise ``IndexIntegrityError`` naming the bad file."""
        info = self.read(version)
        verify_checksums(
            info.path,
            info.checksums,
            IndexIntegrityError,
            f"index version {version} is corrupted; rebuild the index",
        )
        extra = {str(p.relative_to(info.path)) for p in _files(info.path)} - set(info.checksums)
        if extra:
            raise IndexIntegrityError(
                f"{info.path}: unexpected file {sorted(extra)[0]} in index version {version}"
            )
        return info

    def current(self, *, verify: bool = True) -> IndexVersion | None:
        """Return the version ``CURRENT`` points to (verified by default), or None before the first build."""
        name = self.current_name()
        if name is None:
            return None
        return self.verify(name) if verify else self.read(name)

    @contextmanager
    def build(
        self,
        *,
        model_id: str,
        corpus_snapshot: str,
        meta: Mapping[str, Any] | None = None,
        activate: bool = True,
    ) -> Iterator[Path]:
        """Yield an empty folder to write a new index into; on success publish it (and switch ``CURRENT``).

        If the body raises, the folder is deleted and ``CURRENT`` is left as it was.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with staging_folder(self.root, ".building-") as staging:
            yield staging
            self._publish(
                staging, model_id=model_id, corpus_snapshot=corpus_snapshot, meta=meta, activate=activate
            )

    def _publish(
        self,
        staging: Path,
        *,
        model_id: str,
        corpus_snapshot: str,
        meta: Mapping[str, Any] | None,
        activate: bool,
    ) -> IndexVersion:
        checksums: dict[str, str] = {}
        folders = {staging}
        for path in _files(staging):
            fsync_path(path)
            folders.add(path.parent)
            checksums[str(path.relative_to(staging))] = sha256_file(path)
        name = _new_version_name()
        created = datetime.now(UTC).isoformat(timespec="seconds")
        write_json_durable(
            staging / VERSION_FILE,
            {
                "format": FORMAT,
                "version": name,
                "created": created,
                "model_id": model_id,
                "corpus_snapshot": corpus_snapshot,
                "checksums": checksums,
                "meta": dict(meta or {}),
            },
        )
        for folder in folders:
            fsync_path(folder)
        final = self.root / name
        os.rename(staging, final)
        fsync_path(self.root)
        if activate:
            self.switch(name)
        return self.read(name)

    def switch(self, version: str) -> None:
        """Point ``CURRENT`` at ``version`` atomically (the version must be complete)."""
        self.read(version)
        durable.write_text_atomic(self.root / CURRENT, version + "\n")

    def prune(self, keep: int = 2, release: Callable[[Path], None] | None = None) -> list[str]:
        """Delete all but the newest ``keep`` versions (never the current one); returns what was deleted.

        ``release(folder)`` first deletes what a version keeps outside its folder (a Milvus
        collection); a version whose release fails stays, for the next prune to retry.
        """
        keep = max(keep, 1)
        current = self.current_name()
        names = self.versions()
        doomed = [n for n in names[: max(len(names) - keep, 0)] if n != current]
        if release is not None:
            released = []
            for name in doomed:
                try:
                    release(self.root / name)
                except Exception as exc:  # noqa: BLE001 - any engine error: keep the version, retry later
                    _log.warning("index version %s kept: releasing its external data failed: %s", name, exc)
                    continue
                released.append(name)
            doomed = released
        for name in doomed:
            # Rename first so a concurrent reader never sees a half-deleted version as complete.
            trash = self.root / f".deleting-{name}-{int(time.time())}"
            os.rename(self.root / name, trash)
            shutil.rmtree(trash, ignore_errors=True)
        # Leftovers of builds that crashed (the process died, not an exception) are garbage.
        for stale in self.root.glob(".building-*"):
            if time.time() - stale.stat().st_mtime > 3600:
                shutil.rmtree(stale, ignore_errors=True)
        return doomed


def current_version(data_dir: Path) -> IndexVersion | None:
    """Return the verified current index version of ``data_dir``, or None before the first build."""
    return IndexVersions(data_dir).current()
