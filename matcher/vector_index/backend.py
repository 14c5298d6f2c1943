"""The vector index factory: the one place that tells backends apart.

``make_vector_index`` / ``load_vector_index`` make or reopen an index by backend
name (or by a saved manifest); ``VectorBackend`` is which engine holds an index's
vectors, parsed from one URL (``POLICYMATCH_VECTOR_URL``):

- ``faiss`` or empty (the default): a FAISS index saved as files inside the index
  version folder;
- ``milvus-lite:///abs/path/vectors.db``, ``milvus-lite://relative/vectors.db`` or a
  plain path ending in ``.db``: Milvus Lite, embedded in the process, one local file
  (relative paths are resolved against the working directory once, here);
- ``http://host:19530`` / ``https://…`` (``tcp://`` is read as ``http://``): a Milvus
  server or cluster, with an optional token (``user:password`` or an API key) that is
  never written to a manifest.

The doors (CLI, HTTP app) parse the setting with :func:`parse_vector_url` and pass
the result down; a saved index's manifest names its backend (and Milvus URI and
collection), so :meth:`VectorBackend.holds` tells whether a saved index lives where
the configuration says.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matcher.vector_index.base import VectorIndex

BACKENDS = ("faiss", "milvus")
MANIFEST = "manifest.json"
# Collections of item indexes built by the service: one new name per build (an index version).
COLLECTION_PREFIX = "policymatch_items_"


class VectorConfigError(ValueError):
    """A vector URL that names no usable backend."""


@dataclass(frozen=True)
class VectorBackend:
    """Where vectors live: ``faiss`` (files in the index folder) or ``milvus`` (a collection at ``uri``)."""

    name: str = "faiss"
    uri: str = ""
    token: str = field(default="", repr=False, compare=False)

    def describe(self) -> dict[str, str]:
        """Return the backend as JSON-ready values for a manifest (never the token)."""
        return {"backend": self.name, "uri": self.uri} if self.uri else {"backend": self.name}

    def new_index(self, *, dim: int, model_id: str, collection: str | None = None) -> VectorIndex:
        """Return an empty index on this backend (Milvus: a new collection, named ``collection`` or fresh)."""
        return make_vector_index(
            self.name,
            dim=dim,
            model_id=model_id,
            uri=self.uri or None,
            collection=collection or f"{COLLECTION_PREFIX}{uuid.uuid4().hex[:16]}",
            token=self.token,
        )

    def holds(self, folder: Path) -> bool:
        """Whether the index saved in ``folder`` keeps its vectors on this backend (same engine, same Milvus URI)."""
        saved = saved_backend(folder)
        return saved is not None and (saved.name, saved.uri) == (self.name, self.uri)

    def load(self, folder: Path) -> VectorIndex:
        """Reopen the index saved in ``folder`` (a remote collection with this backend's token).

        A remote collection is opened without checking its count against the manifest:
        the service changes it in place after the build (``Matcher.policy_changed``).
        """
        return load_vector_index(folder, token=self.token, check_count=False)


def make_vector_index(
    backend: str,
    *,
    dim: int,
    model_id: str,
    kind: str = "auto",
    storage: str = "float32",
    uri: str | None = None,
    collection: str | None = None,
    token: str = "",
) -> VectorIndex:
    """Return an empty vector index of ``backend`` (one of ``BACKENDS``; ``milvus`` needs a ``uri``)."""
    if backend == "faiss":
        from matcher.vector_index.faiss_index import FaissIndex

        return FaissIndex(dim=dim, model_id=model_id, kind=kind, storage=storage)
    if backend == "milvus":
        from matcher.vector_index.milvus_index import MilvusConfigError, MilvusIndex

        if not uri:
            raise MilvusConfigError(
                "the milvus backend needs a uri: milvus-lite:///path/vectors.db or http://host:19530"
            )
        return MilvusIndex(uri=uri, dim=dim, model_id=model_id, collection=collection, token=token)
    raise ValueError(f"unknown vector index backend {backend!r}; valid: {', '.join(BACKENDS)}")


def load_vector_index(folder: Path, *, token: str = "", check_count: bool = True) -> VectorIndex:
    """Load a saved vector index, picking the backend from its manifest (``check_count``: Milvus's count too)."""
    from matcher.index_versions import IndexIntegrityError

    manifest = _manifest(folder)
    if manifest is None:
        raise IndexIntegrityError(f"{Path(folder) / MANIFEST}: no vector index manifest")
    backend = manifest.get("backend")
    if backend == "faiss":
        from matcher.vector_index.faiss_index import FaissIndex

        return FaissIndex.load(folder)
    if backend == "milvus":
        from matcher.vector_index.milvus_index import MilvusIndex

        return MilvusIndex.load(folder, token=token, check_count=check_count)
    raise IndexIntegrityError(
        f"{Path(folder) / MANIFEST}: unknown vector index backend {backend!r}; valid: {', '.join(BACKENDS)}"
    )


def parse_vector_url(url: str | None, *, token: str = "") -> VectorBackend:
    """Return the backend a vector URL names (``faiss``/empty, a Milvus Lite file, or a Milvus server URI)."""
    text = str(url or "").strip()
    if text.lower() in ("", "faiss"):
        return VectorBackend()
    from matcher.vector_index.milvus_index import MilvusConfigError, parse_uri

    try:
        target, lite = parse_uri(text)
    except MilvusConfigError as exc:
        raise VectorConfigError(
            f"vector URL {text!r} names no backend: use faiss, milvus-lite:///path/vectors.db "
            "(or a path ending in .db) or http://host:19530"
        ) from exc
    return VectorBackend("milvus", f"milvus-lite://{target}" if lite else target, token)


def saved_backend(folder: Path) -> VectorBackend | None:
    """Return the backend a saved index's manifest names (None when there is no readable manifest)."""
    manifest = _manifest(folder)
    if manifest is None:
        return None
    name = str(manifest.get("backend") or "")
    if name != "milvus":
        return VectorBackend(name)
    try:
        return parse_vector_url(str(manifest.get("uri") or ""))
    except VectorConfigError:
        return None


def drop_saved(folder: Path, *, token: str = "") -> str | None:
    """Delete what a saved index keeps outside ``folder`` (its Milvus collection); returns the collection dropped."""
    manifest = _manifest(folder)
    if manifest is None or manifest.get("backend") != "milvus":
        return None
    from matcher.vector_index.milvus_index import drop_collection

    collection = str(manifest["collection"])
    drop_collection(str(manifest["uri"]), collection, token=token)
    return collection


def _manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
