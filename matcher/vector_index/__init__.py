"""Vector indexes behind one protocol (``VectorIndex``) and a factory that picks the backend by name.

``faiss`` (the default, in-process) and ``milvus`` (Milvus Lite file or a Milvus cluster, by ``uri``);
``backend.py`` is the one factory; ``parse_vector_url`` turns the service's one setting (``POLICYMATCH_VECTOR_URL``) into a ``VectorBackend``.
"""

from __future__ import annotations

from matcher.vector_index.backend import (
    BACKENDS,
    VectorBackend,
    VectorConfigError,
    load_vector_index,
    make_vector_index,
    parse_vector_url,
)
from matcher.vector_index.base import DimensionError, SearchResult, VectorIndex, check_ids, check_vectors

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
