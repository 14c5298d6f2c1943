"""Read eligibility conditions out of a policy item's text, each with the exact span it came from.

Rules over the characters (normalised one-for-one, so offsets stay true):
numeric thresholds with their metric, unit and boundary word; 企业规模;
qualifications with aliases; regions; industries; exclusions; and requirements
no profile field decides, which become ``undecidable`` — never a silent guess.
A number that describes the support (给予50万元奖励, 最高不超过200万元) is not a
condition: a threshold needs a metric of the enterprise before it.
"""

from __future__ import annotations

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

_UNIT = r"(?P<unit>亿元|万元|千元|元|亿|万(?!人)|人|名|%|个百分点)"
_NUMBER_RE = re.compile(rf"(?P<num>{NUMBER_PATTERN}){_UNIT}")
_AFTER_RE = re.compile(r"^(?:（不?含）|\(不?含\))?(?:及以上|以上|及以下|以下|以内|之内)(?:（含）|\(含\))?")
# Where a requirement's words stop: punctuation between clauses and list items.
_BOUNDARY = "，。；;,：:！？!?\n、"
_SENTENCE_BOUNDARY = "。；;！？!?\n"


@dataclass(frozen=True)
class _Found:
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


def _nearest_metric(window: str) -> tuple[int, str] | None:
    """Return (offset, field) of the metric word nearest the end of ``window``."""
    best: tuple[int, int, str] | None = None
    for pattern, field in _metric_res():
        for match in pattern.finditer(window):
            # Nearest end wins; on a tie the earlier (more specific) table entry.
            if best is None or match.end() > best[1]:
                best = (match.start(), match.end(), field)
    return (best[0], best[2]) if best else None


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
        if metric is not None and (
            odd_metric is None or odd_metric.end() <= metric[0] + 1 or odd_metric.start() < metric[0]
        ):
            offset, field = metric
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
    false_friends = [(m.start(), m.end()) for m in re.finditer(vocab.SIZE_FALSE_FRIENDS, text)]
    taken: list[tuple[int, int]] = []
    for pattern, classes in vocab.SIZE_PHRASES:
        for match in re.finditer(pattern, text):
            start, end = match.span()
            if any(s <= start < e or s < end <= e for s, e in false_friends + taken):
                continue
            taken.append((start, end))
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
    aliases = {
        k.translate(bare): v for k, v in qualification_aliases().items() if len(k.translate(bare)) >= 3
    }
    names = sorted(aliases, key=len, reverse=True)
    return re.compile("|".join(re.escape(n) for n in names)), aliases


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
        start, end = kept[match.start()], kept[match.end() - 1] + 1
        if end < len(text) and text[end] in QUOTES:
            end += 1
        head = text[_window_start(text, start, 20) : start]
        if re.search(r"(?:为|向)(?!.*(?:认定为|评为|列为|成为|作为|被认定))", head) and not re.search(
            r"(?:认定|评|列|成|作)为$", head
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
        titles = sorted({t for _, _, t in group})
        head = text[max(0, start - 4) : start]
        negated = bool(re.search(r"(?:非|未|不是|未被认定为|未获)$", head))
        if len(titles) == 1:
            yield _Found(
                start,
                end,
                Condition("qualifications", "not_has" if negated else "has", titles[0], text[start:end]),
            )
        elif not negated:
            yield _Found(start, end, Condition("qualifications", "in", titles, text[start:end]))


QUOTES = '“”"‘’「」'

_LOCAL = {
    "本市": 4,
    "全市": 4,
    "本区": 6,
    "全区": 6,
    "本县": 6,
    "全县": 6,
    "本省": 2,
    "全省": 2,
    "区内": 6,
    "市内": 4,
    "县内": 6,
}


def _region_prefix(code: str, digits: int) -> str | None:
    code = code.strip()
    if len(code) < digits or not code.isdigit():
        return None
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


_ENTERPRISE_NOUN = r"[^，。；]{0,14}?(?:企业|机构|单位|市场主体|纳税人|公司)"


def _regions(text: str, region_code: str | None) -> Iterator[_Found]:
    from corpus.reference import regions_named

    for match in _region_name_re().finditer(text):
        start, end = match.span()
        head = text[max(0, start - 3) : start]
        tail = text[end : end + 18]
        registered = re.match(
            r"(?:行政区域|辖区|范围)?内?(?:注册|登记|设立|依法登记)", tail
        ) and head.endswith("在")
        located = re.match(rf"(?:行政区域|辖区|范围)?内?(?:的)?{_ENTERPRISE_NOUN}", tail) and re.search(
            r"(?:对|支持|鼓励)$", head
        )
        if not (registered or located):
            continue
        places = regions_named(match.group(0))
        if len(places) != 1:
            continue
        span_end = end + (
            re.match(r"(?:行政区域|辖区|范围)?内?(?:注册|登记|设立|依法登记)", tail).end()
            if registered
            else 0
        )  # type: ignore[union-attr]
        span_start = start - 1 if registered else start
        yield _Found(
            span_start,
            span_end,
            Condition("region_code", "within_region", places[0].code, text[span_start:span_end]),
        )
    if region_code:
        pattern = "|".join(_LOCAL)
        for match in re.finditer(
            rf"(?:在)?(?:{pattern})(?:注册|登记注册|依法登记|设立)(?:的|、)?|(?:{pattern})(?:注册|登记)?(?:的)?(?=企业|规上|工业企业)",
            text,
        ):
            word = next(w for w in _LOCAL if w in match.group(0))
            prefix = _region_prefix(region_code, _LOCAL[word])
            if prefix:
                span = match.group(0).rstrip("的、")
                yield _Found(
                    match.start(),
                    match.start() + len(span),
                    Condition("region_code", "within_region", prefix, span),
                )


def _inside_parentheses(text: str, pos: int) -> bool:
    opened = max(text.rfind("（", 0, pos), text.rfind("(", 0, pos))
    closed = max(text.rfind("）", 0, pos), text.rfind(")", 0, pos))
    return opened > closed and pos - opened <= 10


def _industries(text: str) -> Iterator[_Found]:
    hits: list[tuple[int, int, tuple[str, ...]]] = []
    taken: list[tuple[int, int]] = []
    for pattern, codes in (*vocab.CLUSTER_PHRASES, *vocab.INDUSTRY_PHRASES):
        for match in re.finditer(pattern, text):
            start, end = match.span()
            if any(s < end and start < e for s, e in taken) or _inside_parentheses(text, start):
                continue
            # A fund or a platform named after an industry is not a requirement on the enterprise.
            if re.match(r"(?:发展)?(?:专项资金|资金|基金|平台|协会|主管部门|结构调整)", text[end : end + 6]):
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
        tail = re.match(r"(?:等)?(?:[^，。；]{0,12}?(?:行业企业|行业|企业|领域))?", text[end:])
        span_end = end + (tail.end() if tail else 0)
        codes = sorted({c for _, _, cs in group for c in cs})
        yield _Found(start, span_end, Condition("industry_code", "industry_in", codes, text[start:span_end]))


def _exclusions(text: str) -> Iterator[_Found]:
    for match in re.finditer(vocab.CREDIT_PATTERNS, text):
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


def _trim(found: _Found, decided: list[_Found], text: str) -> _Found | None:
    """Cut a free-text requirement where a decided condition begins; None when it starts inside one."""
    end = found.end
    for other in decided:
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
    r"^(?:且|并|或|和|及|以及|、|，|,|的|等|其他)+|(?:且|并|或|和|及|以及|、|，|,|的|等)+$"
)


def _beneficiary_requirements(text: str, decided: list[_Found]) -> Iterator[_Found]:
    """Uncovered words of "对……的企业" modifiers, each an undecidable requirement."""
    for match in _BENEFICIARY_RE.finditer(text):
        start, end = match.span("mod")
        covered = sorted(
            (max(d.start, start), min(d.end, end)) for d in decided if d.start < end and start < d.end
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
            offset = p_start + piece.find(stripped)
            yield _Found(offset, offset + len(stripped), Condition("undecidable", "eq", stripped, stripped))


def _overlaps(a: _Found, b: _Found) -> bool:
    return a.start < b.end and b.start < a.end


def extract_conditions(text: str, *, region_code: str | None = None) -> tuple[Condition, ...]:
    """Every condition ``text`` states on the enterprise, in text order, each with its exact span."""
    norm = normalize_aligned(text)
    decided: list[_Found] = []
    for found in (*_numeric(norm), *_qualifications(norm), *_exclusions(norm), *_regions(norm, region_code)):
        if not any(_overlaps(found, d) and found.condition.key == d.condition.key for d in decided):
            decided.append(found)
    for found in _sizes(norm):
        if not any(_overlaps(found, d) for d in decided if d.condition.field == "qualifications"):
            decided.append(found)
    for found in _industries(norm):
        if not any(_overlaps(found, d) for d in decided):
            decided.append(found)
    for found in _semantic(norm):
        if not any(_overlaps(found, d) for d in decided):
            decided.append(found)
    for found in sorted(_undecidable(norm), key=lambda f: (f.start, -(f.end - f.start))):
        trimmed = _trim(found, decided, norm)
        if trimmed is not None:
            decided.append(trimmed)
    for found in _beneficiary_requirements(norm, decided):
        decided.append(found)
    # A requirement restated (a heading, then the 享受条件) is one requirement.
    seen: set[tuple[str, str]] = set()
    unique = []
    for found in sorted(decided, key=lambda f: (f.start, f.end)):
        key = (found.condition.field, norm[found.start : found.end])
        if found.condition.field == "undecidable" and key in seen:
            continue
        seen.add(key)
        unique.append(found)
    decided = unique
    decided.sort(key=lambda f: (f.start, f.end))
    # Spans are re-read from the original text: normalisation never moves an offset.
    return tuple(
        Condition(f.condition.field, f.condition.op, f.condition.value, text[f.start : f.end])
        if f.condition.field not in ("undecidable",) and f.condition.op != "semantic"
        else Condition(f.condition.field, f.condition.op, text[f.start : f.end], text[f.start : f.end])
        for f in decided
    )
