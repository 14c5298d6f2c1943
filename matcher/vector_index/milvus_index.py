"""``MilvusIndex``: the ``VectorIndex`` protocol on Milvus, embedded (Milvus Lite) or a cluster.

Configured by a URI:

- ``milvus-lite:///abs/path/vectors.db``, ``milvus-lite://relative/vectors.db`` or a plain
  path ending in ``.db``: Milvus Lite, embedded in this process, data in that local
  folder — for tests and small sites (exact ``FLAT`` search);
- ``http://host:19530`` / ``https://…`` (``tcp://`` is read as ``http://``): a Milvus
  server or cluster, with an optional token (``user:password`` or an API key) — for
  collections beyond one machine's memory (the cluster builds ``AUTOINDEX``, HNSW or
  IVF by its own configuration).

One collection per index: an INT64 primary key ``id`` (the caller's ids) and a
``FLOAT_VECTOR`` field ``vector`` searched by inner product. Collections use
``Strong`` consistency, so a search sees every add and remove made before it, as
the FAISS index does. ``allowed_ids`` becomes the boolean expression ``id in
[…]`` evaluated *before* the vector search (Milvus pre-filters), so a filtered
search returns the best allowed vectors. Very large filters (hundreds of
thousands of ids) are better expressed as scalar fields (region, industry) of the
collection: see docs/scaling.md.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from durable import read_manifest
from matcher.index_versions import IndexIntegrityError, write_json_durable
from matcher.vector_index.base import Described, DimensionError, SearchResult, check_ids, check_vectors

FORMAT = "policymatch-milvus/1"
MANIFEST = "manifest.json"
ID_FIELD = "id"
VECTOR_FIELD = "vector"
# Milvus caps top-k per search at 16384; ids per get/delete/insert call are chunked below this.
MAX_TOP_K = 16_384
CHUNK = 5_000
# A bulk add is flushed into sealed, indexed segments: Milvus Lite searches unflushed (growing)
# data by a slow path (measured: 1.5 s vs 33 ms per query over 20k vectors); small adds stay growing.
FLUSH_AFTER = 1_000
_COLLECTION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")


class MilvusConfigError(ValueError):
    """A Milvus URI or collection name that cannot be used (or pymilvus / milvus-lite missing)."""


class MilvusUnavailable(RuntimeError):
    """The Milvus server (or the Milvus Lite file) named by a URI cannot be reached or opened."""


def parse_uri(uri: str) -> tuple[str, bool]:
    """Return (what pymilvus connects to, whether it is Milvus Lite) for a ``milvus-lite`` path or server URI."""
    text = str(uri).strip()
    if not text:
        raise MilvusConfigError(
            "the Milvus URI is empty; use milvus-lite:///path/vectors.db or http://host:19530"
        )
    if text.startswith("milvus-lite://"):
        path = text[len("milvus-lite://") :]
        if not path:
            raise MilvusConfigError(f"{text!r} names no file; use milvus-lite:///abs/path/vectors.db")
        return str(Path(path).resolve()), True
    if text.startswith(("http://", "https://")):
        return text, False
    if text.startswith("tcp://"):
        return "http://" + text[len("tcp://") :], False
    if "://" in text:
        raise MilvusConfigError(
            f"unknown Milvus URI scheme in {text!r}; valid: milvus-lite://, http://, https://, tcp://"
        )
    if text.endswith(".db"):
        return str(Path(text).resolve()), True
    raise MilvusConfigError(
        f"{text!r} is neither a Milvus Lite file (*.db) nor a server URI (http://host:19530)"
    )


def _client(target: str, lite: bool, token: str) -> Any:
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:  # pragma: no cover - pymilvus is a dependency
        raise MilvusConfigError(
            "the Milvus backend needs pymilvus (and milvus-lite for local files)"
        ) from exc
    try:
        if lite:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            return MilvusClient(target)
        return MilvusClient(uri=target, token=token) if token else MilvusClient(uri=target)
    except Exception as exc:  # pymilvus raises MilvusException (a bare Exception) for every failure
        message = getattr(exc, "message", None) or str(exc)
        raise MilvusUnavailable(f"cannot connect to Milvus at {target}: {message}") from exc


def drop_collection(uri: str, collection: str, *, token: str = "") -> bool:
    """Drop ``collection`` at ``uri`` when it exists; returns whether it did."""
    target, lite = parse_uri(uri)
    client = _client(target, lite, token)
    try:
        if not client.has_collection(collection):
            return False
        client.drop_collection(collection)
        return True
    finally:
        client.close()


class MilvusIndex(Described):
    """A ``VectorIndex`` on one Milvus collection: int64 ids, inner-product scores, pre-search id filters."""

    def __init__(
        self,
        *,
        uri: str,
        dim: int,
        model_id: str,
        collection: str | None = None,
        token: str = "",
        index_type: str = "AUTOINDEX",
    ) -> None:
        if dim <= 0:
            raise DimensionError(f"index dimension must be positive, got {dim}")
        name = collection or f"policymatch_{uuid.uuid4().hex[:12]}"
        if not _COLLECTION_NAME.match(name):
            raise MilvusConfigError(
                f"Milvus collection name {name!r} must start with a letter or _ and hold only letters, digits, _"
            )
        self.uri = uri
        self._target, self.lite = parse_uri(uri)
        self._token = token
        self._dim = int(dim)
        self._model_id = model_id
        self.collection = name
        self.index_type = "FLAT" if self.lite else index_type
        self._lock = threading.RLock()
        self._client = _client(self._target, self.lite, token)
        if self._client.has_collection(name):
            self._check_existing()
            self._client.load_collection(name)
        else:
            self._create()

    # ---- collection
    def _create(self) -> None:
        from pymilvus import DataType

        schema = self._client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field(ID_FIELD, DataType.INT64, is_primary=True)
        schema.add_field(VECTOR_FIELD, DataType.FLOAT_VECTOR, dim=self._dim)
        params = self._client.prepare_index_params()
        params.add_index(field_name=VECTOR_FIELD, index_type=self.index_type, metric_type="IP")
        self._client.create_collection(
            self.collection, schema=schema, index_params=params, consistency_level="Strong"
        )

    def _check_existing(self) -> None:
        described = self._client.describe_collection(self.collection)
        for field in described.get("fields", []):
            if field.get("name") == VECTOR_FIELD:
                dim = int(field.get("params", {}).get("dim", self._dim))
                if dim != self._dim:
                    raise DimensionError(
                        f"Milvus collection {self.collection!r} holds vectors of dimension {dim}, "
                        f"the index expects {self._dim}"
                    )
                return
        raise IndexIntegrityError(f"Milvus collection {self.collection!r} has no {VECTOR_FIELD!r} field")

    @classmethod
    def build(
        cls,
        ids: Sequence[int] | np.ndarray,
        vectors: np.ndarray,
        *,
        uri: str,
        model_id: str,
        collection: str | None = None,
        token: str = "",
    ) -> MilvusIndex:
        """Return a new collection holding ``vectors`` under ``ids``."""
        array = np.asarray(vectors)
        if array.ndim != 2:
            raise DimensionError(f"vectors must be a 2-D array of shape (n, dim), got shape {array.shape}")
        index = cls(uri=uri, dim=array.shape[1], model_id=model_id, collection=collection, token=token)
        index.add(ids, array)
        return index

    def location(self) -> dict[str, str]:
        """Where the vectors live: this collection on this Milvus (never the token)."""
        return {"backend": "milvus", "uri": self.uri, "collection": self.collection}

    def drop(self) -> None:
        """Delete the collection and its vectors (a saved manifest naming it becomes unloadable)."""
        with self._lock:
            self._client.drop_collection(self.collection)

    def close(self) -> None:
        """Close the client connection."""
        self._client.close()

    # ---- protocol
    def __len__(self) -> int:
        with self._lock:
            rows = self._client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def __contains__(self, vector_id: object) -> bool:
        if isinstance(vector_id, bool) or not isinstance(vector_id, int | np.integer):
            return False
        return bool(self._present([int(vector_id)]))

    def ids(self) -> np.ndarray:
        """Every id held, sorted (int64)."""
        found: list[int] = []
        with self._lock:
            iterator = self._client.query_iterator(
                self.collection, batch_size=CHUNK, filter=f"{ID_FIELD} >= 0", output_fields=[ID_FIELD]
            )
            try:
                while batch := iterator.next():
                    found.extend(int(r[ID_FIELD]) for r in batch)
            finally:
                iterator.close()
        return np.array(sorted(found), dtype=np.int64)

    def reconstruct(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Return the stored float32 vectors of ``ids`` in their order; unknown ids raise ``LookupError``."""
        values = [int(i) for i in np.asarray(ids, dtype=np.int64).ravel()]
        by_id: dict[int, Any] = {}
        with self._lock:
            for start in range(0, len(values), CHUNK):
                rows = self._client.get(
                    self.collection, ids=values[start : start + CHUNK], output_fields=[VECTOR_FIELD]
                )
                by_id.update((int(r[ID_FIELD]), r[VECTOR_FIELD]) for r in rows)
        missing = [i for i in values if i not in by_id]
        if missing:
            raise LookupError(f"id {missing[0]} is not in the vector index")
        if not values:
            return np.zeros((0, self._dim), dtype=np.float32)
        return np.asarray([by_id[i] for i in values], dtype=np.float32).reshape(len(values), self._dim)

    def _present(self, ids: Sequence[int] | np.ndarray) -> list[int]:
        found: list[int] = []
        values = [int(i) for i in ids]
        for start in range(0, len(values), CHUNK):
            rows = self._client.get(
                self.collection, ids=values[start : start + CHUNK], output_fields=[ID_FIELD]
            )
            found.extend(int(r[ID_FIELD]) for r in rows)
        return found

    def add(self, ids: Sequence[int] | np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under new ids; wrong shapes and ids already present raise before Milvus sees them."""
        array = check_vectors(vectors, self._dim)
        id_array = check_ids(ids, len(array))
        if not len(array):
            return
        with self._lock:
            present = self._present(id_array) if len(self) else []
            if present:
                raise ValueError(
                    f"id {present[0]} is already in the vector index (remove it first to replace)"
                )
            for start in range(0, len(array), CHUNK):
                rows = [
                    {ID_FIELD: int(i), VECTOR_FIELD: v}
                    for i, v in zip(
                        id_array[start : start + CHUNK].tolist(),
                        array[start : start + CHUNK].tolist(),
                        strict=True,
                    )
                ]
                self._client.insert(self.collection, rows)
            if len(array) >= FLUSH_AFTER:
                self._client.flush(self.collection)

    def remove(self, ids: Sequence[int] | np.ndarray) -> int:
        """Remove ids (unknown ones are ignored); returns how many were removed."""
        wanted = sorted({int(i) for i in np.asarray(ids).ravel()})
        if not wanted:
            return 0
        with self._lock:
            present = self._present(wanted)
            for start in range(0, len(present), CHUNK):
                self._client.delete(self.collection, ids=present[start : start + CHUNK])
            return len(present)

    def search(
        self, query_vectors: np.ndarray, k: int, allowed_ids: Sequence[int] | np.ndarray | None = None
    ) -> SearchResult:
        """Return the ``k`` best ids per query row by inner product, only among ``allowed_ids`` when given."""
        queries = self._queries(query_vectors, k)
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        out_ids = np.full((len(queries), k), -1, dtype=np.int64)
        expression = ""
        if allowed_ids is not None:
            allowed = np.unique(np.asarray(allowed_ids, dtype=np.int64).ravel())
            if len(allowed) == 0:
                return SearchResult(scores, out_ids)
            expression = f"{ID_FIELD} in [{','.join(map(str, allowed.tolist()))}]"
        if not len(queries):
            return SearchResult(scores, out_ids)
        with self._lock:
            hits = self._client.search(
                self.collection,
                data=queries.tolist(),
                limit=min(k, MAX_TOP_K),
                filter=expression,
                output_fields=[ID_FIELD],
                search_params={"metric_type": "IP"},
                anns_field=VECTOR_FIELD,
            )
        for row, found in enumerate(hits):
            for col, hit in enumerate(found[:k]):
                out_ids[row, col] = int(hit["id"])
                scores[row, col] = float(hit["distance"])
        return SearchResult(scores, out_ids)

    # ---- persistence
    def save(self, folder: Path) -> Path:
        """Write a manifest naming the URI and collection (the vectors stay in Milvus)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._client.flush(self.collection)
            manifest = {
                "format": FORMAT,
                "backend": "milvus",
                "uri": self.uri,
                "collection": self.collection,
                "dimension": self._dim,
                "count": len(self),
                "model_id": self._model_id,
                "index_type": self.index_type,
            }
            write_json_durable(folder / MANIFEST, manifest)
        return folder

    @classmethod
    def load(cls, folder: Path, *, token: str = "", check_count: bool = True) -> MilvusIndex:
        """Reopen the collection a manifest names; a missing collection (or, with ``check_count``, another count) raises."""
        manifest_path = Path(folder) / MANIFEST
        manifest = read_manifest(
            manifest_path,
            FORMAT,
            IndexIntegrityError,
            f"{manifest_path}: no vector index manifest (not a saved MilvusIndex)",
        )
        target, lite = parse_uri(manifest["uri"])
        # The probe stays open until the index holds its own client (closing the last client of a
        # Milvus Lite file stops its embedded server; the next one would start it again).
        probe = _client(target, lite, token)
        try:
            if not probe.has_collection(manifest["collection"]):
                raise IndexIntegrityError(
                    f"{manifest_path}: Milvus collection {manifest['collection']!r} is not at {manifest['uri']}"
                )
            index = cls(
                uri=manifest["uri"],
                dim=manifest["dimension"],
                model_id=manifest["model_id"],
                collection=manifest["collection"],
                token=token,
                index_type=manifest.get("index_type", "AUTOINDEX"),
            )
        finally:
            probe.close()
        if check_count and len(index) != manifest["count"]:
            raise IndexIntegrityError(
                f"{manifest_path}: collection {manifest['collection']!r} holds {len(index)} vectors, "
                f"the manifest says {manifest['count']}"
            )
        return index
