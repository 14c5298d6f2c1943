"""A small model registry: one folder per version, a manifest with checksums, one active version.

Layout under the registry root (``<data_dir>/models`` by default)::

    ACTIVE                 {"version": "v2", "history": ["v1"], "changed": "..."}  (atomic rename)
    v1/manifest.json       version, source, parent, dimension, model_id, files (sha256, size), created, metrics
    v1/...                 the sentence-transformers model, onnx/model.onnx, onnx/model_int8.onnx
    v2/...

A version folder never changes after registration except ``manifest.json``'s metrics. Loading
verifies checksums (``verify``) and refuses a corrupted model with ``ModelIntegrityError``
naming the file. ``activate`` pushes the previous active version on a history stack that
``rollback`` pops.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from durable import FileRecord, exclusive_lock, fsync_path, sha256_file, write_json_atomic

MANIFEST = "manifest.json"
ACTIVE = "ACTIVE"
# Per-version record of files that hashed correctly, keyed by (size, mtime, inode); not in the manifest.
VERIFIED_CACHE = ".verified.json"
_VERSION_RE = re.compile(r"^v(\d+)$")


class ModelIntegrityError(RuntimeError):
    """A model version is missing, incomplete or its files do not match their checksums."""


class UnknownModelVersionError(LookupError):
    """The registry has no version of that name."""


@dataclass(frozen=True)
class ModelVersion:
    """A registered model version as its manifest describes it."""

    version: str
    path: Path
    source: str
    parent: str | None
    dimension: int
    model_id: str
    created: str
    files: tuple[FileRecord, ...]
    metrics: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the manifest as JSON-ready data."""
        return {
            "version": self.version,
            "source": self.source,
            "parent": self.parent,
            "dimension": self.dimension,
            "model_id": self.model_id,
            "created": self.created,
            "files": {f.path: {"sha256": f.sha256, "size": f.size} for f in self.files},
            "metrics": dict(self.metrics),
        }


class ModelRegistry:
    """Model versions under ``root``: register, list, activate, roll back, verify."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # -- reading ---------------------------------------------------------------------------

    def versions(self) -> list[ModelVersion]:
        """All registered versions, oldest first."""
        if not self.root.is_dir():
            return []
        found = []
        for child in self.root.iterdir():
            match = _VERSION_RE.match(child.name)
            if match and (child / MANIFEST).is_file():
                found.append((int(match.group(1)), child.name))
        return [self.get(name) for _, name in sorted(found)]

    def get(self, version: str) -> ModelVersion:
        """Return the named version's manifest (``UnknownModelVersionError`` when absent)."""
        folder = self.root / version
        manifest_path = folder / MANIFEST
        if not _VERSION_RE.match(version) or not folder.is_dir():
            known = ", ".join(v for v in self._names()) or "none"
            raise UnknownModelVersionError(f"no model version {version!r} in {self.root} (known: {known})")
        try:
            data = json.loads(manifest_path.read_text(encoding="utf-8"))
            return _from_manifest(data, folder)
        except FileNotFoundError:
            raise ModelIntegrityError(f"model {version} in {folder} has no {MANIFEST}") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelIntegrityError(f"{manifest_path} is not a valid model manifest: {exc}") from None

    def active_version(self) -> str | None:
        """Name of the active version, or None when nothing is active yet."""
        state = self._read_active()
        return state["version"] if state else None

    def active(self) -> ModelVersion:
        """Return the active version (``UnknownModelVersionError``, a ``LookupError``, when none is)."""
        name = self.active_version()
        if name is None:
            raise UnknownModelVersionError(
                f"no active model in {self.root}; run `policymatch models bootstrap` first"
            )
        return self.get(name)

    def history(self) -> list[str]:
        """Previously active versions, most recent last (what ``rollback`` returns to)."""
        state = self._read_active()
        return list(state["history"]) if state else []

    def verify(
        self, version: str, only: Iterable[str] | None = None, *, trust_stat_cache: bool = False
    ) -> ModelVersion:
        """Check every manifest file (or just ``only``) exists with its size and sha256; return the version.

        With ``trust_stat_cache`` a file whose size, mtime and inode are those recorded when it last
        hashed correctly is not hashed again (what ``git status`` does); any write to it changes
        its mtime and so forces a full check. ``policymatch models verify`` always hashes.
        """
        entry = self.get(version)
        cache_path = entry.path / VERIFIED_CACHE
        cache = _read_stat_cache(cache_path) if trust_stat_cache else {}
        fresh: dict[str, list[int]] = {}
        wanted = set(only) if only is not None else None
        listed = {f.path for f in entry.files}
        if wanted is not None and not wanted <= listed:
            missing = ", ".join(sorted(wanted - listed))
            raise ModelIntegrityError(f"model {version}'s manifest does not list {missing}")
        for item in entry.files:
            if wanted is not None and item.path not in wanted:
                continue
            path = entry.path / item.path
            if not path.is_file():
                raise ModelIntegrityError(f"model {version} is incomplete: {path} is missing")
            stat = path.stat()
            size = stat.st_size
            signature = [size, stat.st_mtime_ns, stat.st_ino]
            if cache.get(item.path) == [item.sha256, *signature]:
                continue
            if size != item.size:
                raise ModelIntegrityError(
                    f"model {version} is corrupted: {path} has {size} bytes, the manifest says {item.size}"
                )
            digest = sha256_file(path)
            if digest != item.sha256:
                raise ModelIntegrityError(
                    f"model {version} is corrupted: {path} has sha256 {digest[:12]}…, "
                    f"the manifest says {item.sha256[:12]}…"
                )
            fresh[item.path] = signature
        if fresh:
            _update_stat_cache(
                cache_path, {p: [h.sha256, *fresh[p]] for h in entry.files for p in [h.path] if p in fresh}
            )
        return entry

    # -- writing ---------------------------------------------------------------------------

    def register(
        self,
        src_dir: Path,
        *,
        parent: str | None,
        source: str,
        metrics: dict | None = None,
        model_id: str | None = None,
        move: bool = False,
    ) -> ModelVersion:
        """Copy (or ``move``) a sentence-transformers model folder in as the next version ``vN``; return it."""
        src_dir = Path(src_dir)
        if not (src_dir / "modules.json").is_file() and not (src_dir / "config.json").is_file():
            raise ValueError(f"{src_dir} is not a model folder (no modules.json or config.json)")
        if parent is not None:
            self.get(parent)
        self.root.mkdir(parents=True, exist_ok=True)
        with self._locked():
            names = self._names()
            number = 1 + max((int(_VERSION_RE.match(n).group(1)) for n in names), default=0)  # type: ignore[union-attr]
            version = f"v{number}"
            staging = self.root / f".incoming-{version}-{os.getpid()}"
            if staging.exists():
                shutil.rmtree(staging)
            if move:
                os.replace(src_dir, staging)
            else:
                shutil.copytree(src_dir, staging)
            (staging / MANIFEST).unlink(missing_ok=True)
            manifest = {
                "version": version,
                "source": source,
                "parent": parent,
                "dimension": _dimension(staging),
                "model_id": model_id or _model_id(staging, src_dir),
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "files": _file_entries(staging),
                "metrics": dict(metrics or {}),
            }
            write_json_atomic(staging / MANIFEST, manifest, indent=2)
            fsync_path(staging)
            os.replace(staging, self.root / version)
            fsync_path(self.root)
        return self.get(version)

    def set_metrics(self, version: str, metrics: Mapping[str, Any]) -> ModelVersion:
        """Merge ``metrics`` into the version's manifest (the only field that changes after registration)."""
        with self._locked():
            entry = self.get(version)
            data = entry.to_dict()
            data["metrics"] = {**data["metrics"], **dict(metrics)}
            write_json_atomic(entry.path / MANIFEST, data, indent=2)
        return self.get(version)

    def activate(self, version: str) -> ModelVersion:
        """Make ``version`` the active one after verifying it; the previous one goes on the history."""
        entry = self.verify(version)
        with self._locked():
            state = self._read_active() or {"version": None, "history": []}
            history = list(state["history"])
            if state["version"] and state["version"] != version:
                history.append(state["version"])
            self._write_active(version, history)
        return entry

    def rollback(self) -> ModelVersion:
        """Re-activate the previously active version (raises ``LookupError`` when there is none)."""
        with self._locked():
            state = self._read_active()
            history = list(state["history"]) if state else []
            while history:
                candidate = history.pop()
                if (self.root / candidate / MANIFEST).is_file():
                    self.verify(candidate)
                    self._write_active(candidate, history)
                    return self.get(candidate)
        raise UnknownModelVersionError(f"no earlier active model to roll back to in {self.root}")

    def replace_files(self, version: str, src_dir: Path) -> ModelVersion:
        """Repair a corrupted version in place with a rebuilt folder, keeping its name, history and metrics."""
        entry = self.get(version)
        src_dir = Path(src_dir)
        with self._locked():
            data = entry.to_dict()
            data["files"] = _file_entries(src_dir)
            data["dimension"] = _dimension(src_dir)
            write_json_atomic(src_dir / MANIFEST, data, indent=2)
            trash = self.root / f".trash-{version}-{os.getpid()}"
            os.replace(entry.path, trash)
            os.replace(src_dir, entry.path)
            fsync_path(self.root)
            shutil.rmtree(trash, ignore_errors=True)
        return self.verify(version)

    # -- internals ---------------------------------------------------------------------------

    def _names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            (c.name for c in self.root.iterdir() if _VERSION_RE.match(c.name) and c.is_dir()),
            key=lambda n: int(n[1:]),
        )

    def _read_active(self) -> dict | None:
        path = self.root / ACTIVE
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return {"version": str(data["version"]), "history": [str(v) for v in data.get("history", [])]}
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelIntegrityError(f"{path} is not a valid active-model pointer: {exc}") from None

    def _write_active(self, version: str, history: list[str]) -> None:
        data = {
            "version": version,
            "history": history,
            "changed": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        write_json_atomic(self.root / ACTIVE, data, indent=2)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(self.root / ".registry.lock"):
            yield


def _file_entries(folder: Path) -> dict[str, dict[str, Any]]:
    entries = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if relative in (MANIFEST, VERIFIED_CACHE):
            continue
        entries[relative] = {"sha256": sha256_file(path), "size": path.stat().st_size}
    return entries


def _read_stat_cache(path: Path) -> dict[str, list]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _update_stat_cache(path: Path, entries: Mapping[str, list]) -> None:
    try:
        write_json_atomic(path, {**_read_stat_cache(path), **entries}, indent=2)
    except OSError:
        pass  # a read-only registry still verifies, only more slowly


def _from_manifest(data: Mapping[str, Any], folder: Path) -> ModelVersion:
    files = tuple(
        FileRecord(path=str(name), sha256=str(info["sha256"]), size=int(info["size"]))
        for name, info in sorted(data["files"].items())
    )
    return ModelVersion(
        version=str(data["version"]),
        path=folder,
        source=str(data["source"]),
        parent=data.get("parent"),
        dimension=int(data["dimension"]),
        model_id=str(data["model_id"]),
        created=str(data["created"]),
        files=files,
        metrics=dict(data.get("metrics") or {}),
    )


def _dimension(folder: Path) -> int:
    """Embedding dimension: the pooling config's, else the transformer's hidden size."""
    for candidate in sorted(folder.glob("*_Pooling/config.json")):
        data = json.loads(candidate.read_text(encoding="utf-8"))
        if "word_embedding_dimension" in data:
            return int(data["word_embedding_dimension"])
    config = folder / "config.json"
    if config.is_file():
        return int(json.loads(config.read_text(encoding="utf-8"))["hidden_size"])
    raise ValueError(f"cannot tell the embedding dimension of {folder}")


def _model_id(folder: Path, src_dir: Path) -> str:
    config = folder / "config.json"
    if config.is_file():
        name = json.loads(config.read_text(encoding="utf-8")).get("_name_or_path")
        if name and not str(name).startswith(("/", ".")):
            return str(name)
    return src_dir.name
