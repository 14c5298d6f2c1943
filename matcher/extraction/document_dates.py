"""Document facts of time and form, split out of :mod:`matcher.extraction.document`.

The read-fact records, sentences, dates (公历 and 中文 numerals), the issue date, validity
(有效期至…; 自印发之日起施行，有效期3年), the 申报 window and the fulfilment mode.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from corpus.splitting import CN_DIGITS

# --- results -----------------------------------------------------------------------------------

Span = tuple[int, int]


@dataclass(frozen=True)
class ReadFact:
    """One fact read from a document: its value, where it was read (text offsets, None = the title), the words."""

    value: Any
    span: Span | None
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "value": self.value,
            "span": list(self.span) if self.span else None,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class DocumentFacts:
    """Everything read from one document; a fact not found is None."""

    region_code: ReadFact | None = None
    department: ReadFact | None = None
    issued: ReadFact | None = None
    valid_from: ReadFact | None = None
    valid_until: ReadFact | None = None
    window_open: ReadFact | None = None
    window_close: ReadFact | None = None
    doc_type: ReadFact | None = None
    is_policy: ReadFact | None = None
    fulfilment: ReadFact | None = None
    governs: tuple[Span, ...] = ()

    def values(self) -> dict[str, Any]:
        """Return the read values by key (None where nothing was read)."""
        return {
            f.name: (getattr(self, f.name).value if getattr(self, f.name) is not None else None)
            for f in dataclasses.fields(self)
            if f.name != "governs"
        }

    def spans(self) -> dict[str, Any]:
        """Every read fact with its span and evidence, for the store and for a person checking it."""
        out: dict[str, Any] = {
            f.name: getattr(self, f.name).to_dict()
            for f in dataclasses.fields(self)
            if f.name != "governs" and getattr(self, f.name) is not None
        }
        if self.governs:
            out["governs"] = [list(s) for s in self.governs]
        return out


# --- sentences ---------------------------------------------------------------------------------

_SENTENCE_RE = re.compile(r"[^。；;！!？?\n]+[。；;！!？?\n]?")


def sentences(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Spans of the sentences of ``text[start:end]`` (split on 。；！？ and line breaks)."""
    for match in _SENTENCE_RE.finditer(text, start, len(text) if end is None else end):
        if match.group(0).strip():
            yield match.span()


# --- dates -------------------------------------------------------------------------------------

_CN_DIGIT = {**CN_DIGITS, "○": 0, "O": 0}  # 两 never stands in a written date
_DATE_RE = re.compile(
    r"(?P<y>(?:19|20)\d\d)\s*年\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*[日号]|(?P<me>底|末))?"
    # 2020年底 / 2020年末: the year's last day (a month's end, 6月底, is the alternative above).
    r"|(?P<ey>(?:19|20)\d\d)\s*年\s*(?:底|末)(?!\d)"
    r"|(?P<iy>(?:19|20)\d\d)[-/.](?P<im>\d{1,2})[-/.](?P<id>\d{1,2})"
    r"|(?P<cy>[二][〇○零O][一二三四五六七八九〇○零O]{2})年(?P<cm>[一二三四五六七八九十]{1,2})月(?P<cd>[一二三四五六七八九十]{1,3})日"
)
# A month and day without a year (2月5日, 4月30日): its year comes from the sentence or the document.
_MONTH_DAY_RE = re.compile(r"(?<![\d年])(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]")


def _cn_small(text: str) -> int:
    value = 0
    if "十" in text:
        tens, _, ones = text.partition("十")
        value = (_CN_DIGIT.get(tens, 1) if tens else 1) * 10 + (_CN_DIGIT.get(ones, 0) if ones else 0)
        return value
    for char in text:
        value = value * 10 + _CN_DIGIT.get(char, 0)
    return value


def _make_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


@dataclass(frozen=True)
class _Date:
    start: int
    end: int
    day: dt.date
    has_day: bool


def _dates(text: str, start: int = 0, end: int | None = None, year: int | None = None) -> list[_Date]:
    """Every date in ``text[start:end]``, in order; month-day dates take the last year seen (or ``year``)."""
    end = len(text) if end is None else end
    found: list[_Date] = []
    for match in _DATE_RE.finditer(text, start, end):
        if match.group("y") and match.group("me"):
            day = _month_end(int(match.group("y")), int(match.group("m")))
            has_day = True
        elif match.group("y"):
            day = _make_date(int(match.group("y")), int(match.group("m")), int(match.group("d") or 1))
            has_day = match.group("d") is not None
        elif match.group("ey"):
            day = _make_date(int(match.group("ey")), 12, 31)
            has_day = True
        elif match.group("iy"):
            day = _make_date(int(match.group("iy")), int(match.group("im")), int(match.group("id")))
            has_day = True
        else:
            day = _make_date(
                _cn_small(match.group("cy")), _cn_small(match.group("cm")), _cn_small(match.group("cd"))
            )
            has_day = True
        if day is not None:
            found.append(_Date(match.start(), match.end(), day, has_day))
    taken = [(d.start, d.end) for d in found]
    for match in _MONTH_DAY_RE.finditer(text, start, end):
        if any(s <= match.start() < e for s, e in taken):
            continue
        before = [d for d in found if d.end <= match.start()]
        base = before[-1].day.year if before else year
        if base is None:
            continue
        day = _make_date(base, int(match.group("m")), int(match.group("d")))
        if day is not None:
            found.append(_Date(match.start(), match.end(), day, True))
    return sorted(found, key=lambda d: d.start)


def _month_end(year: int, month: int) -> dt.date | None:
    """Return the last day of a month (6月底 → 30 June), or None for no such month."""
    for last in (31, 30, 29, 28):
        day = _make_date(year, month, last)
        if day is not None:
            return day
    return None


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (day.day, 30, 29, 28):
        candidate = _make_date(year, month, min(day.day, last))
        if candidate is not None:
            return candidate
    return day  # unreachable: the 28th exists in every month


_NUM_WORD = r"(?P<n>\d{1,2}|[一二两三四五六七八九十]{1,3})"


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _cn_small(word.replace("两", "二"))


# --- issue date --------------------------------------------------------------------------------

_ISSUED_LABEL_RE = re.compile(r"(?:发文日期|成文日期|发布日期|印发日期|发布时间)\s*[】\]：:]?\s*")
_TAIL_NOISE_RE = re.compile(r"(?:扫一扫|打印本页|关闭窗口|相关附件|附件[:：]|【打印】|政策解读|链接[:：])")


def _standalone(text: str, d: _Date) -> bool:
    """Tell whether a date stands on its own as a signature's: after a name and a space, before a space, （此件…）, 印发 or the end."""
    before = text[max(0, d.start - 2) : d.start]
    after = text[d.end : d.end + 3]
    return (
        (before[-1:].isspace() or before.endswith(("办公厅", "政府", "局", "委", "厅")) or d.start == 0)
        and (not after or after[0].isspace() or after[0] in "（(" or after.startswith("印发"))
        and bool(_DATE_RE.match(text, d.start))
    )


def read_issued(text: str) -> ReadFact | None:
    """Read the document's date: a 发文日期 field, else the signature's date (at the end, or under a cover letter)."""
    for match in _ISSUED_LABEL_RE.finditer(text, 0, min(len(text), 600)):
        dates = _dates(text, match.end(), min(len(text), match.end() + 20))
        if dates and dates[0].has_day and dates[0].start == match.end():
            d = dates[0]
            return ReadFact(d.day.isoformat(), (d.start, d.end), text[d.start : d.end])
    # The signature: the last standalone date before the page's trailing noise (扫一扫, 打印本页 …).
    end = len(text)
    noise = _TAIL_NOISE_RE.search(text, max(0, len(text) - 400))
    if noise is not None:
        end = noise.start()
    tail = [d for d in _dates(text, max(0, end - 160), end) if d.has_day and _standalone(text, d)]
    if tail:
        d = tail[-1]
        return ReadFact(d.day.isoformat(), (d.start, d.end), text[d.start : d.end])
    # A cover letter's signature (…请认真贯彻执行。 遂宁市人民政府办公室 2020年2月4日) or a dated header.
    for d in _dates(text, 0, min(len(text), 600)):
        if d.has_day and (_standalone(text, d) or text[max(0, d.start - 1) : d.start] in ("（", "(")):
            return ReadFact(d.day.isoformat(), (d.start, d.end), text[d.start : d.end])
    return None


# --- validity ----------------------------------------------------------------------------------

# The sentence that states a whole document's validity names the document itself (本通知 / 本政策 / 以上措施 …).
_SELF_RE = re.compile(
    r"(?:本|以上|上述|此|这些)(?:若干|各项|所有|系列|相关)?"
    r"(?:政策措施|政策|办法|措施|通知|意见|细则|规定|方案|公告|通告|实施意见|实施细则|实施办法|条款|文件)|"
    # A document named by its own short title (本《若干措施》, 《实施细则》自…起施行).
    r"本《[^》]{1,30}》"
)
# A sentence that opens with the period itself (政策有效期至…; 执行期限：…; 十、实施期限 …), after a heading's number.
_PERIOD_HEAD_RE = re.compile(
    r"\s*(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d{1,2}[、.．])?\s*(?:政策|措施|本政策|本措施)?"
    r"(?:有效期|执行期|施行期|实施期|适用期|执行时间|实施时间|政策期限)"
)
_FROM_ISSUE_RE = re.compile(r"自(?:政策|本[^，。；]{0,6})?(?:印发|发布|公布|下发|颁布)之?日起")
_FROM_DATE_RE = re.compile(r"自(?=(?:19|20)\d\d\s*年|\d{1,2}月\d{1,2}日)")
_PERIOD_RE = re.compile(
    r"(?:有效期|执行期|施行期|实施期|期限)(?:限)?(?:暂定)?(?:为|是)?(?:自[^，。；]{0,12}?起)?(?:的)?"
    + _NUM_WORD
    + r"个?(?P<unit>年|月)"
)
_FROM_ISSUE_PERIOD_RE = re.compile(
    r"(?:印发|发布|公布|施行)之?日起(?:的)?" + _NUM_WORD + r"个?(?P<unit>年|月)"
)
_UNTIL_RE = re.compile(
    r"(?:有效期|执行期|施行期|实施期|执行|实施|施行|有效)(?:限)?(?:暂定)?(?:为|是)?(?:至|到|截至|截止)"
)
# What stands just before a validity's last day: 至 / 到 / 截至, 截止时间为, 截止日期是.
_UNTIL_BEFORE_RE = re.compile(
    r"(?:至|到|截至|截止)\s*$|(?:截至|截止)(?:时间|日期)?(?:为|是|到|至)?[：:]?\s*$"
)
# 2020年2月1日—2020年6月30日 / 2月1日-6月30日: a dash between two days is 至.
_DASH_RANGE_RE = re.compile(r"[—－\-~～]{1,2}\s*$")
_RANGE_RE = re.compile(r"自(?P<a>[^，。；至到]{4,16}?)起?(?:至|到)(?P<b>[^，。；]{4,16}?)(?:止|结束|为止)?")


def _period_end(start: dt.date, count: int, unit: str) -> dt.date:
    return _add_months(start, count * 12 if unit == "年" else count)


def read_validity(text: str, issued: str | None) -> tuple[ReadFact | None, ReadFact | None]:
    """``(valid_from, valid_until)`` from the sentences that state the document's own validity.

    A period counted from the issue date (自印发之日起施行，有效期3年) needs the issue date; without
    one it stays unknown. 截止日期另行公告 / 有效期至疫情解除 give no end.
    """
    issue_day = dt.date.fromisoformat(issued) if issued else None
    year = issue_day.year if issue_day else None
    valid_from: ReadFact | None = None
    valid_until: ReadFact | None = None
    for start, end in sentences(text):
        sentence = text[start:end]
        if not (_SELF_RE.search(sentence) or _PERIOD_HEAD_RE.match(sentence)):
            continue
        if not re.search(r"施行|实施|执行|有效|起|至", sentence):
            continue
        dates = [d for d in _dates(text, start, end, year) if d.has_day]
        from_issue = _FROM_ISSUE_RE.search(text, start, end)
        from_date = _FROM_DATE_RE.search(text, start, end)
        begin: tuple[dt.date, Span] | None = None
        if from_date is not None:
            first = next((d for d in dates if d.start == from_date.end()), None)
            if first is not None:
                begin = (first.day, (from_date.start(), first.end))
        if begin is None and from_issue is not None and issue_day is not None:
            begin = (issue_day, from_issue.span())
        if begin is not None and valid_from is None:
            valid_from = ReadFact(begin[0].isoformat(), begin[1], text[begin[1][0] : begin[1][1]])
        # An end date: 至2020年6月30日 / 有效期至… / 自…起至….
        until_dates = [
            d for d in dates if begin is None or d.start >= begin[1][1] or d.start > begin[1][0] + 1
        ]
        until_dates = [
            d
            for d in until_dates
            if _UNTIL_BEFORE_RE.search(text, max(start, d.start - 8), d.start)
            or _DASH_RANGE_RE.search(text, max(start, d.start - 2), d.start)
            and any(e.end <= d.start and d.start - e.end <= 2 for e in dates)
        ]
        if until_dates and valid_until is None:
            d = until_dates[0]
            valid_until = ReadFact(d.day.isoformat(), (d.start, d.end), text[d.start : d.end])
            continue
        period = _PERIOD_RE.search(text, start, end) or _FROM_ISSUE_PERIOD_RE.search(text, start, end)
        if period is not None and begin is None and valid_from is not None:
            # 本通知自印发之日起施行。有效期3个月。 — the period counts from the start the sentence before gave.
            begin = (dt.date.fromisoformat(valid_from.value), valid_from.span or (start, start))
        if period is not None and begin is not None and valid_until is None:
            until = _period_end(begin[0], _count(period.group("n")), period.group("unit"))
            valid_until = ReadFact(until.isoformat(), period.span(), period.group(0))
    if valid_from is None and valid_until is None:
        valid_from, valid_until = _measure_period(text, year)
    if valid_from is None:
        valid_from = _opening_start(text, year)
    return valid_from, valid_until


# A period the only measure of a text runs for, stated as a clause of its own before what it grants: 自2019年1月1日至
# 2021年12月31日，对…减按… / 在2019年1月1日至2021年12月31日期间，对…减半征收 (docs/labelling.md, lab5: a period stated
# for a Q&A answer's only measure is the document's validity). Both ends are days; the clause ends right after the
# range (with 止 / 期间 / 内), so a period that measures something (…至…期间营业收入下降) is no validity.
_MEASURE_PERIOD_RE = re.compile(
    r"(?:^|[，,：:\s]|(?<=[。；;]))(?:自|在|于|从)?(?P<a>(?:19|20)\d\d\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)起?\s*"
    r"(?:至|到|—|－|-|~|～)\s*(?P<b>(?:(?:19|20)\d\d\s*年\s*)?\d{1,2}\s*月\s*\d{1,2}\s*日)"
    r"(?:止|为止)?(?:期间|之间|内)?(?=[，,])"
)


def _measure_period(text: str, year: int | None) -> tuple[ReadFact | None, ReadFact | None]:
    """Return the period a text with one measure (no numbered parts) states for it, or ``(None, None)``.

    Several such periods (the old rate's years, then the new one's): the one that ends last is the measure's now.
    A sentence that names an application window (申报时间 …) states the window, not the measure's period.
    """
    from corpus.sections import build_tree

    if build_tree(text):
        return None, None
    found: list[tuple[_Date, _Date]] = []
    for start, end in sentences(text):
        if _WINDOW_WORD_RE.search(text, start, end):
            continue
        for match in _MEASURE_PERIOD_RE.finditer(text, start, end):
            first = _dates(text, match.start("a"), match.end("a"), year)
            last = _dates(text, match.start("b"), match.end("b"), first[0].day.year if first else year)
            if first and last and last[0].day > first[0].day:
                found.append((first[0], last[0]))
    if not found:
        return None, None
    a, b = max(found, key=lambda pair: pair[1].day)
    return (
        ReadFact(a.day.isoformat(), (a.start, a.end), text[a.start : a.end]),
        ReadFact(b.day.isoformat(), (b.start, b.end), text[b.start : b.end]),
    )


# The first measure opens with the date the document takes effect: "…通知如下：一、自2020年2月起，…".
_OPENING_RE = re.compile(
    r"(?:如下|通知如下|公告如下|规定如下)[：:]\s*(?:[一1][、.．]|（一）|第一条)?\s*自(?=(?:19|20)\d\d\s*年|\d{1,2}月)"
)


def _opening_start(text: str, year: int | None) -> ReadFact | None:
    """Return the start date a document's first measure opens with (自2020年2月起 / 自2月5日起), or None."""
    match = _OPENING_RE.search(text, 0, min(len(text), 1500))
    if match is None:
        return None
    dates = _dates(text, match.end(), min(len(text), match.end() + 14), year)
    if not dates or dates[0].start != match.end() or not text.startswith("起", dates[0].end):
        return None
    d = dates[0]
    return ReadFact(d.day.isoformat(), (match.end() - 1, d.end + 1), text[match.end() - 1 : d.end + 1])


# --- application window ------------------------------------------------------------------------

_WINDOW_WORD_RE = re.compile(
    r"(?:申报|申请|受理|报名|填报|兑现|兑付)(?:工作)?(?:的)?(?:时间|日期|期限|期间|截止时间|起止时间)|申报期|受理期"
)


# A document states its window once or twice; past this many mentions of 申报时间 it is not looked for further.
_MAX_WINDOW_WORDS = 50


def read_window(text: str, issued: str | None) -> tuple[ReadFact | None, ReadFact | None]:
    """``(window_open, window_close)`` of 申报时间 … 至 …, or 申报截止时间 (close only)."""
    year = int(issued[:4]) if issued else None
    for seen, match in enumerate(_WINDOW_WORD_RE.finditer(text)):
        if seen >= _MAX_WINDOW_WORDS:
            break
        end = min(len(text), match.end() + 60)
        stop = re.compile(r"[。；;\n]").search(text, match.end(), end)
        end = stop.start() if stop else end
        dates = [d for d in _dates(text, match.end(), end, year) if d.has_day]
        if not dates:
            continue
        if (
            "截止" in match.group(0)
            or re.search(r"(?:前|之前|截止)$", text[dates[0].end : dates[0].end + 3])
            and len(dates) == 1
        ):
            d = dates[0]
            return None, ReadFact(d.day.isoformat(), (d.start, d.end), text[d.start : d.end])
        if len(dates) >= 2 and re.search(r"(?:至|到|—|－|-|~|～)", text[dates[0].end : dates[1].start]):
            a, b = dates[0], dates[1]
            if b.day >= a.day:
                return (
                    ReadFact(a.day.isoformat(), (a.start, a.end), text[a.start : a.end]),
                    ReadFact(b.day.isoformat(), (b.start, b.end), text[b.start : b.end]),
                )
    return None, None


# --- fulfilment mode ---------------------------------------------------------------------------

# The plan's vocabulary (docs/conditions.md §5), in the order a document that names several is read.
FULFILMENT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("免申即享", re.compile(r"免申即享|免于申报|无需申报|不需申报|免申报")),
    ("即申即享", re.compile(r"即申即享")),
    ("快申优享", re.compile(r"快申优享")),
    ("即申快享", re.compile(r"即申快享")),
    ("第三方评审", re.compile(r"第三方(?:机构|专业机构)?(?:评审|评估|审核)")),
    ("申报审批", re.compile(r"申报审批制?|审批制")),
)


def read_fulfilment(text: str, title: str = "") -> ReadFact | None:
    """Read the fulfilment mode the whole document names (its title, or a sentence about itself: 本政策实行免申即享).

    A mode one item names (第三条 …实行“免申即享”) is that item's; the splitter reads it there.
    """
    for name, pattern in FULFILMENT_PATTERNS:
        match = pattern.search(title)
        if match:
            return ReadFact(name, None, match.group(0))
    for start, end in sentences(text):
        self_match = _SELF_RE.search(text, start, end)
        if self_match is None or re.search(r"本条|本项|该项|此项|本款", text[start:end]):
            continue
        for name, pattern in FULFILMENT_PATTERNS:
            match = pattern.search(text, start, end)
            if match:
                return ReadFact(name, match.span(), match.group(0))
    return None
