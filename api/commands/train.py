"""``policymatch train`` (fine-tune the active encoder) and ``policymatch models promote`` (only if not worse)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction, group: Any) -> None:
    """Add ``train`` and ``models promote``."""
    train = sub.add_parser(
        "train", help="fine-tune the active encoder on labelled sets and feedback; registers a new version"
    )
    train.add_argument(
        "--retrieval-set",
        type=Path,
        action="append",
        default=[],
        help="retrieval set folder (its training split is used); repeatable",
    )
    train.add_argument(
        "--eligibility-set",
        type=Path,
        action="append",
        default=[],
        help="eligibility set folder, e.g. the demo's; repeatable",
    )
    train.add_argument(
        "--feedback",
        type=Path,
        action="append",
        default=[],
        help="exported feedback JSONL (policymatch feedback export); repeatable",
    )
    train.add_argument("--epochs", type=int, default=1)
    train.add_argument("--batch-size", type=int, default=16)
    train.add_argument(
        "--max-pairs", type=int, default=600, help="train on at most this many pairs (sampled with the seed)"
    )
    train.add_argument("--max-seq-length", type=int, default=160)
    train.add_argument("--learning-rate", type=float, default=2e-5)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument(
        "--test-fraction", type=float, default=0.3, help="share of documents held out for evaluation"
    )
    train.add_argument(
        "--no-negatives", action="store_true", help="in-batch negatives only (no BM25 hard negatives)"
    )
    train.add_argument(
        "--promote",
        action="store_true",
        help="promote the new version if it is not worse than the active one",
    )
    train.add_argument(
        "--benchmarks",
        action="store_true",
        help="write the run and its before/after evaluations into docs/benchmarks.md (section training)",
    )
    train.set_defaults(func=_train)

    promote = group("models").add_parser(
        "promote", help="make a version active, only if it is not worse than the active one"
    )
    promote.add_argument("version", help="the model version to promote, e.g. v2")
    promote.add_argument(
        "--retrieval-set",
        type=Path,
        action="append",
        default=[],
        help="evaluate both versions on this set's test split first",
    )
    promote.add_argument(
        "--eligibility-set",
        type=Path,
        action="append",
        default=[],
        help="evaluate both versions on this set's test split first",
    )
    promote.add_argument("--test-fraction", type=float, default=0.3)
    promote.add_argument("--seed", type=int, default=0)
    promote.add_argument(
        "--tolerance",
        type=float,
        default=0.0,
        help="how much worse a metric may be (default 0: not worse at all)",
    )
    promote.add_argument("--force", action="store_true", help="promote even when worse (recorded as forced)")
    promote.set_defaults(func=_promote)


def _train(args: argparse.Namespace) -> int:
    from corpus.settings import get_settings
    from eval.training import retrain
    from models.bootstrap import ensure_default_model
    from models.promote import PromotionRefused, promote
    from models.registry import ModelRegistry
    from models.train import TrainConfig

    settings = get_settings()
    if not (args.retrieval_set or args.eligibility_set or args.feedback):
        raise ValueError("give at least one of --retrieval-set, --eligibility-set, --feedback")
    ensure_default_model(settings.models_dir)
    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        max_seq_length=args.max_seq_length,
        seed=args.seed,
        max_pairs=args.max_pairs,
        use_negatives=not args.no_negatives,
    )
    run = retrain(
        models_dir=settings.models_dir,
        retrieval_sets=args.retrieval_set,
        eligibility_sets=args.eligibility_set,
        feedback_files=args.feedback,
        config=config,
        test_fraction=args.test_fraction,
        seed=args.seed,
        backend=settings.encoder_backend,
    )
    print(
        f"registered {run.version} (parent {run.parent}) after {run.seconds:.0f} s on {run.n_pairs} pairs: {dict(run.counts)}"
    )
    for version, evaluations in run.evaluations.items():
        for key, metrics in evaluations.items():
            shown = {k: round(v, 4) for k, v in metrics.items() if isinstance(v, float)}
            print(f"  {version} {key}: {json.dumps(shown)}")
    if args.benchmarks:
        from eval.benchfile import machine_description, update_section
        from eval.training import training_markdown

        update_section(
            "training",
            f"## Training\n\nMachine: {machine_description()}.\n\n"
            + training_markdown(settings.models_dir, run.version),
        )
    if args.promote:
        try:
            promote(ModelRegistry(settings.models_dir), run.version)
            print(f"promoted {run.version}; re-index with the new model through the atomic index switch")
        except PromotionRefused as exc:
            print(f"policymatch: {exc}")
            return 1
    return 0


def _promote(args: argparse.Namespace) -> int:
    from corpus.settings import get_settings
    from models.promote import promote
    from models.registry import ModelRegistry

    settings = get_settings()
    registry = ModelRegistry(settings.models_dir)
    registry.get(args.version)
    if args.retrieval_set or args.eligibility_set:
        from eval.leakage import split_eligibility_set, split_retrieval_set
        from eval.sets import read_eligibility_set, read_retrieval_set
        from eval.training import evaluate_versions

        held_out: list[object] = []
        for path in args.retrieval_set:
            held_out.append(
                split_retrieval_set(
                    read_retrieval_set(path), test_fraction=args.test_fraction, seed=args.seed
                ).test
            )
        for path in args.eligibility_set:
            eset = read_eligibility_set(path)
            held_out.append(
                (
                    eset,
                    split_eligibility_set(eset, test_fraction=args.test_fraction, seed=args.seed).test_items,
                )
            )
        active = registry.active_version()
        versions = [v for v in (active, args.version) if v]
        evaluate_versions(
            versions, held_out, models_dir=settings.models_dir, backend=settings.encoder_backend
        )
    decision = promote(registry, args.version, tolerance=args.tolerance, force=args.force)
    for c in decision.comparisons:
        print(
            f"  {c.evaluation} {c.key}: {args.version} {c.candidate:.4f} vs {decision.active} {c.active:.4f}{'  WORSE' if c.worse else ''}"
        )
    forced = " (forced, though worse: " + "; ".join(decision.reasons) + ")" if decision.reasons else ""
    print(f"promoted {args.version}{forced}; re-index with the new model through the atomic index switch")
    return 0
