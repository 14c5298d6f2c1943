"""Export a BERT sentence-transformers model to ONNX (fp32) and a dynamically int8-quantised copy.

The graph takes ``input_ids`` and ``attention_mask`` (int64, dynamic batch and sequence axes)
and returns ``last_hidden_state`` and ``sentence_embedding`` (masked mean pooling, L2
normalised) so serving needs only onnxruntime + tokenizers.

Why a hand-written forward: exporting ``transformers``' ``BertModel`` itself either fails on
positional inputs or, with the TorchScript exporter, traces its mask helpers into a graph that
gives wrong numbers; the ``torch.export`` route works but its graph defeats onnxruntime's BERT
fusions (Attention, SkipLayerNormalization). The module below is the classic BERT computation
over the very same parameters, which traces cleanly and fuses.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from models.onnx_encoder import FP32_FILE, INT8_FILE

INPUT_NAMES = ("input_ids", "attention_mask")
OUTPUT_NAMES = ("last_hidden_state", "sentence_embedding")


def export_onnx(
    model_dir: Path,
    out_dir: Path,
    *,
    quantize: bool = True,
    say: Callable[..., None] | None = None,
) -> tuple[Path, Path | None]:
    """Write ``out_dir/model.onnx`` (fp32, fused) and ``out_dir/model_int8.onnx``; return their paths."""
    from transformers import AutoModel

    say = say or (lambda *args: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    bert = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")
    bert.eval()
    config = bert.config
    module = ExportableBert(bert)
    raw = out_dir / "_raw.onnx"
    example_ids = torch.tensor([[0, 6, 7, 8, 2], [0, 9, 2, 1, 1]], dtype=torch.long)
    example_mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(
            module,
            (example_ids, example_mask),
            str(raw),
            dynamo=False,
            opset_version=17,
            input_names=list(INPUT_NAMES),
            output_names=list(OUTPUT_NAMES),
            dynamic_axes={
                "input_ids": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                "last_hidden_state": {0: "batch", 1: "sequence"},
                "sentence_embedding": {0: "batch"},
            },
        )
    say("exported ONNX", started)

    started = time.perf_counter()
    fp32 = out_dir / FP32_FILE
    _optimize(raw, fp32, num_heads=config.num_attention_heads, hidden_size=config.hidden_size)
    raw.unlink()
    say("fused the ONNX graph (Attention, SkipLayerNormalization)", started)
    if not quantize:
        return fp32, None
    started = time.perf_counter()
    int8 = out_dir / INT8_FILE
    quantize_int8(fp32, int8)
    say("quantised to int8", started)
    return fp32, int8


def quantize_int8(fp32: Path, int8: Path) -> Path:
    """Dynamic int8 quantisation (weights int8, activations quantised at run time) of an ONNX model."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = int8.with_suffix(".tmp.onnx")
    quantize_dynamic(
        str(fp32),
        str(tmp),
        weight_type=QuantType.QInt8,
        # Per-output-channel weight scales: mean cosine to fp32 0.9975 on policy sentences vs 0.989 per tensor.
        per_channel=True,
        # Fused ops (com.microsoft domain) defeat ONNX shape inference; their outputs are float.
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    shutil.move(tmp, int8)
    return int8


def _optimize(src: Path, dst: Path, *, num_heads: int, hidden_size: int) -> None:
    """Apply onnxruntime's offline BERT fusions and save a plain (portable, CPU) graph."""
    from onnxruntime.transformers.optimizer import optimize_model

    optimized = optimize_model(
        str(src), model_type="bert", num_heads=num_heads, hidden_size=hidden_size, opt_level=1, use_gpu=False
    )
    optimized.save_model_to_file(str(dst))


class ExportableBert(nn.Module):
    """BERT encoder + masked mean pooling + L2 normalisation over a ``BertModel``'s parameters (keywords only)."""

    def __init__(self, bert: Any) -> None:
        super().__init__()
        self.bert = bert
        config = bert.config
        self.heads = int(config.num_attention_heads)
        self.head_size = int(config.hidden_size) // self.heads

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (last_hidden_state, sentence_embedding) for a padded batch."""
        emb: Any = self.bert.embeddings
        seq = input_ids.shape[1]
        positions = torch.arange(seq, dtype=torch.long, device=input_ids.device).unsqueeze(0)
        x = (
            emb.word_embeddings(input_ids)
            + emb.position_embeddings(positions)
            + emb.token_type_embeddings.weight[0]
        )
        x = emb.LayerNorm(x)
        # The classic additive mask: onnxruntime's fusion recognises it and folds it into Attention.
        bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        for layer in self.bert.encoder.layer:
            x = self._layer(layer, x, bias)
        mask = attention_mask.unsqueeze(-1).to(x.dtype)
        pooled = (x * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        normed = pooled / pooled.norm(p=2, dim=-1, keepdim=True).clamp(min=1e-12)
        return x, normed

    def _split(self, t: torch.Tensor) -> torch.Tensor:
        batch, seq, _ = t.shape
        return t.view(batch, seq, self.heads, self.head_size).permute(0, 2, 1, 3)

    def _layer(self, layer: Any, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        attn = layer.attention
        q = self._split(attn.self.query(x))
        k = self._split(attn.self.key(x))
        v = self._split(attn.self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size) + bias
        probs = torch.softmax(scores, dim=-1)
        context = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        context = context.view(context.shape[0], context.shape[1], self.heads * self.head_size)
        x = attn.output.LayerNorm(attn.output.dense(context) + x)
        hidden = nn.functional.gelu(layer.intermediate.dense(x))
        return layer.output.LayerNorm(layer.output.dense(hidden) + x)
