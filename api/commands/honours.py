"""``policymatch honours import|reverse|list|show``: honour lists (荣誉认定名单) as reversible qualification grants."""

from __future__ import annotations

import argparse
import json
from typing import Any

from api.commands import flag
from api.commands.store_access import cli_store, found, print_records


def register(sub: argparse._SubParsersAction, group: Any) -> None:
    """Add the ``honours`` group."""
    honours = group("honours")
    load = honours.add_parser(
        "import",
        help="grant a list's title to the enterprises it names (USCC first, exact name second); reversible",
    )
    load.add_argument(
        "path", help="the list: .csv or .jsonl (columns uscc/统一社会信用代码, name/企业名称, title, ...)"
    )
    load.add_argument(
        "--title", default=None, help="the title every row is granted (when the list has no column)"
    )
    load.add_argument(
        "--level", default=None, help="its level (国家 / 省 / 市 / 县; default from the taxonomy)"
    )
    load.add_argument("--year", default=None, help="the year granted (when the list has no column)")
    load.add_argument("--issuer", default=None, help="the body that granted it (认定机构)")
    load.add_argument(
        "--expires", default=None, help="YYYY-MM-DD it holds until (default: from the taxonomy's validity)"
    )
    flag(load, "--dry-run", "report what would happen, write nothing")
    flag(load, "--json", "print the report as JSON")
    load.set_defaults(func=_import)

    reverse = honours.add_parser("reverse", help="put every profile an import changed back as it was")
    reverse.add_argument("import_id")
    flag(reverse, "--force", "reverse even profiles changed after the import (undoes those changes)")
    reverse.set_defaults(func=_reverse)

    listing = honours.add_parser("list", help="list honour imports, newest first")
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(func=_list)

    show = honours.add_parser("show", help="one import: its summary and the grants per enterprise (JSON)")
    show.add_argument("import_id")
    show.set_defaults(func=_show)


def _import(args: argparse.Namespace) -> int:
    from corpus.honours import import_honours, read_honour_list

    defaults = {
        "title": args.title,
        "level": args.level,
        "year": args.year,
        "issuer": args.issuer,
        "expires": args.expires,
    }
    rows, errors = read_honour_list(args.path, defaults)
    with cli_store() as store:
        report = import_honours(
            store, rows, actor="cli", source=str(args.path), errors=errors, dry_run=args.dry_run
        )
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1) if args.json else report.summary())
    if report.import_id and not args.json:
        print(f"reverse it with: policymatch honours reverse {report.import_id}")
    return 0 if not report.unmatched and not report.errors else 1


def _reverse(args: argparse.Namespace) -> int:
    from corpus.honours import reverse_import

    with cli_store() as store:
        report = reverse_import(store, args.import_id, actor="cli", force=args.force)
    print(
        f"import {report.import_id} reversed: {len(report.restored)} profiles restored"
        + (f", {len(report.gone)} deleted since (left deleted)" if report.gone else "")
        + (f", {len(report.changed_since)} changed since (restored: --force)" if report.changed_since else "")
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    with cli_store() as store:
        imports = store.list_imports("honours", limit=args.limit)
    print_records(imports, False, _import_line, empty="no honour imports")
    return 0


def _import_line(record: Any) -> str:
    summary = record.summary
    state = f"reversed {record.reversed_at}" if record.reversed_at else "active"
    return (
        f"{record.id}  {record.at[:19]}  {record.actor:<12} {summary.get('changed', 0):>5} changed "
        f"{len(summary.get('unmatched', [])):>4} unmatched  {state}  {record.source}"
    )


def _show(args: argparse.Namespace) -> int:
    with cli_store() as store:
        record = found(
            store.get_import(args.import_id),
            f"no import {args.import_id!r}; `policymatch honours list` shows them",
        )
    print(json.dumps(record.to_dict(rows=True), ensure_ascii=False, indent=1))
    return 0
