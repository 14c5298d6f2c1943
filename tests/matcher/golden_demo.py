"""Golden answers of 智能匹配 and 精准推送 on a small seed-fixed demo (issue 17's behaviour guard).

``answers(matcher)`` turns a matcher's answers into plain JSON: for stored and
ad-hoc profiles the ranked items with their level, gaps, support and exclusion;
for a fixed choice of items the whole target list (every level) in order. The
golden file was written before the matcher was taken apart; a difference is
either a bug fixed on purpose (its own commit, naming the bug) or a regression.

Rewrite it (only on purpose) with::

    PYTHONPATH=$PWD .venv/bin/python -m tests.matcher.golden_demo --write
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).with_name("golden_demo.json")
SEED = 20241
N_POLICIES = 40
N_ENTERPRISES = 300
TODAY = dt.date(2025, 6, 1)
ALL_LEVELS = ("eligible", "need_info", "near_miss", "ineligible")
N_STORED = 24  # stored enterprises matched (every 12th of the 300)
N_TARGET_ITEMS = 10  # items whose whole target list is kept


def _ad_hoc_profiles(stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ad-hoc profiles derived from stored ones: as posted, without a region, text only."""
    out = []
    for n, profile in enumerate(stored[:6]):
        data = {k: v for k, v in profile.items() if k not in ("id", "updated_at", "created_at")}
        if n % 3 == 1:
            data.pop("region_code", None)
        if n % 3 == 2:
            data = {
                "name": data.get("name"),
                "industry_code": data.get("industry_code"),
                "business_scope": data.get("business_scope"),
                "products": data.get("products"),
                "region_code": data.get("region_code"),
            }
        out.append({k: v for k, v in data.items() if v is not None})
    return out


def _match_view(response: Any) -> list[dict[str, Any]]:
    return [
        {
            "item": r.item_id,
            "level": r.level,
            "gaps": [g.text for g in r.gaps],
            "support": r.support,
            "excluded": r.excluded,
        }
        for r in response.results
    ]


def answers(matcher: Any) -> dict[str, Any]:
    """Everything the golden file keeps, from one opened matcher."""
    ids = sorted(matcher.columns.ids[r] for r in range(len(matcher.columns)) if matcher.columns.alive[r])
    stored_ids = ids[:: max(1, len(ids) // N_STORED)][:N_STORED]
    out: dict[str, Any] = {"stored": {}, "ad_hoc": [], "targets": {}}
    for enterprise_id in stored_ids:
        response = matcher.match(enterprise_id=enterprise_id, top_k=30, levels=ALL_LEVELS)
        out["stored"][enterprise_id] = {"counts": response.counts, "results": _match_view(response)}
    profiles = [matcher.store.get_enterprise(i).to_dict() for i in stored_ids]
    for profile in _ad_hoc_profiles(profiles):
        response = matcher.match(profile=profile, top_k=30, levels=ALL_LEVELS)
        out["ad_hoc"].append({"counts": response.counts, "results": _match_view(response)})
    items = sorted(
        (item for item in matcher.store.iter_items()),
        key=lambda i: (-len(matcher.store.item_conditions(i.id)), i.id),
    )[:N_TARGET_ITEMS]
    for item in items:
        order = matcher.target_order(item.policy_id, item.id, ALL_LEVELS)
        page = matcher.targets(item.policy_id, item.id, ALL_LEVELS, 0, 5)
        out["targets"][item.id] = {
            "counts": order.counts(),
            "order": [
                f"{matcher.columns.ids[int(r)]}:{ALL_LEVELS[int(lvl)]}{'!' if exc else ''}"
                for r, lvl, exc in zip(order.rows, order.level, order.excluded, strict=True)
            ],
            "first_rows": [
                {
                    "id": row.enterprise_id,
                    "level": row.level,
                    "gaps": [g.text for g in row.gaps],
                    "support": row.to_dict().get("support"),
                }
                for row in page.rows
            ],
        }
    return out


@contextmanager
def demo_matcher(tmp: Path, encoder: Any) -> Iterator[Any]:
    """A matcher over the seed-fixed small demo in a fresh SQLite store under ``tmp``."""
    from corpus.store import open_store
    from matcher.demo import load_demo
    from matcher.service import Matcher

    store = open_store(tmp / "store.sqlite3")
    try:
        load_demo(store, seed=SEED, n_policies=N_POLICIES, n_enterprises=N_ENTERPRISES, style="plain")
        matcher = Matcher.open(tmp / "data", store, encoder, today=TODAY)
        try:
            yield matcher
        finally:
            matcher.close()
    finally:
        store.close()


def main() -> int:
    """Write (``--write``) or print the golden answers of this checkout."""
    import tempfile

    from models.bootstrap import ensure_default_model
    from models.factory import make_encoder

    models = Path(__file__).resolve().parents[2] / ".cache" / "test-models"
    ensure_default_model(models)
    encoder = make_encoder("onnx-int8", "active", models)
    with tempfile.TemporaryDirectory() as tmp, demo_matcher(Path(tmp), encoder) as matcher:
        found = answers(matcher)
    text = json.dumps(found, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if "--write" in sys.argv:
        GOLDEN.write_text(text, encoding="utf-8")
        print(f"wrote {GOLDEN}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
