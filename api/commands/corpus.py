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


def register(sub: argparse._SubParsersAction, group: Any) -> None:  # type: ignore[type-arg]
    """Add ``ingest policies``, ``ingest enterprises`` and the demo command when present."""
    ingest = group("ingest")

    policies = ingest.add_parser(
        "policies",
        help="split, extract and store policy documents (.txt .md .html .docx, .jsonl one per line)",
    )
    policies.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    policies.add_argument("--strict", action="store_true", help="store nothing if any record has an error")
    policies.add_argument("--batch-size", type=int, default=50, help="documents per transaction (default 50)")
    policies.add_argument("--quiet", action="store_true", help="no progress bar")
    policies.set_defaults(func=_ingest_policies)

    enterprises = ingest.add_parser(
        "enterprises", help="validate and store enterprise profiles (.jsonl, .csv)"
    )
    enterprises.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    enterprises.add_argument("--strict", action="store_true", help="store nothing if any record has an error")
    enterprises.add_argument(
        "--batch-size", type=int, default=5000, help="profiles per transaction (default 5000)"
    )
    enterprises.add_argument("--quiet", action="store_true", help="no progress bar")
    enterprises.set_defaults(func=_ingest_enterprises)

    # --- demo (corpus.demo, H3) ---------------------------------------------------------------
    # The demo generator registers `policymatch demo` here: define `_register_demo(sub, group)`
    # in this module and it is called below, so the ingest commands above need no change.
    register_demo = globals().get("_register_demo")
    if callable(register_demo):
        register_demo(sub, group)


def _open_store() -> Any:
    from corpus.settings import get_settings
    from corpus.store import open_store

    return open_store(get_settings().store_path)


def _run(args: argparse.Namespace, kind: str) -> int:
    from matcher.ingest import IngestFailed, ingest_enterprises, ingest_policies

    ingest = ingest_policies if kind == "policies" else ingest_enterprises
    store = _open_store()
    try:
        report = ingest(
            store,
            list(args.paths),
            strict=args.strict,
            progress=not args.quiet,
            batch_size=args.batch_size,
            audit_actor="cli",
        )
    except IngestFailed as failed:
        print(failed.report.summary())
        return 2
    finally:
        store.close()
    print(report.summary())
    if kind == "policies" and report.stored:
        print(
            "the search index picks up changed policies on the next `policymatch index build` or service start"
        )
    return 0 if report.ok else 1


def _ingest_policies(args: argparse.Namespace) -> int:
    return _run(args, "policies")


def _ingest_enterprises(args: argparse.Namespace) -> int:
    return _run(args, "enterprises")
