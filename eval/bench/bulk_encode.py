"""``policymatch bench bulk-encode``: faster encoders for bulk work against the served e5, at equal recall.

Candidates, all built from the active registry model (the teacher) into ``--work`` when missing:

* ``static-teacher`` / ``static-centred``: model2vec static models distilled from the teacher
  (``models.static_model``): the teacher's own vectors of every token; no transformer at run time;
* ``pruned-6``: e5 with 6 of its 12 layers (``models.pruned.DEFAULT_KEEP``), int8, no training;
* ``pruned-6-distilled``: the same after a few minutes of distillation towards the teacher's
  vectors on the project's own demo text (never evaluation text).

Throughput: enterprise profiles (~120 characters, as queries) and policy items (~500
characters, as passages) of ``eval.bench.encode.bench_texts``, ``--runs`` runs each, against
sentence-transformers fp32 (torch). Recall@10 on every question of both real retrieval sets,
documents cut as the evaluation cuts them (480-character chunks, at most 4, best chunk). Each
candidate is measured alone (its vectors for queries and documents) and mixed with the teacher
(candidate profiles/queries against items the teacher indexed; candidate items against teacher
queries): the mixed rows are what serving one side in bulk would give.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.metrics import Relevance, recall_at_k
from models.encoder import Encoder

KINDS = ("profile", "long")
LABELS = {"profile": "enterprise profile", "long": "policy item"}
TEACHER = "e5-int8"
BASELINE = "st-fp32"
CANDIDATES = ("static-teacher", "static-centred", "pruned-6", "pruned-6-distilled")
# Recall@10 may fall at most this much below the served encoder's for a candidate to be served.
MAX_RECALL_DROP = 0.01
SPEED_GOAL = 4.0


@dataclass(frozen=True)
class Named:
    """An encoder under its benchmark name."""

    name: str
    encoder: Encoder


def distillation_texts(
    n_policies: int = 60, n_enterprises: int = 1500, seed: int = 7
) -> list[tuple[str, str]]:
    """(kind, text) pairs of the project's own text: demo items (passage), demo profiles (query), shipped sentences (both)."""
    from corpus.demo.generator import generate
    from eval.bench.encode import policy_sentences
    from matcher.encoder_text import dense_text, item_text

    corpus = generate(seed, n_policies, n_enterprises)
    pairs: list[tuple[str, str]] = [("passage", item_text(i.title, i.text)) for i in corpus.items]
    pairs += [("query", t) for t in (dense_text(p) for p in corpus.iter_enterprises()) if t]
    for sentence in policy_sentences():
        pairs += [("passage", sentence), ("query", sentence)]
    return pairs


def build_candidates(
    teacher_dir: Path, work: Path, *, distil_seconds: float, say: Callable[[str], None]
) -> dict[str, Path]:
    """Build (or reuse) every candidate's folder under ``work``; name -> folder."""
    from models.onnx_export import export_onnx
    from models.pruned import DEFAULT_KEEP, distill_student, prune_layers
    from models.static_model import build_static_model, token_vectors

    work.mkdir(parents=True, exist_ok=True)
    folders = {name: work / name for name in CANDIDATES}
    vectors_path = work / "token_vectors.npy"
    if not all((folders[n] / "model.safetensors").is_file() for n in ("static-teacher", "static-centred")):
        if vectors_path.is_file():
            vectors = np.load(vectors_path)
        else:
            started = time.perf_counter()
            vectors = token_vectors(teacher_dir, say=say)
            np.save(vectors_path, vectors)
            say(f"token vectors of the teacher in {time.perf_counter() - started:.0f} s")
        for layout in ("teacher", "centred"):
            build_static_model(
                teacher_dir,
                folders[f"static-{layout}"],
                layout=layout,
                teacher_space="teacher",
                vectors=vectors,
            )
    pruned = folders["pruned-6"]
    if not (pruned / "onnx" / "model_int8.onnx").is_file():
        prune_layers(teacher_dir, pruned, DEFAULT_KEEP)
        export_onnx(pruned, pruned / "onnx")
    distilled = folders["pruned-6-distilled"]
    if not (distilled / "onnx" / "model_int8.onnx").is_file():
        from models.onnx_encoder import OnnxEncoder

        prune_layers(teacher_dir, distilled, DEFAULT_KEEP)
        summary = distill_student(
            distilled, OnnxEncoder(teacher_dir), distillation_texts(), seconds=distil_seconds, say=say
        )
        (work / "distillation.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        export_onnx(distilled, distilled / "onnx")
    return folders


def load(name: str, folder: Path | None, teacher_dir: Path) -> Encoder:
    """Load the encoder ``name`` (teacher, baseline, or a candidate's folder)."""
    from models.onnx_encoder import OnnxEncoder

    if name == TEACHER:
        return OnnxEncoder(teacher_dir, model_id=f"{teacher_dir.name}:onnx-int8")
    if name == BASELINE:
        from models.st_encoder import SentenceTransformerEncoder

        return SentenceTransformerEncoder(teacher_dir, model_id=f"{teacher_dir.name}:sentence-transformers")
    assert folder is not None
    if name.startswith("static"):
        from models.static_model import StaticEncoder

        return StaticEncoder(folder, model_id=f"{name}:static")
    return OnnxEncoder(folder, model_id=f"{name}:onnx-int8")


def throughput(encoder: Encoder, kind: str, texts: Sequence[str], *, min_seconds: float = 1.0) -> float:
    """Texts per second over whole passes of ``texts`` (at least ``min_seconds``), after one warm-up batch."""
    encode = encoder.encode_passages if kind == "long" else encoder.encode_queries
    texts = list(texts)
    encode(texts[:32], 32)
    done = 0
    started = time.perf_counter()
    while True:
        encode(texts, 32)
        done += len(texts)
        elapsed = time.perf_counter() - started
        if elapsed >= min_seconds:
            return done / elapsed


def _vectors(encoder: Encoder, kind: str, texts: list[str], cache_dir: Path | None) -> np.ndarray:
    """Vectors of ``texts``, cached on disk for the slow (transformer) encoders."""
    if cache_dir is None:
        encode = encoder.encode_queries if kind == "query" else encoder.encode_passages
        return np.asarray(encode(texts), dtype=np.float32)
    from models.cached_encoder import CachedEncoder

    cached = CachedEncoder(encoder, cache_dir, batch_size=32)
    return cached.encode_queries(texts) if kind == "query" else cached.encode_passages(texts)


def recall_rows(
    encoders: dict[str, Encoder], sets: Sequence[Path], *, cache_dir: Path, say: Callable[[str], None]
) -> list[dict[str, Any]]:
    """Recall@10 on every question of each set: each encoder alone, and each candidate mixed with the teacher."""
    from eval.compare import document_chunks
    from eval.sets import read_retrieval_set

    rows = []
    for path in sets:
        data = read_retrieval_set(path)
        texts, owners = document_chunks(data.docs)
        owner = np.asarray(owners)
        questions = [q.question for q in data.queries]
        relevant = [set(q.relevant) for q in data.queries]
        docids = [d.docid for d in data.docs]
        chunk_vectors: dict[str, np.ndarray] = {}
        query_vectors: dict[str, np.ndarray] = {}
        for name, encoder in encoders.items():
            started = time.perf_counter()
            slow = None if name.startswith("static") else cache_dir
            chunk_vectors[name] = _vectors(encoder, "passage", texts, slow)
            query_vectors[name] = _vectors(encoder, "query", questions, slow)
            say(
                f"{data.name}: {name} encoded {len(texts)} chunks + {len(questions)} questions ({time.perf_counter() - started:.0f} s)"
            )

        for name in encoders:
            pairs = [(name, name, "alone")]
            if name != TEACHER:
                pairs += [(name, TEACHER, "queries/profiles"), (TEACHER, name, "items")]
            for query_by, docs_by, role in pairs:
                value = best_chunk_recall(
                    query_vectors[query_by] @ chunk_vectors[docs_by].T, owner, docids, relevant
                )
                rows.append(
                    {
                        "set": data.name,
                        "candidate": name,
                        "role": role,
                        "queries_by": query_by,
                        "documents_by": docs_by,
                        "recall_at_10": value,
                        "n_queries": len(questions),
                        "n_docs": len(docids),
                    }
                )
                say(f"{data.name}: recall@10 queries {query_by} / documents {docs_by}: {value:.4f}")
    return rows


def best_chunk_recall(
    chunk_scores: np.ndarray, owner: np.ndarray, docids: Sequence[Hashable], relevant: Sequence[Relevance]
) -> float:
    """Recall@10 when a document scores its best chunk."""
    best = np.full((chunk_scores.shape[0], len(docids)), -np.inf, dtype=np.float32)
    np.maximum.at(best, (slice(None), owner), chunk_scores)  # type: ignore[arg-type]
    top = np.argsort(-best, axis=1, kind="stable")[:, :10]
    return recall_at_k([[docids[i] for i in row] for row in top], relevant, 10)


def run(args: argparse.Namespace, models_dir: Path) -> dict[str, Any]:
    """Build the candidates, time them and measure their recall; write the JSON and the section."""
    from eval.bench.encode import bench_texts
    from eval.benchfile import machine_description, update_section
    from models.registry import ModelRegistry

    def say(message: str) -> None:
        print(f"bench bulk-encode: {message}", file=sys.stderr, flush=True)

    teacher_dir = ModelRegistry(models_dir).active().path
    folders = build_candidates(teacher_dir, args.work, distil_seconds=args.distil_seconds, say=say)
    names = [TEACHER, *CANDIDATES]
    loads = [os.getloadavg()[0]]
    texts = bench_texts(n_long=args.n_long, n_profile=args.n_profile)
    # Runs interleave the encoders (run 1 of each, then run 2 of each, ...) so that the load others
    # put on the shared cores falls on every encoder alike rather than on whichever ran last.
    everyone = {name: load(name, folders.get(name), teacher_dir) for name in [BASELINE, *names]}
    speed: dict[str, dict[str, list[float]]] = {name: {kind: [] for kind in KINDS} for name in everyone}
    for run_number in range(args.runs):
        for name, encoder in everyone.items():
            for kind in KINDS:
                speed[name][kind].append(throughput(encoder, kind, texts.of(kind)))
            loads.append(os.getloadavg()[0])
            say(
                f"run {run_number + 1}: {name:20} "
                + "  ".join(f"{LABELS[k]} {v[-1]:8.1f}/s" for k, v in speed[name].items())
            )
    encoders = {name: everyone[name] for name in names}
    del everyone
    recall = [] if args.no_recall else recall_rows(encoders, args.sets, cache_dir=args.cache, say=say)
    loads.append(os.getloadavg()[0])
    payload = {
        "machine": machine_description(),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average_1min": loads,
        "runs": args.runs,
        "teacher": str(teacher_dir),
        "speed": speed,
        "recall": recall,
        "distillation": _read_json(args.work / "distillation.json"),
    }
    payload["verdicts"] = verdicts(payload)
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if not args.no_write:
        update_section("bulk-encode", markdown(payload, args), path=args.markdown)
        print(f"wrote {args.json_out} and the bulk-encode section of {args.markdown}")
    return payload


def verdicts(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Per candidate and role: ×ST fp32 on the kind that role encodes, worst recall drop over the sets, qualified or not."""
    speed = payload["speed"]
    base = {k: statistics.median(v) for k, v in speed[BASELINE].items()}
    teacher = {r["set"]: r["recall_at_10"] for r in payload["recall"] if r["candidate"] == TEACHER}
    out = []
    for name in CANDIDATES:
        ratios = {k: statistics.median(speed[name][k]) / base[k] for k in KINDS}
        for role, kinds in (("alone", KINDS), ("queries/profiles", ("profile",)), ("items", ("long",))):
            rows = [r for r in payload["recall"] if r["candidate"] == name and r["role"] == role]
            drops = [teacher[r["set"]] - r["recall_at_10"] for r in rows]
            worst = max(drops) if drops else float("nan")
            fast = min(ratios[k] for k in kinds)
            out.append(
                {
                    "candidate": name,
                    "role": role,
                    "speedup": fast,
                    "worst_recall_drop": worst,
                    "qualifies": bool(drops) and worst <= MAX_RECALL_DROP and fast >= SPEED_GOAL,
                }
            )
    return out


def markdown(payload: dict[str, Any], args: argparse.Namespace) -> str:
    """Render the ``bulk-encode`` section of docs/benchmarks.md."""
    speed = payload["speed"]
    base = {k: statistics.median(v) for k, v in speed[BASELINE].items()}
    loads = payload["load_average_1min"]
    lines = [
        "## Bulk encoders against the served e5 (`policymatch bench bulk-encode`)",
        "",
        f"Machine: {payload['machine']}; measured {payload['when']}. **The 2 cores were shared** with other "
        f"engineers' work while it ran: 1-minute load average {min(loads):.1f}–{max(loads):.1f} "
        "(a quiet machine shows about 0–1), so the spread below is mostly that load. "
        f"Throughput: texts/s at batch 32, median of {payload['runs']} runs (min–max; the runs interleave the "
        "encoders so that the load falls on each alike), the same texts for "
        "every encoder (`eval.bench.encode.bench_texts`: ~120-character enterprise profiles encoded as "
        "queries, ~500-character policy items as passages). × = median over sentence-transformers fp32's median.",
        "",
        "| encoder | profiles texts/s | × ST fp32 | items texts/s | × ST fp32 |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, runs in speed.items():
        cells = []
        for kind in KINDS:
            values = runs[kind]
            median = statistics.median(values)
            cells += [f"{median:.1f} ({min(values):.1f}–{max(values):.1f})", f"{median / base[kind]:.2f}"]
        lines.append(f"| {_label(name)} | " + " | ".join(cells) + " |")
    lines.append("")
    if payload["recall"]:
        sets = sorted({r["set"] for r in payload["recall"]})
        sizes = {r["set"]: (r["n_docs"], r["n_queries"]) for r in payload["recall"]}
        lines += [
            "Recall@10 on every question of both real sets ("
            + ", ".join(f"`{s}`: {sizes[s][0]} documents, {sizes[s][1]} questions" for s in sets)
            + "; documents as the evaluation cuts them: 480-character chunks, at most 4, best chunk). "
            "*alone*: the encoder embeds questions and documents; *queries/profiles*: it embeds the questions, "
            "the served e5 the documents (profiles encoded in bulk, items indexed by e5); *items*: it embeds the "
            "documents, e5 the questions. Δ = points against the served e5 alone. × ST fp32: on "
            "profiles for *queries/profiles*, on items for *items*, the slower of the two for *alone*.",
            "",
            "| encoder | used for | "
            + " | ".join(f"{s} recall@10 (Δ)" for s in sets)
            + " | × ST fp32 | within 1 point and ≥ ×4 |",
            "|---|---|" + "---:|" * len(sets) + "---:|---|",
        ]
        teacher = {r["set"]: r["recall_at_10"] for r in payload["recall"] if r["candidate"] == TEACHER}
        lines.append(
            f"| {_label(TEACHER)} | everything (served) | "
            + " | ".join(f"{teacher[s]:.4f}" for s in sets)
            + " | — | — |"
        )
        for verdict in payload["verdicts"]:
            name, role = verdict["candidate"], verdict["role"]
            by_set = {
                r["set"]: r["recall_at_10"]
                for r in payload["recall"]
                if r["candidate"] == name and r["role"] == role
            }
            cells = [f"{by_set[s]:.4f} ({100 * (by_set[s] - teacher[s]):+.1f})" for s in sets]
            lines.append(
                f"| {_label(name)} | {role} | "
                + " | ".join(cells)
                + f" | {verdict['speedup']:.2f} | {'**yes**' if verdict['qualifies'] else 'no'} |"
            )
        lines.append("")
    qualified = [v for v in payload.get("verdicts", []) if v["qualifies"]]
    if payload["recall"]:
        if qualified:
            lines += [
                "Qualified (recall@10 within 1 point on both sets and ≥ ×4): "
                + ", ".join(f"{_label(v['candidate'])} for {v['role']}" for v in qualified)
                + ".",
                "",
            ]
        else:
            lines += [
                "**No candidate qualifies** (recall@10 within 1 point of the served e5 on both sets at ≥ ×4 "
                "sentence-transformers fp32): nothing new is served; items, profiles and queries all stay on "
                "the served e5-small int8, in one vector space.",
                "",
            ]
    distillation = payload.get("distillation") or {}
    if distillation:
        lines += [
            f"Distillation of `pruned-6-distilled`: {distillation.get('steps')} steps of 16 texts "
            f"({distillation.get('examples')} demo items, demo profiles and shipped sentences, "
            f"{distillation.get('epochs')} pass(es), {distillation.get('seconds', 0):.0f} s on the shared CPUs), cosine loss "
            f"{distillation.get('first_loss', float('nan')):.4f} → {distillation.get('last_loss', float('nan')):.4f}.",
            "",
        ]
    lines.append(f"Raw numbers: `{args.json_out}`.")
    return "\n".join(lines)


def _label(name: str) -> str:
    return {
        TEACHER: "e5-small int8 (served today)",
        BASELINE: "e5-small sentence-transformers fp32",
        "static-teacher": "static, teacher axes (model2vec)",
        "static-centred": "static, centred + PCA (model2vec)",
        "pruned-6": "e5 6/12 layers int8, not trained",
        "pruned-6-distilled": "e5 6/12 layers int8, distilled",
    }.get(name, name)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}
