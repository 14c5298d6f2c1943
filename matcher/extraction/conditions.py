"""Read eligibility conditions out of a policy item's text, each with the exact span it came from.

Rules over the characters (normalised one-for-one, so offsets stay true):
numeric thresholds with their metric, unit and boundary word; 企业规模;
qualifications with aliases; regions; industries; exclusions; and requirements
no profile field decides, which become ``undecidable`` — never a silent guess.
A number that describes the support (给予50万元奖励, 最高不超过200万元) is not a
condition: a threshold needs a metric of the enterprise before it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from corpus.conditions import Condition
from matcher.extraction import vocab
from matcher.extraction.numbers import (
    MONEY_FACTORS,
    NUMBER_PATTERN,
    boundary_op,
    normalize_aligned,
    parse_number,
    to_wan,
)

_UNIT = r"(?P<unit>亿元|万元|千元|元|亿|万(?!人)|人|名|%|个百分点|件|项(?!目))"
_NUMBER_RE = re.compile(rf"(?P<num>{NUMBER_PATTERN}){_UNIT}")
_AFTER_RE = re.compile(r"^(?:（不?含）|\(不?含\))?(?:及以上|以上|及以下|以下|以内|之内)(?:（含）|\(含\))?")
# Where a requirement's words stop: punctuation between clauses and list items.
_BOUNDARY = "，。；;,：:！？!?\n、"
_SENTENCE_BOUNDARY = "。；;！？!?\n"


@dataclass(frozen=True)
class _Found:
    """One condition found in the text, with its offsets."""

    start: int
    end: int
    condition: Condition


def _window_start(text: str, pos: int, limit: int = 24, boundary: str = _BOUNDARY) -> int:
    start = pos
    while start > 0 and pos - start < limit and text[start - 1] not in boundary:
        start -= 1
    return start


@lru_cache(maxsize=1)
def _metric_res() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(p), f) for p, f in vocab.METRICS)


@lru_cache(maxsize=1)
def _undecidable_metric_re() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in vocab.UNDECIDABLE_METRICS))


def _nearest_metric(window: str) -> tuple[int, int, str] | None:
    """Return (start, end, field) of the metric word nearest the end of ``window``."""
    best: tuple[int, int, str] | None = None
    for pattern, field in _metric_res():
        for match in pattern.finditer(window):
            # Nearest end wins; on a tie the earlier (more specific) table entry.
            if best is None or match.end() > best[1]:
                best = (match.start(), match.end(), field)
    return best


def _unit_kind(unit: str) -> str:
    return "money" if unit in MONEY_FACTORS else unit


def _numeric(text: str) -> Iterator[_Found]:
    for match in _NUMBER_RE.finditer(text):
        value = parse_number(match.group("num"))
        unit = match.group("unit")
        if value is None:
            continue
        start, end = match.start(), match.end()
        after_match = _AFTER_RE.match(text[end : end + 12])
        after = after_match.group(0) if after_match else ""
        wstart = _window_start(text, start)
        before = text[wstart:start]
        op = boundary_op(before, after)
        if op is None:
            continue
        span_end = end + len(after)
        metric = _nearest_metric(before)
        odd_metric = _undecidable_metric_re().search(before)
        # A metric without a profile field wins only when it is nearer the number and not part of
        # the decided metric's own words (营业收入增长率 holds 营业收入增长 but is revenue_growth).
        if metric is not None and (
            odd_metric is None
            or odd_metric.end() <= metric[0] + 1
            or odd_metric.start() < metric[0]
            or odd_metric.end() <= metric[1]
        ):
            offset, _, field = metric
            if _unit_kind(unit) in vocab.NUMERIC_UNITS[field]:
                amount = to_wan(value, unit) if _unit_kind(unit) == "money" else value
                span = (wstart + offset, span_end)
                yield _Found(*span, Condition(field, op, _clean(amount), text[span[0] : span[1]]))
                continue
        if odd_metric is not None or metric is not None:
            offset = min(
                x
                for x in (odd_metric.start() if odd_metric else None, metric[0] if metric else None)
                if x is not None
            )
            span = (wstart + offset, span_end)
            yield _Found(
                *span, Condition("undecidable", "eq", text[span[0] : span[1]], text[span[0] : span[1]])
            )
            continue
        if unit in ("%", "个百分点") and not re.search(vocab.SUPPORT_WORDS, before):
            # A share or growth of something no profile field holds: a requirement, but undecidable.
            span = (wstart, span_end)
            yield _Found(*span, Condition("undecidable", "eq", text[wstart:span_end], text[wstart:span_end]))
            continue
        if unit in ("人", "名"):
            activity = list(re.finditer(vocab.HEADCOUNT_ACTIVITY, before))
            if activity:
                span = (wstart + activity[-1].start(), span_end)
                yield _Found(
                    *span, Condition("undecidable", "eq", text[wstart:span_end], text[wstart:span_end])
                )
            elif not re.search(vocab.SUPPORT_WORDS, before) and not re.search(
                r"^每|每人", text[end : end + 2]
            ):
                # A bare head-count with a boundary word ("30人（含）以下的企业") is the enterprise's size.
                yield _Found(start, span_end, Condition("employees", op, _clean(value), text[start:span_end]))


def _clean(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(float(value), 6)


def _sizes(text: str) -> Iterator[_Found]:
    # Positions inside a false friend or a size phrase already taken: a phrase whose first or last
    # character is covered is skipped. (A pass over every earlier span was quadratic, issue 18.)
    covered = bytearray(len(text) + 1)
    for m in re.finditer(vocab.SIZE_FALSE_FRIENDS, text):
        covered[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    for pattern, classes in vocab.SIZE_PHRASES:
        for match in re.finditer(pattern, text):
            start, end = match.span()
            if covered[start] or (end > start and covered[end - 1]):
                continue
            covered[start:end] = b"\x01" * (end - start)
            tail = text[end : end + 8]
            if re.match(rf"(?:的)?(?:{vocab.SIZE_BLOCKERS})", tail):
                continue
            head = text[max(0, start - 6) : start]
            # "给予中小企业房租减免的载体", "为中小微企业提供": the enterprise is the giver, not the size.
            if re.search(r"(?:给予|为|向|帮助|面向|对接)$", head) or re.search(
                r"(?:为|给予)[^，。；]{0,4}承租$", head
            ):
                continue
            yield _Found(start, end, Condition("size_class", "in", list(classes), text[start:end]))


@lru_cache(maxsize=1)
def _qualification_re() -> tuple[re.Pattern[str], dict[str, str]]:
    from corpus.reference import qualification_aliases

    bare = str.maketrans("", "", QUOTES)
    # Two-character aliases (高企) are read only where they stand as a word (see _SHORT_ALIAS_OK).
    aliases = {
        k.translate(bare): v for k, v in qualification_aliases().items() if len(k.translate(bare)) >= 2
    }
    names = sorted(aliases, key=len, reverse=True)
    return re.compile("|".join(re.escape(n) for n in names)), aliases


# 为 as "is" (（2）为规上工业企业, 企业须为高新技术企业), not "for" (为重点企业介绍员工).
_COPULA_RE = re.compile(r"(?:^|[）)：:；;，,、①-⑳]|(?<![\d.])\d|须|应|需|均|是)为$")
# What may stand before a two-character alias for it to be a word of its own (的高企, 对高企, 、高企).
_SHORT_ALIAS_BEFORE = r"[的对为、和或及与，,：:\s市区县省]"


def _qualifications(text: str) -> Iterator[_Found]:
    pattern, aliases = _qualification_re()
    found: list[tuple[int, int, str]] = []
    # Quotes vary (“小巨人” / "小巨人" / none): match on the text without them, map offsets back.
    kept = [i for i, ch in enumerate(text) if ch not in QUOTES]
    bare = "".join(text[i] for i in kept)
    for match in pattern.finditer(bare):
        title = aliases.get(match.group(0))
        if title is None:
            continue
        if len(match.group(0)) == 2 and not (
            (match.start() == 0 or re.match(_SHORT_ALIAS_BEFORE, bare[match.start() - 1]))
            and not bare[match.end() : match.end() + 1] == "业"
        ):
            continue
        start, end = kept[match.start()], kept[match.end() - 1] + 1
        if end < len(text) and text[end] in QUOTES:
            end += 1
        head = text[_window_start(text, start, 20) : start]
        # A title listed after another (须为A或B) is read as the first one was; the group check below decides.
        listed = bool(found) and bool(re.fullmatch(r"[、或和及与/]|或者|以及", text[found[-1][1] : start]))
        if (
            not listed
            and re.search(r"(?:为|向)(?!.*(?:认定为|评为|列为|成为|作为|被认定))", head)
            and not re.search(r"(?:认定|评|列|成|作)为$", head)
            and not _COPULA_RE.search(head)
        ):
            continue
        found.append((start, end, title))
    # Titles joined by 、 / 或 / 和 in one clause are alternatives: any one of them.
    groups: list[list[tuple[int, int, str]]] = []
    for item in found:
        if groups and re.fullmatch(r"[、或和及与/]|或者|以及", text[groups[-1][-1][1] : item[0]]):
            groups[-1].append(item)
        else:
            groups.append([item])
    for group in groups:
        start, end = group[0][0], group[-1][1]
        # 为重点用工企业、高新技术企业介绍员工: titles of those served, not of the enterprise.
        group_head = text[_window_start(text, start, 20, _SENTENCE_BOUNDARY + "，,") : start]
        if (
            re.search(r"(?:为|向)[^认评列成作]{0,12}$", group_head)
            and not re.search(r"(?:认定|评|列|成|作)为", group_head)
            and not _COPULA_RE.search(group_head)
        ):
            continue
        titles = sorted({t for _, _, t in group})
        head = text[max(0, start - 8) : start]
        negated = bool(
            re.search(
                r"(?:非|不是|不属于|(?:未|尚未|没有|未曾)(?:被)?(?:认定为|评为|列为|列入|获评为?|获得|入选为?|认定|评定为)?)$",
                head,
            )
        )
        if len(titles) == 1:
            yield _Found(
                start,
                end,
                Condition("qualifications", "not_has" if negated else "has", titles[0], text[start:end]),
            )
        elif not negated:
            yield _Found(start, end, Condition("qualifications", "in", titles, text[start:end]))


QUOTES = '“”"‘’「」'

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
# Registration words before a place: 注册地在温岭市, 工商注册地和税务登记地均在浙江省.
_REGISTERED_HEAD = (
    r"(?:(?:工商)?注册(?:地址|地)?(?:和|及|、)?(?:税务登记地?)?|税务登记地?)(?:均|都)?(?:在|为|位于)"
)
_ENTERPRISE_NOUN = r"[^，。；]{0,14}?(?:企业|机构|单位|市场主体|纳税人|公司)"
# A local word qualifies the enterprises an item is for when it opens the subject (对我市…企业,
# 凡本区…企业) and an enterprise noun follows in the same clause — not 本市登记失业人员 or
# 本市职工最低工资标准, which qualify people and wages.
_LOCAL_SUBJECT_RE = re.compile(
    rf"(?:(?<=对)|(?<=凡)|(?<=支持)|(?<=鼓励)|(?<=日起)|(?<=日后)|(?<=以后)|(?<=^)|(?<=[，。；：:]))(?P<word>{_LOCAL_RE})"
    r"(?=[^，。；;]{0,40}?(?:企业|高企|单位|市场主体|纳税人|公司|项目))"
)


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
    if digits == 4 and prefix[:2] in ("11", "12", "31", "50"):
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
            r"(?:对|支持|鼓励)$", head
        ):
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
    if not region_code:
        return
    for match in re.finditer(
        rf"(?:在)?(?:{_LOCAL_RE}){_REGISTERED_TAIL}|{_REGISTERED_HEAD}(?:{_LOCAL_RE})", text
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


def _mu_jun(text: str) -> Iterator[_Found]:
    """亩均效益评价 classes an item asks for: one class → ``eq``, several (or 及以上) → ``in``."""
    for match in _MU_JUN_RE.finditer(text):
        classes = sorted(set(re.findall(r"[A-D]", match.group("classes"))))
        if match.group("above"):
            classes = [c for c in "ABCD" if c <= max(classes)]
        condition = (
            Condition("mu_jun_class", "eq", classes[0], match.group(0))
            if len(classes) == 1
            else Condition("mu_jun_class", "in", classes, match.group(0))
        )
        yield _Found(*match.span(), condition)


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
# 成立满3年 / 注册成立3年以上 / 成立不满2年 / 登记注册满6个月: an age counted back from the reference date.
_FOUNDED_AGE_RE = re.compile(
    rf"(?:登记注册|注册成立|注册登记|成立|设立|注册)(?:时间)?(?P<neg>不满|未满|不足|不超过)?(?P<ge>满|已满|达到|超过)?"
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
    r"纳税信用(?:等级|级别|评价)?(?:为|达到|在|是|评定为)?(?P<grade>[ABMCD])(?:级|类)?(?P<up>(?:及|或)?以上)?"
    # 纳税信用等级为C级、D级 / C级或D级: more grades named one by one.
    r"(?P<more>(?:[、或和及/](?:为)?[ABMCD](?:级|类)?){0,4})"
)


def _tax_credit(text: str) -> Iterator[_Found]:
    for match in _TAX_CREDIT_RE.finditer(text):
        grade = match.group("grade")
        grades = list(_TAX_GRADES[: _TAX_GRADES.index(grade) + 1]) if match.group("up") else [grade]
        if match.group("more") and not match.group("up"):
            grades += [g for g in re.findall(r"[ABMCD]", match.group("more")) if g not in grades]
        yield _Found(*match.span(), Condition("tax_credit_grade", "in", grades, match.group(0)))


def _inside_parentheses(text: str, pos: int, limit: int = 10) -> bool:
    opened = max(text.rfind("（", 0, pos), text.rfind("(", 0, pos))
    closed = max(text.rfind("）", 0, pos), text.rfind(")", 0, pos))
    return opened > closed and pos - opened <= limit


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
                r"[”\"」』]?(?:发展)?(?:专项资金|资金|基金|平台|协会|主管部门|结构调整|高质量发展)",
                text[end : end + 8],
            ):
                continue
            # Nor is a department named after one (交通运输部, 商务局, 农业农村厅 …).
            if re.match(r"(?:农村)?(?:部|厅|局|委|管理部门)", text[end : end + 5]):
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
        # The noun the industry qualifies (…等行业企业), never words of another requirement (受疫情影响较大的).
        tail = re.match(r"(?:等)?(?:[^，。；受因向为对]{0,12}?(?:行业企业|行业|企业|领域))?", text[end:])
        span_end = end + (tail.end() if tail else 0)
        group_codes = sorted({c for _, _, cs in group for c in cs})
        yield _Found(
            start, span_end, Condition("industry_code", "industry_in", group_codes, text[start:span_end])
        )


# An item about repairing a 失信 record or objecting to one (信用修复, 异议) is for those who have it.
_CREDIT_REPAIR_RE = re.compile(r"信用修复|修复信用|失信信息|失信记录[^，。；]{0,10}(?:异议|修复|移出)|异议")
_BECAME_RE = re.compile(r"(?:已|已经|被)(?:成为|列为|列入|纳入|认定为)$|对(?:已|被)?$")


def _exclusions(text: str) -> Iterator[_Found]:
    for match in re.finditer(vocab.CREDIT_PATTERNS, text):
        # The sentence around it, looked for within a bounded window (long texts stay linear).
        low, high = max(0, match.start() - 120), min(len(text), match.end() + 120)
        sentence_start = max(text.rfind(ch, low, match.start()) for ch in "。；;\n") + 1
        ends = [i for i in (text.find(ch, match.end(), high) for ch in "。；;\n") if i >= 0]
        if _CREDIT_REPAIR_RE.search(text, max(low, sentence_start), min(ends, default=high)):
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


def _semantic(text: str) -> Iterator[_Found]:
    for pattern, field in vocab.SEMANTIC_PATTERNS:
        for match in re.finditer(pattern, text):
            span = match.group(0).removeprefix("应急")
            start = match.start() + (2 if match.group(0).startswith("应急") else 0)
            value = match.group(0).removeprefix("从事")
            yield _Found(start, start + len(span), Condition(field, "semantic", value, span))


@lru_cache(maxsize=1)
def _undecidable_re() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in vocab.UNDECIDABLE_PATTERNS)


def _undecidable(text: str) -> Iterator[_Found]:
    for pattern in _undecidable_re():
        for match in pattern.finditer(text):
            span = match.group(0).strip("，、 ")
            if len(span) < 3:
                continue
            start = match.start() + match.group(0).find(span)
            yield _Found(start, start + len(span), Condition("undecidable", "eq", span, span))


class _Decided:
    """The conditions found so far, in the order found, indexed by start so overlap queries stay local.

    A long text yields thousands of conditions; checking each new one against all
    earlier ones made extraction quadratic (80k characters: 14 s). Spans are short,
    so only those starting within the longest span's length before a range can reach it.
    """

    def __init__(self) -> None:
        self.found: list[_Found] = []
        self._starts: list[int] = []
        self._by_start: list[_Found] = []
        self._longest = 0

    def append(self, found: _Found) -> None:
        self.found.append(found)
        at = bisect.bisect_right(self._starts, found.start)
        self._starts.insert(at, found.start)
        self._by_start.insert(at, found)
        self._longest = max(self._longest, found.end - found.start)

    def near(self, start: int, end: int) -> list[_Found]:
        """Every condition whose span overlaps ``[start, end)`` (and maybe a few that only come close)."""
        low = bisect.bisect_left(self._starts, start - self._longest)
        high = bisect.bisect_left(self._starts, end)
        return self._by_start[low:high]


def _trim(found: _Found, decided: _Decided, text: str) -> _Found | None:
    """Cut a free-text requirement where a decided condition begins; None when it starts inside one."""
    end = found.end
    for other in decided.near(found.start, found.end):
        if other.start <= found.start < other.end:
            return None
        if found.start < other.start < end:
            end = other.start
    span = text[found.start : end].rstrip("的、，,和及或且并")
    if len(span) < 3:
        return None
    return _Found(found.start, found.start + len(span), Condition("undecidable", "eq", span, span))


# "对……的企业": the words between 对 and the enterprise noun are what the enterprise must be or do.
_BENEFICIARY_RE = re.compile(
    r"对(?P<mod>[^，。；;]{4,60}?)的(?:[^，。；;的]{0,8}?)(?:企业|单位|项目单位|机构|纳税人|市场主体|商户|载体)(?![^，。；;]{0,3}的)"
)
_CONNECTORS = re.compile(
    r"^(?:且|并|或|和|及|以及|但|、|，|,|的|等|其他)+|(?:且|并|或|和|及|以及|但|、|，|,|的|等)+$"
)


def _beneficiary_requirements(text: str, decided: _Decided) -> Iterator[_Found]:
    """Uncovered words of "对……的企业" modifiers, each an undecidable requirement."""
    for match in _BENEFICIARY_RE.finditer(text):
        start, end = match.span("mod")
        covered = sorted(
            (max(d.start, start), min(d.end, end))
            for d in decided.near(start, end)
            if d.start < end and start < d.end
        )
        pos = start
        pieces = []
        for c_start, c_end in [*covered, (end, end)]:
            if c_start > pos:
                pieces.append((pos, c_start))
            pos = max(pos, c_end)
        for p_start, p_end in pieces:
            piece = text[p_start:p_end]
            stripped = _CONNECTORS.sub("", piece)
            if len(stripped) < 4 or re.fullmatch(r"[^一-鿿]*", stripped):
                continue
            # 对高新技术企业减按15%的税率: what follows the enterprise is the support, not a requirement;
            # 对同时符合下列条件的企业 / 符合条件的: a pointer to requirements stated elsewhere.
            if re.match(r"(?:减按|减半|免征|减征|给予|按照|按(?![月季年期时]))", stripped) or re.fullmatch(
                r"(?:同时)?(?:符合|满足|具备)(?:下列|以下|如下|相关|上述)?条件", stripped
            ):
                continue
            offset = p_start + piece.find(stripped)
            yield _Found(offset, offset + len(stripped), Condition("undecidable", "eq", stripped, stripped))


# Tax guides name the beneficiary under a bracketed heading (【享受主体】 药品生产企业 【优惠内容】 …):
# what it says is a requirement, read as decided conditions where it can be, else as free text.
_SUBJECT_HEADING_RE = re.compile(
    r"【(?:享受主体|适用对象|支持对象|补贴对象|申报主体)】[\s\u3000]*(?P<who>[^【】。；;\n]{2,60})"
)


def _subject_headings(text: str) -> Iterator[_Found]:
    for match in _SUBJECT_HEADING_RE.finditer(text):
        start, end = match.span("who")
        while end > start and text[end - 1] in " 　\t，,。":
            end -= 1
        if end - start >= 3:
            yield _Found(start, end, Condition("undecidable", "eq", text[start:end], text[start:end]))


# An item's heading (（一）推进制造业数字化改造。 / 1.培育雏鹰企业：) names its topic, not a requirement.
_HEADING_RE = re.compile(
    r"^\s*(?:[（(][一二三四五六七八九十\d]{1,3}[）)]|[一二三四五六七八九十]{1,3}、|\d{1,2}[.、]|第[一二三四五六七八九十\d]{1,4}条)\s*"
    r"(?P<heading>[^。：:；;，,\n]{2,24})[。：:\n]"
)


def _heading_end(text: str) -> int:
    """Return where a numbered heading at the start of ``text`` ends (0 when there is none)."""
    match = _HEADING_RE.match(text)
    if match is None or re.search(r"对|的(?:企业|单位)", match.group("heading")):
        return 0
    return match.end("heading")


def _merge_adjacent(found: list[_Found], text: str) -> list[_Found]:
    """Join free-text requirements that touch (受疫情影响 + 暂时失去收入来源): one requirement said in one breath."""
    kept = sorted((f for f in found if f.condition.field != "undecidable"), key=lambda f: f.start)
    free = sorted((f for f in found if f.condition.field == "undecidable"), key=lambda f: (f.start, f.end))
    kept_starts = [k.start for k in kept]
    merged: list[_Found] = []
    for item in free:
        if merged:
            last = merged[-1]
            gap = text[last.end : item.start] if item.start >= last.end else ""
            # Is a decided condition starting in [last.end, item.start]?
            first = bisect.bisect_left(kept_starts, last.end)
            between_decided = first < len(kept_starts) and kept_starts[first] < item.start + 1
            if item.start <= last.end or (re.fullmatch(r"(?:企业)?", gap) and not between_decided):
                end = max(last.end, item.end)
                span = text[last.start : end]
                merged[-1] = _Found(last.start, end, Condition("undecidable", "eq", span, span))
                continue
        merged.append(item)
    return kept + merged


@lru_cache(maxsize=1)
def _supported_act_re() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in vocab.SUPPORTED_ACTS))


def _supported_act(found: _Found, text: str) -> bool:
    """Tell whether a free-text requirement is only the act the support pays for (首次认定, 新招用…人员)."""
    return found.condition.field == "undecidable" and bool(
        _supported_act_re().fullmatch(text[found.start : found.end])
    )


# A cited document's title (《关于支持中小企业共渡难关的若干措施》) names another text, not a requirement.
_CITED_TITLE_RE = re.compile(r"《[^《》\n]{1,120}》")


def _cited_titles(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _CITED_TITLE_RE.finditer(text)]


def _inside_span(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Tell whether ``[start, end)`` lies inside one of ``spans`` (sorted, disjoint), by binary search."""
    at = bisect.bisect_right(spans, (start, 1 << 62)) - 1
    return at >= 0 and spans[at][0] <= start and end <= spans[at][1]


def _overlaps(a: _Found, b: _Found) -> bool:
    return a.start < b.end and b.start < a.end


def reference_date(issued: str | dt.date | None) -> dt.date:
    """Return the date an age (成立满3年) counts back from: the policy's issued date when known, else today."""
    if isinstance(issued, dt.date):
        return issued
    if issued:
        try:
            return dt.date.fromisoformat(str(issued)[:10])
        except ValueError:
            pass
    return dt.date.today()


def extract_conditions(
    text: str, *, region_code: str | None = None, issued: str | dt.date | None = None
) -> tuple[Condition, ...]:
    """Every condition ``text`` states on the enterprise, in text order, each with its exact span.

    ``issued`` (the policy's date, ``YYYY-MM-DD``) is what 成立满3年 counts back from; today when not given.
    """
    _, unique = found_conditions(text, region_code=region_code, issued=issued)
    return tuple(as_condition(f, text) for f in unique)


def as_condition(found: _Found, text: str) -> Condition:
    """Return the condition of a finding, its span (and a free-text value) re-read from the original ``text``."""
    c = found.condition
    span = text[found.start : found.end]
    if c.field == "undecidable" or c.op == "semantic":
        return Condition(c.field, c.op, span, span, role=c.role)
    return Condition(c.field, c.op, c.value, span, role=c.role)


def found_conditions(
    text: str, *, region_code: str | None = None, issued: str | dt.date | None = None
) -> tuple[str, list[_Found]]:
    """Return the normalised text and every finding in it (offsets into ``text`` too: normalisation is one-for-one)."""
    norm = normalize_aligned(text)
    numeric = list(_numeric(norm))
    # 30人以上（山区县为20人以上）: a bracketed variant of the threshold before it is no second requirement.
    outside = sorted(
        (g for g in numeric if not _inside_parentheses(norm, g.end - 1, 30)), key=lambda g: g.end
    )
    outside_ends = [g.end for g in outside]

    def restates(f: _Found) -> bool:
        """Tell whether an unbracketed threshold of the same field ends before ``f`` in its sentence."""
        low = bisect.bisect_right(outside_ends, norm.rfind("。", 0, f.end))
        high = bisect.bisect_left(outside_ends, f.end)
        return any(g.condition.field == f.condition.field for g in outside[low:high])

    numeric = [f for f in numeric if not (_inside_parentheses(norm, f.end - 1, 30) and restates(f))]
    decided = _Decided()
    for found in (
        *numeric,
        *_qualifications(norm),
        *_exclusions(norm),
        *_regions(norm, region_code),
        *_established(norm, reference_date(issued)),
        *_mu_jun(norm),
        *_tax_credit(norm),
    ):
        near = decided.near(found.start, found.end)
        if not any(_overlaps(found, d) and found.condition.key == d.condition.key for d in near):
            decided.append(found)
    for found in _sizes(norm):
        near = decided.near(found.start, found.end)
        if not any(_overlaps(found, d) for d in near if d.condition.field == "qualifications"):
            decided.append(found)
    # What the enterprise does (从事集成电路设计) is read before industries, so its words are not an industry too.
    for found in _semantic(norm):
        if not any(_overlaps(found, d) for d in decided.near(found.start, found.end)):
            decided.append(found)
    for found in _industries(norm):
        if not any(_overlaps(found, d) for d in decided.near(found.start, found.end)):
            decided.append(found)
    for found in sorted(
        (*_undecidable(norm), *_subject_headings(norm)), key=lambda f: (f.start, -(f.end - f.start))
    ):
        trimmed = _trim(found, decided, norm)
        if trimmed is not None:
            decided.append(trimmed)
    for found in _beneficiary_requirements(norm, decided):
        decided.append(found)
    merged = _merge_adjacent(decided.found, norm)
    heading_end = _heading_end(norm)
    titles = _cited_titles(norm)
    kept = [
        f
        for f in merged
        if f.start >= heading_end and not _supported_act(f, norm) and not _inside_span(titles, f.start, f.end)
    ]
    # A requirement restated (a heading, then the 享受条件) is one requirement.
    seen: set[tuple[str, str]] = set()
    unique = []
    for found in sorted(kept, key=lambda f: (f.start, f.end)):
        key = (found.condition.field, norm[found.start : found.end])
        if found.condition.field == "undecidable" and key in seen:
            continue
        seen.add(key)
        unique.append(found)
    # Spans are re-read from the original text by as_condition: normalisation never moves an offset.
    return norm, unique
