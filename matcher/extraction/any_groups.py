"""``any`` groups (docs/conditions.md §2), split out of :mod:`matcher.extraction.tiers`.

Alternatives joined by 或, kinds of enterprise listed side by side, trades and the enterprises named after
them (…等行业，以及…的企业), and the members listed after 满足下列条件之一.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import cast

from corpus.conditions import Condition, Group, Role
from matcher.extraction.clauses import _LIST_MARK_RE
from matcher.extraction.conditions import _Found, as_condition


def _node(found: _Found, text: str, role: str) -> Condition | Group:
    """Return a leaf, or an ``any`` group of ``has`` leaves for titles joined by 、 / 或 (any one of them)."""
    c = found.condition
    if c.field == "qualifications" and c.op == "in" and len(c.value) > 1:
        span = text[found.start : found.end]
        members = tuple(Condition("qualifications", "has", t, span) for t in c.value)
        return Group("any", members, span=span, role=role)  # type: ignore[arg-type]
    condition = as_condition(found, text)
    return replace(condition, role=cast(Role, role)) if role != condition.role else condition


# Kinds of enterprise listed side by side (高新技术企业、软件企业、集成电路企业 / 农业企业、农民合作社、家庭农场):
# each member a short name ending in the noun of a kind, the members parted by 、 (and 和 / 及 before the
# last). The member class excludes the separator, so the repetition stays linear.
_KIND = r"[^，。；、：:\s（）()对为和及与或的]{1,12}?(?:企业|公司|合作社|农场|工商户|业户|经营主体)"
KIND_LIST_RE = re.compile(rf"(?:{_KIND}、){{1,8}}(?:和|及|以及|与|或)?{_KIND}")


@lru_cache(maxsize=8)
def kind_lists(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of the lists of kinds of enterprise in ``text``: whom a measure is for, any one of them.

    Cached: an item's parts each ask about the same text (a str caches its hash, so a hit is cheap),
    and one scan per part would make a long item quadratic.
    """
    return tuple(m.span() for m in KIND_LIST_RE.finditer(text))


# 对…批发零售、住宿餐饮等行业，以及有发展前景但暂遇困难的企业: the trades and the enterprises named after
# 以及 are two kinds of beneficiary, either one enough (the national 抽贷 / 断贷 / 压贷 wording, read so on tune).
_TRADES_OR_RE = re.compile(r"[，,]?(?:以及|及)[^，。；;]{0,16}")
_TRADES_THEN_OTHERS_RE = re.compile(r"等行业[，,]?(?:以及|及)")
# The hardship said of such trades (受疫情影响较大的批发零售…等行业，以及…): it describes the trades named,
# no requirement beside them — the other kind carries its own (受疫情影响暂遇困难的企业).
_HARDSHIP_RE = re.compile(r"(?:受|因)(?:疫情|新冠)")


def describes_alternative_trades(text: str, found: _Found, after: Sequence[_Found]) -> bool:
    """Say whether an ``undecidable`` hardship only qualifies a list of trades that is one of two alternatives.

    ``after`` are the findings that start after ``found``, in order.
    """
    if found.condition.field != "undecidable" or not _HARDSHIP_RE.match(text, found.start, found.end):
        return False
    trades = next((f for f in after if f.condition.field == "industry_code"), None)
    if trades is None or text[found.end : trades.start] not in ("的", ""):
        return False
    return bool(_TRADES_THEN_OTHERS_RE.match(text, trades.end - 3, trades.end + 4))


# The hardship alone (受疫情影响较大 / 受疫情影响严重的), without a difficulty of its own (暂时出现还款困难).
_HARDSHIP_ONLY_RE = re.compile(
    r"(?:受|因)(?:新冠肺炎|新冠|新型冠状病毒感染的肺炎)?疫情(?:影响)?(?:较大|较重|严重|较为严重|明显|大|重)?的?"
)
# What may stand between trades and the hardship said of them: 住宿餐饮、文化旅游等受疫情影响较大行业.
_TRADES_GAP = ("", "等", "等行业", "等行业的", "行业")
# The trades are one alternative of several (…交通运输和其他未能及时复工的企业 / …等行业，以及…): the hardship
# may then qualify the other one too, and is left to the alternatives' own reading.
_TRADES_THEN_MORE_RE = re.compile(r"[^，。；;]{0,4}?(?:[，,]?(?:以及|及|和|或|或者)|、)")


def describes_trades(text: str, found: _Found, before: Sequence[_Found], after: Sequence[_Found]) -> bool:
    """Say whether an ``undecidable`` hardship only says why the trades beside it were chosen.

    受疫情影响较大的批发零售、住宿餐饮等行业 / 住宿餐饮、交通运输等受疫情影响较大行业: the trades read as an
    industry are whom the measure is for, and the hardship describes them (on tune the labels read the trades
    alone). A hardship beside kinds no industry holds (受疫情影响较大的小微企业) stays, and so does one before
    trades that are one alternative of several (…交通运输和其他…的企业). ``before`` / ``after`` are the findings
    that end before / start after ``found``, nearest first.
    """
    if found.condition.field != "undecidable" or not _HARDSHIP_ONLY_RE.fullmatch(
        text, found.start, found.end
    ):
        return False
    following = next((f for f in after if f.condition.field == "industry_code"), None)
    if following is not None and text[found.end : following.start] in ("的", ""):
        other = text.find("其他", following.start, following.end) >= 0
        return not other and not _TRADES_THEN_MORE_RE.match(text, following.end)
    preceding = next((f for f in before if f.condition.field == "industry_code"), None)
    return preceding is not None and text[preceding.end : found.start] in _TRADES_GAP


def _trades_or(text: str, last: _Found, found: _Found) -> bool:
    """Whether ``last`` lists trades (…等行业) and ``found`` follows it as the other alternative (，以及…).

    A trade named by what it makes (防疫物资生产行业以及受疫情影响较大行业) is one too (labelling guide, l25).
    """
    return (
        bool(text)
        and (last.condition.field == "industry_code" or last.condition.op == "semantic")
        and text.endswith("行业", 0, last.end)
        and _TRADES_OR_RE.fullmatch(text, last.end, found.start) is not None
    )


# 支持A企业扩大产能，支持其他企业新增生产线: a later clause that backs "other" enterprises in the same
# sentence names another kind of beneficiary, either one enough (an ``any`` of the two).
_OTHERS_TOO_RE = re.compile(
    r"(?:支持|鼓励|引导|推动|帮助){1,2}(?:其他|其它)[^，。；;：:]{0,10}?(?:企业|单位|市场主体)"
)
# What may part the first kind's words from the clause of the others: the rest of its own clause or two.
_OTHERS_GAP_RE = re.compile(r"[^。！？!?：:]{0,40}")


def _others_too(text: str, last: _Found, found: _Found) -> bool:
    """Whether ``found`` opens a clause backing other enterprises (支持其他企业…) after the clause ``last`` sits in.

    Both in one sentence: the gap ends a clause (，/ ；), holds at most two clause ends and no sentence end.
    """
    gap = text[last.end : found.start]
    ends = sum(gap.count(ch) for ch in "，,；;")
    return (
        1 <= ends <= 2
        and gap.endswith(("，", ",", "；", ";"))
        and _OTHERS_GAP_RE.fullmatch(gap) is not None
        and _OTHERS_TOO_RE.match(text, found.start) is not None
    )


def others_clauses(text: str, found: Sequence[_Found]) -> list[_Found]:
    """Stand-ins for clauses that back other enterprises (支持其他企业通过…转产) where no finding reads them.

    Only after a clause whose finding names the first kind, in the same sentence: the two are then read as
    alternatives by :func:`_or_groups`. The stand-in runs from the verb to the clause's end.
    """
    out: list[_Found] = []
    for match in _OTHERS_TOO_RE.finditer(text):
        start = match.start()
        if start == 0 or text[start - 1] not in "，,；;":
            continue
        stop = min((i for i in (text.find(ch, start) for ch in "，,。；;") if i >= 0), default=len(text))
        if any(f.start < stop and start < f.end for f in found):
            continue
        if not any(f.end <= start and _others_too(text, f, _Found(start, stop, f.condition)) for f in found):
            continue
        value = text[start:stop]
        out.append(_Found(start, stop, Condition("undecidable", "eq", value, value)))
    return out


def _or_groups(items: list[tuple[_Found, str]], text: str) -> list[list[tuple[_Found, str]]]:
    """Consecutive findings joined by 或 / 或者 (，或者 too), or listed as kinds of enterprise: alternatives."""
    groups: list[list[tuple[_Found, str]]] = []
    lists = kind_lists(text)
    list_starts = [s for s, _ in lists]
    for item in items:
        if groups:
            last = groups[-1][-1][0]
            gap = text[last.end : item[0].start]
            # The list that holds the last finding (lists do not overlap: the one starting last before it).
            at = bisect.bisect_right(list_starts, last.start) - 1
            listed = (
                at >= 0
                and item[0].end <= lists[at][1]
                and "undecidable" in (last.condition.field, item[0].condition.field)
            )
            if (
                (last.condition.field != "qualifications" or item[0].condition.field != "qualifications")
                and (
                    re.fullmatch(r"(?:的企业|的|企业)?[，,]?(?:或|或者|或是)(?:者)?", gap)
                    or listed
                    or _trades_or(text, last, item[0])
                    or _others_too(text, last, item[0])
                )
                and groups[-1][-1][1] == item[1]
            ):
                groups[-1].append(item)
                continue
        groups.append([item])
    return groups


# 对A类重点企业和受B影响的小微企业 / 针对承担C任务的企业及D困难的中小企业: two kinds of beneficiary, each named to
# its head noun and joined by 和 / 及 / 以及 / 与 — either one is enough (an ``any`` of the two, each the ``all`` of
# what names it). The first kind stops at its first head noun.
_KIND_ALTERNATIVES_RE = re.compile(
    r"(?:对|针对|为|向)(?P<a>[^，。；;、：:对为向]{2,40}?(?:企业|单位|市场主体))(?:和|及|以及|与)"
    r"(?P<b>[^，。；;：:对为向]{2,40}?(?:企业|单位|市场主体))"
)


def _kind_alternatives(
    items: list[tuple[_Found, str]], text: str
) -> tuple[list[tuple[int, Condition | Group]], list[tuple[_Found, str]]]:
    """Return the ``any`` groups of two kinds of beneficiary joined by 和 (with where each starts) and the other findings.

    Both kinds must hold a required finding of their own, and no finding may cross either kind's bounds.
    """
    if not items:
        return [], items
    groups: list[tuple[int, Condition | Group]] = []
    used: set[int] = set()
    low = min(f.start for f, _ in items)
    high = max(f.end for f, _ in items)
    for match in _KIND_ALTERNATIVES_RE.finditer(text, max(0, low - 45), min(len(text), high + 45)):
        sides = []
        for name in ("a", "b"):
            start, end = match.span(name)
            # The first kind's finding may open with the words before it (加大对A类重点企业).
            opens = max(0, match.start() - 12) if name == "a" else start
            inside = [
                x
                for x in items
                if opens <= x[0].start < end and start < x[0].end <= end and id(x) not in used
            ]
            crossing = [x for x in items if x[0].start < end and start < x[0].end and x not in inside]
            if not inside or crossing or any(r != "require" for _, r in inside):
                break
            sides.append(inside)
        if len(sides) < 2:
            continue
        members = []
        for side in sides:
            leaves = tuple(_leaf_of(_node(f, text, "require")) for f, _ in side)
            members.append(leaves[0] if len(leaves) == 1 else Group("all", leaves))
        span = text[sides[0][0][0].start : sides[1][-1][0].end]
        groups.append((sides[0][0][0].start, Group("any", tuple(members), span=span, role="require")))
        used |= {id(x) for side in sides for x in side}
    return groups, [x for x in items if id(x) not in used]


def _entries_of(
    items: list[tuple[_Found, str]], text: str, any_from: tuple[int, int] | None
) -> list[Condition | Group]:
    """Nodes of findings (with their roles): 或-joined ones and those after 满足下列条件之一 as ``any`` groups."""
    listed = [x for x in items if any_from is not None and any_from[0] <= x[0].start < any_from[1]]
    kinds, plain = _kind_alternatives([x for x in items if x not in listed], text)
    nodes_at: list[tuple[int, Condition | Group]] = list(kinds)
    nodes_at += [(group[0][0].start, _group_node(group, text)) for group in _or_groups(plain, text)]
    if kinds:  # the two kinds' group stands where its first kind does, among the other nodes in text order
        nodes_at.sort(key=lambda x: x[0])
    nodes = [node for _, node in nodes_at]
    if len(listed) > 1:
        role = "exclude" if any(r == "exclude" for _, r in listed) else "require"
        members = tuple(_leaf_of(_node(f, text, "require")) for f, _ in listed)
        nodes.append(Group("any", members, span=text[listed[0][0].start : listed[-1][0].end], role=role))  # type: ignore[arg-type]
    elif listed:
        nodes.append(_node(listed[0][0], text, listed[0][1]))
    return nodes


def _group_node(group: list[tuple[_Found, str]], text: str) -> Condition | Group:
    """Return one finding's node, or the ``any`` group of 或-joined findings."""
    if len(group) == 1:
        return _node(group[0][0], text, group[0][1])
    # An any group of titles among them (高新技术企业、科技型中小企业) gives each title as a member.
    members = tuple(
        m
        for f, _ in group
        for node in (_node(f, text, "require"),)
        for m in (node.members if isinstance(node, Group) and node.kind == "any" else (_leaf_of(node),))
    )
    span = text[group[0][0].start : group[-1][0].end]
    return Group("any", members, span=span, role=group[0][1])  # type: ignore[arg-type]


def _leaf_of(node: Condition | Group) -> Condition | Group:
    """Return a group member: a leaf, or an ``all`` of the leaves an any group of titles held."""
    if isinstance(node, Group):
        return (
            Group("all", tuple(_leaf_of(m) for m in node.members)) if node.kind == "all" else node.members[0]
        )
    return replace(node, role="require")


def _list_end(text: str, start: int) -> int:
    """Where the list after 满足下列条件之一 ends: the first 。 not followed by another list item."""
    at = start
    while True:
        stop = min((i for i in (text.find("。", at), text.find("\n", at)) if i >= 0), default=-1)
        if stop < 0:
            return len(text)
        after = stop + 1
        while after < len(text) and text[after] in " 　\n\t":
            after += 1
        if not _LIST_MARK_RE.match(text, after):
            return stop + 1
        at = after
