"""``policymatch ledger ingest|list``, ``policymatch risk colours|duplicates|monitoring|groups|payout``, ``bench duplicates``."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from api.commands import flag
from api.commands.store_access import cli_store, open_cli_store, print_records


def register(sub: argparse._SubParsersAction, group: Any) -> None:
    """Add the ledger and risk commands."""
    ledger = group("ledger")
    ingest = ledger.add_parser(
        "ingest", help="append ledger rows from CSV or JSONL (bad lines named, nothing of them written)"
    )
    ingest.add_argument("path", help="a .csv (header row) or .jsonl file")
    ingest.add_argument("--batch-size", type=int, default=500, help="rows per transaction")
    flag(ingest, "--strict", "write nothing when any line is bad (default: write the good lines)")
    ingest.set_defaults(func=_ledger_ingest)
    listing = ledger.add_parser("list", help="print ledger rows (JSON lines)")
    listing.add_argument("--enterprise", default=None)
    listing.add_argument("--item", default=None)
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(func=_ledger_list)

    risk = group("risk")
    colours = risk.add_parser("colours", help="三色预警 of every enterprise with its reasons")
    colours.add_argument("--colour", choices=("green", "yellow", "red"), default=None)
    flag(colours, "--json")
    colours.set_defaults(func=_colours)
    duplicates = risk.add_parser(
        "duplicates", help="duplicate benefits held now (就高不重复, 同一法人多部门)"
    )
    flag(duplicates, "--json")
    duplicates.set_defaults(func=_duplicates)
    monitoring = risk.add_parser(
        "monitoring", help="多发、错发、漏发 per item and department (loads the matcher)"
    )
    flag(monitoring, "--json")
    monitoring.set_defaults(func=_monitoring)
    groups = risk.add_parser("group", help="set a 就高不重复 group's items (none: remove it)")
    groups.add_argument("group_id")
    groups.add_argument("items", nargs="*")
    groups.add_argument("--label", default="")
    groups.set_defaults(func=_group)
    payout = risk.add_parser(
        "payout", help="the 免申即享 list of an item fit to pay from (loads the matcher)"
    )
    payout.add_argument("policy_id")
    payout.add_argument("item_id")
    flag(payout, "--export", "record it as an export (checksum, audit row)")
    payout.set_defaults(func=_payout)

    bench = group("bench")
    dup = bench.add_parser(
        "duplicates", help="duplicate-benefit detection P/R on generated ledgers with planted duplicates"
    )
    dup.add_argument("--seeds", type=int, default=5)
    dup.add_argument("--persons", type=int, default=300)
    dup.add_argument("--plants", type=int, default=60)
    flag(dup, "--no-write", "print only; leave docs/benchmarks.md alone")
    dup.set_defaults(func=_bench_duplicates)


def _ledger_ingest(args: argparse.Namespace) -> int:
    from corpus.ledger import read_ledger_file

    path = Path(args.path)
    if not path.is_file():
        raise FileNotFoundError(f"no ledger file at {path}")
    if args.batch_size < 1:
        raise ValueError("--batch-size must be at least 1")
    rows, errors = read_ledger_file(path)
    for error in errors:
        print(f"{path}:{error}", file=sys.stderr)
    if errors and args.strict:
        print(f"nothing written: {len(errors)} bad line(s) (--strict)", file=sys.stderr)
        return 1
    # Each row's source names the file (by content) and its line, so a rerun after a crash skips what is stored.
    tag = f"{path.name}@{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"
    store = open_cli_store()
    written = skipped = 0
    hits: list[Any] = []
    try:
        stored = store.ledger_sources(tag)
        pending = []
        for line, entry in rows:
            source = f"{entry.source + '|' if entry.source else ''}{tag}:L{line}"
            if source in stored:
                skipped += 1
                continue
            pending.append(entry.__class__(**{**entry.__dict__, "source": source}))
        ids: set[int] = set()
        for start in range(0, len(pending), args.batch_size):
            batch = pending[start : start + args.batch_size]
            ids.update(e.id or 0 for e in store.append_ledger(batch, "cli", tag))
            written += len(batch)
            print(f"committed {written}", flush=True)
        # Every grant is checked: the duplicate benefits the new rows take part in.
        from matcher.risk import RiskBoard

        hits = [h for h in RiskBoard(store, None).snapshot().hits if ids & set(h.entry_ids)] if ids else []
        for hit in hits:
            print(f"duplicate: {hit.person}  {hit.reason()}", file=sys.stderr)
    finally:
        store.close()
    print(
        f"{written} row(s) appended, {skipped} already stored, {len(errors)} bad line(s), "
        f"{len(hits)} duplicate benefit(s) among them"
    )
    return 1 if errors else 0


def _ledger_list(args: argparse.Namespace) -> int:
    with cli_store() as store:
        rows = store.ledger_entries(
            enterprise_ids=None if args.enterprise is None else [args.enterprise],
            item_id=args.item,
            limit=args.limit,
        )
    for entry in rows:
        print(json.dumps(entry.to_dict(), ensure_ascii=False))
    return 0


@contextmanager
def _board(with_matcher: bool) -> Iterator[Any]:
    """Open a risk board over the store (and the matcher when it needs one); close both after use."""
    from matcher.risk import RiskBoard

    if with_matcher:
        from api.commands.match import _open_matcher

        matcher = _open_matcher()
        board = RiskBoard(matcher.store, matcher)
    else:
        board = RiskBoard(open_cli_store(), None)
    try:
        yield board
    finally:
        if board.matcher is not None:
            board.matcher.close()
        board.store.close()


def _colours(args: argparse.Namespace) -> int:
    with _board(False) as board:
        snap = board.snapshot()
    order = {"red": 0, "yellow": 1, "green": 2}
    shown = sorted(
        (c for c in snap.colours.values() if not args.colour or c.colour == args.colour),
        key=lambda c: (order[c.colour], c.enterprise_id),
    )
    print_records(
        shown, args.json, lambda c: f"{c.colour:6} {c.enterprise_id}  " + "; ".join(r.text for r in c.reasons)
    )
    return 0


def _duplicates(args: argparse.Namespace) -> int:
    with _board(False) as board:
        hits = board.snapshot().hits
    print_records(hits, args.json, lambda hit: f"{hit.person}  {hit.reason()}")
    print(f"{len(hits)} duplicate benefit(s)", file=sys.stderr)
    return 0


def _monitoring(args: argparse.Namespace) -> int:
    from matcher.risk import monitor_fingerprint

    with _board(True) as board:
        report = board.monitoring()
    if args.json:
        print(json.dumps(report, ensure_ascii=False, sort_keys=True))
        return 0
    print(f"as of {report['as_of']}  colours {report['colours']}  duplicates {report['duplicates']}")
    for m in report["items"]:
        print(
            f"{m['key']:24} {m['department']:16} paid {m['paid_enterprises']:4} 多发 "
            f"{m['multi_paid']['duplicates'] + m['multi_paid']['over_cap']:3} 错发 "
            f"{m['wrong_paid']['ineligible'] + m['wrong_paid']['flagged']:3} 漏发 {m['missed']:3} "
            f"pushed {m['push_share']} days {m['days_to_push']}"
        )
    print(f"fingerprint {monitor_fingerprint(report)}")
    return 0


def _group(args: argparse.Namespace) -> int:
    with cli_store() as store:
        for item in args.items:
            if store.get_item(item) is None:
                raise LookupError(f"no policy item with id {item!r}")
        group = store.set_benefit_group(args.group_id, args.items, args.label, "cli")
    print(json.dumps(group.to_dict(), ensure_ascii=False))
    return 0


def _payout(args: argparse.Namespace) -> int:
    with _board(True) as board:
        if args.export:
            payout, export_id = board.export_payout(args.policy_id, args.item_id, "cli")
            out = {**payout.to_dict(), "export_id": export_id}
        else:
            out = board.payout_list(args.policy_id, args.item_id).to_dict()
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


def _bench_duplicates(args: argparse.Namespace) -> int:
    from corpus.ledger_demo import generate_ledger, precision_recall
    from corpus.risk import duplicate_hits

    lines = [
        "| seed | rows | persons | planted (group / department / record / record+group) | distractors | found | precision | recall |",
        "|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    worst = (1.0, 1.0)
    for seed in range(args.seeds):
        g = generate_ledger(seed, n_persons=args.persons, plants=args.plants)
        found = {h.ident for h in duplicate_hits(g.entries, g.persons, g.groups)}
        p, r = precision_recall(found, g.truth)
        worst = (min(worst[0], p), min(worst[1], r))
        planted = " / ".join(str(g.planted[k]) for k in ("group", "department", "record", "record_group"))
        lines.append(
            f"| {seed} | {len(g.entries)} | {args.persons} | {planted} | {sum(g.distractors.values())} "
            f"| {len(found)} | {p:.2f} | {r:.2f} |"
        )
    text = "\n".join(lines)
    print(text)
    print(f"worst precision {worst[0]:.2f}, worst recall {worst[1]:.2f}")
    if not args.no_write:
        from eval.benchfile import update_section

        body = (
            "Duplicate-benefit detection (`policymatch bench duplicates`) on generated ledgers "
            "(`corpus/ledger_demo.py` documents the planting; docs/risk.md the rules). "
            "A hit is (kind, legal person, group or item).\n\n" + text
        )
        print(f"wrote {update_section('duplicates', body)}")
    return 0 if worst == (1.0, 1.0) else 1
