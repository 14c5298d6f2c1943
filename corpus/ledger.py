"""The benefits ledger (惠企资金台账): who was granted what, as append-only rows, and its CSV / JSONL readers.

A row records one step of one benefit: the enterprise, the policy item, the tier,
the amount (万元), the department that granted it, the date, the status
(``applied`` → ``approved`` → ``paid``, or ``revoked``) and where the row came from.
Rows are never changed: a correction is a new row naming the row it corrects
(``corrects``), and the corrected row stops counting (:func:`effective_entries`).
The state of a benefit — one enterprise, one item, one department — is its latest
effective row (:func:`benefit_states`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.schemas import FieldProblem, RecordError

STATUSES: tuple[str, ...] = ("applied", "approved", "paid", "revoked")
#: Statuses under which the enterprise holds (or is about to hold) the money: what duplicate checks count.
HOLDING: frozenset[str] = frozenset({"approved", "paid"})
FIELDS: tuple[str, ...] = (
    "enterprise_id",
    "item_id",
    "tier",
    "amount",
    "department",
    "date",
    "status",
    "source",
    "reason",
    "corrects",
)
MAX_AMOUNT = 1e7  # 万元: one thousand billion yuan; anything above is a typo, not a grant
MAX_TEXT = 500


class LedgerError(RecordError):
    """A ledger row that does not follow the ledger's shape."""

    kind = "ledger row"


@dataclass(frozen=True)
class LedgerEntry:
    """One row of the benefits ledger; ``id``, ``recorded_at`` and ``recorded_by`` are set by the store."""

    enterprise_id: str
    item_id: str
    amount: float
    department: str
    date: str  # YYYY-MM-DD: when the step happened (not when it was recorded)
    status: str
    source: str = ""
    tier: str | None = None
    reason: str | None = None  # why: 恶意套取 for a revocation, the fix for a correction
    corrects: int | None = None  # id of the row this one corrects (that row stops counting)
    id: int | None = None
    recorded_at: str | None = None
    recorded_by: str | None = None

    @property
    def policy_id(self) -> str:
        """The policy of the item (the part of ``policy#seq`` before ``#``)."""
        return self.item_id.split("#", 1)[0]

    @property
    def benefit(self) -> tuple[str, str, str]:
        """What the row is a step of: (enterprise, item, department)."""
        return (self.enterprise_id, self.item_id, self.department)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "id": self.id,
            "enterprise_id": self.enterprise_id,
            "item_id": self.item_id,
            "policy_id": self.policy_id,
            "tier": self.tier,
            "amount": self.amount,
            "department": self.department,
            "date": self.date,
            "status": self.status,
            "source": self.source,
            "reason": self.reason,
            "corrects": self.corrects,
            "recorded_at": self.recorded_at,
            "recorded_by": self.recorded_by,
        }


def _text(data: Mapping[str, Any], name: str, problems: list[FieldProblem], *, required: bool) -> str | None:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(FieldProblem(name, "is required"))
        return None
    if not isinstance(value, str):
        problems.append(FieldProblem(name, f"must be text, got {type(value).__name__}"))
        return None
    value = value.strip()
    if "\x00" in value:
        problems.append(FieldProblem(name, "contains a NUL character"))
        return None
    if len(value) > MAX_TEXT:
        problems.append(FieldProblem(name, f"is {len(value)} characters long; the limit is {MAX_TEXT}"))
        return None
    return value


def validate_entry(data: Mapping[str, Any], *, today: dt.date | None = None) -> LedgerEntry:
    """Check one ledger row and build it; raises :class:`LedgerError` listing every problem.

    Amounts are 万元 (strings from CSV are read as numbers); dates are ``YYYY-MM-DD`` and
    not in the future; ``corrects`` is the id of an earlier row.
    """
    if not isinstance(data, Mapping):
        raise LedgerError([FieldProblem("row", f"must be an object, got {type(data).__name__}")])
    problems: list[FieldProblem] = []
    unknown = sorted(str(k) for k in data if k not in FIELDS and k not in ("id", "policy_id"))
    if unknown:
        problems.append(FieldProblem(unknown[0], f"is not a ledger field (fields: {', '.join(FIELDS)})"))
    enterprise_id = _text(data, "enterprise_id", problems, required=True)
    item_id = _text(data, "item_id", problems, required=True)
    if item_id is not None and "#" not in item_id:
        problems.append(FieldProblem("item_id", f"{item_id!r} is not an item id (policy#seq)"))
    department = _text(data, "department", problems, required=True)
    status = _text(data, "status", problems, required=True)
    if status is not None and status not in STATUSES:
        problems.append(FieldProblem("status", f"{status!r} is not one of {', '.join(STATUSES)}"))
    amount_raw = data.get("amount")
    amount: float | None = None
    if amount_raw is None or (isinstance(amount_raw, str) and not amount_raw.strip()):
        problems.append(FieldProblem("amount", "is required (万元; 0 when nothing is paid)"))
    elif isinstance(amount_raw, bool):
        problems.append(FieldProblem("amount", "must be a number of 万元, got a boolean"))
    else:
        try:
            amount = float(amount_raw)
        except (TypeError, ValueError):
            problems.append(FieldProblem("amount", f"{amount_raw!r} is not a number of 万元"))
        else:
            if not math.isfinite(amount) or amount < 0 or amount > MAX_AMOUNT:
                problems.append(FieldProblem("amount", f"{amount_raw!r} is outside 0–{MAX_AMOUNT:g} 万元"))
                amount = None
    date = _text(data, "date", problems, required=True)
    if date is not None:
        try:
            day = dt.date.fromisoformat(date)
        except ValueError:
            problems.append(FieldProblem("date", f"{date!r} is not a date (YYYY-MM-DD)"))
        else:
            if day > (today or dt.date.today()) + dt.timedelta(days=1):
                problems.append(FieldProblem("date", f"{date} is in the future"))
            date = day.isoformat()
    corrects_raw = data.get("corrects")
    corrects: int | None = None
    if corrects_raw not in (None, ""):
        try:
            corrects = int(str(corrects_raw))
            if corrects < 1:
                raise ValueError
        except ValueError:
            problems.append(FieldProblem("corrects", f"{corrects_raw!r} is not the id of a ledger row"))
    source = _text(data, "source", problems, required=False) or ""
    tier = _text(data, "tier", problems, required=False)
    reason = _text(data, "reason", problems, required=False)
    if problems:
        raise LedgerError(problems, enterprise_id)
    assert enterprise_id and item_id and department and status and date and amount is not None
    return LedgerEntry(
        enterprise_id, item_id, amount, department, date, status, source, tier, reason, corrects
    )


@dataclass(frozen=True)
class LineError:
    """A row of an input file that was refused: its line number and why."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def read_ledger_text(
    text: str, fmt: str, *, today: dt.date | None = None
) -> tuple[list[tuple[int, LedgerEntry]], list[LineError]]:
    """Read CSV (header row first) or JSONL; returns (line, row) pairs and the refused lines."""
    rows: list[tuple[int, LedgerEntry]] = []
    errors: list[LineError] = []
    for line, record in _records(text, fmt, errors):
        try:
            rows.append((line, validate_entry(record, today=today)))
        except LedgerError as exc:
            errors.append(LineError(line, "; ".join(str(p) for p in exc.problems)))
    return rows, errors


def read_ledger_file(
    path: Path, *, today: dt.date | None = None
) -> tuple[list[tuple[int, LedgerEntry]], list[LineError]]:
    """Read a ``.csv`` or ``.jsonl`` ledger file (UTF-8, a BOM is allowed)."""
    fmt = "csv" if path.suffix.lower() == ".csv" else "jsonl"
    return read_ledger_text(path.read_text(encoding="utf-8-sig"), fmt, today=today)


def _records(text: str, fmt: str, errors: list[LineError]) -> Iterator[tuple[int, Any]]:
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        missing = [f for f in ("enterprise_id", "item_id", "amount", "department", "date", "status")]
        missing = [f for f in missing if f not in (reader.fieldnames or [])]
        if missing:
            errors.append(LineError(1, f"the header lacks the columns {', '.join(missing)}"))
            return
        for record in reader:
            if None in record:
                errors.append(LineError(reader.line_num, "more values than header columns"))
                continue
            yield reader.line_num, {k: v for k, v in record.items() if v not in (None, "")}
        return
    if fmt != "jsonl":
        raise ValueError(f"unknown ledger format {fmt!r}; valid: csv, jsonl")
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            yield number, json.loads(raw)
        except json.JSONDecodeError as exc:
            errors.append(LineError(number, f"not JSON ({exc.msg})"))


def effective_entries(entries: Iterable[LedgerEntry]) -> list[LedgerEntry]:
    """Rows that count: every row no later row corrects, in id order."""
    rows = sorted(entries, key=lambda e: e.id or 0)
    corrected = {e.corrects for e in rows if e.corrects is not None}
    return [e for e in rows if e.id not in corrected]


def benefit_states(entries: Iterable[LedgerEntry]) -> dict[tuple[str, str, str], LedgerEntry]:
    """Return the latest effective row of every benefit (enterprise, item, department)."""
    out: dict[tuple[str, str, str], LedgerEntry] = {}
    for entry in effective_entries(entries):
        current = out.get(entry.benefit)
        if current is None or (entry.date, entry.id or 0) >= (current.date, current.id or 0):
            out[entry.benefit] = entry
    return out


def paid_amounts(entries: Sequence[LedgerEntry]) -> dict[tuple[str, str], float]:
    """Total paid per (enterprise, item) over benefits whose state is ``paid``."""
    out: dict[tuple[str, str], float] = {}
    for (enterprise_id, item_id, _), state in benefit_states(entries).items():
        if state.status == "paid":
            out[(enterprise_id, item_id)] = out.get((enterprise_id, item_id), 0.0) + state.amount
    return out
