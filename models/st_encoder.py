"""``SentenceTransformerEncoder``: any sentence-transformers model name or local folder.

The real loading path for machines that reach a model hub (``intfloat/multilingual-e5-small``)
and the reference the ONNX export is checked against. Prompts: the model's own ``query`` /
``passage`` prompts when it configures them (the bootstrapped model does), else the e5
prefixes for a model whose name says e5, else none.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

E5_PREFIXES = ("query: ", "passage: ")


class SentenceTransformerEncoder:
    """An ``Encoder`` over ``sentence_transformers.SentenceTransformer`` (torch, CPU by default)."""

    dim: int  # vector dimension
    model_id: str  # weights and backend, e.g. ``intfloat/multilingual-e5-small@v1:sentence-transformers``

    def __init__(
        self,
        model: str | Path,
        *,
        model_id: str | None = None,
        device: str = "cpu",
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
        max_seq_length: int | None = None,
    ) -> None:
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(model), device=device)
        if max_seq_length:
            self.model.max_seq_length = max_seq_length
        prompts = dict(getattr(self.model, "prompts", None) or {})
        looks_e5 = "e5" in Path(str(model)).name.lower() or "e5" in (model_id or "").lower()
        default_query, default_passage = E5_PREFIXES if looks_e5 else ("", "")
        self.query_prefix = (
            query_prefix if query_prefix is not None else prompts.get("query") or default_query
        )
        self.passage_prefix = (
            passage_prefix if passage_prefix is not None else prompts.get("passage") or default_passage
        )
        get_dim = (
            getattr(self.model, "get_embedding_dimension", None)
            or self.model.get_sentence_embedding_dimension
        )
        self.dim = int(get_dim() or 0)
        self.model_id = model_id or f"{model}:sentence-transformers"

    def encode_queries(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed search queries with the ``query: `` prompt."""
        return self._encode(texts, self.query_prefix, batch_size)

    def encode_passages(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed documents with the ``passage: `` prompt."""
        return self._encode(texts, self.passage_prefix, batch_size)

    def _encode(self, texts: list[str], prefix: str, batch_size: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # The prefix is passed as an explicit prompt so every backend sees the same input string.
        vectors = self.model.encode(
            list(texts),
            prompt=prefix or None,
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
