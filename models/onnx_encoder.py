"""``OnnxEncoder``: serve a registry model with onnxruntime + tokenizers alone (no torch import).

Texts are tokenized in one call, sorted by length and cut into runs of at most ``batch_size`` texts
and ``MAX_BATCH_TOKENS`` padded tokens, so that each run pads only to its own longest text and its
activations stay in cache; the graph (see ``models.onnx_export``) returns the mean-pooled,
L2-normalised ``sentence_embedding`` directly. Results come back in the input order.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

# Where a model folder keeps its ONNX graphs (models.onnx_export writes them).
ONNX_DIR = "onnx"
FP32_FILE = "model.onnx"
INT8_FILE = "model_int8.onnx"
# Padded tokens per onnxruntime run: smaller runs keep activations in cache (see docs/benchmarks.md).
MAX_BATCH_TOKENS = 512
DEFAULT_PROMPTS = {"query": "query: ", "passage": "passage: "}


class OnnxEncoder:
    """An ``Encoder`` over ``<model_dir>/onnx/model.onnx`` (fp32) or ``model_int8.onnx`` (int8)."""

    dim: int  # vector dimension
    model_id: str  # weights and backend, e.g. ``intfloat/multilingual-e5-small@v1:onnx-int8``

    def __init__(
        self,
        model_dir: Path,
        *,
        quantized: bool = True,
        model_id: str | None = None,
        max_seq_length: int | None = None,
        threads: int | None = None,
        max_batch_tokens: int = MAX_BATCH_TOKENS,
        spin: bool = False,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.model_dir = Path(model_dir)
        self.onnx_path = self.model_dir / ONNX_DIR / (INT8_FILE if quantized else FP32_FILE)
        if not self.onnx_path.is_file():
            raise FileNotFoundError(f"{self.onnx_path} does not exist; export the model to ONNX first")
        # sentence-transformers < 6 keeps the limit in sentence_bert_config.json, >= 6 in the tokenizer config.
        limit = _read_json(self.model_dir / "sentence_bert_config.json").get("max_seq_length")
        limit = limit or _read_json(self.model_dir / "tokenizer_config.json").get("model_max_length")
        self.max_seq_length = int(max_seq_length or min(int(limit or 512), 512))
        prompts = _read_json(self.model_dir / "config_sentence_transformers.json").get("prompts") or {}
        self.query_prefix = str(prompts.get("query", DEFAULT_PROMPTS["query"]))
        self.passage_prefix = str(prompts.get("passage", DEFAULT_PROMPTS["passage"]))
        self.dim = int(_read_json(self.model_dir / "config.json")["hidden_size"])
        self.model_id = model_id or f"{self.model_dir.name}:{'onnx-int8' if quantized else 'onnx'}"

        self.tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=self.max_seq_length)
        self.pad_id = self.tokenizer.token_to_id("<pad>") or 0
        self.max_batch_tokens = max(1, int(max_batch_tokens))

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or _cores()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # Idle worker threads sleep instead of spinning: on 2 shared cores spinning steals the CPU the
        # other thread (and the HTTP workers) need; measured 20-35 % faster under load, see docs/benchmarks.md.
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
        self.session = ort.InferenceSession(str(self.onnx_path), options, providers=["CPUExecutionProvider"])

    def encode_queries(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed search queries with the ``query: `` prompt."""
        return self.encode([self.query_prefix + t for t in texts], batch_size)

    def encode_passages(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed documents with the ``passage: `` prompt."""
        return self.encode([self.passage_prefix + t for t in texts], batch_size)

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed already-prefixed texts; (n, dim) float32 unit rows in the input order."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=True)
        lengths = np.array([len(e.ids) for e in encodings])
        order = np.argsort(-lengths, kind="stable")  # longest first: the biggest batch allocates once
        for rows in self._runs(order, lengths, batch_size):
            width = int(lengths[rows].max())
            ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for slot, row in enumerate(rows):
                n = lengths[row]
                ids[slot, :n] = encodings[row].ids
                mask[slot, :n] = 1
            (vectors,) = self.session.run(["sentence_embedding"], {"input_ids": ids, "attention_mask": mask})
            out[rows] = vectors
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def _runs(self, order: np.ndarray, lengths: np.ndarray, batch_size: int) -> list[np.ndarray]:
        """Cut the longest-first ``order`` into runs of at most ``batch_size`` texts and ``max_batch_tokens`` padded tokens."""
        runs: list[np.ndarray] = []
        start = 0
        while start < len(order):
            width = int(lengths[order[start]])  # the longest text of the run: order is longest first
            size = max(1, min(max(1, batch_size), self.max_batch_tokens // max(1, width)))
            runs.append(order[start : start + size])
            start += size
        return runs

    def token_count(self, text: str) -> int:
        """Count the tokens the model sees for ``text`` (with ``<s>``/``</s>``, after truncation)."""
        return len(self.tokenizer.encode(text).ids)


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _read_json(path: Path) -> dict:
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))
