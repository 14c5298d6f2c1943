"""Encoded vectors kept on disk by model id and text hash, behind the ``Encoder`` protocol (one helper for every layer).

:class:`CachedEncoder` wraps any encoder so a text is encoded once per model and
prompt kind, across runs (evaluation, training, benchmarks under ``.cache/vectors``,
never shipped). :func:`content_key` is the hash every vector cache of the project
keys by, on disk or in memory.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from models.encoder import Encoder, EncoderWrapper

DEFAULT_CACHE = Path(".cache/vectors")


def content_key(model_id: str, kind: str, text: str) -> str:
    """Return the cache key of one text: sha256 of model id, kind (query/passage) and the text."""
    return hashlib.sha256(f"{model_id}\0{kind}\0{text}".encode()).hexdigest()


def cached_encode(
    texts: Sequence[str],
    encode: Callable[[list[str]], np.ndarray],
    *,
    model_id: str,
    kind: str,
    cache_dir: Path,
    batch_size: int = 16,
) -> np.ndarray:
    """Encode ``texts`` with ``encode``, reusing vectors cached under ``cache_dir``; returns (n, dim) float32."""
    folder = cache_dir / hashlib.sha256(model_id.encode()).hexdigest()[:16] / kind
    folder.mkdir(parents=True, exist_ok=True)
    keys = [content_key(model_id, kind, t) for t in texts]
    found: dict[str, np.ndarray] = {}
    for key in set(keys):
        path = folder / f"{key}.npy"
        if path.exists():
            found[key] = np.load(path)
    missing = [i for i, key in enumerate(keys) if key not in found]
    # Unique missing texts only, in order, in batches so a killed run keeps what it finished.
    todo: list[int] = []
    seen: set[str] = set()
    for i in missing:
        if keys[i] not in seen:
            seen.add(keys[i])
            todo.append(i)
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]
        vectors = np.asarray(encode([texts[i] for i in batch]), dtype=np.float32)
        for i, vector in zip(batch, vectors, strict=True):
            tmp = folder / f"{keys[i]}.tmp.npy"
            np.save(tmp, vector)
            os.replace(tmp, folder / f"{keys[i]}.npy")
            found[keys[i]] = vector
    if not keys:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([found[key] for key in keys]).astype(np.float32)


class CachedEncoder(EncoderWrapper):
    """An ``Encoder`` that keeps every vector it computes on disk, keyed by model id and text."""

    def __init__(self, encoder: Encoder, cache_dir: Path = DEFAULT_CACHE, batch_size: int = 16) -> None:
        """Wrap ``encoder``; texts not cached yet are encoded ``batch_size`` at a time and saved as they come."""
        super().__init__(encoder)
        self.cache_dir = Path(cache_dir)
        self.batch_size = batch_size

    def encode_queries(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed queries, reusing cached vectors."""
        return self._encode(list(texts), "query", self.inner.encode_queries)

    def encode_passages(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed passages, reusing cached vectors."""
        return self._encode(list(texts), "passage", self.inner.encode_passages)

    def _encode(self, texts: list[str], kind: str, encode: Callable[..., np.ndarray]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return cached_encode(
            texts,
            lambda batch: encode(batch, batch_size=self.batch_size),
            model_id=self.model_id,
            kind=kind,
            cache_dir=self.cache_dir,
            batch_size=self.batch_size,
        )
