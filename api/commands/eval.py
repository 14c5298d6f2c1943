"""``policymatch eval eligibility`` and ``policymatch eval retrieval`` (``eval extraction`` is matcher's)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from api.commands import flag


def register(sub: argparse._SubParsersAction, group: Any) -> None:
    """Add ``eval retrieval`` and ``eval eligibility``."""
    evals = group("eval")

    retrieval = evals.add_parser(
        "retrieval", help="compare retrieval systems side by side on a labelled retrieval set"
    )
    retrieval.add_argument(
        "--set", dest="set_dir", type=Path, required=True, help="folder with docs.jsonl and queries.jsonl"
    )
    retrieval.add_argument(
        "--report", type=Path, required=True, help="report folder to write (metrics.json, summary.md, plots)"
    )
    retrieval.add_argument(
        "--systems",
        default="bm25,tfidf-char,tfidf-jieba,dense,hybrid,fusion-zscore,fusion-rrf",
        help="comma-separated: bm25, passage, tfidf-char, tfidf-jieba, dense, hybrid (served), fusion-zscore, fusion-rrf (default: all)",
    )
    retrieval.add_argument(
        "--backends",
        default=None,
        help="encoder backends for dense, comma-separated (default: the serving backend)",
    )
    retrieval.add_argument(
        "--models",
        default="active",
        help="model versions for dense: 'active', 'all' or comma-separated versions",
    )
    retrieval.add_argument(
        "--split",
        choices=("all", "train", "test"),
        default="all",
        help="questions to use: all, or one side of the split by document",
    )
    retrieval.add_argument(
        "--test-fraction",
        type=float,
        default=0.3,
        help="share of documents whose questions are test questions",
    )
    retrieval.add_argument("--seed", type=int, default=0, help="seed of the split by document")
    retrieval.add_argument(
        "--max-queries", type=int, default=None, help="score only the first N questions (quick runs)"
    )
    retrieval.add_argument(
        "--max-chunks",
        type=int,
        default=None,
        help="read each document as this many consecutive 480-character chunks (default: the served windows)",
    )
    retrieval.add_argument(
        "--benchmarks",
        metavar="NAME",
        default=None,
        help="also write the table and plot into docs/benchmarks.md, section evaluation-NAME",
    )
    retrieval.set_defaults(func=_retrieval)

    eligibility = evals.add_parser(
        "eligibility",
        help="score what the service says against the truth: the real corpus (default) or a labelled eligibility set",
    )
    from eval.real_cli import add_corpus_arguments, add_set_argument, register_agreement, register_corpus

    add_set_argument(eligibility, "folder with items.jsonl, profiles.jsonl, truth.jsonl")
    eligibility.add_argument("--report", type=Path, required=True, help="report folder to write")
    flag(
        eligibility, "--gold-conditions", "judge on the set's true conditions: scores the verdict logic alone"
    )
    flag(
        eligibility,
        "--direct",
        "judge each pair with judge_item directly instead of ingesting the set into a temporary store "
        "and reading the service's 精准推送 target lists (the default)",
    )
    eligibility.add_argument(
        "--benchmarks",
        metavar="NAME",
        default=None,
        help="also write the numbers and plot into docs/benchmarks.md, section evaluation-NAME",
    )
    from eval.real_profiles import PROFILES_PATH

    add_corpus_arguments(eligibility)
    eligibility.add_argument(
        "--profiles", type=Path, default=PROFILES_PATH, help="profiles of the real corpus (profiles.jsonl)"
    )
    flag(eligibility, "--no-ranking", "skip the 智能匹配 ranking figures (faster)")
    eligibility.set_defaults(func=_eligibility)
    register_corpus(evals)
    register_agreement(evals)


def _print_metrics(metrics: dict[str, Any], keys: tuple[str, ...]) -> None:
    shown = {k: round(metrics[k], 4) if isinstance(metrics.get(k), float) else metrics.get(k) for k in keys}
    print(json.dumps(shown, ensure_ascii=False))


def _retrieval(args: argparse.Namespace) -> int:
    from api.settings import get_settings
    from eval.compare import build_systems
    from eval.leakage import split_retrieval_set
    from eval.runners import run_retrieval
    from eval.sets import read_retrieval_set

    settings = get_settings()
    rset = read_retrieval_set(args.set_dir)
    extra: dict[str, Any] = {}
    if args.split != "all":
        split = split_retrieval_set(rset, test_fraction=args.test_fraction, seed=args.seed)
        rset = split.train if args.split == "train" else split.test
        extra["split"] = {
            "part": args.split,
            "test_fraction": args.test_fraction,
            "seed": args.seed,
            "leakage": split.report.to_dict(),
        }
    if args.max_queries:
        rset = rset.subset(
            [q.qid for q in rset.queries[: args.max_queries]], f"{rset.name}[:{args.max_queries}]"
        )
    backends = args.backends.split(",") if args.backends else [settings.encoder_backend]
    if set(args.systems.split(",")) - {"bm25", "passage", "tfidf-char", "tfidf-jieba"}:
        from models.bootstrap import ensure_default_model

        ensure_default_model(settings.models_dir, progress=False)
    built = build_systems(
        args.systems.split(","),
        backends=backends,
        models=args.models,
        models_dir=settings.models_dir,
        max_chunks=args.max_chunks,
    )
    extra.update(built.versions)
    run = run_retrieval(rset, built.systems, served=built.served, extra=extra)
    run.write(args.report)
    print(run.summary_markdown())
    if args.benchmarks:
        from eval.report import publish_section

        publish_section(
            f"evaluation-{args.benchmarks}",
            f"Retrieval on `{rset.name}`: {run.n_queries} questions, {run.n_docs} documents",
            run.summary_markdown(),
            args.report,
            run.set_sha256,
            extra=f"Command: `policymatch eval retrieval --set {args.set_dir.name} --split {args.split} --systems {args.systems}`.",
        )
    _print_metrics(run.metrics(), ("served", "recall@1", "recall@10", "mrr", "ndcg@10"))
    return 0


def _eligibility(args: argparse.Namespace) -> int:
    from api.settings import get_settings
    from models.bootstrap import ensure_default_model
    from models.factory import make_encoder

    settings = get_settings()
    # The active model judges `semantic` conditions, as the service does.
    ensure_default_model(settings.models_dir, progress=False)
    encoder = make_encoder(settings.encoder_backend, "active", settings.models_dir)
    if args.set_dir is None:
        from eval.real_cli import eligibility_command

        return eligibility_command(args, encoder)
    from eval.eligibility_run import run_eligibility
    from eval.sets import read_eligibility_set
    from models.registry import ModelRegistry

    eset = read_eligibility_set(args.set_dir)
    version = ModelRegistry(settings.models_dir).active().version
    run = run_eligibility(
        eset,
        mode="gold-conditions" if args.gold_conditions else "extracted",
        encoder=encoder,
        path="direct" if args.direct else "service",
        extra={
            "model_version": version,
            "encoder_backend": settings.encoder_backend,
            "model_id": encoder.model_id,
        },
    )
    run.write(args.report)
    if args.benchmarks:
        from eval.report import publish_section

        summary = (args.report / "summary.md").read_text(encoding="utf-8").split("\n", 2)[2]
        publish_section(
            f"evaluation-{args.benchmarks}",
            f"Eligibility on `{eset.path.name}` ({run.mode})",
            summary.split("![")[0].strip(),
            args.report,
            eset.sha256,
            extra=f"Model {version} ({settings.encoder_backend}) judges `semantic` conditions.",
        )
    _print_metrics(
        run.metrics(), ("mode", "path", "verdict_accuracy", "eligible_precision", "eligible_recall")
    )
    return 0
