"""风险监管: the benefits ledger, 就高不重复 groups, 三色预警, monitoring, 免申即享 payout lists, 闭环评价, merges.

Roles (docs/risk.md): ``finance`` (or admin) writes the ledger and exports payout lists;
``analyst`` and admin read risk; ``push`` reads payout lists and ratings (departments);
an enterprise key reads only its own ledger rows and its own colour, and rates only its
own paid benefits.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AdminDep, PrincipalDep, ServicesDep, require
from api.errors import ApiError
from api.security import Principal
from api.services import Services, record_audit
from api.views import require_enterprise, require_item, require_policy
from corpus.ledger import LedgerError, validate_entry
from corpus.store.base import NotFoundError
from corpus.store.risk_tables import LedgerRefused
from matcher.risk import NotFreeApply, RiskBoard

router = APIRouter(tags=["risk"])

FinanceDep = Annotated[Principal, require("finance")]
RiskReaderDep = Annotated[Principal, require("analyst")]
PayoutReaderDep = Annotated[Principal, require("finance", "push")]
RatingsReaderDep = Annotated[Principal, require("analyst", "push")]
RaterDep = Annotated[Principal, require("enterprise")]
MAX_ROWS = 5000
MAX_ID = 2**62  # ids are 64-bit integers in both databases


class LedgerRowIn(BaseModel):
    """One ledger row as posted (amount in 万元)."""

    model_config = ConfigDict(extra="forbid")
    enterprise_id: str = Field(max_length=200)
    item_id: str = Field(max_length=300)
    amount: float = Field(ge=0, le=1e7)
    department: str = Field(max_length=500)
    date: str = Field(max_length=10, description="YYYY-MM-DD")
    status: Literal["applied", "approved", "paid", "revoked"]
    source: str | None = Field(default=None, max_length=500)
    tier: str | None = Field(default=None, max_length=500)
    reason: str | None = Field(default=None, max_length=500)
    corrects: int | None = Field(default=None, ge=1, le=MAX_ID)


class LedgerIn(BaseModel):
    """Rows to append, all or none."""

    model_config = ConfigDict(extra="forbid")
    rows: list[LedgerRowIn] = Field(min_length=1, max_length=MAX_ROWS)
    source: str = Field(default="api", max_length=200)


class GroupIn(BaseModel):
    """The items of one 就高不重复 group (across documents and departments); empty removes it."""

    model_config = ConfigDict(extra="forbid")
    items: list[str] = Field(max_length=500)
    label: str = Field(default="", max_length=200)


class RatingIn(BaseModel):
    """闭环评价 of a paid benefit: 兑现便捷度, 办理进度, 使用情况, each 1–5."""

    model_config = ConfigDict(extra="forbid")
    enterprise_id: str = Field(max_length=200)
    item_id: str = Field(max_length=300)
    convenience: int = Field(ge=1, le=5)
    progress: int = Field(ge=1, le=5)
    usage: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)


class MergeIn(BaseModel):
    """Merge the path's record into ``into`` (the record that stays)."""

    model_config = ConfigDict(extra="forbid")
    into: str = Field(max_length=200)


def board(services: Services) -> RiskBoard:
    """Build the risk board over the service's store and matcher."""
    return RiskBoard(services.store, services.matcher)


# --- the ledger ----------------------------------------------------------------------------------


@router.post("/v1/ledger", status_code=201)
def append_ledger(body: LedgerIn, principal: FinanceDep, services: ServicesDep) -> dict[str, Any]:
    """Append grant / application rows (append-only: a correction is a new row naming ``corrects``); each is checked for duplicates."""
    entries = []
    problems: list[dict[str, Any]] = []
    for n, row in enumerate(body.rows):
        try:
            entries.append(validate_entry(row.model_dump(exclude_none=True)))
        except LedgerError as exc:
            problems.append({"row": n, "problems": [str(p) for p in exc.problems]})
    if problems:
        raise ApiError(
            422,
            "invalid_ledger",
            f"Row {problems[0]['row']} of the ledger is invalid: {problems[0]['problems'][0]}.",
            problems,
        )
    for entry in entries:
        if services.store.get_item(entry.item_id) is None:
            raise ApiError(
                404, "item_not_found", f"No policy item with id {entry.item_id!r}.", {"field": "item_id"}
            )
    try:
        stored = services.store.append_ledger(entries, principal.key_id, body.source)
    except LedgerRefused as exc:
        raise ApiError(409, "ledger_refused", str(exc)) from exc
    snap = board(services).snapshot(sorted({e.enterprise_id for e in stored}))
    written = {e.id for e in stored}
    hits = [h.to_dict() for h in snap.hits if written & set(h.entry_ids)]
    return {"data": [e.to_dict() for e in stored], "duplicates": hits}


@router.get("/v1/ledger")
def list_ledger(
    principal: PrincipalDep,
    services: ServicesDep,
    enterprise_id: Annotated[str | None, Query(max_length=200)] = None,
    item_id: Annotated[str | None, Query(max_length=300)] = None,
    after_id: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Ledger rows in id order; an enterprise key sees only its own."""
    if principal.role == "enterprise":
        if enterprise_id not in (None, principal.enterprise_id):
            principal.require_enterprise(enterprise_id or "")
        enterprise_id = principal.enterprise_id
    else:
        principal.require("finance", "analyst")
    rows = services.store.ledger_entries(
        enterprise_ids=None if enterprise_id is None else [enterprise_id],
        item_id=item_id,
        after_id=after_id,
        limit=limit,
    )
    record_audit(services, principal, "ledger.read", enterprise_id or item_id or "", rows=len(rows))
    next_after = rows[-1].id if len(rows) == limit else None
    return {"data": [e.to_dict() for e in rows], "next_after_id": next_after}


# --- groups, colours, duplicates, monitoring -----------------------------------------------------


@router.put("/v1/risk/groups/{group_id}")
def put_group(group_id: str, body: GroupIn, principal: AdminDep, services: ServicesDep) -> dict[str, Any]:
    """Set a 就高不重复 group's items (across documents and departments); audited."""
    if not group_id.strip() or len(group_id) > 100 or "\x00" in group_id:
        raise ApiError(
            422, "invalid_request", "The group id must be 1–100 characters.", {"field": "group_id"}
        )
    for item_id in body.items:
        if services.store.get_item(item_id) is None:
            raise ApiError(404, "item_not_found", f"No policy item with id {item_id!r}.", {"field": "items"})
    group = services.store.set_benefit_group(group_id, body.items, body.label, principal.key_id)
    return group.to_dict()


@router.get("/v1/risk/groups")
def list_groups(principal: RiskReaderDep, services: ServicesDep) -> dict[str, Any]:
    """Every 就高不重复 group: set by an admin, or read from a document's text (with the sentence)."""
    return {"data": [g.to_dict() for g in board(services).groups()]}


@router.get("/v1/risk/enterprises")
def list_colours(
    principal: RiskReaderDep,
    services: ServicesDep,
    colour: Annotated[Literal["green", "yellow", "red"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> dict[str, Any]:
    """三色预警 of every enterprise (red first), with each colour's reasons."""
    snap = board(services).snapshot()
    order = {"red": 0, "yellow": 1, "green": 2}
    rows = sorted(snap.colours.values(), key=lambda c: (order[c.colour], c.enterprise_id))
    if colour is not None:
        rows = [c for c in rows if c.colour == colour]
    counts = {k: sum(1 for c in snap.colours.values() if c.colour == k) for k in order}
    names = dict((eid, name) for eid, name, *_ in services.enterprise_directory())
    record_audit(services, principal, "risk.read", colour or "", returned=len(rows[:limit]))
    return {
        "data": [{**c.to_dict(), "name": names.get(c.enterprise_id, "")} for c in rows[:limit]],
        "counts": counts,
        "total": len(rows),
    }


@router.get("/v1/risk/enterprises/{enterprise_id}")
def enterprise_colour(enterprise_id: str, principal: PrincipalDep, services: ServicesDep) -> dict[str, Any]:
    """One enterprise's colour with its reasons and its duplicate hits (an enterprise key: its own only)."""
    if principal.role == "enterprise":
        principal.require_enterprise(enterprise_id)
    else:
        principal.require("analyst", "finance")
    require_enterprise(services.store, enterprise_id)
    snap = board(services).snapshot([enterprise_id])
    colour = snap.colours[enterprise_id]
    hits = [h.to_dict() for h in snap.hits if enterprise_id in h.enterprise_ids]
    record_audit(services, principal, "risk.read", enterprise_id)
    return {**colour.to_dict(), "duplicates": hits}


@router.get("/v1/risk/duplicates")
def duplicates(principal: RiskReaderDep, services: ServicesDep) -> dict[str, Any]:
    """Every duplicate benefit held now: same 就高不重复 group, same item from two departments or two records."""
    snap = board(services).snapshot()
    record_audit(services, principal, "risk.read", "duplicates", returned=len(snap.hits))
    return {"data": [h.to_dict() for h in snap.hits], "total": len(snap.hits)}


@router.get("/v1/risk/monitoring")
def monitoring(principal: RiskReaderDep, services: ServicesDep) -> dict[str, Any]:
    """多发、错发、漏发, push share and days to push per item and per department; colour counts."""
    report = board(services).monitoring()
    record_audit(services, principal, "risk.read", "monitoring")
    return report


# --- 免申即享 payout lists -------------------------------------------------------------------------


def _payout(services: Services, policy_id: str, item_id: str) -> Any:
    require_policy(services.store, policy_id)
    require_item(services.store, policy_id, item_id)
    try:
        return board(services).payout_list(policy_id, item_id)
    except NotFreeApply as exc:
        raise ApiError(409, "not_free_apply", str(exc), {"item_id": item_id}) from exc


@router.get("/v1/policies/{policy_id}/items/{item_id}/payout")
def payout_list(
    policy_id: str, item_id: str, principal: PayoutReaderDep, services: ServicesDep
) -> dict[str, Any]:
    """Answer the 免申即享 list fit to pay from (docs/risk.md's rule), with the expected amount per enterprise; not recorded as an export."""
    payout = _payout(services, policy_id, item_id)
    record_audit(services, principal, "payout.read", item_id, rows=len(payout.rows), sha256=payout.checksum())
    return payout.to_dict()


@router.post("/v1/policies/{policy_id}/items/{item_id}/payout/export", status_code=201)
def export_payout(
    policy_id: str, item_id: str, principal: FinanceDep, services: ServicesDep
) -> dict[str, Any]:
    """Export the payout list: its rows are kept with their SHA-256 and the exporting key, in the audit trail."""
    payout = _payout(services, policy_id, item_id)
    record = services.store.record_payout_export(
        policy_id, item_id, principal.key_id, payout.checksum(), [r.to_dict() for r in payout.rows]
    )
    return {
        **payout.to_dict(),
        "export_id": record.id,
        "exported_by": principal.key_id,
        "exported_at": record.created_at,
    }


@router.get("/v1/policies/{policy_id}/items/{item_id}/payout/exports/{export_id}.csv")
def export_csv(
    policy_id: str,
    item_id: str,
    export_id: Annotated[int, PathParam(ge=1, le=MAX_ID)],
    principal: FinanceDep,
    services: ServicesDep,
) -> StreamingResponse:
    """Stream a recorded export as CSV (UTF-8 with BOM); its last line carries the checksum and the exporting key."""
    require_item(services.store, policy_id, item_id)
    found = [e for e in services.store.payout_exports(item_id, with_rows=True) if e.id == export_id]
    if not found:
        raise ApiError(404, "export_not_found", f"Item {item_id} has no export {export_id}.")
    export = found[0]
    record_audit(services, principal, "payout.download", item_id, export_id=export_id, sha256=export.sha256)

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow(["enterprise_id", "name", "uscc", "tier", "expected_amount", "colour"])
        for row in export.rows:
            writer.writerow(
                [
                    row["enterprise_id"],
                    row["name"],
                    row["uscc"],
                    row["tier"] or "",
                    row["expected_amount"],
                    row["colour"],
                ]
            )
        writer.writerow(
            [f"# sha256={export.sha256}", f"key={export.key_id}", f"export={export.id}", export.created_at]
        )
        yield buffer.getvalue()

    filename = f"payout-{export_id}.csv"
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- 闭环评价 ---------------------------------------------------------------------------------------


@router.post("/v1/ratings", status_code=201)
def rate(body: RatingIn, principal: RaterDep, services: ServicesDep) -> dict[str, Any]:
    """Rate a paid benefit on the plan's three dimensions (the enterprise itself, or an admin)."""
    principal.require_enterprise(body.enterprise_id)
    try:
        rating = services.store.add_rating(
            body.enterprise_id,
            body.item_id,
            (body.convenience, body.progress, body.usage),
            body.comment,
            principal.key_id,
        )
    except NotFoundError as exc:
        raise ApiError(409, "not_paid", f"{exc}: only a paid benefit can be rated.") from exc
    return rating.to_dict()


@router.get("/v1/ratings")
def ratings(
    principal: RatingsReaderDep,
    services: ServicesDep,
    item_id: Annotated[str | None, Query(max_length=300)] = None,
) -> dict[str, Any]:
    """Per item: overall satisfaction (mean of the three dimensions' means) and the ratings."""
    from corpus.risk import satisfaction

    rows = services.store.ratings(item_id)
    by_item: dict[str, list[dict[str, int]]] = {}
    for r in rows:
        by_item.setdefault(r.item_id, []).append(
            {"convenience": r.convenience, "progress": r.progress, "usage": r.usage}
        )
    items = []
    for iid, scores in sorted(by_item.items()):
        overall = satisfaction(scores)
        items.append(
            {
                "item_id": iid,
                "satisfaction": None if overall is None else overall[0],
                "ratings": len(scores),
                "means": {
                    d: round(sum(s[d] for s in scores) / len(scores), 3)
                    for d in ("convenience", "progress", "usage")
                },
            }
        )
    record_audit(services, principal, "ratings.read", item_id or "")
    return {"items": items, "data": [r.to_dict() for r in rows]}


# --- one legal person, one record ----------------------------------------------------------------


@router.post("/v1/enterprises/{enterprise_id}/merge")
def merge(enterprise_id: str, body: MergeIn, principal: AdminDep, services: ServicesDep) -> dict[str, Any]:
    """Merge a record into another (the one that stays): the source record goes, its history stays; audited."""
    require_enterprise(services.store, enterprise_id)
    require_enterprise(services.store, body.into)
    if enterprise_id == body.into:
        raise ApiError(
            422, "invalid_request", "An enterprise cannot be merged into itself.", {"field": "into"}
        )
    with services.write_lock:
        out = services.store.merge_enterprises(enterprise_id, body.into, principal.key_id)
        services.matcher.enterprise_changed([enterprise_id, body.into])
    services.directory_changed()
    return out
