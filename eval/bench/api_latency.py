"""``policymatch bench api``: the HTTP path (auth, validation, matcher, audit row, JSON) timed request by request.

The door (``api/commands/bench.py``) opens the services on a copy of the store and hands
an in-process client here; this module sends the requests and writes the section.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any


def api_section(
    client: Any, services: Any, queries: int, store_path: Path, open_s: float, machine: str
) -> str:
    """Time match, target pages and the CSV export through ``client``; returns the ``api`` section."""
    ids = [row[0] for row in services.enterprise_directory()[:queries]]
    if not ids:
        raise RuntimeError("the store holds no enterprises to match")

    def timed(call: Any) -> float:
        t0 = time.perf_counter()
        response = call()
        elapsed = (time.perf_counter() - t0) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"benchmark request failed: {response.status_code} {response.text[:200]}")
        return elapsed

    client.post("/v1/match", json={"enterprise_id": ids[0]})  # warm-up
    match_ms = [timed(lambda e=e: client.post("/v1/match", json={"enterprise_id": e})) for e in ids]
    # Again: the first match of an enterprise also embeds its text for semantic conditions (kept after).
    repeat_ms = [timed(lambda e=e: client.post("/v1/match", json={"enterprise_id": e})) for e in ids]
    profile = services.store.get_enterprise(ids[0]).to_dict()
    profile.pop("size_class", None)
    profile.pop("id", None)
    adhoc_ms = [
        timed(
            lambda: client.post(
                "/v1/match", json={"profile": {k: v for k, v in profile.items() if v is not None}}
            )
        )
        for _ in range(max(1, queries // 4))
    ]
    items = [item for item in services.store.iter_items()][:20]
    page_ms, next_ms = [], []
    for item in items:
        url = f"/v1/policies/{item.policy_id}/targets"
        params = {"item_id": item.id, "limit": 50}
        page_ms.append(timed(lambda url=url, params=params: client.get(url, params=params)))
        cursor = client.get(url, params=params).json()["next_cursor"]
        if cursor:
            next_ms.append(
                timed(
                    lambda url=url, params=params, c=cursor: client.get(url, params={**params, "cursor": c})
                )
            )
    biggest = max(
        items,
        key=lambda i: client.get(
            f"/v1/policies/{i.policy_id}/targets", params={"item_id": i.id, "limit": 1}
        ).json()["total"],
    )
    t0 = time.perf_counter()
    with client.stream(
        "GET", f"/v1/policies/{biggest.policy_id}/targets.csv", params={"item_id": biggest.id}
    ) as response:
        csv_rows = sum(chunk.count("\n") for chunk in response.iter_text()) - 1
    csv_s = time.perf_counter() - t0
    n_enterprises = services.store.count_enterprises()
    n_items = services.store.count_items()

    def p(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]

    text = "\n".join(
        [
            "## HTTP service latency (`policymatch bench api`)",
            "",
            f"Machine: {machine}. Store: {n_items:,} items, {n_enterprises:,} enterprises "
            f"(a copy of {store_path}); model {services.model_version}. In-process client (no network), "
            f"every request authenticated, validated, judged and written to the audit trail. Opening model, store and index (the index is rebuilt when the served model changed): {open_s:.1f} s.",
            "",
            "| request | n | p50 | p99 |",
            "|---|---|---|---|",
            f"| POST /v1/match, stored enterprise, first time (embeds its text) | {len(match_ms)} | {p(match_ms, 50):.1f} ms | {p(match_ms, 99):.1f} ms |",
            f"| POST /v1/match, stored enterprise, again | {len(repeat_ms)} | {p(repeat_ms, 50):.1f} ms | {p(repeat_ms, 99):.1f} ms |",
            f"| POST /v1/match, ad-hoc profile | {len(adhoc_ms)} | {p(adhoc_ms, 50):.1f} ms | {p(adhoc_ms, 99):.1f} ms |",
            f"| GET targets, first page of 50 | {len(page_ms)} | {p(page_ms, 50):.1f} ms | {p(page_ms, 99):.1f} ms |",
            (
                f"| GET targets, next page by cursor | {len(next_ms)} | {p(next_ms, 50):.1f} ms | {p(next_ms, 99):.1f} ms |"
                if next_ms
                else "| GET targets, next page by cursor | 0 | | |"
            ),
            f"| GET targets.csv, whole list streamed | 1 ({csv_rows:,} rows) | {csv_s * 1000:.0f} ms | |",
        ]
    )
    return text
