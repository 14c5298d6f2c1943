"""``policymatch eval extraction --set DIR --report OUT``: extraction P/R/F1 on a labelled set."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction, group) -> None:
    """Add ``eval extraction`` to the ``eval`` group."""
    parser = group("eval").add_parser(
        "extraction",
        help="score extracted conditions: the real corpus (default), a labelled set, or the old real annotations",
    )
    from eval.real_cli import add_corpus_arguments, add_set_argument

    add_corpus_arguments(parser)
    parser.add_argument(
        "--read",
        choices=("served", "entries"),
        default="served",
        help="real corpus: score what the store serves (default) or the extractor's v2 reading (Extraction.entries)",
    )
    parser.add_argument(
        "--benchmarks",
        metavar="NAME",
        default=None,
        help="real corpus: also write docs/benchmarks.md section real-extraction-NAME",
    )
    add_set_argument(parser, "labelled set folder, or eval/sets/ncp_extraction")
    parser.add_argument("--report", type=Path, required=True, help="output folder for metrics.json")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from eval.extraction_eval import run_eval

    if args.set_dir is None:
        from eval.real_cli import extraction_command

        return extraction_command(args)
    if not args.set_dir.is_dir():
        raise FileNotFoundError(f"--set {args.set_dir} is not a folder")
    metrics = run_eval(args.set_dir, args.report, shared_dir=args.shared)
    summary = {k: metrics[k] for k in ("precision", "recall", "f1", "n_items", "n_true_conditions")}
    print(json.dumps(summary, ensure_ascii=False))
    print(f"wrote {args.report / 'metrics.json'}")
    return 0
