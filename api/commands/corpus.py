"""``policymatch ingest policies|enterprises`` (and, from the demo generator, ``demo``).

Ingest commands read files, split and extract policies, validate profiles,
and write to the store under the data directory; they print a summary with
counts and every error as ``file:line: field: message``. Exit status: 0 when
everything went in, 1 when some records were kept out, 2 (with ``--strict``)
when nothing was stored.
"""

from __future__ import annotations

import argparse
from typing import Any

from api.commands import flag
from api.commands.store_access import cli_store, open_cli_store


def register(sub: argparse._SubParsersAction, group: Any) -> None:
    """Add ``ingest policies``, ``ingest enterprises`` and the demo command when present."""
    ingest = group("ingest")

    policies = _ingest_command(
        ingest,
        "policies",
        "split, extract and store policy documents (.txt .md .html .docx, .jsonl one per line)",
        "documents",
        50,
    )
    policies.set_defaults(func=_ingest_policies)

    enterprises = _ingest_command(
        ingest, "enterprises", "validate and store enterprise profiles (.jsonl, .csv)", "profiles", 5000
    )
    enterprises.add_argument(
        "--empty",
        choices=("keep", "clear"),
        default="keep",
        help=(
            'what an empty cell (or "" in JSONL) means: keep the stored value (default) or clear it to unknown; '
            "columns a file does not carry are never touched"
        ),
    )
    enterprises.set_defaults(func=_ingest_enterprises)
    _register_demo(sub, group)


def _ingest_command(
    ingest: argparse._SubParsersAction, name: str, help: str, records: str, batch_size: int
) -> argparse.ArgumentParser:
    """Add one ``ingest`` subcommand with the options :func:`_run` reads (paths, strict, batch size, quiet)."""
    parser: argparse.ArgumentParser = ingest.add_parser(name, help=help)
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    flag(parser, "--strict", "store nothing if any record has an error")
    parser.add_argument(
        "--batch-size", type=int, default=batch_size, help=f"{records} per transaction (default {batch_size})"
    )
    flag(parser, "--quiet", "no progress bar")
    return parser


def _run(args: argparse.Namespace, kind: str) -> int:
    from api.settings import get_settings
    from corpus.loaders import FileCaps
    from matcher.ingest import IngestFailed, ingest_enterprises, ingest_policies

    settings = get_settings()
    store = open_cli_store()
    try:
        # What both ingests take from the command line.
        common: dict[str, Any] = {
            "strict": args.strict,
            "progress": not args.quiet,
            "batch_size": args.batch_size,
            "audit_actor": "cli",
        }
        if kind == "policies":
            # The same caps as POST /v1/policies: a hostile file is reported, the others still go in.
            report = ingest_policies(
                store,
                list(args.paths),
                **common,
                budget_s=settings.extraction_budget_s,
                max_chars=settings.max_policy_text_chars,
                file_caps=FileCaps.from_settings(settings),
                home_region=settings.home_region,
            )
        else:
            report = ingest_enterprises(store, list(args.paths), **common, empty=args.empty)
    except IngestFailed as failed:
        print(failed.report.summary())
        return 2
    finally:
        store.close()
    print(report.summary())
    if kind == "policies" and report.stored:
        print(
            "a running `policymatch serve` applies them within seconds (its change feed); "
            "`policymatch index build` writes a fresh index version from the store"
        )
    return 0 if report.ok else 1


def _ingest_policies(args: argparse.Namespace) -> int:
    return _run(args, "policies")


def _ingest_enterprises(args: argparse.Namespace) -> int:
    return _run(args, "enterprises")


# --- demo (corpus.demo) ---------------------------------------------------------------------------


def _register_demo(sub: argparse._SubParsersAction, group: Any) -> None:
    """Add ``demo``: load the demo corpus into an empty store, or write its labelled sets / JSONL files."""
    demo = sub.add_parser(
        "demo",
        help="load the demo corpus (Taizhou policies + enterprises) when the store is empty, or write its labelled sets",
    )
    demo.add_argument("--seed", type=int, default=None, help="generator seed (default from settings: 20241)")
    demo.add_argument(
        "--policies", type=int, default=None, help="policy documents (default 200, ≈6 items each)"
    )
    demo.add_argument("--enterprises", type=int, default=None, help="enterprise profiles (default 10000)")
    demo.add_argument(
        "--style",
        choices=("realistic", "plain"),
        default="realistic",
        help="with --write-set/--export: realistic (default), the shapes of real Taizhou/Zhejiang policies "
        "with their truth in conditions v2; "
        "plain: the first generator's regular text",
    )
    demo.add_argument(
        "--write-set",
        metavar="DIR",
        default=None,
        help="write DIR/eligibility (items, profiles, truth) and DIR/retrieval (docs, queries) instead of loading",
    )
    demo.add_argument("--set-items", type=int, default=300, help="items of the eligibility set (default 300)")
    demo.add_argument(
        "--set-profiles", type=int, default=200, help="profiles of the eligibility set (default 200)"
    )
    demo.add_argument(
        "--set-queries", type=int, default=300, help="questions of the retrieval set (default 300)"
    )
    demo.add_argument(
        "--export",
        metavar="DIR",
        default=None,
        help="write DIR/policies.jsonl (POST /v1/policies shape) and DIR/enterprises.jsonl instead of loading",
    )
    flag(demo, "--quiet", "no progress bar")
    demo.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    import json
    import time
    from pathlib import Path

    from api.settings import get_settings
    from corpus.demo import generate, write_eligibility_set, write_retrieval_set

    settings = get_settings()
    seed = settings.demo_seed if args.seed is None else args.seed
    n_policies = settings.demo_policies if args.policies is None else args.policies
    n_enterprises = settings.demo_enterprises if args.enterprises is None else args.enterprises
    if n_policies < 0 or n_enterprises < 0:
        raise ValueError("--policies and --enterprises must not be negative")

    if args.write_set or args.export:
        corpus = generate(seed, n_policies, n_enterprises, style=args.style)
        if args.write_set:
            out = Path(args.write_set)
            eligibility = write_eligibility_set(
                corpus, out / "eligibility", n_items=args.set_items, n_profiles=args.set_profiles
            )
            levels = ", ".join(f"{level} {count}" for level, count in eligibility.levels)
            print(
                f"eligibility set: {eligibility.n_items} items × {eligibility.n_profiles} profiles = "
                f"{eligibility.n_pairs} pairs ({levels}) in {eligibility.out_dir}"
            )
            retrieval = write_retrieval_set(corpus, out / "retrieval", n_queries=args.set_queries)
            print(
                f"retrieval set: {retrieval.n_docs} docs, {retrieval.n_queries} questions "
                f"({retrieval.mean_relevant:.1f} relevant items each) in {retrieval.out_dir}"
            )
        if args.export:
            out = Path(args.export)
            out.mkdir(parents=True, exist_ok=True)
            started = time.perf_counter()
            with (out / "policies.jsonl").open("w", encoding="utf-8") as handle:
                for policy in corpus.policies:
                    handle.write(json.dumps(policy.to_record(), ensure_ascii=False) + "\n")
            with (out / "enterprises.jsonl").open("w", encoding="utf-8") as handle:
                for profile in corpus.iter_enterprises():
                    handle.write(json.dumps(profile, ensure_ascii=False) + "\n")
            print(
                f"wrote {len(corpus.policies)} policies and {n_enterprises} enterprises to {out} "
                f"in {time.perf_counter() - started:.1f} s"
            )
        return 0

    from matcher.demo import ensure_demo

    with cli_store() as store:
        report = ensure_demo(
            store, seed=seed, n_policies=n_policies, n_enterprises=n_enterprises, progress=not args.quiet
        )
    print(report.summary())
    if not report.loaded:
        return 0
    for part in (report.policy_report, report.enterprise_report):
        if part is not None and not part.ok:
            print(part.summary())
            return 1
    print("a running `policymatch serve` applies the demo within seconds (its change feed)")
    return 0
