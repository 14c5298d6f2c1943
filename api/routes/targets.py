"""精准推送: target lists of a policy (paged with an opaque cursor), CSV export, 免申即享 lists. Push and admin keys."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response, StreamingResponse

from api.cursor import Cursor, check_cursor, decode_cursor, encode_cursor, query_hash
from api.deps import PushDep, ServicesDep
from api.errors import ApiError
from api.exports import add_risk, target_csv_lines, with_risk
from api.schemas import DEFAULT_LEVELS, TargetPage
from api.services import record_audit
from api.views import as_dict, parse_levels, published_json, require_item, require_policy
from matcher.answer import targets_layout
from matcher.targets import TargetRow

router = APIRouter(prefix="/v1/policies", tags=["targets"])

LevelsQuery = Annotated[
    list[str] | None,
    Query(description="levels to list, comma-separated or repeated (default eligible,need_info,near_miss)"),
]
ItemQuery = Annotated[
    str | None, Query(max_length=200, description="one item of the policy (default: all items)")
]
AsOfQuery = Annotated[
    dt.date | None, Query(description="judge validity and windows at this date, YYYY-MM-DD (default today)")
]


@dataclass(frozen=True)
class ListQuery:
    """Which target lists are asked for (the JSON pages and the CSV export take the same query)."""

    policy_id: str
    item_id: ItemQuery = None
    levels: LevelsQuery = None


ListQueryDep = Annotated[ListQuery, Depends()]


@router.get("/{policy_id}/targets", response_model=TargetPage)
def targets(
    principal: PushDep,
    services: ServicesDep,
    query: ListQueryDep,
    limit: Annotated[int | None, Query(ge=1, description="page size")] = None,
    cursor: Annotated[
        str | None, Query(max_length=500, description="next_cursor of the previous page")
    ] = None,
    as_of: AsOfQuery = None,
) -> Response:
    """One page of the enterprises to notify about a policy, in a stable order while the index version holds."""
    # (The docstring is the page's description in /openapi.json.) The page is laid out once from the
    # matcher's rows (matcher.answer.targets_layout, the rows' own to_dict) and written as TargetPage
    # dumps it; response_model stays to document it.
    matcher, limits = services.matcher, services.limits
    policy_id, item_id = query.policy_id, query.item_id
    stored, item_ids, wanted = _asked_for(services.store, query)
    size = limits.default_page_size if limit is None else limit
    if size > limits.max_page_size:
        raise ApiError(
            422,
            "invalid_request",
            f"Field 'limit' must be at most {limits.max_page_size}, got {size}.",
            {"field": "limit"},
        )
    # A list judged at another date is another list: the date is part of the query a cursor belongs to.
    expected_query = query_hash(policy_id, item_id, (*wanted, *([f"as_of={as_of}"] if as_of else [])))
    # Enterprise upserts reorder a list without a new index version, so their version is part of the ranking's.
    policy_version = f"{stored.document.version}.{services.enterprises_version}"
    index_version = services.index_version
    offset = 0
    if cursor is not None:
        parsed = decode_cursor(cursor)
        check_cursor(
            parsed, index_version=index_version, policy_version=policy_version, expected_query=expected_query
        )
        offset = parsed.offset
    rows, total, counts, served = _page(matcher, policy_id, item_ids, wanted, offset, size, as_of)
    served_index = served or index_version
    if served_index != index_version:
        # The index switched between the check and the read: this page belongs to another ranking.
        if cursor is not None:
            check_cursor(
                parsed,
                index_version=served_index,
                policy_version=policy_version,
                expected_query=expected_query,
            )
        else:
            rows, total, counts, served = _page(matcher, policy_id, item_ids, wanted, offset, size, as_of)
            served_index = served or services.index_version
    data, typed = targets_layout(rows, risk=True)
    add_risk(services.store, services.matcher, data, item_id)
    end = offset + len(rows)
    next_cursor = (
        encode_cursor(Cursor(served_index, policy_version, end, expected_query))
        if rows and end < total
        else None
    )
    _audit(
        services,
        principal,
        "targets.read",
        stored,
        item_id,
        levels=list(wanted),
        offset=offset,
        limit=size,
        n_rows=len(rows),
        total=total,
    )
    model = services.model_version
    # In TargetPage's key order (``counts`` is not declared: last); written without validating it when typed.
    page: dict[str, Any] = {
        "data": data,
        "next_cursor": next_cursor,
        "total": total,
        "model": model,
        "index": served_index,
    }
    page["counts"] = counts
    typed = typed and type(total) is int and type(model) is str and type(served_index) is str
    return Response(published_json(page, typed, TargetPage), media_type="application/json")


@router.get("/{policy_id}/targets.csv", response_class=StreamingResponse)
def targets_csv(
    principal: PushDep, services: ServicesDep, query: ListQueryDep, as_of: AsOfQuery = None
) -> StreamingResponse:
    """Stream the whole target list as CSV (UTF-8 with BOM so spreadsheet programs read the Chinese)."""
    matcher = services.matcher
    policy_id, item_id = query.policy_id, query.item_id
    stored, item_ids, wanted = _asked_for(services.store, query)
    index_version = services.index_version
    rows = with_risk(
        services.store,
        services.matcher,
        (
            row
            for one in item_ids
            for row in matcher.iter_targets(policy_id, item_id=one, levels=wanted, as_of=as_of)
        ),
    )
    _audit(services, principal, "targets.export", stored, item_id, levels=list(wanted), format="csv")
    filename = f"targets-{policy_id}{'-' + item_id.split('#')[-1] if item_id else ''}.csv"
    return StreamingResponse(
        target_csv_lines(rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{_ascii_filename(filename)}"',
            "X-Index-Version": index_version,
            "X-Policy-Version": str(stored.document.version),
        },
    )


def _asked_for(store: Any, query: ListQuery) -> tuple[Any, list[str], tuple[str, ...]]:
    """Return the stored policy, the items whose lists are asked for (404 for an unknown one), the levels wanted."""
    stored = _require(store, query.policy_id, query.item_id)
    wanted = parse_levels(query.levels, DEFAULT_LEVELS)
    item_ids = [query.item_id] if query.item_id is not None else [item.id for item in stored.items]
    return stored, item_ids, wanted


def _require(store: Any, policy_id: str, item_id: str | None) -> Any:
    """Return the stored policy (404 for an unknown policy, or an item it does not have)."""
    stored = require_policy(store, policy_id)
    if item_id is not None:
        require_item(store, policy_id, item_id)
    return stored


def _audit(
    services: Any, principal: Any, action: str, stored: Any, item_id: str | None, **details: Any
) -> None:
    """Record a read of one policy's lists: the policy, its version and the item, plus ``details``."""
    record_audit(
        services,
        principal,
        action,
        stored.document.id,
        policy_version=stored.document.version,
        item_id=item_id,
        **details,
    )


def _page(
    matcher: Any,
    policy_id: str,
    item_ids: list[str],
    levels: tuple[str, ...],
    offset: int,
    size: int,
    as_of: dt.date | None = None,
) -> tuple[list[TargetRow], int, dict[str, int], str]:
    """Rows ``offset .. offset+size`` of the items' lists one after another (item order, then each list's order).

    Returns the rows, the total, the counts per level and the index version of the pages read
    ("" when none was read, or a "|"-joined pair when the index switched in between).
    """
    rows: list[TargetRow] = []
    counts: dict[str, int] = {}
    seen: set[str] = set()
    start = 0
    for item_id in item_ids:
        order = matcher.target_order(policy_id, item_id, levels, as_of=as_of)
        length = len(order)
        for level, n in order.counts().items():
            counts[level] = counts.get(level, 0) + n
        lo = max(offset, start)
        hi = min(offset + size, start + length)
        if lo < hi:
            page = matcher.targets(
                policy_id, item_id=item_id, levels=levels, offset=lo - start, limit=hi - lo, as_of=as_of
            )
            seen.add(str(page.index_version))
            rows.extend(page.rows)
        start += length
    return rows, start, counts, "|".join(sorted(seen))


def _ascii_filename(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)


@router.get("/{policy_id}/entitled")
def entitled(
    policy_id: str,
    principal: PushDep,
    services: ServicesDep,
    item_id: ItemQuery = None,
    as_of: AsOfQuery = None,
) -> dict[str, Any]:
    """免申即享: the enterprises entitled without applying (when every condition of the item is decidable)."""
    stored = _require(services.store, policy_id, item_id)
    result = services.matcher.entitled(policy_id, item_id=item_id, as_of=as_of)
    out: dict[str, Any] = (
        as_dict(result) if not isinstance(result, list | tuple) else {"data": [as_dict(r) for r in result]}
    )
    for entry in out["data"] if "data" in out else [out]:
        item = services.store.get_item(entry["item_id"])
        entry["fulfilment"] = None if item is None else item.fulfilment
        if entry["fulfilment"] != "免申即享":
            # Only a 免申即享 item pays without an application; the pay-from list is the item's payout route.
            entry["enterprise_ids"], entry["flagged"], entry["not_free_apply"] = [], {}, True
    _audit(services, principal, "entitled.read", stored, item_id)
    out["model"] = services.model_version
    out["index"] = services.index_version
    return out
