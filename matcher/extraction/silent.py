"""No silent yes: a part that states a requirement and yields no condition becomes an ``undecidable`` one.

Split out of :mod:`matcher.extraction.structure`; an item naming no condition still says whom it
is for, while procedure (申报时间, 企业应将…) and 无论…均可 stand in for nothing.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Sequence

from corpus.conditions import Condition
from matcher.extraction.any_groups import _list_end
from matcher.extraction.clauses import (
    _CLAUSE_END,
    _HEADING_RE,
    _LIST_MARK_RE,
    _PART_END,
    _Span,
    _split,
    _within,
)
from matcher.extraction.conditions import _Found
from matcher.extraction.requirement_clauses import clause_words, states_requirement
from matcher.extraction.requirement_words import (
    _BINDING,
    _LIST_LEAD_RE,
    _MEETS_NEEDS_RE,
    _NEEDS,
    _NOT_A_REQUIREMENT_RE,
    _PROCEDURE_RE,
    _REQUIREMENT_RE,
    _TARGET_RE,
    _UNSTATED_RE,
    IN_PERSON_RE,
    _opens_a_list,
    _past_others_duties,
    _unstated_requirement,
    asks_nothing,
)
from matcher.extraction.vocab import PAYER_KINDS, RELIEF_WORDS, alternatives

_SUBJECT_RE = re.compile(r"企业|单位|纳税人|缴费人|主体|机构|商户|个体工商户|项目|物资|货物|农户|园区")


# The text says in so many words that every enterprise may have it (无论盈利还是亏损，均可享受).
_EVERYONE_RE = re.compile(
    r"无论[^。；;]{1,30}?(?:还是|或是|或者|与否)[^。；;]{0,30}?(?:均|都)(?:可|能)"
    # 全省纳税人可以通过…办理: every payer of the place may.
    r"|(?<![^，,：:；;。\s])(?:全省|全市|全区|全县|全体|所有)(?:纳税人|缴费人|企业)(?:均|都)?(?:可以|可)"
)


# （责任单位：市财政局、市人民银行） / 牵头单位 / 联系人: the offices in charge of the measure and whom to call, no one
# it is for (单位 there is the office's).
_IN_CHARGE_RE = re.compile(
    r"[\s　]*[（(\[【]?[\s　]*(?:责任单位|责任部门|牵头单位|牵头部门|配合单位|配合部门|实施单位|联系单位|联系人|联系电话|咨询电话)"
)


def _subject_part(text: str, parts: Sequence[_Span]) -> tuple[int, int] | None:
    """Return the words of the first part that names whom the item is for (after any heading), or None.

    Parts that only say how or when to apply (申报时间为…, 提交材料) name nobody; an item that says
    every enterprise may have it (无论…均可) names no one to stand in for.
    """
    if _EVERYONE_RE.search(text):
        return None
    heading = _HEADING_RE.match(text)
    body = [p for p in parts if not heading or p.start >= heading.end()] or list(parts)
    body = [
        p
        for p in body
        if not _PROCEDURE_RE.search(text, p.start, p.end)
        and not _TARGET_RE.search(text, p.start, p.end)
        and not _IN_CHARGE_RE.match(text, p.start, p.end)
        # 鼓励企业吸纳… / 设立…资金，助力企业… / …部门上门走访，为企业…: what is done for every enterprise.
        and not asks_nothing(text, p.start, p.end)
    ]
    for part in [p for p in body if _SUBJECT_RE.search(text, p.start, p.end)] + body:
        span = _fallback_span(text, part)
        if span is not None:
            return span[0], min(span[1], span[0] + 60)
    return None


# 对企业实施的技术改造项目，按设备投资额的8%给予补助: the beneficiary names the kind of project the
# item is about, which every applicant's project is; what it requires is said elsewhere, or nothing.
_GENERIC_BENEFICIARY_RE = re.compile(
    r"(?:企业|单位)?(?:实施|开展|建设|投资)?的?(?:技术改造|技改|设备更新|智能化改造|数字化改造)项目"
)
# 对大型企业等其他参保单位… / 对各类参保单位…: every other one (the complement of a tier before it) or every
# one — whom the relief is for by its nature, no requirement to stand in for (labelling guide §5).
_EVERY_OTHER_RE = re.compile(
    r"(?:[^，。；;]{0,12}?等)?(?:其他|其它|各类|所有)[^，。；;的]{0,6}?(?:" + alternatives(PAYER_KINDS) + ")"
)
# 对租用其他经营用房的，…: "the other ones", after a tier for a named kind (对承租国有资产类经营用房的企业…) —
# whoever is left, no requirement of its own (a short phrase whose head is 其他).
_OTHER_ONES_RE = re.compile(r"[^，。；;]{0,6}?(?:其他|其它)[^，。；;]{0,8}")
# What a clause of "X的，" leads to when X is no beneficiary: the support is taken back (…退出统计的，收回奖励资金).
_CLAWBACK_RE = re.compile(r"^\s*(?:予以|将|应)?(?:收回|追回|追缴|退回|扣回)")
_SUPPORT_CUT_RE = re.compile(
    r"(?:，|,)?(?:均可|可以|可|方可|将|予以|给予|按|按照|经[^，。；]{0,8}后|由)(?:申请|申报|享受|获得|给予|补助|补贴|奖励|一次性)"
    r"|(?:，|,)(?:给予|奖励|补助|补贴|资助)"
)


def _after_mark(text: str, start: int, end: int, blanks: str) -> int:
    """Return where the words of ``text[start:end]`` begin: past its list mark (（一） / 1.) and the ``blanks`` after it."""
    mark = _LIST_MARK_RE.match(text, start)
    if mark:
        start = mark.end()
    while start < end and text[start] in blanks:
        start += 1
    return start


def _fallback_span(text: str, part: _Span, *, duties: bool = True) -> tuple[int, int] | None:
    """Return the requirement words of a part: without its list mark, its opening 对, and the support after them."""
    end = part.end
    start = _after_mark(text, part.start, end, " 　\t，,：:")
    # 金融机构要适当下调小微企业贷款利率，…: another body's duty, no words of the applicant's.
    past = _past_others_duties(text, start, end) if duties else start
    if past != start:
        start = past
        while start < end and text[start] in " 　\t，,：:；;":
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
    r"免征|免收|减征|减免|减半|暂免|给予|予以|补贴|补助|奖励|资助|贴息|退还|返还|缓缴|延期|延长|允许|提供|实行|实施(?=[^，。；;]{0,16}?服务)|执行|适用|可|享受|纳入|开辟|办理"
)
_SUBJECT_NOUN_RE = re.compile(
    r"(?:企业|单位|纳税人|缴费人|机构|主体|商户|个体工商户|项目|温室|车辆|物资|园区|医院|场所|业务|收入|房产)"
)


# 减免…X企业容量电费 / 免收…X企业…费: the enterprises whose charge is relieved are its beneficiary (a bare
# 企业 is every enterprise: no requirement).
_RELIEF_OF_RE = re.compile(
    "(?:"
    + alternatives(RELIEF_WORDS)
    + r")(?P<who>[^，。；;、]{3,30}?(?:企业|单位|用户))(?=的?[^，。；;的]{1,8}?费)"
)
# 对企业生产用水实行… : 企业 owns the object the measure is about, no subject of its own — every enterprise.
_EVERY_ENTERPRISE_OBJECT_RE = re.compile(r"企业(?!的)[^，。；;的企单纳项主机商]{2,16}")


# …的，依法准予延期申报 / …的，最高可给予…补助: the clause after "X的" grants the support at once.
_GRANT_NEXT_RE = re.compile(
    r"\s*(?:可|最高可|依法|经批准后?)?(?:准予|给予|予以|享受|免征|减征|免收|返还|补助|奖励)"
)


def _beneficiary_clause(text: str, part: _Span, clauses: Sequence[_Span]) -> tuple[int, int] | None:
    """Return the beneficiary words of "对X，给予…" or "X的，免征…" in a part (X), or None."""
    mine = _within(clauses, part.start, part.end)
    for n, clause in enumerate(mine):
        end = clause.end
        start = _after_mark(text, clause.start, end, " 　\t")
        while end > start and text[end - 1] in _CLAUSE_END + " 　":
            end -= 1
        rest = text[clause.end : part.end]
        words = text[start:end]
        # 减免停产期间高压用电企业基本电费: a relief whose object is a charge of the enterprises named.
        relief = _RELIEF_OF_RE.match(words)
        if relief is not None and n == 0:
            return start + relief.start("who"), start + relief.end("who")
        if words.startswith(("对于", "对")) and len(words) >= 5:
            # 对确需当面办理的: a matter the office handles in person, no one the measure is for.
            if IN_PERSON_RE.match(words):
                continue
            inner = start + (2 if words.startswith("对于") else 1)
            verb = _SUPPORT_VERB_RE.search(words)
            if verb and verb.start() > 3:
                return inner, start + verb.start()
            if _SUPPORT_VERB_RE.search(rest) or n + 1 < len(mine):
                return inner, end
        if (
            words.endswith("的")
            and len(words) >= 6
            # Naming no subject, X is still whom the support goes to when the next words grant it.
            and (_SUBJECT_NOUN_RE.search(words) or _GRANT_NEXT_RE.match(rest))
            and _SUPPORT_VERB_RE.search(rest)
            and not _CLAWBACK_RE.match(rest)
        ):
            return start, end - 1
    return None


class _Coverage:
    """Findings by start, with the furthest end so far: "does one fall in or across this span?" in log time.

    Asked once per part and per clause: a pass over every finding each time is quadratic on long texts (issue 18).
    """

    def __init__(self, found: Iterable[_Found]) -> None:
        self.by_start = sorted(found, key=lambda f: f.start)
        self.starts = [f.start for f in self.by_start]
        self.reach = list(itertools.accumulate((f.end for f in self.by_start), max))

    def starting_in(self, start: int, end: int) -> list[_Found]:
        """Return the findings that start inside ``[start, end)``, in order of start."""
        return self.by_start[bisect.bisect_left(self.starts, start) : bisect.bisect_left(self.starts, end)]

    def overlaps(self, start: int, end: int) -> bool:
        """Whether a finding starts inside ``[start, end)`` or starts before it and reaches into it."""
        before = bisect.bisect_left(self.starts, start)
        inside = before < len(self.starts) and self.starts[before] < end
        across = before > 0 and self.reach[before - 1] > start
        return inside or across


# What opens a list whose entries are each a requirement (or, with 之一, an alternative): 须同时符合下列条件：（1）…；
# （2）… / 有下列情形之一的，不得…：A的；B的 / 属于下列情形之一的，…：1.…. Each entry names what the enterprise must
# be or have, whatever its words (有…场所, 资本达到…): its place in the list says so.
_ENTRIES_LEAD_RE = re.compile(
    r"(?:符合|满足|具备|达到)(?:下列|以下|如下)(?:全部|所有)?(?:条件|要求|标准|情形)"
    r"|(?:有|存在|具有|属于)(?:下列|以下|如下)(?:情形|情况)之一(?:的)?[^。；;：:]{0,30}?(?:不得|不能|不予|不再|取消)"
    r"|属于(?:下列|以下|如下)(?:情形|情况)之一"
)


def _list_entries(text: str) -> list[_Span]:
    """Return the entries of each list a lead-in opens (符合下列条件：（1）…；（2）…), one span per entry.

    The list starts after the lead-in's colon (or its part, when the entries follow on a part of their own) and ends
    at the first 。 that no further entry follows (:func:`~matcher.extraction.any_groups._list_end`).
    """
    out: list[_Span] = []
    at = 0
    for lead in _ENTRIES_LEAD_RE.finditer(text):
        if lead.start() < at:
            continue
        stops = [i for i in (text.find(c, lead.end()) for c in "：:。；;\n") if i >= 0]
        if not stops:
            break
        start = min(stops) + 1
        end = _list_end(text, start)
        out += [_Span(start + p.start, start + p.end) for p in _split(text[start:end], _PART_END, marks=True)]
        at = end
    return out


def _silent_parts(
    text: str, found: Sequence[_Found], parts: Sequence[_Span], clauses: Sequence[_Span]
) -> list[_Found]:
    """Return an ``undecidable`` condition for each part that states a requirement and yielded none."""
    out = []
    heading = _HEADING_RE.match(text)
    read = _Coverage(found)
    undecidable = _Coverage(f for f in found if f.condition.field == "undecidable")
    entries = _list_entries(text)
    entry_starts = {e.start for e in entries}
    # A lead-in and the first entry in one part (…情形之一的，不得享受：A的；) are read apart: the lead-in as a
    # part of its own, the entry as an entry.
    parts = sorted(
        [p for p in parts if not any(p.start < e.start < p.end for e in entries)]
        + [
            piece
            for p in parts
            for e in entries
            if p.start < e.start < p.end
            for piece in (_Span(p.start, e.start), _Span(e.start, p.end))
        ],
        key=lambda p: p.start,
    )
    for part in parts:
        words = text[part.start : part.end]
        if part.start in entry_starts and not read.overlaps(part.start, part.end):
            span = _fallback_span(text, part, duties=False)
            if span is not None and not _NOT_A_REQUIREMENT_RE.search(text, span[0], span[1]):
                value = text[span[0] : span[1]]
                out.append(_Found(span[0], span[1], Condition("undecidable", "eq", value, value)))
            continue
        if read.overlaps(part.start, part.end):
            # A part that yielded a condition may state another beside it (…的企业，其产品须符合…标准，…).
            # The model speaks only where the part's read conditions are all decidable (its silent yes): beside
            # an undecidable, the labels read the neighbouring clauses as that one requirement.
            decided = not undecidable.overlaps(part.start, part.end)
            out += _newcomer_after_place(text, read, part, clauses)
            out += _silent_clauses(text, read, part, clauses, model=decided)
            continue
        if heading and part.end <= heading.end():
            continue
        # 搭建…平台，为企业… / …部门上门走访，为企业…: what is done for every enterprise states no requirement.
        if asks_nothing(text, part.start, part.end):
            continue
        span = _beneficiary_clause(text, part, clauses)
        if span is None:
            # 符合条件的企业 points at no list of the item's own (符合下列条件 does): the pointing words are no
            # sign that the requirements were read elsewhere.
            unstated = _unstated_requirement(words)
            if not (unstated or _REQUIREMENT_RE.search(words)) or _NOT_A_REQUIREMENT_RE.search(
                _UNSTATED_RE.sub("", words) if unstated else words
            ):
                continue
            span = _fallback_span(text, part)
            # 企业申请认定…，须同时满足：（1）… — the list after the lead-in says the requirements.
            if span is not None and _opens_a_list(text, span):
                continue
        elif (
            span[1] - span[0] < 3
            or _LIST_LEAD_RE.search(text, span[0], span[1])
            or _GENERIC_BENEFICIARY_RE.fullmatch(text, span[0], span[1])
            or _EVERY_OTHER_RE.match(text, span[0], span[1])
            or _OTHER_ONES_RE.fullmatch(text, span[0], span[1])
            or _EVERY_ENTERPRISE_OBJECT_RE.fullmatch(text, span[0], span[1])
        ):
            continue
        if span is None:
            continue
        # …符合…规定，但有下列情形之一的，不得…：A的；B的 — the entries are read one by one; the lead-in keeps only
        # what it requires itself, before the words that open the list.
        lead = _ENTRIES_LEAD_RE.search(text, span[0], part.end)
        if lead is not None and lead.start() < span[1]:
            end = lead.start()
            while end > span[0] and text[end - 1] in _CLAUSE_END + " 　、的但且并":
                end -= 1
            if end - span[0] < 4 or not _REQUIREMENT_RE.search(text, span[0], end):
                continue
            span = span[0], end
        value = text[span[0] : span[1]]
        out.append(_Found(span[0], span[1], Condition("undecidable", "eq", value, value)))
    return out


# 对注册地在台州市的新落户的企业总部，…: the place is read as a region, and what follows it still narrows the
# beneficiary to those newly settled, introduced or recognised — a requirement no profile field holds.
_NEWCOMER = r"(?:新|首次)(?:落户|引进|认定|设立|迁入|入驻)"
_NEWCOMER_WORD_RE = re.compile(_NEWCOMER)
_NEWCOMER_RE = re.compile(
    r"^的?(?P<who>" + _NEWCOMER + r"[^，。；;]{0,20}?" + _SUBJECT_NOUN_RE.pattern + r"[^，。；;]{0,6})$"
)


def _newcomer_after_place(text: str, read: _Coverage, part: _Span, clauses: Sequence[_Span]) -> list[_Found]:
    """Return an ``undecidable`` for a newcomer beneficiary left after a region read in "对<place>的<newcomer>，…"."""
    if not _NEWCOMER_WORD_RE.search(
        text, part.start, part.end
    ):  # most parts name no newcomer: skip the clause walk
        return []
    span = _beneficiary_clause(text, part, clauses)
    if span is None:
        return []
    inside = read.starting_in(span[0], span[1])
    if not inside or any(f.condition.field != "region_code" for f in inside):
        return []
    tail = max(f.end for f in inside)
    if read.overlaps(tail, span[1]):
        return []
    match = _NEWCOMER_RE.match(text[tail : span[1]])
    if match is None:
        return []
    start, end = tail + match.start("who"), tail + match.end("who")
    value = text[start:end]
    return [_Found(start, end, Condition("undecidable", "eq", value, value))]


# --- no silent yes within a part: its clauses --------------------------------------------------------

# What makes a clause of a part that yielded a condition state one more requirement: an obligation
# (须 / 应当), meeting or holding something (符合 / 具备 / 达到), a threshold (不低于 / 50人以上), an
# status the enterprise must be judged to have (经…认定), a hardship (确有困难 / 受疫情影响). Stricter than
# _REQUIREMENT_RE, which reads a whole part: a clause is a few words, so 以上 must follow a number
# (三年以上 / 100万千瓦时以上).
_CLAUSE_REQUIREMENT_RE = re.compile(
    # Then 符合 / 具备 …: 符合条件的企业 names the beneficiary, no requirement of its own; 符合条件的研发费用 (a cost,
    # a project) asks that what the support is computed on qualify — a requirement no field holds.
    _BINDING
    + r"|(?:符合|满足(?!"
    + _NEEDS
    + r")|具备|具有|达到)(?!条件的(?!研发费用|研究开发费用|费用|支出|投入))"
    r"|不(?:得)?(?:低|少)于"
    r"|[\d%％一二三四五六七八九十两][^\d，,。；;、]{0,5}?(?:（含）|\(含\))?(?:以上|以下|以内)"
    # 经…认定 / 确认: a status the enterprise must be judged to have; 经…批准 / 核准 is how the relief is granted.
    r"|^经[^，。；;]{0,20}?(?:认定|确认|认可)"
    # 根据受疫情影响情况: what the authorities weigh (free_text's _WEIGHED_RE), no hardship required.
    r"|确有困难|(?:受|因)(?:疫情|新冠)(?![^，,。；;]{0,6}?(?:情况|程度))"
)

_EVERY_ENTERPRISE_IS_RE = re.compile(r"法人资格|独立法人")


def _silent_clauses(
    text: str, read: _Coverage, part: _Span, clauses: Sequence[_Span], *, model: bool = True
) -> list[_Found]:
    """Return an ``undecidable`` for each clause of a part with conditions that states one more and yields none."""
    out = []
    for clause in _within(clauses, part.start, part.end):
        if read.overlaps(clause.start, clause.end):
            continue
        span = _fallback_span(text, clause, duties=False)
        if span is None:
            continue
        words = text[span[0] : span[1]]
        # 须同时满足：（1）… — the list after the lead-in says the requirements, the lead-in none.
        if _opens_a_list(text, span):
            continue
        # The model reads the clause as it was fitted on it (eval.requirement_clauses): whole, stops aside.
        said = _CLAUSE_REQUIREMENT_RE.search(words) or (
            model and states_requirement(clause_words(text, clause.start, clause.end))
        )
        if not said or _NOT_A_REQUIREMENT_RE.search(words):
            continue
        # 满足市场主体用工需求: a purpose, whatever the model reads in it.
        if _MEETS_NEEDS_RE.search(words) and not _CLAUSE_REQUIREMENT_RE.search(words):
            continue
        # 具有独立法人资格: every enterprise is one. …签订1年以上劳动合同的，按每人2000元: what is paid per unit.
        if _EVERY_ENTERPRISE_IS_RE.search(words) or text.startswith(("按每", "每"), clause.end):
            continue
        out.append(_Found(span[0], span[1], Condition("undecidable", "eq", words, words)))
    return out
