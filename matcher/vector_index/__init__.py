"""Vector indexes behind one protocol (``VectorIndex``) and a factory that picks the backend by name.

``faiss`` (the default, in-process) and ``milvus`` (Milvus Lite file or a Milvus cluster, by ``uri``);
``parse_vector_url`` turns the service's one setting (``POLICYMATCH_VECTOR_URL``) into a ``VectorBackend``.
"""

from __future__ import annotations

from pathlib import Path

from matcher.vector_index.backend import VectorBackend, VectorConfigError, parse_vector_url
from matcher.vector_index.base import DimensionError, SearchResult, VectorIndex, check_ids, check_vectors

BACKENDS = ("faiss", "milvus")

__all__ = [
    "BACKENDS",
    "DimensionError",
    "SearchResult",
    "VectorBackend",
    "VectorConfigError",
    "VectorIndex",
    "check_ids",
    "check_vectors",
    "load_vector_index",
    "make_vector_index",
    "parse_vector_url",
]


def make_vector_index(
    backend: str,
    *,
    dim: int,
    model_id: str,
    kind: str = "auto",
    storage: str = "float32",
    uri: str | None = None,
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
        return MilvusIndex(uri=uri, dim=dim, model_id=model_id)
    raise ValueError(f"unknown vector index backend {backend!r}; valid: {', '.join(BACKENDS)}")


def load_vector_index(folder: Path) -> VectorIndex:
    """Load a saved vector index, picking the backend from its manifest."""
    import json

    from matcher.index_versions import IndexIntegrityError

    manifest = Path(folder) / "manifest.json"
    if not manifest.exists():
        raise IndexIntegrityError(f"{manifest}: no vector index manifest")
    backend = json.loads(manifest.read_text(encoding="utf-8")).get("backend")
    if backend == "faiss":
        from matcher.vector_index.faiss_index import FaissIndex

        return FaissIndex.load(folder)
    if backend == "milvus":
        from matcher.vector_index.milvus_index import MilvusIndex

        return MilvusIndex.load(folder)
    raise IndexIntegrityError(
        f"{manifest}: unknown vector index backend {backend!r}; valid: {', '.join(BACKENDS)}"
    )
