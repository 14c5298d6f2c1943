"""CPU (``thread_time``) per first 智能匹配 at 5k items: ``Matcher.match(...).to_dict()``, no answer cache.

Run ``python -m eval.bench.first_request``: stored demo enterprises whose text vectors are cached (ingest's
job), hashing encoder; prints the median and mean CPU per request of five rounds and the load average
at the end (1, 5, 15 min: the cores are shared, docs/benchmarks.md).

``--answers FILE`` writes, instead of timing, every answer the rounds give and more (the 300 at top 20,
the first 100 at top 50 over every level, 20 ad-hoc profiles, without a region among them) as JSON lines
with the index version blanked: run it on two checkouts and ``cmp`` the files to show a change leaves
every answer byte for byte as it was. ``--components`` times the parts of a request alone instead.
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from corpus.conditions import LEVELS
from corpus.demo import generate
from corpus.schemas import validate_profile
from corpus.store import open_store
from eval.bench.encoders import HashEncoder
from matcher.demo import store_items_with_true_conditions
from matcher.service import Matcher


def write_answers(matcher: Matcher, ids: list[str], stored: list[Any], path: Path) -> int:
    """Write every answer of the comparison set to ``path`` as JSON lines; returns how many."""
    answers = [matcher.match(enterprise_id=i).to_dict() for i in ids]
    answers += [matcher.match(enterprise_id=i, top_k=50, levels=LEVELS).to_dict() for i in ids[:100]]
    for n, record in enumerate(stored[300:320]):
        profile = record.to_dict()
        profile.pop("id", None)
        if n % 4 == 0:
            profile.pop("region_code", None)  # no region: every item, the region unknown
        answers.append(matcher.match(profile=profile, top_k=30).to_dict())
    with open(path, "w", encoding="utf-8") as out:
        for answer in answers:
            answer["index"] = ""  # the version name is the build's, not the answer's
            out.write(json.dumps(answer, ensure_ascii=False, sort_keys=True) + "\n")
    return len(answers)


def components(matcher: Matcher, ids: list[str]) -> dict[str, float]:
    """CPU (µs per request, the best of three passes over ``ids``) of the parts of a first request, timed alone.

    Verdict codes of every condition row, the level pass (over the region's items), both over the region's
    rows only (as a match runs them), the index parts of the region's candidates,
    re-judging the top 20 with their gaps, and the whole ``match().to_dict()``. Alone, each runs with
    warm caches, so the parts add up to less than the whole.
    """
    from matcher.eligibility import ProfileKeys
    from matcher.encoder_text import dense_text, query_text

    catalog, table, index, judge = matcher.catalog, matcher.catalog.table, matcher.index, matcher.judge
    profiles = [matcher.profile_for(i) for i in ids]
    tops = [[catalog.position[r.item_id] for r in matcher.match(enterprise_id=i).results] for i in ids]
    inputs = []
    for profile in profiles:
        region = str(profile.get("region_code") or "")
        vector = judge.text_vectors([dense_text(profile)])
        inputs.append((query_text(profile), vector, np.flatnonzero(catalog.in_region(region))))
    codes = [table.verdict_codes(p) for p in profiles]

    def rejudge(k: int) -> None:
        keys = ProfileKeys(profiles[k])  # one per request, as match_items shares it among its top items
        for position in tops[k]:
            table.leaf_memo.judged(position, catalog.items[position].conditions, profiles[k], judge, keys)

    def timed(step: Any) -> float:
        passes = []
        for _ in range(3):
            t0 = time.thread_time()
            for k in range(len(ids)):
                step(k)
            passes.append((time.thread_time() - t0) / len(ids) * 1e6)
        return round(min(passes))

    return {
        "verdict_codes": timed(lambda k: table.verdict_codes(profiles[k])),
        # As a match runs it: over the region's items.
        "level_pass": timed(lambda k: table.levels_of_items(codes[k], inputs[k][2])),
        # What a match runs now: the codes of the region's rows only, then their level pass.
        "region_codes_and_levels": timed(lambda k: table.judge_items(profiles[k], inputs[k][2])),
        "index_parts": timed(lambda k: index.parts(catalog, *inputs[k])),
        "rejudge_top20": timed(rejudge),
        "match_to_dict": timed(lambda k: matcher.match(enterprise_id=ids[k]).to_dict()),
    }


def main() -> None:
    """Time five rounds of first requests and print them as one JSON line (or write the answers)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--answers", type=Path, help="write every answer of the comparison set here, no timing"
    )
    parser.add_argument("--components", action="store_true", help="time the parts of a request alone (µs)")
    args = parser.parse_args()
    # The store and index (37 MB) go with the run.
    with tempfile.TemporaryDirectory(prefix="p19b-cpu-") as tmp:
        _run(args, Path(tmp))


def _run(args: argparse.Namespace, data_dir: Path) -> None:
    """Build the bench's catalog in ``data_dir`` and run what ``args`` asks for."""
    store = open_store(data_dir / "bench.sqlite3")
    corpus = generate(7, 5000 // 6 + 1, 1000)
    store_items_with_true_conditions(store, corpus, 5000)
    stored = [validate_profile(p) for p in corpus.iter_enterprises(1000)]
    store.upsert_enterprises(stored)
    matcher = Matcher.open(data_dir, store, HashEncoder(384, "bench-hash"))
    ids = [p.id for p in stored][:300]
    for i in ids:
        matcher.match(enterprise_id=i)  # text vectors cached (ingest's job), tokens of each query cached
    if args.answers is not None:
        print(json.dumps({"answers": write_answers(matcher, ids, stored, args.answers)}))
        return
    if args.components:
        parts = components(matcher, ids)
        print(json.dumps({"components_us": parts, "load_average": [round(x, 2) for x in os.getloadavg()]}))
        return
    rounds = []
    for _round in range(5):
        t = []
        for i in ids:
            t0 = time.thread_time()
            matcher.match(enterprise_id=i).to_dict()
            t.append(time.thread_time() - t0)
        rounds.append((float(np.median(t)) * 1000, float(np.mean(t)) * 1000))
    print(
        json.dumps({"rounds_median_mean_ms": rounds, "load_average": [round(x, 2) for x in os.getloadavg()]})
    )


if __name__ == "__main__":
    main()
