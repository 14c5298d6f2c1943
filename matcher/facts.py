"""Document facts in matching: what a document says about all of its items (docs/conditions.md §5).

A non-policy (公示, 名单, 采购公告 …) is stored but never matched; outside
``[valid_from, valid_until]`` an item is never offered (智能匹配, target lists,
免申即享 lists); before its application window opens it is offered as
*upcoming*, with its verdict unchanged. Every check takes an ``as_of`` date
(default: the service's today), so an evaluation can judge a 2020 document as
it read in 2020.

:func:`result_extras` spells out, for one verdict, what v2 adds to a match
result or a target row: the tier reached and the way to the next one, the
bonus verdicts, the expected amount with its formula, and the window.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from corpus.conditions import ItemVerdict

WindowStatus = str  # "upcoming" | "open" | "closed"


def day_number(value: Any, missing: float) -> float:
    """Days since 0001-01-01 of a ``YYYY-MM-DD`` value; ``missing`` when absent or unreadable."""
    if value is None or value == "":
        return missing
    if isinstance(value, dt.date):
        return float(value.toordinal())
    try:
        return float(dt.date.fromisoformat(str(value)[:10]).toordinal())
    except ValueError:
        return missing


@dataclass(frozen=True)
class ItemFacts:
    """The document facts of one item, as the matcher holds them."""

    is_policy: bool = True
    valid_from: float = -math.inf  # day numbers; open-ended bounds are infinite
    valid_until: float = math.inf
    window_open: float = -math.inf
    window_close: float = math.inf
    doc_type: str | None = None
    department: str | None = None
    fulfilment: str | None = None
    dates: tuple[str | None, str | None, str | None, str | None] = (None, None, None, None)

    @classmethod
    def of(cls, item: Any) -> ItemFacts:
        """Read the facts of a stored :class:`corpus.schemas.PolicyItem` (missing ones are open-ended)."""
        valid_from = getattr(item, "valid_from", None)
        window_open = getattr(item, "window_open", None)
        window_close = getattr(item, "window_close", None)
        return cls(
            is_policy=getattr(item, "is_policy", None) is not False,  # unstated: a policy
            valid_from=day_number(valid_from, -math.inf),
            valid_until=day_number(item.valid_until, math.inf),
            window_open=day_number(window_open, -math.inf),
            window_close=day_number(window_close, math.inf),
            doc_type=getattr(item, "doc_type", None),
            department=getattr(item, "department", None),
            fulfilment=getattr(item, "fulfilment", None),
            dates=(valid_from, item.valid_until, window_open, window_close),
        )

    def offered(self, as_of: dt.date) -> bool:
        """Tell whether the item may be offered at ``as_of``: a policy, within its validity."""
        day = as_of.toordinal()
        return self.is_policy and self.valid_from <= day <= self.valid_until

    def window_status(self, as_of: dt.date) -> WindowStatus | None:
        """``upcoming`` before the window opens, ``closed`` after it closes, ``open`` within; None without one."""
        if self.window_open == -math.inf and self.window_close == math.inf:
            return None
        day = as_of.toordinal()
        if day < self.window_open:
            return "upcoming"
        if day > self.window_close:
            return "closed"
        return "open"

    def to_dict(self, as_of: dt.date) -> dict[str, Any]:
        """JSON-ready facts for a result: validity, window and its status at ``as_of``, department, type, mode."""
        valid_from, valid_until, window_open, window_close = self.dates
        status = self.window_status(as_of)
        return {
            "valid_from": valid_from,
            "valid_until": valid_until,
            "window": None if window_open is None and window_close is None else [window_open, window_close],
            "window_status": status,
            "upcoming": status == "upcoming",
            "department": self.department,
            "doc_type": self.doc_type,
        }


@dataclass(frozen=True)
class FactArrays:
    """The facts of every item of a compiled state, as arrays, so a match filters them in one pass."""

    is_policy: np.ndarray
    valid_from: np.ndarray
    valid_until: np.ndarray

    @classmethod
    def of(cls, facts: Sequence[ItemFacts]) -> FactArrays:
        """Compile the facts of items in position order."""
        return cls(
            np.array([f.is_policy for f in facts], dtype=bool),
            np.array([f.valid_from for f in facts], dtype=np.float64),
            np.array([f.valid_until for f in facts], dtype=np.float64),
        )

    def offered(self, as_of: dt.date) -> np.ndarray:
        """Items that may be offered at ``as_of`` (policies within their validity)."""
        day = as_of.toordinal()
        return self.is_policy & (self.valid_from <= day) & (self.valid_until >= day)


def result_extras(verdict: ItemVerdict, facts: ItemFacts | None, as_of: dt.date) -> dict[str, Any]:
    """Spell out what v2 adds to a match result or target row: tier, next tier, tiers, bonus, amount, window."""
    out: dict[str, Any] = {}
    tier, at = verdict.tier, verdict.tier_index
    if tier is not None and at is not None:
        # Each tier's dict is built once: the tier reached and the next better one are copies of theirs.
        tiers = [t.to_dict() for t in verdict.tiers]
        out["tier"] = _tier_copy(tiers[at])
        out["next_tier"] = None if at == 0 else _tier_copy(tiers[at - 1])
        out["tiers"] = tiers
        out["amount"] = tier.amount
        out["amount_formula"] = None if tier.tier.formula is None else tier.tier.formula.text()
    else:
        out["tier"] = None
        out["amount"] = None
        out["amount_formula"] = None
    out["bonus"] = [r.to_dict() for r in verdict.bonus]
    if facts is not None:
        out.update(facts.to_dict(as_of))
    return out


def _tier_copy(tier: dict[str, Any]) -> dict[str, Any]:
    """Copy a ``TierVerdict.to_dict`` so that the copy shares no list with it (its gaps)."""
    return {**tier, "gaps": list(tier["gaps"])}


def round6(values: Sequence[float] | np.ndarray) -> list[float]:
    """``[round(v, 6) for v in values]``, the same floats, rounded as one array (Python's ``round`` ≈ 1 µs a call).

    ``round(x, 6)`` is the double nearest the decimal nearest ``x`` at six places. For
    ``|x × 10⁶| < 2³²`` the product is off by under 10⁻⁶ (half its ulp), so ``rint`` finds that
    decimal's integer unless the product lies within 10⁻⁴ of a half, and dividing it by 10⁶ (IEEE:
    correctly rounded) gives the nearest double, as ``round`` does. Those near a half, large, NaN or
    infinite values are handed to ``round`` itself.
    """
    x = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = x * 1e6
        near_half = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-4
        exact = (np.abs(scaled) < 2.0**32) & ~near_half  # False for NaN and infinities
    out = (np.rint(scaled) / 1e6).tolist()
    if not exact.all():
        for j in np.flatnonzero(~exact).tolist():
            out[j] = round(float(x[j]), 6)
    return out
