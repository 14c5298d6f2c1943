"""A static (model2vec) encoder distilled from the served e5 model, for bulk encoding.

:func:`build_static_model` runs the teacher's own ONNX graph once over every token of its
vocabulary (``<s> token </s>``, mean-pooled as the teacher pools) and keeps one vector per
token, weighted down for frequent tokens (SIF, with the token's rank as its frequency, as
``model2vec`` does). Encoding a text is then a lookup and a mean: no transformer at all.

Two layouts of the same token vectors:

* ``teacher``: no centring, the teacher's 384 dimensions, SIF-weighted;
* ``centred``: the mean token vector removed, then rotated onto its principal axes (PCA).

Either is a space of its own. The ``teacher`` layout keeps the teacher's axes, but measured
against the teacher's own vectors it is not interchangeable with them (NCP recall@10 of static
queries against e5-indexed documents: 0.04, see the ``bulk-encode`` section of
docs/benchmarks.md): a static vector is only ever compared with static vectors.

:class:`StaticEncoder` serves either through ``model2vec.StaticModel`` (offline, from the
folder). Its ``space`` names what its vectors may be compared with.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

# Files of a static model folder (model2vec's format) and our own record of its space.
STATIC_DIR = "static"
SPACE_FILE = "space.json"
SIF_COEFFICIENT = 1e-4
# Tokens per onnxruntime run while distilling: three-token inputs, so thousands fit in cache.
DISTILL_BATCH = 2048
LAYOUTS = ("teacher", "centred")


def token_vectors(
    teacher_dir: Path,
    *,
    quantized: bool = True,
    batch: int = DISTILL_BATCH,
    only: np.ndarray | None = None,
    say: Callable[[str], None] | None = None,
) -> np.ndarray:
    """Run the teacher's ONNX graph over ``<s> t </s>`` for every token ``t``; (vocab, dim) float32 unit rows.

    ``only`` limits the work to those token ids (the other rows stay zero: such a model knows only
    the text it was built for, which is what a quick test needs).
    """
    from models.onnx_encoder import OnnxEncoder

    teacher = OnnxEncoder(Path(teacher_dir), quantized=quantized)
    tokenizer = teacher.tokenizer
    size = tokenizer.get_vocab_size()
    bos = tokenizer.token_to_id("<s>")
    eos = tokenizer.token_to_id("</s>")
    if bos is None or eos is None:
        raise ValueError(f"{teacher_dir}: the tokenizer has no <s> / </s> tokens to frame single tokens with")
    out = np.zeros((size, teacher.dim), dtype=np.float32)
    todo = np.arange(size, dtype=np.int64) if only is None else np.unique(np.asarray(only, dtype=np.int64))
    started = time.perf_counter()
    for start in range(0, len(todo), batch):
        ids = todo[start : start + batch]
        frame = np.stack([np.full_like(ids, bos), ids, np.full_like(ids, eos)], axis=1)
        (vectors,) = teacher.session.run(
            ["sentence_embedding"], {"input_ids": frame, "attention_mask": np.ones_like(frame)}
        )
        out[ids] = vectors
        if say and (start // batch) % 20 == 0:
            say(f"static: {start + len(ids)}/{len(todo)} tokens ({time.perf_counter() - started:.0f} s)")
    return out


def sif_weights(n_tokens: int, coefficient: float = SIF_COEFFICIENT) -> np.ndarray:
    """Smooth-inverse-frequency weight per token id, taking the id's rank as a Zipf frequency."""
    # SentencePiece vocabularies are ordered roughly by frequency, so id rank stands in for counts.
    frequency = 1.0 / np.arange(2, n_tokens + 2, dtype=np.float64)
    frequency /= frequency.sum()
    return (coefficient / (coefficient + frequency)).astype(np.float32)


def layout_vectors(vectors: np.ndarray, layout: str, *, dims: int | None = None) -> np.ndarray:
    """Token vectors for ``layout``: ``teacher`` keeps the teacher's axes, ``centred`` removes the mean and rotates (PCA)."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown static layout {layout!r}; valid choices: {', '.join(LAYOUTS)}")
    weights = sif_weights(len(vectors))
    if layout == "teacher":
        return (vectors * weights[:, None]).astype(np.float32)
    centred = vectors - vectors.mean(axis=0, keepdims=True)
    # PCA by SVD of the covariance (dim × dim), cheap for 250k × 384.
    covariance = centred.T.astype(np.float64) @ centred.astype(np.float64) / len(centred)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    order = np.argsort(eigenvalues)[::-1][: dims or vectors.shape[1]]
    rotated = centred @ eigenvectors[:, order].astype(np.float32)
    return (rotated * weights[:, None]).astype(np.float32)


def build_static_model(
    teacher_dir: Path,
    out_dir: Path,
    *,
    layout: str = "teacher",
    teacher_space: str,
    vectors: np.ndarray | None = None,
    say: Callable[[str], None] | None = None,
) -> Path:
    """Write a model2vec static model distilled from ``teacher_dir`` into ``out_dir``; return it.

    ``teacher_space`` names the teacher (its model id); the static model's space is derived from
    it and the layout, and differs from the teacher's own.
    """
    from model2vec import StaticModel
    from tokenizers import Tokenizer

    teacher_dir = Path(teacher_dir)
    out_dir = Path(out_dir)
    if vectors is None:
        vectors = token_vectors(teacher_dir, say=say)
    table = layout_vectors(vectors, layout)
    tokenizer = Tokenizer.from_file(str(teacher_dir / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    config = {"model_type": "model2vec", "hidden_dim": int(table.shape[1]), "normalize": True}
    model = StaticModel(vectors=table, tokenizer=tokenizer, config=config, normalize=True, max_length=512)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    space = f"{teacher_space}/static-{layout}"
    record = {"space": space, "layout": layout, "teacher_space": teacher_space, "sif": SIF_COEFFICIENT}
    (out_dir / SPACE_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return out_dir


class StaticEncoder:
    """An ``Encoder`` over a model2vec static model folder: token lookups and a mean, no transformer."""

    dim: int  # vector dimension
    model_id: str  # weights and backend, e.g. ``intfloat/multilingual-e5-small@v1/static-teacher:static``
    space: str  # what its vectors may be compared with: only vectors of the same space

    def __init__(self, model_dir: Path, *, model_id: str | None = None) -> None:
        from model2vec import StaticModel

        self.model_dir = Path(model_dir)
        if not (self.model_dir / "model.safetensors").is_file():
            raise FileNotFoundError(f"{self.model_dir} is not a static model folder (no model.safetensors)")
        self.model = StaticModel.from_pretrained(str(self.model_dir), normalize=True)
        self.dim = int(self.model.dim)
        record = json.loads((self.model_dir / SPACE_FILE).read_text(encoding="utf-8"))
        self.space = str(record["space"])
        self.model_id = model_id or f"{self.model_dir.name}:static"

    def encode_queries(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed queries (a static model has no prompts: the same vector as a passage)."""
        return self.encode(texts)

    def encode_passages(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed passages."""
        return self.encode(texts)

    def encode(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32 unit rows; a text with no known token is a zero row."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = np.asarray(
            self.model.encode(list(texts), show_progress_bar=False, use_multiprocessing=False),
            dtype=np.float32,
        )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)
