"""Roles of an item's requirements (docs/conditions.md §1), split out of :mod:`matcher.extraction.structure`.

Titles an item is for becoming, thresholds that leave their metric unsaid, ``bonus`` and
``exclude`` roles, and exceptions (除…外 / 不含).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from corpus.conditions import Condition
from matcher.extraction import vocab
from matcher.extraction.clauses import _CLAUSE_END, _SENTENCE_END, _containing, _Span, _split
from matcher.extraction.conditions import _Found
from matcher.extraction.numbers import NUMBER_PATTERN, boundary_op, parse_number, to_wan

# --- titles an item is for becoming, and repeats --------------------------------------------------

# After a title: the procedure for becoming it (高新技术企业认定 / 复审 / 名称变更 / 申请书).
_APPLIED_AFTER_RE = re.compile(
    r"^(?:的)?(?:认定|复审|重新认定|评价|入库|名称变更|申请书|申报|培育|评审|资格期满|资格到期|证书有效期|认定管理|认定工作|认定办法|评价办法|工作指引)"
)
# Before a title: applying for it (申请认定为 / 申报 / 争创 / 培育).
_APPLIED_BEFORE_RE = re.compile(
    r"(?:申请|申报|拟认定为|争创|创建|培育为?|推荐|评选|认定机构|参评)(?:认定)?(?:为)?(?:国家|省|市|区|县)?(?:级)?$"
)
# ... unless the sentence says the enterprise holds it (已认定 / 通过认定的 / 拥有…证书).
_HOLDS_RE = re.compile(
    r"(?:已|通过|获得|取得|拥有|持有|具有|具备|被认定为|首次认定为|新认定为|认定为|评为|获评)[^，。；]{0,8}$"
)


def _applied_for(found: _Found, text: str) -> bool:
    """Tell whether a qualification is what the item helps the enterprise become, not what it must hold."""
    c = found.condition
    if c.field != "qualifications" or c.op not in ("has", "in"):
        return False
    before = text[max(0, found.start - 10) : found.start]
    after = text[found.end : found.end + 8]
    if _HOLDS_RE.search(before):
        return False
    return bool(_APPLIED_AFTER_RE.match(after) or _APPLIED_BEFORE_RE.search(before))


# --- thresholds that leave their metric unsaid -----------------------------------------------------

# A number with its unit and boundary words (首次达到10亿元 / 在4%及以上 / 不高于2亿元 / 3%（含）以上).
_BARE_THRESHOLD_RE = re.compile(
    rf"(?P<num>{NUMBER_PATTERN})(?P<unit>亿元|万元|千元|元|%)(?P<after>(?:（含）|\(含\))?(?:及以上|以上|及以下|以下|以内)?(?:（含）|\(含\))?)"
)
# Words of a clause that say the number is a support or its cap (给予50万元 / 最高不超过200万元), no threshold.
_NOT_A_THRESHOLD_RE = re.compile(vocab.SUPPORT_WORDS + r"|最多|累计|每|共计|合计|比例提高|提高到")


def _elliptic_thresholds(text: str, found: list[_Found]) -> list[_Found]:
    """Thresholds that name no metric read as the one said just before them in the sentence.

    营业收入首次达到5亿元的，给予50万元；首次达到10亿元的，给予100万元 — the second threshold is
    营业收入 too; 营业收入超过5000万元、不高于2亿元的，在4%及以上 — 2亿元 is 营业收入, 4% the
    share said in the bracket before. An ``undecidable`` the bare number made is replaced.
    """
    numeric = sorted(
        (
            f
            for f in found
            if f.condition.field in vocab.NUMERIC_UNITS and f.condition.op in ("gte", "gt", "lte", "lt")
        ),
        key=lambda f: f.start,
    )
    if not numeric:
        return found
    decided = [f for f in found if f.condition.field != "undecidable"]
    added: list[_Found] = []
    sentences = _split(text, _SENTENCE_END)
    clauses = _split(text, _CLAUSE_END + "、")
    for sentence in sentences:
        mine = [f for f in numeric if sentence.start <= f.start < sentence.end]
        if not mine:
            continue
        for match in _BARE_THRESHOLD_RE.finditer(text, mine[0].end, sentence.end):
            start, end = match.start(), match.end()
            if any(f.start < end and start < f.end for f in decided + added):
                continue
            clause = _containing(clauses, start)
            before = text[clause.start : start]
            # The clause holds only the threshold's own words: no metric of its own, no support.
            if len(before) > 8 or _NOT_A_THRESHOLD_RE.search(before) or _nearest_metric_words(before):
                continue
            op = boundary_op(before, match.group("after"))
            if op is None:
                continue
            unit = match.group("unit")
            kind = "%" if unit == "%" else "money"
            # The nearest threshold before it in the sentence with a metric of the same kind (money, share).
            previous = [
                f for f in mine + added if f.end <= start and kind in vocab.NUMERIC_UNITS[f.condition.field]
            ]
            if not previous:
                continue
            last = max(previous, key=lambda f: f.end)
            if start - last.end > 60:
                continue
            number = parse_number(match.group("num"))
            if number is None:
                continue
            value = to_wan(number, unit) if kind == "money" else number
            value = int(value) if float(value).is_integer() else round(value, 6)
            span_start = clause.start if text[clause.start : start].strip() else start
            while span_start < start and text[span_start] in " 　":
                span_start += 1
            words = text[span_start:end]
            added.append(_Found(span_start, end, Condition(last.condition.field, op, value, words)))
    if not added:
        return found
    kept = [
        f
        for f in found
        if not (
            f.condition.field == "undecidable" and any(a.start < f.end and f.start < a.end for a in added)
        )
    ]
    return sorted(kept + added, key=lambda f: (f.start, f.end))


def _nearest_metric_words(words: str) -> bool:
    """Tell whether ``words`` name a metric (营业收入, 研发费用 …) of their own."""
    from matcher.extraction.figures import _nearest_metric, _undecidable_metric_re

    return _nearest_metric(words) is not None or _undecidable_metric_re().search(words) is not None


# --- roles -------------------------------------------------------------------------------------

_TOP_UP_RE = re.compile(r"[，,]?\s*(?:再|另行?|额外|追加)(?:增加|给予|奖励|补助|补贴|加发|奖补|增发)")
_BONUS_RE = re.compile(r"优先|加分|同等条件下|特别是|尤其是")
# 不得 / 不能申报 / 不予支持 … but not 不得少于 / 不得低于 (a threshold) nor 不得挪用 (an obligation).
_EXCLUDE_TAIL_RE = re.compile(
    r"(?:的)?(?:企业|单位|项目|情形)?(?:均)?(?:不得|不能|不予|不可|不再|不属于|不纳入|不列入|不享受|不适用)"
    r"(?:申报|申请|享受|参与|参评|纳入|列入|支持|补助|奖励|扶持|重复|给予|报名|认定|一同申报|由)"
)
# The refusal closing a stand-in's own words: …的企业不能申报 / …不可重复获得 (not 不得少于: a threshold).
_OWN_REFUSAL_RE = re.compile(
    r"(?:不得|不能|不予|不可)(?:申报|申请|享受|参评|重复(?:获得|享受|申报|申请|领取))$"
)
_EXCEPT_RE = re.compile(
    r"除(?P<x>[^，。；、]{2,30}?)(?:以外|之外|外)|(?P<y>[^，。；（(]{2,30}?)除外|(?:不含|不包括|不包含)(?P<z>[^，。；）)]{2,30})"
)
# 有下列情形之一的，不得申报: the list after it is one exclusion group.
_EXCLUDE_LIST_RE = re.compile(
    r"(?:有|存在|具有|属于)(?:下列|以下|如下)(?:情形|情况)之一(?:的)?[^。；：:]{0,30}?(?:不得|不能|不予|不再|取消)"
)
_EXCLUDE_NEXT_CLAUSE_RE = re.compile(
    r"^(?:的)?(?:企业|单位|项目)?[，,](?:均|一律|将)?(?:不得|不能|不予|不再|不享受|不列入|不纳入)"
    r"(?:申报|申请|享受|支持|补助|奖励|扶持|给予|列入|纳入|认定)"
)
_ANY_LIST_RE = re.compile(
    r"(?:满足|符合|具备|达到)(?:下列|以下|如下)(?:条件|要求|标准|情形)?(?:之一|中的?(?:一|任一)项|任一|其中一项)"
    # 属于下列情形之一的，…：1.…；2.… — whoever is in any one case (not 属于下列情形之一的，不得…: an exclusion list).
    r"|属于(?:下列|以下|如下)(?:情形|情况)之一(?![^。；;：:]{0,30}?(?:不得|不能|不予|不再|取消))"
)


# Kinds of body no enterprise is: excluding them (不含机关事业单位) excludes no enterprise.
_NOT_ENTERPRISES = frozenset(
    {
        "机关",
        "党政机关",
        "国家机关",
        "事业单位",
        "机关事业单位",
        "行政事业单位",
        "社会团体",
        "人民团体",
        "个人",
    }
)


def _moot_exception(words: str) -> bool:
    """Tell whether an exception (不含机关事业单位 / 机关、事业单位除外) names only bodies that are no enterprise."""
    words = re.sub(r"^(?:不含|不包括|不包含|除)|(?:除外|以外|之外|外|等)$", "", words.strip("（）() "))
    pieces = [p for p in re.split(r"[、和及与]", words) if p]
    return bool(pieces) and all(p in _NOT_ENTERPRISES for p in pieces)


# Places outside the mainland (港、澳、台地区 / 香港、澳门和台湾地区): excepted from 境内, they narrow where the
# enterprise must be registered, and exclude no enterprise that is.
_OUTSIDE_MAINLAND = frozenset({"港", "澳", "台", "香港", "澳门", "台湾", "港澳", "港澳台"})
# 在中国境内（不包括港、澳、台地区）注册: the place the exception is taken from, and the registration after it.
_MAINLAND_BEFORE_RE = re.compile(r"(?:在)?(?:中国|我国|中华人民共和国)?(?:大陆)?境内[（(]?$")
_REGISTERED_AFTER_RE = re.compile(
    r"[）)]?(?:依法)?(?:注册|登记|设立|成立)[^，。；、（(或]{0,8}?(?=的|或|[，。；、（(]|$)"
)


def _outside_mainland(words: str) -> bool:
    """Tell whether an exception (港、澳、台地区 / 香港、澳门和台湾地区) names only places outside the mainland."""
    words = re.sub(r"(?:地区|等)+$", "", words.strip("（）() "))
    pieces = [re.sub(r"地区$", "", p) for p in re.split(r"[、和及与]", words) if p]
    return bool(pieces) and all(p in _OUTSIDE_MAINLAND for p in pieces)


def _registered_in_mainland(text: str, start: int, end: int, found: Sequence[_Found]) -> _Found | None:
    """Return the requirement an exception of places outside the mainland belongs to: registered inside it.

    ``start`` / ``end`` bound the excepted places. Returns a required ``undecidable`` from the place
    (在中国境内) through the registration (注册 / 设立), or None when no finding holds it yet and the words
    around do not say it.
    """
    before = _MAINLAND_BEFORE_RE.search(text, max(0, start - 16), max(0, start - 3))
    if before is None:
        return None
    after = _REGISTERED_AFTER_RE.match(text, end)
    if after is None:
        return None
    lo, hi = before.start(), after.end()
    if any(f.start < hi and lo < f.end for f in found):
        return None
    value = text[lo:hi]
    return _Found(lo, hi, Condition("undecidable", "eq", value, value))


def _unheld_exceptions(text: str, found: Sequence[_Found], parts: Sequence[_Span]) -> list[_Found]:
    """Return an ``undecidable`` for each 除X外 / X除外 / 不含X whose X yielded no condition (X is then excluded)."""
    out: list[_Found] = []
    for part in parts:
        for match in _EXCEPT_RE.finditer(text, part.start, part.end):
            group = next(g for g in ("x", "y", "z") if match.group(g))
            start, end = match.span(group)
            while end > start and text[end - 1] in "）)的等":
                end -= 1
            if end - start < 2 or any(f.start < end and start < f.end for f in found):
                continue
            if _moot_exception(text[start:end]):
                continue
            if _outside_mainland(text[start:end]):
                registered = _registered_in_mainland(text, start, end, list(found) + out)
                if registered is not None:
                    out.append(registered)
                continue
            value = text[start:end]
            out.append(_Found(start, end, Condition("undecidable", "eq", value, value)))
    return out


# How far after a condition its exclusion tail is looked for (a clause is far shorter).
_TAIL_CHARS = 2_000


@lru_cache(maxsize=64)
def _exception_spans(text: str, start: int, end: int) -> tuple[tuple[int, int], ...]:
    """Spans (from the 除 / 不含 to the end of what is excepted) of a part's exceptions, found once per part.

    Cached: each condition of a part asks, and scanning the part per condition is quadratic on a long part.
    """
    out = []
    for match in _EXCEPT_RE.finditer(text[start:end]):
        group = next(g for g in ("x", "y", "z") if match.group(g))
        out.append((start + match.start(), start + match.end(group)))
    return tuple(out)


def _role_of(found: _Found, text: str, clauses: Sequence[_Span], parts: Sequence[_Span]) -> str:
    c = found.condition
    if c.is_exclusion:
        return "require"
    clause = _containing(clauses, found.start)
    part = _containing(parts, found.start)
    words = text[clause.start : clause.end]
    if (c.field, c.op) == ("qualifications", "not_has"):
        return "require"
    # 实行核定征收的企业不能申报 / 与X补贴不可重复获得: a stand-in whose own words close with the refusal.
    if c.field == "undecidable" and _OWN_REFUSAL_RE.search(text, found.start, found.end):
        return "exclude"
    # The exclusion tail (…的企业不能申报) closes the clause the condition sits in, or the next one. Only the
    # words soon after the condition are read: a whole part copied per condition is quadratic on a long part.
    tail = text[found.end : min(part.end, found.end + _TAIL_CHARS)]
    first_clause_end = min((tail.find(ch) for ch in "，," if ch in tail), default=len(tail))
    if _EXCLUDE_TAIL_RE.match(tail[: max(first_clause_end, 0) + 12].split("，")[0][:40].lstrip("的")) or (
        _EXCLUDE_TAIL_RE.search(tail[:first_clause_end])
        and not re.search(r"[对为向]", tail[:first_clause_end])
    ):
        return "exclude"
    # …纳税信用等级为D级的，不予支持: the clause after closes the condition's clause as an exclusion.
    if _EXCLUDE_NEXT_CLAUSE_RE.match(tail):
        return "exclude"
    for s, e in _exception_spans(text, part.start, part.end):
        if s <= found.start and found.end <= e + 1:
            # 不含香港、澳门和台湾地区 read alone: where the enterprise must be registered, no one excluded.
            if _outside_mainland(re.sub(r"^(?:除|不含|不包括|不包含)", "", text[s:e])):
                return "require"
            return "exclude"
    # …其中参保职工人数达到30人的，再增加3万元: a top-up over the support every applicant gets, no requirement.
    if _TOP_UP_RE.match(text, clause.end):
        return "bonus"
    bonus = _BONUS_RE.search(words)
    # 受疫情影响严重的企业特别是小微企业: 特别是 / 尤其是 single out what follows them; whom the clause names
    # before them is still required.
    if bonus and bonus.group() in ("特别是", "尤其是") and found.start < clause.start + bonus.end():
        bonus = None
    if bonus and not re.search(r"鼓励[^，。；]{0,6}(?:企业|单位)?(?:开展|参加|加大|加快|积极)", words):
        return "bonus"
    # 对…的企业，优先推荐 is no bonus: the preference is the support itself (优先保障用地指标), and
    # what comes before it is what an enterprise needs to get it.
    return "require"
