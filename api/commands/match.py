"""``policymatch match``, ``targets`` and ``index build`` (the matcher's doors on the command line)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from api.commands import flag

LEVEL_NAMES = ("eligible", "need_info", "near_miss", "ineligible")
LEVEL_LABELS = {"eligible": "符合", "need_info": "待补充", "near_miss": "差一项", "ineligible": "不符合"}


def register(sub: argparse._SubParsersAction, group: Any) -> None:
    """Add ``match``, ``targets`` and ``index build``."""
    match = sub.add_parser(
        "match", help="智能匹配: policy items for an enterprise (stored or ad-hoc profile)"
    )
    who = match.add_mutually_exclusive_group(required=True)
    who.add_argument("--enterprise", metavar="ID", help="a stored enterprise id")
    who.add_argument("--profile", metavar="FILE", type=Path, help="a JSON file with an enterprise profile")
    match.add_argument("--top-k", type=int, default=20, help="how many items (default 20)")
    match.add_argument(
        "--levels", nargs="+", default=["eligible", "need_info", "near_miss"], choices=LEVEL_NAMES
    )
    flag(match, "--json", "print the JSON answer instead of a table")
    match.set_defaults(func=_match)

    targets = sub.add_parser("targets", help="精准推送: the enterprises to notify about a policy item")
    targets.add_argument("policy_id")
    targets.add_argument(
        "--item", metavar="ID", help="the item id (needed when the policy has several items)"
    )
    targets.add_argument(
        "--levels", nargs="+", default=["eligible", "need_info", "near_miss"], choices=LEVEL_NAMES
    )
    targets.add_argument("--limit", type=int, default=50, help="rows to print (default 50)")
    targets.add_argument("--offset", type=int, default=0)
    flag(targets, "--entitled", "print the 免申即享 list instead")
    flag(targets, "--json", "print JSON instead of a table")
    targets.add_argument(
        "--csv",
        metavar="FILE",
        help="write the whole list as CSV (as GET …/targets.csv, safe to open in a spreadsheet); - for stdout",
    )
    targets.set_defaults(func=_targets)

    index = sub.add_parser("index", help="the retrieval index: build a new version and switch to it")
    index_sub = index.add_subparsers(dest="index_command", metavar="SUBCOMMAND", required=True)
    build = index_sub.add_parser("build", help="rebuild the item index into a new version (atomic switch)")
    flag(build, "--enterprises", "also encode every enterprise's text (semantic conditions)")
    build.set_defaults(func=_index_build)


def _open_matcher() -> Any:
    from api.settings import get_settings
    from corpus.store import open_store
    from matcher.service import Matcher
    from matcher.vector_index import parse_vector_url
    from models.factory import make_encoder

    settings = get_settings()
    vectors = parse_vector_url(settings.vector_url, token=settings.vector_token)
    if settings.model == "active":
        from models.bootstrap import ensure_default_model

        ensure_default_model(settings.models_dir)
    encoder = make_encoder(settings.encoder_backend, settings.model, settings.models_dir)
    store = open_store(settings.store_location)
    return Matcher.open(settings.data_dir, store, encoder, vectors=vectors)


def _read_profile(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a profile must be one JSON object")
    return data


def _match(args: argparse.Namespace) -> int:
    matcher = _open_matcher()
    profile = _read_profile(args.profile) if args.profile else None
    response = matcher.match(
        enterprise_id=args.enterprise, profile=profile, top_k=args.top_k, levels=args.levels
    )
    if args.json:
        print(json.dumps(response.to_dict(), ensure_ascii=False, indent=1))
        return 0
    print(
        f"model {response.model} · index {response.index} · {response.candidates} applicable items · {response.counts}"
    )
    print(f"{'#':>3}  {'level':<10} {'score':>6}  {'item':<22} title / gaps")
    for n, result in enumerate(response.results, 1):
        mark = " [排除]" if result.excluded else ""
        label = LEVEL_LABELS.get(result.level, result.level)
        print(f"{n:>3}  {label:<10} {result.score:>6.3f}  {result.item_id:<22} {result.title[:40]}{mark}")
        for gap in result.gaps:
            print(f"{'':>45}- {gap.text}")
    matcher.close()
    return 0


def _targets(args: argparse.Namespace) -> int:
    matcher = _open_matcher()
    if args.entitled:
        lists = matcher.entitled(args.policy_id, args.item)
        if args.json:
            print(json.dumps([e.to_dict() for e in lists], ensure_ascii=False, indent=1))
            return 0
        for entitled in lists:
            if not entitled.decidable:
                spans = "；".join(c.span or str(c.value) for c in entitled.undecidable)
                print(f"{entitled.item_id}: 不适用免申即享（有无法由画像判定的条件：{spans}）")
            else:
                print(f"{entitled.item_id}: {len(entitled.enterprise_ids)} 家企业免申即享")
                for enterprise_id in entitled.enterprise_ids[: args.limit]:
                    print(f"  {enterprise_id}")
        return 0
    if args.csv:
        return _targets_csv(matcher, args)
    page = matcher.targets(args.policy_id, args.item, args.levels, offset=args.offset, limit=args.limit)
    if args.json:
        print(json.dumps(page.to_dict(), ensure_ascii=False, indent=1))
        return 0
    print(f"{page.total} enterprises · {page.counts} · index {page.index_version}")
    for row in page.rows:
        flags = f" [{'、'.join(row.flags)}]" if row.flags else ""
        excluded = " [排除]" if row.excluded else ""
        label = LEVEL_LABELS.get(row.level, row.level)
        print(
            f"{row.rank:>6}  {label:<8} {row.score:>6.3f}  {row.enterprise_id:<14} {_printable(row.name[:24])}{flags}{excluded}"
        )
        for gap in row.gaps:
            print(f"{'':>16}- {gap.text}")
    return 0


def _printable(text: str) -> str:
    # A stored name is shown, never obeyed: control characters (terminal escapes) become visible codes.
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def _targets_csv(matcher: Any, args: argparse.Namespace) -> int:
    """Write every row of the list (all items, or ``--item``) as the export route writes it."""
    import contextlib
    import sys

    from api.exports import target_csv_lines, with_risk

    if args.item:
        item_ids = [args.item]
    else:
        stored = matcher.store.get_policy(args.policy_id)
        if stored is None:
            print(f"no policy {args.policy_id!r} in the store")
            return 2
        item_ids = [item.id for item in stored.items]
    rows = with_risk(
        matcher.store,
        matcher,
        (
            row
            for one in item_ids
            for row in matcher.iter_targets(args.policy_id, item_id=one, levels=tuple(args.levels))
        ),
    )
    with contextlib.ExitStack() as stack:
        out = (
            sys.stdout
            if args.csv == "-"
            else stack.enter_context(open(args.csv, "w", encoding="utf-8", newline=""))
        )
        for chunk in target_csv_lines(rows, bom=args.csv != "-"):
            out.write(chunk)
    return 0


def _index_build(args: argparse.Namespace) -> int:
    matcher = _open_matcher()
    name = matcher.rebuild_index()
    print(f"index version {name}: {matcher.n_items} items, model {matcher.model_version}")
    recut = matcher.store.refresh_query_tokens()
    if recut:
        print(f"recut the stored query tokens of {recut} enterprises (missing or of another tokenizer)")
    if args.enterprises:
        done = matcher.encode_enterprises()
        print(f"encoded the text of {done} enterprises")
    matcher.close()
    return 0
