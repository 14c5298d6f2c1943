"""三色预警: the reasons and colour of an enterprise's risk, from its ledger and its data."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from corpus.ledger import LedgerEntry
from corpus.risk.duplicates import DuplicateHit
from corpus.schemas import uscc_problem

# --- 三色预警 ----------------------------------------------------------------------------------

FRAUD_WORDS = re.compile(r"恶意套取|骗取|套取|虚报|虚假|冒领")
DEFAULT_MAX_PROFILE_AGE_DAYS = 400


@dataclass(frozen=True)
class Reason:
    """Why an enterprise has its colour: a code a program reads and a sentence a person reads."""

    code: str
    colour: str
    text: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready dict."""
        return {"code": self.code, "colour": self.colour, "text": self.text}


@dataclass(frozen=True)
class Colour:
    """An enterprise's 三色预警: ``green``, ``yellow`` or ``red``, with every reason found."""

    enterprise_id: str
    colour: str
    reasons: tuple[Reason, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "enterprise_id": self.enterprise_id,
            "colour": self.colour,
            "reasons": [r.to_dict() for r in self.reasons],
        }


@dataclass(frozen=True)
class ProfileFacts:
    """What the colour and the 免申即享 check read of a stored profile."""

    enterprise_id: str
    uscc: str | None
    credit_status: str | None
    major_violation: bool | None
    updated_at: str  # when the store last received this profile (ISO 8601)


def profile_age_days(updated_at: str, today: dt.date) -> int:
    """Whole days since the profile was received (0 on the day)."""
    return (today - dt.date.fromisoformat(updated_at[:10])).days


def data_reasons(
    facts: ProfileFacts,
    today: dt.date,
    *,
    max_age_days: int = DEFAULT_MAX_PROFILE_AGE_DAYS,
    code_holders: Mapping[str, Sequence[str]] | None = None,
) -> list[Reason]:
    """Why the profile's data cannot be paid from as it stands: no / invalid / shared code, too old."""
    out: list[Reason] = []
    if not facts.uscc:
        out.append(Reason("no_uscc", "yellow", "无统一社会信用代码: 法人身份无法核验"))
    elif (problem := uscc_problem(facts.uscc)) is not None:
        out.append(Reason("invalid_uscc", "yellow", f"统一社会信用代码无效: {problem}"))
    elif code_holders is not None:
        others = [e for e in code_holders.get(facts.uscc, ()) if e != facts.enterprise_id]
        if others:
            out.append(
                Reason("shared_uscc", "yellow", f"统一社会信用代码同时由 {', '.join(sorted(others))} 持有")
            )
    age = profile_age_days(facts.updated_at, today)
    if age > max_age_days:
        out.append(Reason("stale_profile", "yellow", f"企业数据已 {age} 天未更新 (上限 {max_age_days} 天)"))
    return out


def colour_of(
    facts: ProfileFacts,
    entries: Sequence[LedgerEntry],
    hits: Sequence[DuplicateHit],
    today: dt.date,
    *,
    max_age_days: int = DEFAULT_MAX_PROFILE_AGE_DAYS,
    code_holders: Mapping[str, Sequence[str]] | None = None,
) -> Colour:
    """Judge the colour of one enterprise from its profile, its ledger rows and the duplicate hits naming it.

    red: 失信 (credit_status dishonest), 重大违法, or a benefit revoked for 恶意套取 / 骗取 / 虚报;
    yellow: a duplicate-benefit hit, no / invalid / shared 统一社会信用代码, profile older than
    ``max_age_days``; green: none of these.
    """
    reasons: list[Reason] = []
    if facts.credit_status == "dishonest":
        reasons.append(Reason("dishonest", "red", "列入失信名单 (失信被执行人)"))
    if facts.major_violation:
        reasons.append(Reason("major_violation", "red", "有重大违法记录"))
    for entry in entries:
        if entry.status == "revoked" and entry.reason and FRAUD_WORDS.search(entry.reason):
            reasons.append(
                Reason("revoked_fraud", "red", f"{entry.item_id} 被撤销: {entry.reason} ({entry.date})")
            )
    for hit in hits:
        if facts.enterprise_id in hit.enterprise_ids:
            reasons.append(Reason(f"duplicate_{hit.kind}", "yellow", hit.reason()))
    reasons.extend(data_reasons(facts, today, max_age_days=max_age_days, code_holders=code_holders))
    colour = "red" if any(r.colour == "red" for r in reasons) else "yellow" if reasons else "green"
    # Red reasons first, then yellow, each in the order found.
    reasons.sort(key=lambda r: r.colour != "red")
    return Colour(facts.enterprise_id, colour, tuple(reasons))
