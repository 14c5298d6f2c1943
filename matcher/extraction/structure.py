"""The shape of an item's requirements (condition language v2, docs/conditions.md): roles, any groups, tiers.

:func:`extract_entries` reads the leaves :mod:`matcher.extraction.conditions` finds
and arranges them as the text says:

- titles an item is *for becoming* (申请认定高新技术企业, 高新技术企业复审) are no
  prerequisite, and one requirement said twice is one condition;
- 或 / 之一 / 满足下列条件之一 / 其中一项 make an ``any`` group;
- 优先 / 加分 / 鼓励 / 同等条件下 make ``bonus`` leaves; 不得 / 不能申报 / 除外 /
  不含 make ``exclude`` leaves (失信 / 重大违法 keep their base-spec form);
- outcomes that differ by what the enterprise is (国家级…奖励50万元，省级…奖励10万元;
  bracketed thresholds; 按设备投资额的8%给予补助，最高不超过200万元) make tiers with
  their support, amount and formula;
- no silent yes: a sentence that states a requirement and yields no condition
  becomes an ``undecidable`` one with its span.

Every pattern here runs over one sentence or clause at a time and has no nested
quantifier over overlapping classes, so the whole stays linear in the text.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import cast

from corpus.conditions import Condition, Entry, Formula, Group, Role, Tier
from matcher.extraction import vocab
from matcher.extraction.conditions import _Found, as_condition, found_conditions
from matcher.extraction.numbers import NUMBER_PATTERN, boundary_op, parse_number, to_wan

_SENTENCE_END = "。！？!?\n"
_PART_END = _SENTENCE_END + "；;"
_CLAUSE_END = _PART_END + "，,：:"
# A numbered list item opens a new part: （一） (1) 1. ① 一、
_LIST_MARK_RE = re.compile(
    r"[（(][一二三四五六七八九十\d]{1,3}[）)]|[①-⑳]|(?<![\d.])\d{1,2}[.、．](?!\d)|[一二三四五六七八九十]{1,3}、"
)


# A heading that opens an item (（十）加大技改资金支持。 / 7.加快冷链物流设施建设。) names a topic, no requirement.
_HEADING_RE = re.compile(
    r"^\s*(?:[（(][一二三四五六七八九十\d]{1,3}[）)]|[一二三四五六七八九十]{1,3}、|\d{1,2}[.、．])\s*[^。：:；;，,\n]{2,24}[。：:\n]"
)


@dataclass(frozen=True)
class _Span:
    start: int
    end: int


def _split(text: str, ends: str, marks: bool = False) -> list[_Span]:
    """Pieces of ``text`` cut after each character of ``ends`` (and before list marks when ``marks``)."""
    cuts = {0, len(text)}
    for i, ch in enumerate(text):
        if ch in ends:
            cuts.add(i + 1)
    if marks:
        for match in _LIST_MARK_RE.finditer(text):
            cuts.add(match.start())
    points = sorted(cuts)
    return [_Span(a, b) for a, b in zip(points, points[1:], strict=False) if text[a:b].strip()]


def _containing(spans: Sequence[_Span], pos: int) -> _Span:
    # Spans are in text order and disjoint: a binary search keeps long texts linear (issue 18).
    at = bisect.bisect_right(spans, pos, key=lambda span: span.start) - 1
    if 0 <= at < len(spans) and spans[at].start <= pos < spans[at].end:
        return spans[at]
    for span in spans[max(0, at - 1) : at + 2]:  # a position in the blank between two spans
        if span.start <= pos < span.end:
            return span
    return spans[-1] if spans else _Span(0, 0)


def _within(spans: Sequence[_Span], start: int, end: int) -> Sequence[_Span]:
    """Return the spans (in text order) that start in ``[start, end)``, found by binary search."""
    low = bisect.bisect_left(spans, start, key=lambda span: span.start)
    high = bisect.bisect_left(spans, end, key=lambda span: span.start)
    return spans[low:high]


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
    from matcher.extraction.conditions import _nearest_metric, _undecidable_metric_re

    return _nearest_metric(words) is not None or _undecidable_metric_re().search(words) is not None


# --- roles -------------------------------------------------------------------------------------

_BONUS_RE = re.compile(r"优先|加分|同等条件下|特别是|尤其是")
# 不得 / 不能申报 / 不予支持 … but not 不得少于 / 不得低于 (a threshold) nor 不得挪用 (an obligation).
_EXCLUDE_TAIL_RE = re.compile(
    r"(?:的)?(?:企业|单位|项目|情形)?(?:均)?(?:不得|不能|不予|不可|不再|不属于|不纳入|不列入|不享受|不适用)"
    r"(?:申报|申请|享受|参与|参评|纳入|列入|支持|补助|奖励|扶持|重复|给予|报名|认定|一同申报|由)"
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
)


_SUBJECT_RE = re.compile(r"企业|单位|纳税人|缴费人|主体|机构|商户|个体工商户|项目|物资|货物|农户|园区")


# The text says in so many words that every enterprise may have it (无论盈利还是亏损，均可享受).
_EVERYONE_RE = re.compile(r"无论[^。；;]{1,30}?(?:还是|或是|或者|与否)[^。；;]{0,30}?(?:均|都)(?:可|能)")


def _subject_part(text: str, parts: Sequence[_Span]) -> tuple[int, int] | None:
    """Return the words of the first part that names whom the item is for (after any heading), or None.

    Parts that only say how or when to apply (申报时间为…, 提交材料) name nobody; an item that says
    every enterprise may have it (无论…均可) names no one to stand in for.
    """
    if _EVERYONE_RE.search(text):
        return None
    heading = _HEADING_RE.match(text)
    body = [p for p in parts if not heading or p.start >= heading.end()] or list(parts)
    body = [p for p in body if not _PROCEDURE_RE.search(text, p.start, p.end)]
    for part in [p for p in body if _SUBJECT_RE.search(text, p.start, p.end)] + body:
        span = _fallback_span(text, part)
        if span is not None:
            return span[0], min(span[1], span[0] + 60)
    return None


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


def _unheld_exceptions(text: str, found: Sequence[_Found], parts: Sequence[_Span]) -> list[_Found]:
    """Return an ``undecidable`` for each 除X外 / X除外 / 不含X whose X yielded no condition (X is then excluded)."""
    out = []
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
            value = text[start:end]
            out.append(_Found(start, end, Condition("undecidable", "eq", value, value)))
    return out


def _role_of(found: _Found, text: str, clauses: Sequence[_Span], parts: Sequence[_Span]) -> str:
    c = found.condition
    if c.is_exclusion:
        return "require"
    clause = _containing(clauses, found.start)
    part = _containing(parts, found.start)
    words = text[clause.start : clause.end]
    if (c.field, c.op) == ("qualifications", "not_has"):
        return "require"
    # The exclusion tail (…的企业不能申报) closes the clause the condition sits in, or the next one.
    tail = text[found.end : part.end]
    first_clause_end = min((tail.find(ch) for ch in "，," if ch in tail), default=len(tail))
    if _EXCLUDE_TAIL_RE.match(tail[: max(first_clause_end, 0) + 12].split("，")[0][:40].lstrip("的")) or (
        _EXCLUDE_TAIL_RE.search(tail[:first_clause_end])
        and not re.search(r"[对为向]", tail[:first_clause_end])
    ):
        return "exclude"
    # …纳税信用等级为D级的，不予支持: the clause after closes the condition's clause as an exclusion.
    if _EXCLUDE_NEXT_CLAUSE_RE.match(tail):
        return "exclude"
    for match in _EXCEPT_RE.finditer(text[part.start : part.end]):
        group = next(g for g in ("x", "y", "z") if match.group(g))
        s, e = part.start + match.start(), part.start + match.end(group)
        if s <= found.start and found.end <= e + 1:
            return "exclude"
    bonus = _BONUS_RE.search(words)
    if bonus and not re.search(r"鼓励[^，。；]{0,6}(?:企业|单位)?(?:开展|参加|加大|加快|积极)", words):
        return "bonus"
    # 对…的企业，优先推荐 is no bonus: the preference is the support itself (优先保障用地指标), and
    # what comes before it is what an enterprise needs to get it.
    return "require"


# --- no silent yes ---------------------------------------------------------------------------------

# What makes a part state a requirement on the enterprise.
_REQUIREMENT_RE = re.compile(
    r"(?:企业|单位|主体|机构|项目|申请人|申报人|纳税人)[^，。；]{0,4}(?<![无不毋免])(?:须|需|应当?|必须|要)(?!求|对|用|急|收|付)"
    r"|(?<![相供反适效])(?:须|必须|应当)(?!要)"
    r"|(?:符合|满足|具备|具有|达到)(?!条件的)(?![^，。；]{0,4}(?:规定|要求)(?:的|，))"
    r"|不(?:低|少)于|(?:以上|以下|以内)的"
    r"|(?:的|等)(?:企业|单位|机构|纳税人|市场主体|商户|个体工商户|项目)[^，。；]{0,6}(?:均可|均能|可|可以|方可)(?:申请|申报|享受|参与)"
    r"|(?:应|须|需)属于|限于|仅限"
    r"|(?:不得|不能|不予)(?:申报|申请|享受)"
    r"|(?:受|因)(?:疫情|新冠)"
    r"|(?:未|不)裁员"
)
# When and how to apply (申报时间为… / 企业应将…填入 / 应于…前提交 / 不接受线下申报), and the words that
# every enterprise may have it (无论…均可): no requirement, and no stand-in for one.
_PROCEDURE = (
    r"(?:申报|申请|受理)时间(?:为|是|：|:)|(?:须|需|应当?)(?:将|于|如实|向)"
    r"|(?:不|暂不|不再)(?:接受|受理)(?:线上|线下|现场|纸质|邮寄)?(?:申报|申请|材料)"
    r"|无论[^。；;]{1,30}?(?:还是|或是|或者|与否)[^。；;]{0,30}?(?:均|都)(?:可|能)"
)
_PROCEDURE_RE = re.compile(_PROCEDURE)
# A part that only points at requirements stated elsewhere, or describes the procedure.
_NOT_A_REQUIREMENT_RE = re.compile(
    r"^(?:符合|满足|具备)(?:下列|以下|如下|上述|相关)?(?:条件|要求)|(?:申报|申请)(?:材料|程序|流程|方式|时间)|咨询|电话|邮箱|网址|登录|提交"
    # A lead-in to the list that states the requirements (享受本条政策须同时满足以下条件：①…).
    r"|(?:符合|满足|具备|达到)(?:下列|以下|如下)(?:全部|所有)?(?:条件|要求|标准)"
    # How the support is paid (实行“免申即享”…企业无需申报), not what the enterprise must be.
    r"|免申即享|无需申报|无需申请|直接兑付|直接兑现"
    r"|" + _PROCEDURE
)
# 对同时符合下列条件的企业，给予…: the beneficiary is whoever meets the list, which says the requirements.
_LIST_LEAD_RE = re.compile(r"(?:符合|满足|具备|达到)(?:下列|以下|如下)(?:全部|所有)?(?:条件|要求|标准)")
# 对企业实施的技术改造项目，按设备投资额的8%给予补助: the beneficiary names the kind of project the
# item is about, which every applicant's project is; what it requires is said elsewhere, or nothing.
_GENERIC_BENEFICIARY_RE = re.compile(
    r"(?:企业|单位)?(?:实施|开展|建设|投资)?的?(?:技术改造|技改|设备更新|智能化改造|数字化改造)项目"
)
# What a clause of "X的，" leads to when X is no beneficiary: the support is taken back (…退出统计的，收回奖励资金).
_CLAWBACK_RE = re.compile(r"^\s*(?:予以|将|应)?(?:收回|追回|追缴|退回|扣回)")
_SUPPORT_CUT_RE = re.compile(
    r"(?:，|,)?(?:均可|可以|可|方可|将|予以|给予|按|按照|经[^，。；]{0,8}后|由)(?:申请|申报|享受|获得|给予|补助|补贴|奖励|一次性)"
    r"|(?:，|,)(?:给予|奖励|补助|补贴|资助)"
)


def _fallback_span(text: str, part: _Span) -> tuple[int, int] | None:
    """Return the requirement words of a part: without its list mark, its opening 对, and the support after them."""
    start, end = part.start, part.end
    mark = _LIST_MARK_RE.match(text, start)
    if mark:
        start = mark.end()
    while start < end and text[start] in " 　\t，,：:":
        start += 1
    if text.startswith("对", start):
        start += 1
    cut = _SUPPORT_CUT_RE.search(text, start, end)
    if cut and cut.start() - start >= 4:
        end = cut.start()
    while end > start and text[end - 1] in _CLAUSE_END + " 　、的":
        end -= 1
    if end - start < 4:
        return None
    return start, end


# The support a clause of "对X，…" or "X的，…" leads to: what makes X the beneficiary.
_SUPPORT_VERB_RE = re.compile(
    r"免征|免收|减征|减免|减半|暂免|给予|予以|补贴|补助|奖励|资助|贴息|退还|返还|缓缴|延期|延长|允许|提供|实行|执行|适用|可|享受|纳入|开辟|办理"
)
_SUBJECT_NOUN_RE = re.compile(
    r"(?:企业|单位|纳税人|缴费人|机构|主体|商户|个体工商户|项目|温室|车辆|物资|园区|医院|场所|业务|收入|房产)"
)


def _beneficiary_clause(text: str, part: _Span, clauses: Sequence[_Span]) -> tuple[int, int] | None:
    """Return the beneficiary words of "对X，给予…" or "X的，免征…" in a part (X), or None."""
    mine = _within(clauses, part.start, part.end)
    for n, clause in enumerate(mine):
        start, end = clause.start, clause.end
        mark = _LIST_MARK_RE.match(text, start)
        if mark:
            start = mark.end()
        while start < end and text[start] in " 　\t":
            start += 1
        while end > start and text[end - 1] in _CLAUSE_END + " 　":
            end -= 1
        rest = text[clause.end : part.end]
        words = text[start:end]
        if words.startswith(("对于", "对")) and len(words) >= 5:
            inner = start + (2 if words.startswith("对于") else 1)
            verb = _SUPPORT_VERB_RE.search(words)
            if verb and verb.start() > 3:
                return inner, start + verb.start()
            if _SUPPORT_VERB_RE.search(rest) or n + 1 < len(mine):
                return inner, end
        if (
            words.endswith("的")
            and len(words) >= 6
            and _SUBJECT_NOUN_RE.search(words)
            and _SUPPORT_VERB_RE.search(rest)
            and not _CLAWBACK_RE.match(rest)
        ):
            return start, end - 1
    return None


def _silent_parts(
    text: str, found: Sequence[_Found], parts: Sequence[_Span], clauses: Sequence[_Span]
) -> list[_Found]:
    """Return an ``undecidable`` condition for each part that states a requirement and yielded none."""
    out = []
    heading = _HEADING_RE.match(text)
    # Found conditions by start, with the furthest end so far: "does one fall in or across this part?"
    # in log time per part rather than a pass over all of them (quadratic on long texts, issue 18).
    by_start = sorted(found, key=lambda f: f.start)
    starts = [f.start for f in by_start]
    reach = list(itertools.accumulate((f.end for f in by_start), max))
    for part in parts:
        words = text[part.start : part.end]
        before = bisect.bisect_left(starts, part.start)
        inside = before < len(starts) and starts[before] < part.end
        across = before > 0 and reach[before - 1] > part.start
        if inside or across:
            continue
        if heading and part.end <= heading.end():
            continue
        span = _beneficiary_clause(text, part, clauses)
        if span is None:
            if not _REQUIREMENT_RE.search(words) or _NOT_A_REQUIREMENT_RE.search(words):
                continue
            span = _fallback_span(text, part)
        elif (
            span[1] - span[0] < 3
            or _LIST_LEAD_RE.search(text, span[0], span[1])
            or _GENERIC_BENEFICIARY_RE.fullmatch(text, span[0], span[1])
        ):
            continue
        if span is None:
            continue
        value = text[span[0] : span[1]]
        out.append(_Found(span[0], span[1], Condition("undecidable", "eq", value, value)))
    return out


# --- tiers ---------------------------------------------------------------------------------------

_AMOUNT_RE = re.compile(
    rf"(?:奖励|奖补|补助|补贴|资助|扶持|给予|一次性)[^，。；0-9]{{0,8}}?(?P<num>{NUMBER_PATTERN})(?P<unit>亿元|万元|千元|元)"
)
_FORMULA_RE = re.compile(
    rf"按(?:照)?(?:其|企业|项目)?(?P<base>[^，。；的]{{2,12}}?)的(?P<rate>{NUMBER_PATTERN})%"
    r"(?:给予|予以|进行)?(?:一次性)?(?:奖励|奖补|补助|补贴|资助)"
    rf"(?:[，,]?(?:单个企业|每家企业|单个项目)?(?:最高|最多|上限)(?:不超过|为)?(?P<cap>{NUMBER_PATTERN})(?P<cap_unit>亿元|万元|元))?"
)
_FORMULA_BASES = (
    (r"设备投资|设备购置|技改投资|固定资产投资|投资额|总投资|投资", "investment"),
    (r"研发(?:费用|投入)", "rd_expense"),
    (r"纳税|税收", "tax_paid"),
    (r"出口", "export_value"),
    (r"营业收入|销售收入|主营业务收入", "revenue"),
    (r"产值", "output_value"),
)


def _formula(text: str, start: int, end: int) -> tuple[Formula, str] | None:
    match = _FORMULA_RE.search(text, start, end)
    if match is None:
        return None
    base = next((f for p, f in _FORMULA_BASES if re.search(p, match.group("base"))), None)
    rate = parse_number(match.group("rate"))
    if base is None or rate is None or rate <= 0:
        return None
    cap = None
    if match.group("cap"):
        number = parse_number(match.group("cap"))
        cap = None if number is None else to_wan(number, match.group("cap_unit"))
    return Formula(round(rate / 100, 6), base, cap), match.group(0)


@dataclass
class _Outcome:
    """One support said in the text (奖励50万元), the part it closes, and the conditions before it."""

    start: int
    end: int
    support: str
    amount: float | None
    formula: Formula | None = None


def _outcomes(text: str) -> list[_Outcome]:
    out = []
    for match in _AMOUNT_RE.finditer(text):
        number = parse_number(match.group("num"))
        if number is None:
            continue
        # 最高不超过200万元 caps an amount said before it; it is no outcome of its own.
        if re.search(
            r"(?:最高|最多|上限|不超过)[^，。；]{0,4}$", text[max(0, match.start() - 6) : match.start("num")]
        ):
            continue
        out.append(
            _Outcome(
                match.start(), match.end(), match.group(0), round(to_wan(number, match.group("unit")), 6)
            )
        )
    return out


def _short_label(text: str, nodes: Sequence[Condition | Group], start: int, end: int) -> str:
    spans = [n.span for n in nodes if n.span]
    if spans:
        return "、".join(dict.fromkeys(spans))[:40]
    return text[start:end].strip(" ，,；;。")[:24]


# --- any groups -----------------------------------------------------------------------------------


def _node(found: _Found, text: str, role: str) -> Condition | Group:
    """Return a leaf, or an ``any`` group of ``has`` leaves for titles joined by 、 / 或 (any one of them)."""
    c = found.condition
    if c.field == "qualifications" and c.op == "in" and len(c.value) > 1:
        span = text[found.start : found.end]
        members = tuple(Condition("qualifications", "has", t, span) for t in c.value)
        return Group("any", members, span=span, role=role)  # type: ignore[arg-type]
    condition = as_condition(found, text)
    return replace(condition, role=cast(Role, role)) if role != condition.role else condition


def _or_groups(items: list[tuple[_Found, str]], text: str) -> list[list[tuple[_Found, str]]]:
    """Consecutive findings joined by 或 / 或者 in one clause: alternatives."""
    groups: list[list[tuple[_Found, str]]] = []
    for item in items:
        if groups:
            last = groups[-1][-1][0]
            gap = text[last.end : item[0].start]
            if (
                (last.condition.field != "qualifications" or item[0].condition.field != "qualifications")
                and re.fullmatch(r"(?:的企业|的|企业)?(?:或|或者|或是)(?:者)?", gap)
                and groups[-1][-1][1] == item[1]
            ):
                groups[-1].append(item)
                continue
        groups.append([item])
    return groups


def _entries_of(
    items: list[tuple[_Found, str]], text: str, any_from: tuple[int, int] | None
) -> list[Condition | Group]:
    """Nodes of findings (with their roles): 或-joined ones and those after 满足下列条件之一 as ``any`` groups."""
    nodes: list[Condition | Group] = []
    listed = [x for x in items if any_from is not None and any_from[0] <= x[0].start < any_from[1]]
    plain = [x for x in items if x not in listed]
    for group in _or_groups(plain, text):
        if len(group) == 1:
            nodes.append(_node(group[0][0], text, group[0][1]))
        else:
            members = tuple(_leaf_of(_node(f, text, "require")) for f, _ in group)
            span = text[group[0][0].start : group[-1][0].end]
            nodes.append(Group("any", members, span=span, role=group[0][1]))  # type: ignore[arg-type]
    if len(listed) > 1:
        role = "exclude" if any(r == "exclude" for _, r in listed) else "require"
        members = tuple(_leaf_of(_node(f, text, "require")) for f, _ in listed)
        nodes.append(Group("any", members, span=text[listed[0][0].start : listed[-1][0].end], role=role))  # type: ignore[arg-type]
    elif listed:
        nodes.append(_node(listed[0][0], text, listed[0][1]))
    return nodes


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


# --- the whole ---------------------------------------------------------------------------------------


def extract_entries(
    text: str, *, region_code: str | None = None, issued: str | dt.date | None = None
) -> tuple[Entry, ...]:
    """Read an item's conditions in the language v2: leaves with roles, ``any`` groups, then tiers (best first)."""
    norm, found = found_conditions(text, region_code=region_code, issued=issued)
    # Titles the item is for becoming; a requirement said twice (专精特新企业 / 专精特新中小企业).
    kept: list[_Found] = []
    seen: set[tuple] = set()
    for f in sorted(found, key=lambda f: (f.start, f.end)):
        if _applied_for(f, norm):
            continue
        # 对研发投入达到下列标准的企业: the list after it says the requirements, the lead-in none.
        if f.condition.field == "undecidable" and _LIST_LEAD_RE.search(norm, f.start, f.end):
            continue
        if f.condition.field == "undecidable" and _moot_exception(norm[f.start : f.end]):
            continue
        key = f.condition.key
        if f.condition.field != "undecidable" and f.condition.op != "semantic" and key in seen:
            continue
        seen.add(key)
        kept.append(f)
    kept = _elliptic_thresholds(norm, kept)
    parts = _split(norm, _PART_END, marks=True)
    clauses = _split(norm, _CLAUSE_END, marks=True)
    kept += _silent_parts(norm, kept, parts, clauses)
    kept += _unheld_exceptions(norm, kept, parts)
    kept.sort(key=lambda f: (f.start, f.end))
    # Exclusions stated over a part with no condition of their own (除湖北省外, 不含机关事业单位).
    roles = [(f, _role_of(f, norm, clauses, parts)) for f in kept]
    if norm.strip() and not any(r != "bonus" for _, r in roles):
        # No silent yes: an item that names no condition we can read still says whom it is for.
        subject = _subject_part(norm, parts)
        if subject is not None:
            value = norm[subject[0] : subject[1]]
            roles.append((_Found(*subject, Condition("undecidable", "eq", value, value)), "require"))
            roles.sort(key=lambda x: (x[0].start, x[0].end))
    any_list = _ANY_LIST_RE.search(norm)
    exclude_list = _EXCLUDE_LIST_RE.search(norm)
    start = any_list.end() if any_list else (exclude_list.end() if exclude_list else None)
    any_from = None if start is None else (start, _list_end(norm, start))
    if exclude_list is not None and any_list is None:
        roles = [
            (
                f,
                "exclude"
                if any_from is not None
                and any_from[0] <= f.start < any_from[1]
                and not f.condition.is_exclusion
                else r,
            )
            for f, r in roles
        ]
    return _with_tiers(norm, roles, any_from)


def _lift_common(per_tier: list[list[tuple[_Found, str]]]) -> list[list[tuple[_Found, str]]]:
    """Leave out of the first tier what precedes the first condition the tiers vary on.

    对我县工业企业，营业收入首次达到5亿元的，给予50万元；首次达到10亿元的，给予100万元: 我县 and
    工业企业 are said once for every tier, not for the first only (the caller keeps them common).
    """
    fields = [{f.condition.field for f, _ in mine} for mine in per_tier]
    varying = {x for x in set().union(*fields) if sum(x in f for f in fields) >= 2}
    first = next((n for n, mine in enumerate(per_tier) if mine), None)
    if first is None or not varying:
        return per_tier
    mine = per_tier[first]
    at = next((n for n, (f, _) in enumerate(mine) if f.condition.field in varying), 0)
    out = list(per_tier)
    out[first] = mine[at:]
    return out


def _with_tiers(
    text: str, roles: list[tuple[_Found, str]], any_from: tuple[int, int] | None
) -> tuple[Entry, ...]:
    """Arrange nodes into common conditions and tiers when the text gives different outcomes to different enterprises."""
    outcomes = _outcomes(text)
    formula = None
    for part in _split(text, _SENTENCE_END):
        got = _formula(text, part.start, part.end)
        if got is not None:
            formula = got
            break
    sentences = _split(text, _SENTENCE_END)
    ordered = sorted(roles, key=lambda x: x[0].start)  # stable: roles come in text order already
    # Outcomes that belong to different parts of one sentence, each after conditions of its own.
    tiered: list[tuple[_Outcome, list[tuple[_Found, str]]]] = []
    if len(outcomes) >= 2 and len({o.amount for o in outcomes}) >= 2:
        previous = None
        for outcome in outcomes:
            sentence = _containing(sentences, outcome.start)
            low = sentence.start if previous is None or previous.end < sentence.start else previous.end
            first = bisect.bisect_left(ordered, low, key=lambda x: x[0].start)
            last = bisect.bisect_left(ordered, outcome.start, key=lambda x: x[0].start)
            mine = [(f, r) for f, r in ordered[first:last] if r != "bonus"]
            tiered.append((outcome, mine))
            previous = outcome
    if len(tiered) >= 2 and sum(bool(m) for _, m in tiered) >= 2:
        tiered = [
            (o, m) for o, m in zip([o for o, _ in tiered], _lift_common([m for _, m in tiered]), strict=True)
        ]
        in_tiers = {id(f) for _, mine in tiered for f, _ in mine}
        common = [(f, r) for f, r in roles if id(f) not in in_tiers]
        tiers = []
        for outcome, mine in tiered:
            nodes = _entries_of(mine, text, None)
            support_formula = _formula(text, outcome.start, min(len(text), outcome.end + 30))
            tiers.append(
                Tier(
                    label=_short_label(text, nodes, outcome.start, outcome.end),
                    conditions=tuple(nodes),
                    support=outcome.support,
                    amount=outcome.amount,
                    formula=support_formula[0] if support_formula else None,
                    span=text[outcome.start : outcome.end],
                )
            )
        tiers.sort(key=lambda t: -(t.amount or 0))
        return (*_entries_of(common, text, any_from), *tiers)
    by_part = _part_tiers(text, roles)
    if by_part is not None:
        common, tiers = by_part
        return (*_entries_of(common, text, any_from), *tiers)
    brackets = _bracket_tiers(text, roles)
    if brackets is not None:
        common, tiers = brackets
        return (*_entries_of(common, text, any_from), *tiers)
    nodes = _entries_of(roles, text, any_from)
    if formula is not None:
        f, span = formula
        return (
            *nodes,
            Tier(label=span[:24], conditions=(), support=span, amount=f.cap, formula=f, span=span),
        )
    return tuple(nodes)


# What a part gives (免征增值税, 给予补贴, 延长至6月底): one outcome of the item.
_OUTCOME_VERB_RE = re.compile(
    r"免征|免收|减征|减免|减半|暂免|给予|补贴|补助|奖励|资助|贴息|退还|返还|缓缴|延期|延长至|扣除|下调|减按"
)


# A part that binds every beneficiary (须 / 应当 / 必须) states an obligation, not an outcome of its own.
_OBLIGATION_RE = re.compile(r"(?<![无不毋免])(?:须|必须|应当|需要)")


def _part_tiers(
    text: str, roles: list[tuple[_Found, str]]
) -> tuple[list[tuple[_Found, str]], list[Tier]] | None:
    """对A，免征X；对B，给予Y: parts that each give their own outcome to their own enterprises are tiers."""
    parts = _split(text, _PART_END, marks=True)
    tiered = []
    ordered = sorted(roles, key=lambda x: x[0].start)  # stable: roles come in text order already
    for part in parts:
        # By binary search: a pass over every role per part was quadratic on long texts (issue 18).
        low = bisect.bisect_left(ordered, part.start, key=lambda x: x[0].start)
        high = bisect.bisect_left(ordered, part.end, key=lambda x: x[0].start)
        inside = ordered[low:high]
        required = [f for f, r in inside if r == "require"]
        if not required:
            continue
        # The outcome follows whom it is for (对A，免征X); a part that names the support before its
        # requirement (享受补贴的企业须按规定缴纳社保) is an obligation on every beneficiary, no tier.
        verb = _OUTCOME_VERB_RE.search(text, required[0].end, part.end)
        if verb is None or _OBLIGATION_RE.search(text, part.start, part.end):
            continue
        tiered.append((part, verb, inside))
    if len(tiered) < 2:
        return None
    lifted = _lift_common([mine for _, _, mine in tiered])
    tiered = [(part, verb, mine) for (part, verb, _), mine in zip(tiered, lifted, strict=True)]
    in_tiers = {id(f) for _, _, mine in tiered for f, _ in mine}
    common = [(f, r) for f, r in roles if id(f) not in in_tiers]
    tiers = []
    for part, verb, mine in tiered:
        nodes = _entries_of(mine, text, None)
        support = text[verb.start() : part.end].strip(" ，,；;。")[:30]
        amount = _AMOUNT_RE.search(text, part.start, part.end)
        number = parse_number(amount.group("num")) if amount else None
        tiers.append(
            Tier(
                label=_short_label(text, nodes, part.start, part.end),
                conditions=tuple(nodes),
                support=support,
                amount=None
                if number is None or amount is None
                else round(to_wan(number, amount.group("unit")), 6),
                span=text[part.start : part.end].strip(" ，,；;。"),
            )
        )
    if any(t.amount is not None for t in tiers):
        tiers.sort(key=lambda t: -(t.amount or 0))
    return common, tiers


def _bracket_tiers(
    text: str, roles: list[tuple[_Found, str]]
) -> tuple[list[tuple[_Found, str]], list[Tier]] | None:
    """营业收入5000万元以下的…不低于5%；5000万元以上的…不低于4%: parts of one sentence, each its own bracket."""
    pieces = _split(text, "；;" + _SENTENCE_END)  # once, not once per sentence (issue 18)
    for sentence in _split(text, _SENTENCE_END):
        parts = list(_within(pieces, sentence.start, sentence.end))
        if len(parts) < 2:
            continue
        per_part = _lift_common(
            [[(f, r) for f, r in roles if p.start <= f.start < p.end and r == "require"] for p in parts]
        )
        numeric = [
            {f.condition.field for f, _ in mine if f.condition.op in ("gte", "gt", "lte", "lt")}
            for mine in per_part
        ]
        shared = set.intersection(*numeric) if all(numeric) else set()
        if not shared:
            continue
        in_tiers = {id(f) for mine in per_part for f, _ in mine}
        common = [(f, r) for f, r in roles if id(f) not in in_tiers]
        tiers = [
            Tier(
                label=_short_label(text, _entries_of(mine, text, None), p.start, p.end),
                conditions=tuple(_entries_of(mine, text, None)),
                support="",
                span=text[p.start : p.end].strip(" ；;。"),
            )
            for p, mine in zip(parts, per_part, strict=True)
        ]
        return common, tiers
    return None


def entries_leaves(entries: Iterable[Entry]) -> list[Condition]:
    """Every leaf of ``entries`` (groups' members and tiers' conditions included), in order."""
    from corpus.conditions import leaves

    return list(leaves(entries))
