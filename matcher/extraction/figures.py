"""Readers of figures and titles for :mod:`matcher.extraction.conditions`: numeric thresholds with their metric, 企业规模, qualifications."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from functools import lru_cache

from corpus.conditions import Condition
from matcher.extraction import vocab
from matcher.extraction.found import _AFTER_RE, _NUMBER_RE, _SENTENCE_BOUNDARY, QUOTES, _Found, _window_start
from matcher.extraction.numbers import (
    MONEY_FACTORS,
    NUMBER_PATTERN,
    boundary_op,
    parse_number,
    to_wan,
)


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


# A bracket of a metric (营业收入5000万元至2亿元 / 开票销售1-2亿元 / 10-50人): the low end's unit may be left
# to the high end's. Only a bracket whose metric is named before it is read.
_RANGE_UNIT = r"(?:亿元|万元|千元|元|亿|万(?!人)|人|名|%)"
_RANGE_RE = re.compile(
    rf"(?P<lo>{NUMBER_PATTERN})(?P<lo_unit>{_RANGE_UNIT})?[ \t]*(?:至|到|-|—|－|~|～)[ \t]*"
    rf"(?P<hi>{NUMBER_PATTERN})(?P<hi_unit>{_RANGE_UNIT})(?:之间|（含）|\(含\))?"
)


def _ranges(text: str) -> Iterator[_Found]:
    """Both bounds of a bracket whose metric is named before it: ``gte`` the low end, ``lte`` the high end."""
    for match in _RANGE_RE.finditer(text):
        low, high = parse_number(match.group("lo")), parse_number(match.group("hi"))
        high_unit = match.group("hi_unit")
        low_unit = match.group("lo_unit") or high_unit
        if low is None or high is None or _unit_kind(low_unit) != _unit_kind(high_unit):
            continue
        wstart = _window_start(text, match.start())
        before = text[wstart : match.start()]
        metric = _nearest_metric(before)
        if metric is None or re.search(vocab.SUPPORT_WORDS, before[metric[1] :]):
            continue
        offset, _, field = metric
        if _unit_kind(high_unit) not in vocab.NUMERIC_UNITS[field]:
            continue
        if _unit_kind(high_unit) == "money":
            low, high = to_wan(low, low_unit), to_wan(high, high_unit)
        if low >= high:
            continue
        span = (wstart + offset, match.end())
        words = text[span[0] : span[1]]
        yield _Found(*span, Condition(field, "gte", _clean(low), words))
        yield _Found(*span, Condition(field, "lte", _clean(high), words))


def _numeric(text: str) -> Iterator[_Found]:
    brackets = sorted(_ranges(text), key=lambda f: (f.start, f.end))
    yield from brackets
    # A number inside a bracket read is read with it.
    starts = [f.start for f in brackets]
    for match in _NUMBER_RE.finditer(text):
        at = bisect.bisect_right(starts, match.start()) - 1
        if at >= 0 and match.start() < brackets[at].end:
            continue
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
        if (
            metric is not None
            and metric[2] == "revenue"
            and odd_metric is not None
            and re.fullmatch(r"(?:同比)?(?:增长|增速)", odd_metric.group(0))
            and unit in vocab.NUMERIC_UNITS["revenue_growth"]
        ):
            # 营业收入5亿元以上且增长15%以上: the growth said after the revenue is the revenue's.
            span = (wstart + metric[0], span_end)
            words = text[span[0] : span[1]]
            yield _Found(*span, Condition("revenue_growth", op, _clean(value), words))
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
            tail = text[end : end + 16]
            if re.match(rf"\s*(?:的)?(?:{vocab.SIZE_BLOCKERS})", tail):
                continue
            head = text[max(0, start - 6) : start]

            # "给予中小企业房租减免的载体", "为中小微企业提供": the enterprise is the giver, not the size.
            if re.search(r"(?:给予|为|向|帮助|面向|对接)$", head) or re.search(
                r"(?:为|给予)[^，。；]{0,4}(?:承租|租用)的?$", head
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
# A title after 拟 (拟上市企业, 拟认定为高新技术企业的, 拟申报的专精特新企业): one planned, not held. Not 拟对 / 拟给予
# (what the authority plans to do for those who hold it).
_PLANNED_TITLE_RE = re.compile(r"拟(?:认定|评定|申报|申请|入选|列入|推荐|培育)?(?:为)?(?:的)?$")
# What may stand before a two-character alias for it to be a word of its own (的高企, 对高企, 、高企).
_SHORT_ALIAS_BEFORE = r"[的对为、和或及与，,：:\s市区县省]"
# 规上服务业企业 / 规模以上批发业企业: "above the size line" of a trade other than industry. The table's 规上 names
# industry only and holds no such title, so the kind is a requirement no field decides (labelling guide §5).
_SCALE_OF_TRADE_RE = re.compile(
    r"(?:服务业|服务|批发|零售|住宿|餐饮|商贸|贸易|文化|软件|信息|建筑|房地产|交通|物流)(?:[^，；。、的]{0,6}?(?:企业|单位))?"
)


def _qualifications(text: str) -> Iterator[_Found]:
    pattern, aliases = _qualification_re()
    found: list[tuple[int, int, str]] = []
    kinds: list[_Found] = []
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
        if title == "规上工业企业" and "工业" not in match.group(0):
            trade = _SCALE_OF_TRADE_RE.match(text, end)
            if trade:
                kinds.append(
                    _Found(
                        start,
                        trade.end(),
                        Condition("undecidable", "eq", text[start : trade.end()], text[start : trade.end()]),
                    )
                )
                continue
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
        # 拟上市企业 / 拟认定的高新技术企业: an enterprise preparing for the title does not hold it; being a candidate
        # (in a 后备 list, applied for) is a requirement no field decides.
        planned = _PLANNED_TITLE_RE.search(head)
        if planned:
            at = start - len(planned.group(0))
            yield _Found(at, end, Condition("undecidable", "eq", text[at:end], text[at:end]))
            continue
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
    yield from kinds
