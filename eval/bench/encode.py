"""``policymatch bench encode``: encoder throughput, single-text latency and recall@10 per backend.

Measurement over any ``Encoder``: :func:`run` times every backend on the same texts,
adds recall@10 on a labelled set and writes ``docs/bench/encode.json`` and the section.
The texts are synthetic 惠企政策 material shipped with the package (``data/policy_sentences.txt``)
so the benchmark runs anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from models.encoder import Encoder

KINDS = ("short", "long", "profile")


@dataclass(frozen=True)
class BenchTexts:
    """The three text kinds: a sentence, a ~500-character policy item, a ~150-character enterprise profile."""

    short: tuple[str, ...]
    long: tuple[str, ...]
    profile: tuple[str, ...]

    def of(self, kind: str) -> tuple[str, ...]:
        """Return the texts of ``kind`` (one of ``KINDS``)."""
        return {"short": self.short, "long": self.long, "profile": self.profile}[kind]


@dataclass(frozen=True)
class SpeedResult:
    """One backend on one text kind: batch throughput and single-text latency."""

    backend: str
    kind: str
    n_texts: int
    mean_chars: float
    batch_size: int
    texts_per_second: float
    latency_p50_ms: float
    latency_p99_ms: float
    latency_samples: int

    def to_dict(self) -> dict:
        """Return the result as JSON-ready data."""
        return asdict(self)


def policy_sentences() -> list[str]:
    """Return the shipped 惠企政策 sentences (written for this project, not copied from documents)."""
    text = resources.files("models").joinpath("data/policy_sentences.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def bench_texts(seed: int = 7, n_short: int = 256, n_long: int = 64, n_profile: int = 128) -> BenchTexts:
    """Build the benchmark texts deterministically from the shipped sentences and profile templates."""
    rng = random.Random(seed)
    sentences = policy_sentences()
    short = tuple(rng.choice(sentences) for _ in range(n_short))
    long = []
    for _ in range(n_long):
        parts: list[str] = []
        while sum(map(len, parts)) < 480:
            parts.append(rng.choice(sentences))
        long.append("".join(parts)[:520])
    profile = tuple(_profile_text(rng) for _ in range(n_profile))
    return BenchTexts(short=short, long=tuple(long), profile=profile)


def measure_speed(
    encoder: Encoder,
    backend: str,
    kind: str,
    texts: Sequence[str],
    *,
    batch_size: int = 32,
    latency_samples: int = 30,
) -> SpeedResult:
    """Time ``texts`` in batches of ``batch_size`` (after one warm-up batch) and one text at a time."""
    encode = _encode_for(encoder, kind)
    texts = list(texts)
    encode(texts[:batch_size], batch_size)  # warm-up: first-run allocations, lazy initialisation
    started = time.perf_counter()
    encode(texts, batch_size)
    throughput = len(texts) / (time.perf_counter() - started)
    latencies = []
    for text in texts[:latency_samples]:
        started = time.perf_counter()
        encode([text], 1)
        latencies.append((time.perf_counter() - started) * 1000.0)
    return SpeedResult(
        backend=backend,
        kind=kind,
        n_texts=len(texts),
        mean_chars=float(np.mean([len(t) for t in texts])),
        batch_size=batch_size,
        texts_per_second=throughput,
        latency_p50_ms=float(np.percentile(latencies, 50)),
        latency_p99_ms=float(np.percentile(latencies, 99)),
        latency_samples=len(latencies),
    )


def dense_rankings(
    encoder: Encoder,
    doc_ids: Sequence[str],
    doc_texts: Sequence[str],
    queries: Sequence[str],
    *,
    k: int = 10,
    batch_size: int = 32,
) -> list[list[str]]:
    """Rank documents for each query by cosine similarity; the top ``k`` ids per query."""
    docs = encoder.encode_passages(list(doc_texts), batch_size)
    query_vectors = encoder.encode_queries(list(queries), batch_size)
    scores = query_vectors @ docs.T
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return [[doc_ids[i] for i in row] for row in top]


def _encode_for(encoder: Encoder, kind: str) -> Callable[[list[str], int], np.ndarray]:
    # Profiles and sentences are what gets searched with (queries); policy items are indexed (passages).
    return encoder.encode_passages if kind == "long" else encoder.encode_queries


_CITIES = (
    "深圳市南山区",
    "杭州市余杭区",
    "台州市椒江区",
    "苏州市工业园区",
    "成都市高新区",
    "武汉市东湖新技术开发区",
)
_INDUSTRIES = (
    "计算机、通信和其他电子设备制造业",
    "软件和信息技术服务业",
    "通用设备制造业",
    "医药制造业",
    "批发业",
    "道路运输业",
    "农副食品加工业",
)
_TITLES = (
    "国家高新技术企业",
    "科技型中小企业",
    "专精特新中小企业",
    "专精特新“小巨人”企业",
    "瞪羚企业",
    "省级企业技术中心",
)
_KINDS = ("有限责任公司", "股份有限公司")


def _profile_text(rng: random.Random) -> str:
    """Render a ~150-character enterprise profile as the matcher would for dense retrieval."""
    titles = "、".join(rng.sample(_TITLES, rng.randint(0, 3))) or "无"
    employees = rng.randint(8, 900)
    revenue = rng.randint(200, 90000)
    return (
        f"企业类型：{rng.choice(_KINDS)}，注册地：{rng.choice(_CITIES)}，"
        f"所属行业：{rng.choice(_INDUSTRIES)}，成立于{rng.randint(2003, 2023)}年，"
        f"从业人员{employees}人，上年营业收入{revenue}万元，研发费用占比{rng.uniform(0.5, 12):.1f}%，"
        f"纳税信用等级{rng.choice('AAB')}级，已获资质：{titles}；"
        f"拟申请：{rng.choice(('研发费用补助', '技术改造补助', '稳岗补贴', '贷款贴息', '人才引进补贴'))}。"
    )


def run(args: argparse.Namespace, models_dir: Path) -> None:
    """Time every backend of ``args.backends`` (and recall@10 when the set is here); write the JSON and the section."""
    import sys

    from eval.benchfile import machine_description, update_section
    from models.factory import make_encoder

    def say(message: str) -> None:
        print(f"bench encode: {message}", file=sys.stderr, flush=True)

    backends = split_backends(args.backends)
    texts = bench_texts(n_short=args.n_short, n_long=args.n_long, n_profile=args.n_profile)
    speed: list[Any] = []
    model_ids: dict[str, str] = {}
    for backend in backends:
        started = time.perf_counter()
        encoder = make_encoder(backend, "active", models_dir)
        model_ids[backend] = encoder.model_id
        load_s = time.perf_counter() - started
        for kind in KINDS:
            result = measure_speed(
                encoder,
                backend,
                kind,
                texts.of(kind),
                batch_size=args.batch_size,
                latency_samples=args.latency_samples,
            )
            speed.append(result)
            say(
                f"{backend:22} {kind:8} {result.texts_per_second:7.1f} texts/s  "
                f"p50 {result.latency_p50_ms:6.1f} ms  p99 {result.latency_p99_ms:6.1f} ms"
            )
        say(f"{backend}: loaded in {load_s:.1f} s")
        del encoder

    recall: list[dict[str, Any]] = []
    recall_note = ""
    if args.no_recall:
        recall_note = "recall not measured (--no-recall)"
    elif not (args.recall_set / "docs.jsonl").is_file():
        recall_note = f"recall not measured: {args.recall_set} is not here"
    else:
        recall = _recall(args, models_dir, say)

    machine = machine_description()
    payload = {
        "machine": machine,
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average_1min": os.getloadavg()[0],
        "batch_size": args.batch_size,
        "model_ids": model_ids,
        "speed": [r.to_dict() for r in speed],
        "recall": recall,
        "recall_note": recall_note,
    }
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    update_section("encode", _markdown(payload, args), path=args.markdown)
    print(f"wrote {args.json_out} and the encode section of {args.markdown}")


def _recall(args: argparse.Namespace, models_dir: Path, say: Callable[[str], None]) -> list[dict[str, Any]]:
    from eval.metrics import recall_at_k
    from models.factory import make_encoder

    docs = [
        json.loads(line) for line in (args.recall_set / "docs.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    queries = [
        json.loads(line)
        for line in (args.recall_set / "dev_queries.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    doc_ids = [str(d["docid"]) for d in docs]
    known = set(doc_ids)
    queries = [q for q in queries if str(q["docid"]) in known]
    results = []
    for max_length in [int(x) for x in args.recall_max_length.split(",") if x.strip()]:
        for backend in split_backends(args.recall_backends):
            started = time.perf_counter()
            encoder = make_encoder(backend, "active", models_dir, max_seq_length=max_length)
            ranked = dense_rankings(
                encoder, doc_ids, [d["text"] for d in docs], [q["question"] for q in queries], k=10
            )
            value = recall_at_k(ranked, [{str(q["docid"])} for q in queries], 10)
            seconds = time.perf_counter() - started
            say(f"recall@10 {backend} max_length={max_length}: {value:.4f} ({seconds:.0f} s)")
            results.append(
                {
                    "backend": backend,
                    "max_length": max_length,
                    "recall_at_10": value,
                    "n_queries": len(queries),
                    "n_docs": len(docs),
                    "seconds": seconds,
                    "set": args.recall_set.name,
                }
            )
    return results


def split_backends(text: str) -> list[str]:
    """Read a comma-separated list of encoder backends, refusing unknown names with the valid ones."""
    from models.factory import BACKENDS

    names = [b.strip() for b in text.split(",") if b.strip()]
    unknown = [b for b in names if b not in BACKENDS]
    if unknown:
        raise ValueError(f"unknown encoder backend {unknown[0]!r}; valid choices: {', '.join(BACKENDS)}")
    return names


def _markdown(payload: dict[str, Any], args: argparse.Namespace) -> str:
    speed = payload["speed"]
    kinds = ("short", "long", "profile")
    labels = {"short": "sentence", "long": "~500-char policy item", "profile": "~150-char enterprise profile"}
    baseline = {r["kind"]: r["texts_per_second"] for r in speed if r["backend"] == "sentence-transformers"}
    lines = [
        "## Encoders (`policymatch bench encode`)",
        "",
        f"Machine: {payload['machine']}; measured {payload['when']} "
        f"(1-minute load average at the end: {payload.get('load_average_1min', float('nan')):.1f}). Same texts for every backend "
        f"(synthetic 惠企政策 text shipped in `models/data`); throughput = texts/s at batch {payload['batch_size']}; "
        "latency = one text per call. × = throughput relative to sentence-transformers fp32 (torch).",
        "",
        "| backend | text | n | mean chars | texts/s | × ST fp32 | p50 ms | p99 ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in kinds:
        for r in (r for r in speed if r["kind"] == kind):
            ratio = r["texts_per_second"] / baseline[kind] if baseline.get(kind) else float("nan")
            lines.append(
                f"| {r['backend']} | {labels[kind]} | {r['n_texts']} | {r['mean_chars']:.0f} | "
                f"{r['texts_per_second']:.1f} | {ratio:.2f} | {r['latency_p50_ms']:.1f} | {r['latency_p99_ms']:.1f} |"
            )
    lines.append("")
    serving = {r["kind"]: r["texts_per_second"] for r in speed if r["backend"] == "onnx-int8"}
    if serving and baseline:
        ratios = ", ".join(
            f"×{serving[k] / baseline[k]:.1f} {labels[k]}" for k in kinds if k in serving and baseline.get(k)
        )
        by_backend = {(r["backend"], r["max_length"]): r["recall_at_10"] for r in payload["recall"]}
        gaps = [
            f"{100 * (by_backend[('onnx-int8', n)] - by_backend[('onnx', n)]):+.1f} points at max_length {n}"
            for (b, n) in by_backend
            if b == "onnx-int8" and ("onnx", n) in by_backend
        ]
        met = all(serving[k] >= 4 * baseline[k] for k in kinds if k in serving and baseline.get(k))
        lines += [
            f"Serving default (onnx-int8) vs sentence-transformers fp32 throughput: {ratios} "
            f"(goal ≥ ×4 on every kind: {'met' if met else 'not met'})"
            + (f"; recall@10 int8 − fp32: {', '.join(gaps)} (goal within 1 point)." if gaps else "."),
            "",
        ]
    if payload["recall"]:
        first = payload["recall"][0]
        lines += [
            f"Dense retrieval on `{first['set']}` ({first['n_docs']} documents, {first['n_queries']} questions; "
            "documents truncated at max_length tokens, query `query: `, document `passage: `):",
            "",
            "| backend | max_length | recall@10 | seconds (encode all + rank) |",
            "|---|---:|---:|---:|",
        ]
        for r in payload["recall"]:
            lines.append(
                f"| {r['backend']} | {r['max_length']} | {r['recall_at_10']:.4f} | {r['seconds']:.0f} |"
            )
        lines.append("")
    elif payload["recall_note"]:
        lines += [payload["recall_note"] + ".", ""]
    lines.append(
        f"Raw numbers: `{args.json_out}`. Models: "
        + ", ".join(sorted(set(payload["model_ids"].values())))
        + "."
    )
    return "\n".join(lines)
