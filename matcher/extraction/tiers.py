"""Tiers (docs/conditions.md §3), split out of :mod:`matcher.extraction.structure`.

``any`` groups are in :mod:`matcher.extraction.any_groups`. Outcomes that differ by what the enterprise is: by level, by part (对A，免征X；对B，给予Y), by bracket,
by formula.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from corpus.conditions import Condition, Entry, Group, Tier
from matcher.extraction.any_groups import _entries_of, _trades_or
from matcher.extraction.clauses import (
    _HEADING_RE,
    _PART_END,
    _SENTENCE_END,
    _containing,
    _Span,
    _split,
    _within,
)
from matcher.extraction.conditions import _Found
from matcher.extraction.numbers import parse_number, to_wan
from matcher.extraction.outcomes import _AMOUNT_RE, _formula, _Outcome, _outcomes
from matcher.extraction.vocab import PAYER_KINDS, RELIEF_WORDS, alternatives

# --- tiers ---------------------------------------------------------------------------------------


def _short_label(text: str, nodes: Sequence[Condition | Group], start: int, end: int) -> str:
    spans = [n.span for n in nodes if n.span]
    if spans:
        return "、".join(dict.fromkeys(spans))[:40]
    return text[start:end].strip(" ，,；;。")[:24]


def _lift_common(per_tier: list[list[tuple[_Found, str]]], text: str = "") -> list[list[tuple[_Found, str]]]:
    """Leave out of the first tier what precedes the first condition the tiers vary on.

    对我县工业企业，营业收入首次达到5亿元的，给予50万元；首次达到10亿元的，给予100万元: 我县 and
    工业企业 are said once for every tier, not for the first only (the caller keeps them common).
    Trades that are one alternative of that condition (…等行业，以及…的企业) stay with it.
    """
    fields = [{f.condition.field for f, _ in mine} for mine in per_tier]
    varying = {x for x in set().union(*fields) if sum(x in f for f in fields) >= 2}
    first = next((n for n, mine in enumerate(per_tier) if mine), None)
    if first is None or not varying:
        return per_tier
    mine = per_tier[first]
    at = next((n for n, (f, _) in enumerate(mine) if f.condition.field in varying), 0)
    if at > 0 and _trades_or(text, mine[at - 1][0], mine[at][0]):
        at -= 1
    out = list(per_tier)
    out[first] = mine[at:]
    return out


def _with_tiers(
    text: str,
    roles: list[tuple[_Found, str]],
    any_from: tuple[int, int] | None,
    repeated: Sequence[_Found] = (),
) -> tuple[Entry, ...]:
    """Arrange nodes into common conditions and tiers when the text gives different outcomes to different enterprises.

    A region excepted (各省（除湖北省外）…免征…；对其他参保单位…减半) bounds every measure of the item,
    not the tier whose sentence names it: it stays common. ``repeated`` are decidable requirements said again
    (dropped as one condition); one said again in every measure is common to them (:func:`_restated_kinds`).
    """
    held = [
        (f, r)
        for f, r in roles
        if r == "exclude"
        and f.condition.field == "region_code"
        and (any_from is None or not any_from[0] <= f.start < any_from[1])
    ]
    if not held:
        return _arranged(text, roles, any_from, repeated)
    rest = [x for x in roles if x not in held]
    arranged = _arranged(text, rest, any_from, repeated)
    if not any(isinstance(e, Tier) for e in arranged):
        return _arranged(text, roles, any_from, repeated)  # no tiers: the text's own order
    return (*_entries_of(held, text, None), *arranged)


def _arranged(
    text: str,
    roles: list[tuple[_Found, str]],
    any_from: tuple[int, int] | None,
    repeated: Sequence[_Found] = (),
) -> tuple[Entry, ...]:
    """Arrange the nodes of ``roles`` (see :func:`_with_tiers`)."""
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
            (o, m)
            for o, m in zip([o for o, _ in tiered], _lift_common([m for _, m in tiered], text), strict=True)
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
    by_part = _part_tiers(text, roles, repeated)
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


# What a part gives (免征增值税, 给予补贴, 延长至6月底): one outcome of the item. Narrower than audience's
# _GRANT_WORD_RE on purpose (申请 / 支持 / 优惠 there only say an item is no bare duty; here each verb is an outcome).
_OUTCOME_VERB_RE = re.compile(
    r"免征|免收|减征|减免|减半|暂免|给予|补贴|补助|奖励|资助|贴息|退还|返还|缓缴|延期|延长|简化|扣除|下调|减按"
    r"|实施[^，。；;]{0,16}?服务|核定"
    # A service granted (安排专项信贷额度 / 提供应急转贷资金 / 开辟绿色通道 / 专设服务窗口).
    r"|安排|提供|开辟|开通|专设"
    # A lender's forbearance (不得盲目抽贷、断贷、压贷 / 予以展期或续贷): what the enterprise gets from its bank;
    # not the nouns 展期手续 / 展期期限 / 续贷贷款.
    r"|不得?(?:随意|盲目)?(?:抽贷|断贷|压贷)|展期(?![手期])|续贷(?!贷款)"
)
# 对…的中小企业，安排专项信贷额度 / 可延缓3个月支付: a part that opens by naming the enterprises it is for
# (对 / 对于 … a kind of enterprise, then a clause break) grants them what follows, whatever its verb. Only a
# kind of enterprise: 对…的案件 / 对…捐赠资金 / 对使用一般耕地的 name a thing or a case, no beneficiary.
_FOR_WHOM_RE = re.compile(
    r"[\s　]*(?:[（(]?[一二三四五六七八九十\d]{1,3}[）)、.．])?[\s　]*(?:对于|对)[^，,。；;]{2,60}?"
    r"(?:企业|主体|纳税人|缴费人|工商户|商户|合作社|用人单位|参保单位)[，,]"
)
_WORD_RE = re.compile(r"[^，,。；;\s　]")


def _grant_to_whom(text: str, part: _Span, first: _Found) -> re.Match[str] | None:
    """Return where the measure of a part that opens with the enterprises it is for (对…的企业，…) starts, or None."""
    whom = _FOR_WHOM_RE.match(text, part.start, part.end)
    if whom is None or whom.end() <= first.start:
        return None
    # 对…的企业，金融管理部门要主动帮扶 too: what the authorities do there is done for those enterprises.
    return _WORD_RE.search(text, whom.end(), part.end)


# What a lead-in says after whom it names (按以下规定执行 / 可享受下列支持 / 给予如下扶持): the measures follow.
# 以下 after a figure is "below" (30万元以下): only a lead-in verb before it, and what it leads on to.
_LEADS_ON_RE = re.compile(
    r"[^，,。；;：:\d]{0,6}?(?:按照?|执行|享受|适用|给予|实行)(?:以下|下列|如下)[^，,。；;：:]{0,4}?"
    r"(?:规定|政策|措施|支持|扶持|优惠|条款|办法)"
)


# What an enterprise gets beyond the outcome verbs (降低…费率, 下调贷款利率, 取消反担保要求, 准予延期, 出具…证明,
# 优先办理): a measure, unless an authority's duty (加强 / 落实 / 指导 / 督促 / 做好 / 协助 / 引导 …, 由…部门, 要)
# stands before it in its part, or it is refused or owed (不得…降低 / 应及时履行…).
_UNLISTED_MEASURE_RE = re.compile(
    r"降低|下调|下浮|取消|免除|减收|延缓|放宽|准予|出具|优先(?:办理|安排|审批|保障|处理)|减按"
)
# Wider than the splitter's _DUTY_BEFORE_RE on purpose: a measure here must also not be refused (不得 / 不).
_AUTHORITY_DUTY_RE = re.compile(
    r"加强|落实|指导|督促|做好|协助|帮助|引导|推动|协调|鼓励|由[^，,。；;]{0,16}?(?:部门|机构|政府|财政|银行)"
    r"|(?<![重主需只])要(?![求素点])|不得|禁止|不|应(?!当)"
)


_CONDITION_CLAUSE_RE = re.compile(r"[^，,。；;]*的[，,]")


def _unlisted_measure(text: str, part: _Span, first: _Found) -> re.Match[str] | None:
    """Return the measure a part grants after its requirement with a verb the outcomes do not list, or None."""
    measure = _UNLISTED_MEASURE_RE.search(text, first.end, part.end)
    if measure is None or _AUTHORITY_DUTY_RE.search(text, part.start, measure.start()):
        return None
    # 造成合同违约或取消的，…: the verb sits in a clause that states a condition, no measure.
    if _CONDITION_CLAUSE_RE.match(text, measure.end(), part.end):
        return None
    return measure


def _colon_at(text: str, start: int, end: int) -> int:
    """Return where the last colon in ``text[start:end]`` stands, or -1."""
    return max(text.rfind("：", start, end), text.rfind(":", start, end))


_RELIEF_FIRST_RE = re.compile(r"[\s　]*(?:" + alternatives(RELIEF_WORDS) + ")")


# A part that binds every beneficiary (须 / 应当 / 必须) states an obligation, not an outcome of its own.
# 根据其实际需要核定: the beneficiary's own need, no obligation.
_OBLIGATION_RE = re.compile(r"(?<![无不毋免])(?:须|必须|应当|(?<!实际)需要)")
# 财政要及时启动… / 各地要…: a duty of the authorities before the outcome word.
_DUTY_RE = re.compile(r"(?<![重主需只])要(?![求素点])")


def _part_tiers(
    text: str, roles: list[tuple[_Found, str]], repeated: Sequence[_Found] = ()
) -> tuple[list[tuple[_Found, str]], list[Tier]] | None:
    """对A，免征X；对B，给予Y: parts that each give their own outcome to their own enterprises are tiers."""
    parts = _split(text, _PART_END, marks=True)
    tiered = []
    open_parts: list[tuple[_Span, re.Match[str]]] = []
    # Parts that grant with a verb the outcomes do not list (降低担保费率 / 取消反担保要求): more measures of an item
    # that gives two already; alone they were too often an office's work to read as tiers (x28).
    unlisted: list[tuple[_Span, re.Match[str], list[tuple[_Found, str]]]] = []
    ordered = sorted(roles, key=lambda x: x[0].start)  # stable: roles come in text order already
    heading = _HEADING_RE.match(text)
    for part in parts:
        # By binary search: a pass over every role per part was quadratic on long texts (issue 18).
        low = bisect.bisect_left(ordered, part.start, key=lambda x: x[0].start)
        high = bisect.bisect_left(ordered, part.end, key=lambda x: x[0].start)
        inside = ordered[low:high]
        required = [f for f, r in inside if r == "require"]
        if not required:
            if not inside and not (heading and part.end <= heading.end()):
                measure = _open_measure(text, part)
                if measure is not None:
                    open_parts.append((part, measure))
            continue
        # The outcome follows whom it is for (对A，免征X); a part that names the support before its
        # requirement (享受补贴的企业须按规定缴纳社保) is an obligation on every beneficiary, no tier.
        verb = _OUTCOME_VERB_RE.search(text, required[0].end, part.end)
        if verb is None:
            verb = _grant_to_whom(text, part, required[0])
        if verb is None:
            # 减免…停产高压企业容量电费: the relief opens the part, whose object is the enterprises' charge.
            verb = _RELIEF_FIRST_RE.match(text, part.start, required[0].start)
        if _OBLIGATION_RE.search(text, part.start, part.end):
            continue
        if verb is None:
            measure = _unlisted_measure(text, part, required[0])
            if measure is not None:
                unlisted.append((part, measure, inside))
            continue
        # …的，市、县两级财政要及时启动…，简化审批流程: what departments must do is no outcome — unless the part
        # opens by naming the enterprises it is for (对…的企业，各商业银行要…予以展期): the duty is then done for them.
        # An office's own work in the outcome's clause (要加强指导，落实减免政策) still grants nothing.
        if _DUTY_RE.search(text, required[0].end, verb.start()) and (
            not _FOR_WHOM_RE.match(text, part.start, part.end)
            or _OFFICE_WORK_RE.search(text, _clause_start(text, part.start, verb.start()), verb.start())
        ):
            continue
        # 对个人名下的装修贷款，…准予展期: a measure for persons, no tier of the enterprises' measures.
        if _FOR_PERSONS_RE.match(text, part.start, part.end):
            continue
        # 受疫情影响较大的中小企业，可享受以下支持：对其中的小微企业，免收…: what precedes a colon is said of every
        # measure after it, not of the first one only. 对受疫情影响的企业，按以下规定执行 / 给予以下支持：…: a lead-in
        # grants nothing itself; the part's measure, if any, follows its colon.
        lead = _LEADS_ON_RE.match(text, verb.start(), part.end)
        colon = (
            _colon_at(text, part.start, verb.start())
            if lead is None
            else _colon_at(text, lead.end(), part.end)
        )
        after = [(f, r) for f, r in inside if f.start > colon >= 0 and r == "require"]
        if after:
            verb = verb if lead is None else _OUTCOME_VERB_RE.search(text, after[0][0].end, part.end)
            inside, part = [(f, r) for f, r in inside if f.start > colon], _Span(colon + 1, part.end)
        elif lead is not None:
            continue
        if verb is None:
            continue
        tiered.append((part, verb, inside))
    if len(tiered) >= 2 and unlisted:
        tiered = sorted(tiered + unlisted, key=lambda x: x[0].start)
    if len(tiered) + min(1, len(open_parts)) < 2:
        return None
    lifted = _lift_common([mine for _, _, mine in tiered], text)
    tiered = [(part, verb, mine) for (part, verb, _), mine in zip(tiered, lifted, strict=True)]
    tiered = _restated_kinds(tiered, repeated)
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
    if open_parts:
        # 准许企业延期申报纳税。对符合…条件的企业，依法延长…: a measure for every enterprise beside ones for
        # some is a tier with no condition of its own, which every enterprise reaches.
        part, verb = open_parts[0]
        tiers.append(
            Tier(
                label="其他企业" if _COMPLEMENT_RE.match(text, part.start, part.end) else "所有企业",
                conditions=(),
                support=text[verb.start() : part.end].strip(" ，,；;。")[:30],
                amount=None,
                span=text[part.start : part.end].strip(" ，,；;。"),
            )
        )
    if any(t.amount is not None for t in tiers):
        tiers.sort(key=lambda t: -(t.amount or 0))
    return common, tiers


# An authority's own work (加强 / 落实 / 指导 / 督促 / 做好 / 协调 / 推动 / 引导 / 研究) or its urging of others (鼓励):
# no measure in the clause that says it.
_OFFICE_WORK_RE = re.compile(r"加强|落实|指导|督促|做好|协调|推动|引导|研究|鼓励")


def _clause_start(text: str, start: int, end: int) -> int:
    """Return where the clause holding ``end`` starts (after the last clause break in ``text[start:end]``)."""
    return max(start, *(text.rfind(mark, start, end) + 1 for mark in "，,：:"))


# 对个人名下的助学贷款，: 对 + words that name persons and no kind of enterprise (对个人和个体工商户 names one), to the
# clause break.
_FOR_PERSONS_RE = re.compile(
    r"[\s　]*(?:[（(]?[一二三四五六七八九十\d]{1,3}[）)、.．])?[\s　]*(?:对于|对)"
    r"(?:(?!企业|主体|纳税人|缴费人|工商户|商户|合作社|单位)[^，,。；;]){0,30}?个人"
    r"(?:(?!企业|主体|纳税人|缴费人|工商户|商户|合作社|单位)[^，,。；;]){0,30}?[，,]"
)


def _restated_kinds(
    tiered: list[tuple[_Span, re.Match[str], list[tuple[_Found, str]]]], repeated: Sequence[_Found]
) -> list[tuple[_Span, re.Match[str], list[tuple[_Found, str]]]]:
    """Make common a kind said again in every measure (its first saying one measure's own).

    对…的小微企业，银行要予以展期；对…的小微企业，给予补贴: 小微企业 said in every measure is one condition of
    the item; read once, in the first measure only, the second would be open to every size. A kind said again
    in some measures only stays where it was first said (labels do not repeat it in later measures).
    """
    if not repeated or len(tiered) < 2:
        return tiered
    said: dict[tuple, set[int]] = {}
    for n, (part, verb, mine) in enumerate(tiered):
        for f in [f for f, _ in mine] + [f for f in repeated if part.start <= f.start < verb.start()]:
            said.setdefault(f.condition.key, set()).add(n)
    # Only kinds first said in a measure: one said before the measures is common already.
    firsts = {f.condition.key for _, _, mine in tiered for f, _ in mine}
    everywhere = {k for k in {f.condition.key for f in repeated} & firsts if len(said[k]) == len(tiered)}
    if not everywhere:
        return tiered
    return [
        (part, verb, [(f, r) for f, r in mine if f.condition.key not in everywhere])
        for part, verb, mine in tiered
    ]


# A measure every enterprise has, stated by itself: 准许企业延期申报纳税 / 允许预缴申报时享受… /
# 将1月、2月应缴社会保险费征收期延长至3月底. Only a permission granted to enterprises at large or the
# authority's own extension of a term: a relief that names its object (免征民航企业缴纳的…), a
# consequence of another measure (缓缴期间免收滞纳金) or a part with a subject of its own (…的，可…)
# is no measure for everyone (read on tune: those were the parts that made false tiers).
_OPEN_MEASURE_RE = re.compile(
    r"(?:准许|允许)(?:企业|纳税人|缴费人|参保单位|用人单位)?[^，。；;的]{0,12}?(?:延期|延长|缓缴|分期|预缴|享受)"
    r"|(?<![^，,：:；;。\s])将[^，。；;]{1,20}?(?:延长至|顺延至|延至)"
    # 纳税人通过网上申请办理发票寄递业务免收邮寄费用: a relief to payers at large, the clause's bare subject.
    r"|(?<![^，,：:；;。\s])(?:纳税人|缴费人|企业)(?![的和及、])[^，。；;的]{0,24}?(?:免收|暂免收取|免费)"
    # 对企业生产用水实行“欠费不停供”: every enterprise's own supply, no kind named.
    r"|(?<![^，,：:；;。\s])对企业(?!的)[^，。；;的]{1,16}?(?:实行|实施)"
)
_NOT_OPEN_RE = re.compile(
    r"的[，,]|期间[^，。；;]{0,6}(?:免|不)|滞纳金|是指|指的是|(?<![无不毋免])(?:须|必须|应当|需要)|力争|确保|鼓励|引导|落实"
)


# 对大型企业等其他参保单位…可减半征收: every other one than a tier before it (a complement tier).
_COMPLEMENT_RE = re.compile(
    r"[\s　；;，,]*对(?:于)?(?:[^，。；;]{0,12}?等)?(?:其他|其它)[^，。；;的]{0,6}?(?:"
    + alternatives(PAYER_KINDS)
    + ")"
)


def _open_measure(text: str, part: _Span) -> re.Match[str] | None:
    """Return the outcome a part with no condition grants every enterprise (or every other one), or None."""
    complement = _COMPLEMENT_RE.match(text, part.start, part.end)
    if complement is not None:
        return _OUTCOME_VERB_RE.search(text, complement.end(), part.end)
    if _NOT_OPEN_RE.search(text, part.start, part.end):
        return None
    match = _OPEN_MEASURE_RE.search(text, part.start, part.end)
    if match is None or "的" in text[part.start : match.start()]:
        return None
    return match


def _bracket_tiers(
    text: str, roles: list[tuple[_Found, str]]
) -> tuple[list[tuple[_Found, str]], list[Tier]] | None:
    """营业收入5000万元以下的…不低于5%；5000万元以上的…不低于4%: parts of one sentence, each its own bracket."""
    pieces = _split(text, "；;" + _SENTENCE_END)  # once, not once per sentence (issue 18)
    # Each part's requirements by binary search over the roles in text order, not a pass over every
    # role per part (quadratic on long texts, as issue 18 found elsewhere).
    required = sorted(((f, r) for f, r in roles if r == "require"), key=lambda x: x[0].start)
    starts = [f.start for f, _ in required]
    for sentence in _split(text, _SENTENCE_END):
        parts = list(_within(pieces, sentence.start, sentence.end))
        if len(parts) < 2:
            continue
        per_part = _lift_common(
            [required[bisect.bisect_left(starts, p.start) : bisect.bisect_left(starts, p.end)] for p in parts]
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
