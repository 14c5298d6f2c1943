"""Free-text requirements for :mod:`matcher.extraction.conditions`: ``undecidable`` ones, beneficiaries (对……的企业), headings and cited titles that state none."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from functools import lru_cache

from corpus.conditions import Condition
from matcher.extraction import vocab
from matcher.extraction.found import _Found


@lru_cache(maxsize=1)
def _undecidable_re() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in vocab.UNDECIDABLE_PATTERNS)


# 根据受疫情影响情况 / 视受疫情影响程度: what the authorities weigh, a noun phrase, no requirement.
_WEIGHED_RE = re.compile(r"情况|程度")
# 填写受疫情影响的正当理由 / 处理因疫情导致的商事法律问题: the hardship names a reason or a problem, not the
# enterprise; 不得因疫情…而降低: what an office must not do for that cause; 确保…权益不受疫情影响: the hardship
# denied, what the measure guards against, not a state the enterprise is in. No requirement either way.
_REASON_AFTER_RE = re.compile(
    r"[^，；。、]{0,4}?的(?:正当)?(?:理由|原因)|[^，；。、]{0,4}?的[^，；。、的]{0,8}?问题"
)
_NOT_FOR_CAUSE_RE = re.compile(r"不得?$")
_HARDSHIP_RE = re.compile(r"^(?:受|因)(?:新冠肺炎|新型冠状病毒|疫情)")


def _undecidable(text: str) -> Iterator[_Found]:
    for pattern in _undecidable_re():
        for match in pattern.finditer(text):
            span = match.group(0).strip("，、 ")
            if len(span) < 3 or _WEIGHED_RE.match(text, match.end()):
                continue
            if _HARDSHIP_RE.match(span) and (
                _REASON_AFTER_RE.match(text, match.end())
                or _NOT_FOR_CAUSE_RE.search(text, max(0, match.start() - 2), match.start())
            ):
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
# 对 as a preposition only: 支持对象 / 对外 / 对接 / 对应 / 对照 are words of their own.
_BENEFICIARY_RE = re.compile(
    r"(?<![绝相])对(?![象外接应照标])(?P<mod>[^，。；;]{4,60}?)的(?:[^，。；;的]{0,8}?)(?:企业|单位|项目单位|机构|纳税人|市场主体|商户|载体)(?![^，。；;]{0,3}的)"
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
            for at, words in _states(stripped):
                yield _Found(
                    offset + at, offset + at + len(words), Condition("undecidable", "eq", words, words)
                )


# A state the enterprise is in (订单减少 / 资金周转困难 / 有发展前景 / 无法按期付款): each such part of a
# list joined by 、 is one requirement (labelling guide, l25: one leaf per requirement part, cut at 、).
_STATE_RE = re.compile(r"困难|影响|前景|无法|不能|未能|失去|损失|亏损|停产|停业|下降|减少|有望")


def _states(words: str) -> list[tuple[int, str]]:
    """Cut ``words`` at 、 when every piece states a state of its own, else keep it whole (offset, words)."""
    pieces = words.split("、")
    if len(pieces) < 2 or not all(len(p) >= 2 and _STATE_RE.search(p) for p in pieces):
        return [(0, words)]
    out, at = [], 0
    for piece in pieces:
        out.append((at, piece))
        at += len(piece) + 1
    return out


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
            # …行业以及…行业的纳税人: kinds listed with 以及 name one beneficiary, one requirement.
            if item.start <= last.end or (
                re.fullmatch(r"(?:企业)?|(?:企业)?以及", gap) and not between_decided
            ):
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
