"""Readers of places, dates and kinds for :mod:`matcher.extraction.conditions`: regions, 亩均, establishment, tax credit, industries, exclusions, what the enterprise does."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from functools import lru_cache

from corpus.conditions import Condition
from matcher.extraction import vocab
from matcher.extraction.found import _Found, _inside_parentheses
from matcher.extraction.numbers import (
    NUMBER_PATTERN,
    parse_number,
)

# Words by which a policy names its own region, and the level each names (2 province, 4 city, 6 county).
_LOCAL = {
    "本市": 4,
    "我市": 4,
    "全市": 4,
    "市内": 4,
    "本区": 6,
    "我区": 6,
    "全区": 6,
    "区内": 6,
    "本县": 6,
    "我县": 6,
    "全县": 6,
    "县内": 6,
    "本省": 2,
    "我省": 2,
    "全省": 2,
    "省内": 2,
}
_LOCAL_RE = "|".join(_LOCAL)
# Registration words after a place: 在台州市注册登记, 在浙江省范围内注册.
_REGISTERED_TAIL = r"(?:行政区域|辖区|范围)?内?(?:注册登记|登记注册|依法登记注册|依法注册登记|依法登记|依法注册|注册|登记|设立)"
# Registration words before a place: 注册地在温岭市, 工商注册地和税务登记地均在浙江省, 注册地和税收户管地均在路桥区.
_TAX_HOME = r"(?:税务登记地?|税收户管地|税收(?:征管|解缴|缴纳)地|纳税地)"
_REGISTERED_HEAD = (
    rf"(?:(?:工商)?注册(?:地址|地)?(?:和|及|、)?{_TAX_HOME}?|{_TAX_HOME})(?:均|都)?(?:在|为|位于)"
)
# People a registration word may be about (本市登记失业人员, 本市户籍劳动力).
_PERSONS_AFTER = r"[^，。；]{0,4}?(?:人员|失业|劳动力|职工|居民|人口|毕业生)"
_ENTERPRISE_NOUN = r"[^，。；]{0,14}?(?:企业|机构|单位|市场主体|纳税人|公司)"
# A local word qualifies the enterprises an item is for when it opens the subject (对我市…企业,
# 凡本区…企业, 本政策适用于本市…企业) and an enterprise noun follows in the same clause — not 本市登记失业人员 or
# 本市职工最低工资标准, which qualify people and wages.
_LOCAL_SUBJECT_RE = re.compile(
    rf"(?:(?<=对)|(?<=凡)|(?<=支持)|(?<=鼓励)|(?<=适用于)|(?<=日起)|(?<=日后)|(?<=以后)|(?<=^)|(?<=[，。；：:]))(?P<word>{_LOCAL_RE})"
    r"(?=[^，。；;]{0,40}?(?:企业|高企|单位|市场主体|纳税人|公司|项目))"
)


# 在北京注册的中小微企业: registration in a place named by its short name (北京 for 北京市, 台州 for 台州市).
_SHORT_PLACE_REGISTERED_RE = re.compile(rf"(?<=在)(?P<place>[\u4e00-\u9fff]{{2,3}}?){_REGISTERED_TAIL}")

# Words after which a place's enterprises are those the measure is for: 对海淀区企业, 支持本市企业, and a relief
# whose object they are (免收湖北省上市公司…年费, 减免某市小微企业…租金): the place bounds who gets it.
_PLACE_BENEFICIARY_HEAD = r"(?:对|支持|鼓励|免收|免除|免征|减免|减收|减征|暂免|缓征)$"

_PLACES_MAY_RE = re.compile(
    r"(?:(?<=^)|(?<=[，。；;：:\s]))(?P<place>[\u4e00-\u9fff]{2})等[^，。；;]{0,8}?地区(?:可以|可)(?!能)"
)


_MUNICIPALITIES = frozenset({"11", "12", "31", "50"})


def _trimmed_code(code: str) -> str:
    """Return a region code without its trailing 00 pairs (330000 → 33, 331000 → 3310, 331081 stays)."""
    code = code.strip()
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def _region_prefix(code: str, digits: int) -> str | None:
    """Return the region a local word (本市 = 4 digits) names, seen from an issuer's ``code``, or None."""
    from corpus.reference import region_name

    code = _trimmed_code(code)
    if len(code) < digits or not code.isdigit():
        return None
    # A county-level city (温岭市, 331081) calls itself 本市: its own code, not the prefecture's.
    if digits == 4 and len(code) == 6 and (region_name(code) or "").endswith("市"):
        return code
    prefix = code[:digits]
    # 直辖市 cities are provinces in the code (1101 → 11).
    if digits == 4 and prefix[:2] in _MUNICIPALITIES:
        return prefix[:2]
    return prefix


@lru_cache(maxsize=1)
def _region_name_re() -> re.Pattern[str]:
    from corpus.reference import iter_regions

    names = {
        r.name
        for r in iter_regions()
        if len(r.name) >= 3 and r.level != "street" and r.name not in ("市辖区",)
    }
    return re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))


def _regions(text: str, region_code: str | None) -> Iterator[_Found]:
    """Read region requirements: registration in a named place, a named place's enterprises, 本市 subjects.

    在海淀区注册 / 注册地在温岭市 / 对海淀区企业 name the place; a local word that opens the
    subject (对本市…企业) names the issuer's own region, so it needs ``region_code``.
    """
    from corpus.reference import regions_named

    for match in _region_name_re().finditer(text):
        start, end = match.span()
        head = text[max(0, start - 20) : start]
        tail = text[end : end + 18]
        after = re.match(_REGISTERED_TAIL, tail)
        before = re.search(_REGISTERED_HEAD + "$", head)
        if after and head.endswith("在"):
            span_start, span_end = start - 1, end + after.end()
        elif before:
            span_start, span_end = start - len(before.group(0)), end
        elif re.match(rf"(?:行政区域|辖区|范围)?内?(?:的)?{_ENTERPRISE_NOUN}", tail) and re.search(
            _PLACE_BENEFICIARY_HEAD, head
        ):
            span_start, span_end = start, end
        elif re.search(r"(?:^|[，。；;：:\s）)])$", head) and re.match(r"(?:可以|可)(?!能)", tail):
            # 自2月起，湖北省可免征…: a place whose authority may grant the measure — its enterprises get it.
            span_start, span_end = start, end
        elif (head.endswith("除") and re.match(r"(?:以外|之外|外)", tail)) or tail.startswith("除外"):
            # 各省（除湖北省外）/ 湖北省除外: the place is excluded (the role is read from 除…外).
            span_start, span_end = start, end
        else:
            continue
        places = regions_named(match.group(0))
        if len(places) != 1:
            continue
        yield _Found(
            span_start,
            span_end,
            Condition(
                "region_code", "within_region", _trimmed_code(places[0].code), text[span_start:span_end]
            ),
        )
    # 在北京注册 / 在台州登记: a place named without its 市 / 省 where the enterprise registers (one place only).
    for match in _SHORT_PLACE_REGISTERED_RE.finditer(text):
        places = regions_named(match.group("place"))
        if len(places) == 1:
            yield _Found(
                *match.span(),
                Condition("region_code", "within_region", _trimmed_code(places[0].code), match.group(0)),
            )
    # 湖北等疫情严重地区可以…延长: a province by its short name heading the places that may grant it.
    for match in _PLACES_MAY_RE.finditer(text):
        places = regions_named(match.group("place") + "省") or regions_named(match.group("place") + "市")
        if len(places) == 1 and len(_trimmed_code(places[0].code)) == 2:
            yield _Found(
                *match.span("place"),
                Condition(
                    "region_code", "within_region", _trimmed_code(places[0].code), match.group("place")
                ),
            )
    if not region_code:
        return
    # 本市登记失业人员 registers people, not the enterprise.
    for match in re.finditer(
        rf"(?:在)?(?:{_LOCAL_RE}){_REGISTERED_TAIL}(?!{_PERSONS_AFTER})|{_REGISTERED_HEAD}(?:{_LOCAL_RE})",
        text,
    ):
        word = next(w for w in _LOCAL if w in match.group(0))
        prefix = _region_prefix(region_code, _LOCAL[word])
        if prefix:
            yield _Found(*match.span(), Condition("region_code", "within_region", prefix, match.group(0)))
    for match in _LOCAL_SUBJECT_RE.finditer(text):
        prefix = _region_prefix(region_code, _LOCAL[match.group("word")])
        if prefix:
            yield _Found(
                *match.span("word"), Condition("region_code", "within_region", prefix, match.group("word"))
            )


# 亩均效益综合评价为A类、B类 / 亩均评价B类及以上: the enterprise's 亩均效益 class (A best … D).
_MU_JUN_RE = re.compile(
    r"亩均(?:效益)?(?:综合)?(?:评价|评级)(?:结果)?(?:为|属于|列为|获评|达到|被评为|在)?"
    r"(?P<classes>[A-D]类?(?:(?:、|和|或|及|，)[A-D]类?)*)(?P<above>及以上|以上)?(?:类)?"
)


# …亩均效益综合评价为A类的，…；评价为B类的，…: a later class said without 亩均 is the same rating's.
_MU_JUN_AGAIN_RE = re.compile(
    r"(?<![A-Za-z])(?:评价|评级|评定)(?:结果)?(?:为|属于|列为)(?P<classes>[A-D]类(?:(?:、|和|或|及)[A-D]类)*)"
    r"(?P<above>及以上|以上)?"
)


def _mu_jun(text: str) -> Iterator[_Found]:
    """亩均效益评价 classes an item asks for: one class → ``eq``, several (or 及以上) → ``in``."""
    first = None
    for match in _MU_JUN_RE.finditer(text):
        first = match.end() if first is None else first
        yield _Found(*match.span(), _mu_jun_condition(match))
    if first is None:
        return
    for match in _MU_JUN_AGAIN_RE.finditer(text, first):
        yield _Found(*match.span(), _mu_jun_condition(match))


def _mu_jun_condition(match: re.Match[str]) -> Condition:
    classes = sorted(set(re.findall(r"[A-D]", match.group("classes"))))
    if match.group("above"):
        classes = [c for c in "ABCD" if c <= max(classes)]
    if len(classes) == 1:
        return Condition("mu_jun_class", "eq", classes[0], match.group(0))
    return Condition("mu_jun_class", "in", classes, match.group(0))


_DATE = r"(?P<y>(?:19|20)\d\d)年(?P<m>\d{1,2})月(?P<d>\d{1,2})日"
# 2020年1月1日起(在本市)注册 / 2021年1月1日后新注册成立: founded on or after the date.
_FOUNDED_SINCE_RE = re.compile(
    rf"(?:(?:注册|成立|设立)(?:时间|日期)?(?:在|为|于))?{_DATE}(?:\(含\)|（含）)?(?:以后|之后|以来|起|后)"
    r"(?=[^，。；;]{0,24}?(?:注册|成立|设立|登记|新办|落户))"
)
# 2020年1月1日前注册成立: founded before the date.
_FOUNDED_BEFORE_RE = re.compile(
    rf"(?:(?:注册|成立|设立)(?:时间|日期)?(?:在|为|于))?(?:{_DATE}|(?P<year_end>(?:19|20)\d\d)年底)"
    r"(?:\(含\)|（含）)?(?:以前|之前|前)(?=[^，。；;]{0,8}?(?:注册|成立|设立|登记))"
)
# 成立满3年 / 注册成立3年以上 / 成立不满2年 / 登记注册满6个月 / 成立年限在3年以上: an age counted back from the reference date.
_FOUNDED_AGE_RE = re.compile(
    rf"(?:登记注册|注册成立|注册登记|成立|设立|注册)(?:时间|年限)?(?:在|已)?(?P<neg>不满|未满|不足|不超过)?(?P<ge>满|已满|达到|超过)?"
    rf"(?P<num>{NUMBER_PATTERN})(?P<unit>个月|周年|年)(?P<after>\(含\)以上|（含）以上|及以上|以上|以内|以下|\(含\)以内|（含）以内)?"
)


def _years_back(day: dt.date, years: int = 0, months: int = 0) -> dt.date:
    """``day`` moved back by whole years and months (29 February falls to the 28th)."""
    month_index = day.year * 12 + day.month - 1 - years * 12 - months
    year, month = divmod(month_index, 12)
    for candidate_day in (day.day, 28):
        try:
            return day.replace(year=year, month=month + 1, day=candidate_day)
        except ValueError:
            continue
    raise ValueError(f"cannot move {day} back")  # pragma: no cover - day 28 always exists


def _established(text: str, reference: dt.date) -> Iterator[_Found]:
    """Founding-date requirements: a date with 起/后/前 before 注册/成立, or an age (成立满3年) from ``reference``."""
    for pattern, op in ((_FOUNDED_SINCE_RE, "established_after"), (_FOUNDED_BEFORE_RE, "established_before")):
        for match in pattern.finditer(text):
            try:
                if match.groupdict().get("year_end"):
                    day = dt.date(int(match.group("year_end")), 12, 31)
                else:
                    day = dt.date(int(match.group("y")), int(match.group("m")), int(match.group("d")))
            except ValueError:
                continue
            yield _Found(*match.span(), Condition("established", op, day.isoformat(), match.group(0)))
    for match in _FOUNDED_AGE_RE.finditer(text):
        number = parse_number(match.group("num"))
        neg, ge, after = match.group("neg"), match.group("ge"), match.group("after") or ""
        if number is None or not number.is_integer() or not (neg or ge or after):
            continue
        months = int(number) * (1 if match.group("unit") == "个月" else 12)
        day = _years_back(reference, months=months)
        younger = bool(neg) or after.endswith(("以内", "以下"))
        op = "established_after" if younger else "established_before"
        yield _Found(*match.span(), Condition("established", op, day.isoformat(), match.group(0)))


# 纳税信用等级为B级以上 / 纳税信用A级 / 纳税信用等级在M级及以上: the grades that meet it (A best, then B, M, C, D).
_TAX_GRADES = ("A", "B", "M", "C", "D")
_TAX_CREDIT_RE = re.compile(
    r"纳税信用(?:等级|级别|评价)?(?:结果)?(?:为|达到|在|是|评定为|被评为)?"
    # 纳税信用等级非C级、D级 / 不是D级 / 未被评为D级: every grade but those named.
    r"(?P<neg>非|不是|不为|不属于|不得为|未被评为|未被评定为)?"
    r"(?P<grade>[ABMCD])(?:级|类)?(?P<up>(?:及|或)?以上)?"
    # 纳税信用等级为C级、D级 / C级或D级 / A级或者B级: more grades named one by one.
    r"(?P<more>(?:(?:[、或和及/]|或者|以及)(?:为)?[ABMCD](?:级|类)?){0,4})"
)


def _tax_credit(text: str) -> Iterator[_Found]:
    for match in _TAX_CREDIT_RE.finditer(text):
        grade = match.group("grade")
        grades = list(_TAX_GRADES[: _TAX_GRADES.index(grade) + 1]) if match.group("up") else [grade]
        if match.group("more") and not match.group("up"):
            grades += [g for g in re.findall(r"[ABMCD]", match.group("more")) if g not in grades]
        if match.group("neg"):
            grades = [g for g in _TAX_GRADES if g not in grades]
        yield _Found(*match.span(), Condition("tax_credit_grade", "in", grades, match.group(0)))


@lru_cache(maxsize=1)
def _industry_names() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """GB/T 4754 names of five characters or more (医药制造业, 电气机械和器材制造业), longest first, as patterns."""
    from corpus.reference import iter_industries

    names: dict[str, str] = {}
    for industry in iter_industries():
        if len(industry.name) >= 5 and "、" not in industry.name and industry.level != "class":
            names.setdefault(industry.name, industry.canonical_code)
    # Only where the name is followed by the enterprises or a list: 医药制造业企业, 医药制造业、….
    return tuple(
        (re.escape(name) + r"(?=等|、|和|及|与|或|的?(?:企业|行业|领域))", (code,))
        for name, code in sorted(names.items(), key=lambda kv: -len(kv[0]))
    )


_TRADE_THING_RE = re.compile(
    r"等?(?:问题|难题|场所|营业时间|贷款投放|信贷投放|包保|作用)"
    # …the trade as the actor of an activity the measure asks for (支持医疗机构积极开展…研究): the activity
    # is the requirement (an undecidable one), not the trade.
    r"|等?(?:积极|主动)?(?:开展|参与)"
)


# The trade after 组织 / 经 / 由 (not 经营, 已经, 由于), a few words before it, none of them punctuation.
_TRADE_AGENT_BEFORE_RE = re.compile(r"(?:组织|(?<![已曾])经(?![营济])|由(?!于))[^，。；;、：:\s]{0,4}$")
# The trade as the one that certifies (医疗机构认定, 医疗机构出具健康证明).
_TRADE_CERTIFIES_RE = re.compile(r"(?:认定|鉴定|出具|诊断|确诊)")


_TRADE_NAME_RE = re.compile(
    r"(?P<gap>[^，。；;、：:的\s“”\"]{0,10}?)(?:[“\"][^“”\"，。；]{1,8}[”\"]|(?:扶持)?名单|(?:协调|联动)?机制|平台|作用)"
)
# Words that make the trade the actor of what follows (餐饮企业入驻平台, 农业企业建立…机制): it stays a requirement.
_VERB_RE = re.compile(
    r"发挥|建立|建设|开展|参与|加入|纳入|入驻|享受|申请|申报|设立|搭建|推动|组织|提供|进入|使用|利用|通过|依托"
)


_DEFINED_RE = re.compile(r"是指")


def _sentence_start(text: str, pos: int, limit: int = 200) -> int:
    """Where the sentence holding ``pos`` begins, looked for at most ``limit`` characters back."""
    low = max(0, pos - limit)
    return max(text.rfind(ch, low, pos) for ch in "。；;\n") + 1 or low


def _industries(text: str) -> Iterator[_Found]:
    hits: list[tuple[int, int, tuple[str, ...]]] = []
    taken: list[tuple[int, int]] = []
    # A GB/T 4754 name before the policy words inside it (医药制造业 before 制造业).
    for pattern, codes in (*_industry_names(), *vocab.CLUSTER_PHRASES, *vocab.INDUSTRY_PHRASES):
        for match in re.finditer(pattern, text):
            start, end = match.span()
            if any(s < end and start < e for s, e in taken) or _inside_parentheses(text, start):
                continue
            # A fund or a platform named after an industry is not a requirement on the enterprise.
            if re.match(
                r"[”\"」』]?(?:发展)?(?:专项资金|资金|基金|平台|协会|主管部门|结构调整|高质量发展|绿色通道)",
                text[end : end + 8],
            ):
                continue
            # Nor those another party supplies or enters (血站供应给医疗机构, 进入…医疗机构): not the enterprise.
            if re.search(r"(?:供应|提供|销售|出售|捐赠)给$|进入$", text[max(0, start - 4) : start]):
                continue
            # Nor one an authority organises or relies on (组织人力资源服务机构为复工企业招聘, 经医疗机构认定,
            # 由医疗机构出具证明): the trade is the agent or the certifier, not whom the measure is for.
            if _TRADE_AGENT_BEFORE_RE.search(text, max(0, start - 8), start) or _TRADE_CERTIFIES_RE.match(
                text, end
            ):
                continue
            # Nor one named after 是指 in its sentence (种子经营企业，是指…的批发企业): the words define a term.
            if _DEFINED_RE.search(text, _sentence_start(text, start), start):
                continue
            # Nor is a department named after one (交通运输部, 商务局, 农业农村厅 …).
            if re.match(r"(?:农村)?(?:部|厅|局|委|管理部门)", text[end : end + 5]):
                continue
            # Nor the last word of a quoted name (“就业超市”, “菜篮子”工程): the name is of something else.
            if re.match(r"[”\"」』]", text[end : end + 1]) and not re.search(
                r"[“\"「『]$", text[max(0, start - 1) : start]
            ):
                continue
            taken.append((start, end))
            hits.append((start, end, codes))
    hits.sort()
    # Industries listed together (旅游、住宿、餐饮…等行业企业) are one condition: any of them.
    groups: list[list[tuple[int, int, tuple[str, ...]]]] = []
    for hit in hits:
        if groups and re.fullmatch(
            r"(?:[（(][^）)]{0,10}[）)])?(?:[、和及与或]|以及|或者)", text[groups[-1][-1][1] : hit[0]]
        ):
            groups[-1].append(hit)
        else:
            groups.append([hit])
    for group in groups:
        start, end = group[0][0], group[-1][1]
        # A thing of the trades the measure deals with (物流运输等问题, 超市、便利店等场所营业时间, 制造业贷款投放,
        # 农业企业包保制度): the trades qualify the noun, not whom the measure is for.
        if _TRADE_THING_RE.match(text, end):
            continue
        # The trades inside the name of a thing (新能源汽车“百亿级”平台, 扶持制造企业“春节”期间…措施, 重点农业企业扶持名单,
        # 农业企业原料调运协调机制): a quoted name or a list, mechanism or platform after them, no verb between.
        thing = _TRADE_NAME_RE.match(text, end)
        if thing and not _VERB_RE.search(thing.group("gap")):
            continue
        # The noun the industry qualifies (…等行业企业), never words of another requirement (受疫情影响较大的).
        tail = re.match(r"(?:等)?(?:[^，。；受因向为对]{0,12}?(?:行业企业|行业|企业|领域))?", text[end:])
        span_end = end + (tail.end() if tail else 0)
        group_codes = _whole_sections({c for _, _, cs in group for c in cs})
        yield _Found(
            start, span_end, Condition("industry_code", "industry_in", group_codes, text[start:span_end])
        )


# GB/T 4754-2017 sections that are exactly their divisions listed (住宿 H61 + 餐饮 H62 is 住宿和餐饮业 H).
_SECTION_DIVISIONS = {"H": frozenset({"H61", "H62"})}


def _whole_sections(codes: set[str]) -> list[str]:
    """Return ``codes`` sorted, a section in place of all its divisions (the same enterprises, said as labelled)."""
    for section, divisions in _SECTION_DIVISIONS.items():
        if divisions <= codes:
            codes = (codes - divisions) | {section}
    return sorted(codes)


# An item about repairing a 失信 record or objecting to one (信用修复, 异议) is for those who have it.
_CREDIT_REPAIR_RE = re.compile(r"信用修复|修复信用|失信信息|失信记录[^，。；]{0,10}(?:异议|修复|移出)|异议")
_BECAME_RE = re.compile(r"(?:已|已经|被)(?:成为|列为|列入|纳入|认定为)$|对(?:已|被)?$")


def _exclusions(text: str) -> Iterator[_Found]:
    for match in re.finditer(vocab.CREDIT_PATTERNS, text):
        # The sentence around it, looked for within a bounded window (long texts stay linear).
        high = min(len(text), match.end() + 120)
        ends = [i for i in (text.find(ch, match.end(), high) for ch in "。；;\n") if i >= 0]
        if _CREDIT_REPAIR_RE.search(text, _sentence_start(text, match.start(), 120), min(ends, default=high)):
            # 对已成为失信主体的企业，开辟信用修复绿色通道: the item requires the 失信 status; a record
            # objected to (违诺失信信息…提出异议) states no requirement either way.
            if _BECAME_RE.search(text, max(0, match.start() - 6), match.start()):
                yield _Found(*match.span(), Condition("credit_status", "eq", "dishonest", match.group(0)))
            continue
        yield _Found(*match.span(), Condition("credit_status", "eq", "normal", match.group(0)))
    for match in re.finditer(vocab.VIOLATION_PATTERNS, text):
        yield _Found(*match.span(), Condition("major_violation", "eq", False, match.group(0)))
    for pattern in vocab.MISCONDUCT_PATTERNS:
        for match in re.finditer(pattern, text):
            yield _Found(*match.span(), Condition("undecidable", "eq", match.group(0), match.group(0)))


_EXPORT_REFUND_RE = re.compile(r"出口退[（(]?免?[）)]?税|出口退税")
_EXPORT_FIGURE_RE = re.compile(r"出口(?:额|总额|交货值|销售额|收入)[^，；。]{0,12}?\d")


def _semantic(text: str) -> Iterator[_Found]:
    seen: set[str] = set()
    for pattern, field in vocab.SEMANTIC_PATTERNS:
        for match in re.finditer(pattern, text):
            # 应急生产…物资的: the emergency names when, not what is made; 应急物资生产企业 keeps it.
            emergency = match.group(0).startswith("应急生产")
            span = match.group(0)[2:] if emergency else match.group(0)
            start = match.start() + (2 if emergency else 0)
            value = match.group(0).removeprefix("从事")
            # The same words again in one item (外贸企业…外贸企业) restate one requirement (labelling guide §8).
            if value in seen:
                continue
            # 出口企业 of an export tax refund (出口退（免）税) is the subject of the relief itself: only
            # exporters are refunded, so it is no requirement (labelling guide §5).
            if value.endswith("出口企业") and _EXPORT_REFUND_RE.search(
                text, max(0, match.start() - 60), min(len(text), match.end() + 60)
            ):
                continue
            # 对外贸企业…年出口额达到1000万元: the export figure is read, and meeting it makes an exporter.
            if value.endswith(("外贸企业", "出口企业")) and _EXPORT_FIGURE_RE.search(text):
                continue
            seen.add(value)
            yield _Found(start, start + len(span), Condition(field, "semantic", value, span))
