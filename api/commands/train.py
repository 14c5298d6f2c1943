"""``policymatch train`` (fine-tune the active encoder), ``models promote`` (only if not worse) and ``models report``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from api.commands import flag


def register(sub: argparse._SubParsersAction, group: Any) -> None:
    """Add ``train``, ``models promote`` and ``models report``."""
    train = sub.add_parser(
        "train", help="fine-tune the active encoder on labelled sets and feedback; registers a new version"
    )
    _add_folders(train, "--retrieval-set", "retrieval set folder (its training split is used); repeatable")
    _add_folders(train, "--eligibility-set", "eligibility set folder, e.g. the demo's; repeatable")
    _add_folders(train, "--feedback", "exported feedback JSONL (policymatch feedback export); repeatable")
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
    flag(train, "--no-negatives", "in-batch negatives only (no BM25 hard negatives)")
    flag(train, "--promote", "promote the new version if it is not worse than the active one")
    _report_arguments(
        train, "write the run and its before/after comparison into docs/benchmarks.md (section training)"
    )
    train.set_defaults(func=_train)

    report = group("models").add_parser(
        "report",
        help="compare a fine-tuned version with its parent on held-out splits, every system; optionally into docs",
    )
    report.add_argument("version", help="the fine-tuned version, e.g. v2")
    _add_folders(
        report,
        "--retrieval-set",
        "retrieval set folder whose test split both versions are compared on; repeatable",
    )
    report.add_argument("--test-fraction", type=float, default=0.3)
    report.add_argument("--seed", type=int, default=0)
    report.add_argument(
        "--command",
        default="",
        help="the training command to quote in the section when the version's training config has none",
    )
    report.add_argument(
        "--note",
        action="append",
        default=[],
        help="a paragraph to add at the end of the section (a reading of the numbers, history); repeatable",
    )
    _report_arguments(
        report,
        "write the comparison into docs/benchmarks.md (section training), plots into docs/img/training-*",
    )
    report.set_defaults(func=_report)

    promote = group("models").add_parser(
        "promote", help="make a version active, only if it is not worse than the active one"
    )
    promote.add_argument("version", help="the model version to promote, e.g. v2")
    _add_folders(promote, "--retrieval-set", "evaluate both versions on this set's test split first")
    _add_folders(promote, "--eligibility-set", "evaluate both versions on this set's test split first")
    promote.add_argument("--test-fraction", type=float, default=0.3)
    promote.add_argument("--seed", type=int, default=0)
    promote.add_argument(
        "--tolerance",
        type=float,
        default=0.0,
        help="how much worse a metric may be (default 0: not worse at all)",
    )
    flag(promote, "--force", "promote even when worse (recorded as forced)")
    promote.set_defaults(func=_promote)


def _train(args: argparse.Namespace) -> int:
    from api.settings import get_settings
    from eval.retrain import retrain
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
    if args.report or args.benchmarks:
        _compare_and_publish(
            args,
            settings,
            run.version,
            args.retrieval_set,
            command="policymatch " + " ".join(_argv()),
        )
    if args.promote:
        registry = ModelRegistry(settings.models_dir)
        before = registry.active_version()
        try:
            promote(registry, run.version)
        except PromotionRefused as exc:
            _record_promotion(registry, run.version, before, "refused", str(exc))
            print(f"policymatch: {exc}")
            return 1
        message = f"promoted {run.version}; re-index with the new model through the atomic index switch"
        _record_promotion(registry, run.version, before, "promoted", message)
        print(message)
    return 0


def _argv() -> list[str]:
    import shlex
    import sys

    return [shlex.quote(a) for a in sys.argv[1:]]


def _add_folders(parser: argparse.ArgumentParser, flag: str, help_text: str) -> None:
    """Add a repeatable path option (``flag`` given once per folder or file), empty by default."""
    parser.add_argument(flag, type=Path, action="append", default=[], help=help_text)


def _report_arguments(parser: argparse.ArgumentParser, benchmarks_help: str) -> None:
    """Add what ``train`` and ``models report`` both take: the report folder, the evaluation and ``--benchmarks``."""
    parser.add_argument(
        "--report",
        type=Path,
        default=None,
        help="folder for the before/after report folders (every system, both versions, each held-out split)",
    )
    _add_folders(
        parser,
        "--evaluate-eligibility-set",
        "eligibility set whose held-out items both versions are judged on (not trained on); repeatable",
    )
    parser.add_argument(
        "--dense-backends",
        default="",
        help="further encoder backends to run dense with, per version, comma-separated (e.g. onnx for fp32)",
    )
    parser.add_argument(
        "--max-chunks",
        type=int,
        default=None,
        help="dense systems read this many consecutive 480-character chunks per document "
        "(default: the served retriever's windows)",
    )
    flag(parser, "--benchmarks", benchmarks_help)


def _compare_and_publish(
    args: argparse.Namespace,
    settings: Any,
    version: str,
    retrieval_sets: list[Path],
    *,
    command: str,
    notes: tuple[str, ...] = (),
) -> None:
    import tempfile

    from eval.leakage import split_retrieval_set
    from eval.sets import read_retrieval_set
    from eval.training_compare import compare_eligibility, compare_retrieval
    from eval.training_report import training_section
    from models.registry import ModelRegistry

    parent = ModelRegistry(settings.models_dir).get(version).parent
    if parent is None:
        raise ValueError(f"{version} has no parent: it was not produced by policymatch train")
    report_dir = args.report or Path(tempfile.mkdtemp(prefix="policymatch-training-"))
    held_out = [
        split_retrieval_set(read_retrieval_set(p), test_fraction=args.test_fraction, seed=args.seed).test
        for p in retrieval_sets
    ]
    retrieval = compare_retrieval(
        parent,
        version,
        held_out,
        models_dir=settings.models_dir,
        report_dir=report_dir,
        backend=settings.encoder_backend,
        max_chunks=args.max_chunks,
        dense_backends=[b.strip() for b in args.dense_backends.split(",") if b.strip()],
    )
    for comparison in retrieval:
        print(f"{comparison.run.set_name}: report in {comparison.report_dir}")
        print(comparison.run.summary_markdown())
    eligibility = compare_eligibility(
        parent,
        version,
        args.evaluate_eligibility_set,
        models_dir=settings.models_dir,
        report_dir=report_dir,
        backend=settings.encoder_backend,
        test_fraction=args.test_fraction,
        seed=args.seed,
    )
    for elig in eligibility:
        for v, erun in elig.runs.items():
            m = erun.metrics()
            print(
                f"{erun.set_name}:test {v}: verdict accuracy {m['verdict_accuracy']:.4f}, "
                f"eligible precision {m['eligible_precision']:.4f}, eligible recall {m['eligible_recall']:.4f}"
            )
    # Plots go under docs/img only when the section goes into docs/benchmarks.md.
    section = training_section(
        settings.models_dir,
        version,
        retrieval,
        eligibility,
        command=command,
        notes=notes,
        docs=Path("docs") if args.benchmarks else report_dir,
    )
    (report_dir / "training.md").write_text(section + "\n", encoding="utf-8")
    print(f"section written to {report_dir / 'training.md'}")
    if args.benchmarks:
        from eval.benchfile import update_section

        print(f"updated {update_section('training', section)} (section training)")


def _report(args: argparse.Namespace) -> int:
    from api.settings import get_settings

    settings = get_settings()
    if not args.retrieval_set:
        raise ValueError("give at least one --retrieval-set to compare the versions on")
    _compare_and_publish(
        args, settings, args.version, args.retrieval_set, command=args.command, notes=tuple(args.note)
    )
    return 0


def _record_promotion(
    registry: Any, version: str, active_before: str | None, outcome: str, message: str
) -> None:
    """Keep what ``models promote`` said in the candidate's manifest (the training section quotes it)."""
    import datetime as dt

    from models.promote import PROMOTION

    registry.set_metrics(
        version,
        {
            PROMOTION: {
                "outcome": outcome,
                "message": message,
                "active_before": active_before,
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
        },
    )


def _promote(args: argparse.Namespace) -> int:
    from api.settings import get_settings
    from models.promote import PromotionRefused, promote
    from models.registry import ModelRegistry

    settings = get_settings()
    registry = ModelRegistry(settings.models_dir)
    registry.get(args.version)
    if args.retrieval_set or args.eligibility_set:
        from eval.leakage import split_eligibility_set, split_retrieval_set
        from eval.retrain import evaluate_versions
        from eval.sets import read_eligibility_set, read_retrieval_set

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
    before = registry.active_version()
    try:
        decision = promote(registry, args.version, tolerance=args.tolerance, force=args.force)
    except PromotionRefused as exc:
        _record_promotion(registry, args.version, before, "refused", str(exc))
        raise
    for c in decision.comparisons:
        print(
            f"  {c.evaluation} {c.key}: {args.version} {c.candidate:.4f} vs {decision.active} {c.active:.4f}{'  WORSE' if c.worse else ''}"
        )
    forced = " (forced, though worse: " + "; ".join(decision.reasons) + ")" if decision.reasons else ""
    message = f"promoted {args.version}{forced}; re-index with the new model through the atomic index switch"
    _record_promotion(registry, args.version, before, "forced" if forced else "promoted", message)
    print(message)
    return 0
