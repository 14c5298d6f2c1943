r"""CSV exports that are safe to open in a spreadsheet (OWASP "CSV injection"), for every export route and the CLI.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is read as a formula by Excel, LibreOffice and WPS (``=HYPERLINK(...)``,
``+1+cmd|...``, ``@SUM(...)``). :func:`safe_cell` puts a single quote before
such a text cell, as OWASP recommends: the spreadsheet shows the text, the
quote is not shown, and nothing runs. Numbers the service computes (scores)
stay numbers. Names are stored stripped, so ``"\t=1+1"`` arrives here as
``=1+1``; the check is on what is written, so it is neutralised all the same.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from api.views import as_dict
from corpus.store.records import chunks
from matcher.answer import targets_layout
from matcher.targets import TargetRow

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Also the full-width forms: some spreadsheets (WPS) normalise them before parsing.
_WIDE_STARTS = ("＝", "＋", "－", "＠")

CSV_COLUMNS = (
    "enterprise_id",
    "name",
    "item_id",
    "level",
    "score",
    "conditions_met",
    "conditions_unmet",
    "conditions_unknown",
    "gaps",
    "flags",
    "tier",
    "amount",
    "risk_colour",
    "risk_reasons",
)


def safe_cell(value: Any) -> Any:
    """Return ``value`` as a CSV cell a spreadsheet will not run: text starting like a formula gets a leading ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        text = str(value)
        if text.startswith(FORMULA_STARTS) or text.startswith(_WIDE_STARTS):
            return "'" + text
        return text
    return value


def is_formula_cell(cell: str) -> bool:
    """Tell whether a CSV cell as read back would start a formula in a spreadsheet (what tests count)."""
    return cell.startswith(FORMULA_STARTS)


def target_row(row: Any) -> list[Any]:
    """One target-list row as the CSV's cells (before :func:`safe_cell`)."""
    data = as_dict(row)
    conditions = data.get("conditions") or []

    def fields_with(verdict: str) -> str:
        # Required conditions only (a bonus is not a condition); a group (any) lists its members.
        return "；".join(
            f"{c.get('field')} {c.get('op')} {c.get('value')}"
            if "any" not in c
            else "其一：" + "/".join(f"{m.get('field')} {m.get('op')} {m.get('value')}" for m in c["any"])
            for c in conditions
            if c.get("verdict") == verdict and c.get("role", "require") == "require"
        )

    return [
        data.get("enterprise_id"),
        data.get("name"),
        data.get("item_id"),
        data.get("level"),
        data.get("score"),
        fields_with("met"),
        fields_with("unmet"),
        fields_with("unknown"),
        "；".join(str(g) for g in data.get("gaps") or []),
        "；".join(str(f) for f in data.get("flags") or []),
        (data.get("tier") or {}).get("label", ""),
        "" if data.get("amount") is None else data.get("amount"),
        # 三色预警 (issue 15): the colour and its reasons, as the paged list shows them.
        (data.get("risk") or {}).get("colour") or "",
        "；".join(str(r.get("text", "")) for r in (data.get("risk") or {}).get("reasons") or []),
    ]


def target_csv_lines(rows: Iterable[Any], *, bom: bool = True, flush_every: int = 200) -> Iterator[str]:
    """Stream a target list as CSV text (UTF-8 BOM first so spreadsheets read the Chinese), every cell safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if bom:
        buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    for count, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(cell) for cell in target_row(row)])
        if count % flush_every == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


# Rows a CSV export colours at once: one snapshot of the ledger and profiles per chunk, not per row.
RISK_CHUNK = 500


def add_risk(store: Any, matcher: Any, rows: Sequence[dict[str, Any]], item_id: str | None = None) -> None:
    """Give each target row its 三色预警 colour with reasons and what its legal person already holds of the item's groups."""
    from matcher.risk import RiskBoard

    by_item: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_item.setdefault(str(row.get("item_id") or item_id or ""), []).append(row)
    board = RiskBoard(store, matcher)
    snap = board.snapshot(sorted({str(r["enterprise_id"]) for r in rows}))
    for target_item, members in by_item.items():
        notes = board.annotate(target_item, [str(r["enterprise_id"]) for r in members], snap)
        for row in members:
            row["risk"] = notes[str(row["enterprise_id"])]


def with_risk(store: Any, matcher: Any, rows: Iterable[TargetRow]) -> Iterator[dict[str, Any]]:
    """Yield target rows laid out as the page lays them out, with their 三色预警 colour, a chunk at a time (a stream)."""
    for chunk in chunks(rows, RISK_CHUNK):
        laid_out = targets_layout(chunk, risk=True)[0]
        add_risk(store, matcher, laid_out)
        yield from laid_out
