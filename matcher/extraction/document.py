"""Document facts read from a policy's own text: region, dates, window, department, type, mode, governing clauses.

What a document says about all of its items (docs/conditions.md §5) is read
once per document, at ingest, from its 发文机关, title and text:

- the issuing **region** against the 2022 区划 table (:mod:`corpus.reference`):
  a province's document → its 2-digit code, a city's → 4 digits, a county's
  (县级市, 开发区 / 新区 where the table or :data:`ZONE_COUNTIES` place it) → 6;
  national bodies (国务院, 财政部, 国家税务总局 …) → ``None``;
- the **issue date**, **validity** (有效期至…; 自印发之日起施行，有效期3年;
  执行至…; 自…起至…) and the **application window** (申报时间 …至…);
- the **department** that issued it, the **document type** and whether it is a
  policy at all (:mod:`matcher.extraction.doctype`), the **fulfilment mode** in
  the plan's vocabulary (免申即享, 即申即享, 快申优享, 即申快享, 申报审批, 第三方评审);
- the **governing clauses** (适用范围, 就高不重复, 申报时间, 本措施适用于…, 总则 /
  附则) whose conditions join every item's.

Every read fact keeps its span (offsets into the text; ``None`` when it was
read from the title). :func:`apply_document_facts` fills a
:class:`corpus.schemas.PolicyDocument` with them; metadata given explicitly
(API, JSONL, front matter) always wins over what is read.

Every pattern here runs on one sentence or a bounded window, with no nested
quantifiers over overlapping classes, so reading stays linear in the text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from matcher.extraction.doctype import classify_document

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

_CN_DIGIT = {
    "〇": 0,
    "○": 0,
    "零": 0,
    "O": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_DATE_RE = re.compile(
    r"(?P<y>(?:19|20)\d\d)\s*年\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*[日号])?"
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
        if match.group("y"):
            day = _make_date(int(match.group("y")), int(match.group("m")), int(match.group("d") or 1))
            has_day = match.group("d") is not None
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
    r"(?:本|以上|上述|此)(?:若干)?(?:政策措施|政策|办法|措施|通知|意见|细则|规定|方案|公告|通告|实施意见|实施细则|实施办法|条款|文件)"
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
        if not (
            _SELF_RE.search(sentence)
            or re.match(r"\s*(?:[一二三四五六七八九十]+、)?(?:有效期|执行期|施行期|实施期限)", sentence)
        ):
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
            if re.search(r"(?:至|到|截至|截止)\s*$", text[max(start, d.start - 4) : d.start])
        ]
        if until_dates and valid_until is None:
            d = until_dates[0]
            valid_until = ReadFact(d.day.isoformat(), (d.start, d.end), text[d.start : d.end])
            continue
        period = _PERIOD_RE.search(text, start, end) or _FROM_ISSUE_PERIOD_RE.search(text, start, end)
        if period is not None and begin is not None and valid_until is None:
            until = _period_end(begin[0], _count(period.group("n")), period.group("unit"))
            valid_until = ReadFact(until.isoformat(), period.span(), period.group(0))
    if valid_from is None:
        valid_from = _opening_start(text, year)
    return valid_from, valid_until


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


# --- region ------------------------------------------------------------------------------------

# National bodies: a document they issue is for the whole country unless a place is named with them.
_NATIONAL_RE = re.compile(
    r"国务院|中共中央|全国人大|国家[\u4e00-\u9fff]{1,12}?(?:局|委员会|委|署|部|总局|办公室|中心)|"
    r"(?:财政|商务|教育|科学技术|科技|工业和信息化|民政|司法|自然资源|生态环境|住房和城乡建设|交通运输|水利|农业农村|"
    r"文化和旅游|应急管理|人力资源(?:和)?社会保障|公安|外交|国防|退役军人事务|审计)部|"
    r"海关总署|税务总局|市场监管总局|中国人民银行(?!.{0,6}(?:分行|支行|营业管理部))|人民银行(?=[^分支]{0,3}(?:办公厅|关于|、|\s))|"
    r"银保监会|证监会|银监会|保监会|中国银行保险监督管理委员会|中国证券监督管理委员会|国资委(?<!省国资委)|全国总工会|共青团中央"
)
# Zones the 2022 table does not list, placed in the county (or city) that holds them.
ZONE_COUNTIES: Mapping[str, str] = {
    "台州湾新区": "3310",
    "台州湾经济技术开发区": "3310",
    "台州经济开发区": "331002",
    "椒江经济开发区": "331002",
    "黄岩经济开发区": "331003",
    "路桥经济开发区": "331004",
    "温岭经济开发区": "331081",
    "温岭东部新区": "331081",
    "临海经济开发区": "331082",
    "台州高新技术产业园区": "331082",
    "玉环经济开发区": "331083",
    "三门经济开发区": "331022",
    "天台经济开发区": "331023",
    "仙居经济开发区": "331024",
    "中关村科技园区": "11",
    "中关村示范区": "11",
    "北京经济技术开发区": "11",
    "北京自贸区": "11",
    "赣江新区": "36",
    "浦东新区": "310115",
    "滨海新区": "120116",
    "两江新区": "50",
    "雄安新区": "1306",
}
_ORG_AFTER = (
    "人民政府|政府|人大|党委|红十字会|联合会|协会|商会|市委|省委|区委|县委|委员会|办公厅|办公室|局|厅|委|办|署|中心|指挥部|领导小组|"
    "管委会|管理委员会|税务局|医疗保障局|商务局|财政局|分行|支行|总工会|工商联|新闻办"
)
_ORG_AFTER_RE = re.compile(rf"[\u4e00-\u9fff（）()]{{0,24}}?(?:{_ORG_AFTER})")
# How far the fallback looks for the places a document names (a document names its own early on).
_OWN_SCAN_CHARS = 20_000
_OWN_WORDS = {
    "我省": 2,
    "本省": 2,
    "全省": 2,
    "我市": 4,
    "本市": 4,
    "全市": 4,
    "我区": 6,
    "本区": 6,
    "全区": 6,
    "我县": 6,
    "本县": 6,
    "全县": 6,
}


_OWN_WORDS_RE = re.compile("|".join(_OWN_WORDS))


def _trimmed(code: str) -> str:
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def _as_document_code(code: str) -> str:
    """Return the code a document of a region carries: 直辖市 cities are their province (1101 → 11)."""
    from corpus.reference import region

    found = region(code)
    if found is not None and found.level == "city" and found.name == "市辖区":
        return found.parent
    return code


@lru_cache(maxsize=1)
def _name_index() -> tuple[dict[str, tuple[str, ...]], int]:
    """Region names (full, and short for provinces and cities) → codes; the longest name's length."""
    from corpus.reference import iter_regions

    index: dict[str, list[str]] = {}
    regions = list(iter_regions())
    province_shorts = {
        re.sub(r"(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$", "", r.name)
        for r in regions
        if r.level == "province"
    }
    for r in regions:
        if r.level == "street" or r.name in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
            continue
        names = {r.name}
        if r.level in ("province", "city"):
            short = re.sub(
                r"(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|自治州|地区|盟)$", "", r.name
            )
            # 吉林 alone is the province, not 吉林市.
            if len(short) >= 2 and (r.level == "province" or short not in province_shorts):
                names.add(short)
        elif r.level == "county" and len(r.name) >= 4:
            short = re.sub(r"(?:区|县|市|自治县|旗)$", "", r.name)
            if len(short) >= 3:
                names.add(short)
        for name in names:
            index.setdefault(name, []).append(r.code)
    for name, code in ZONE_COUNTIES.items():
        index.setdefault(name, []).append(code)
    return {k: tuple(v) for k, v in index.items()}, max(len(k) for k in index)


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    name: str
    codes: tuple[str, ...]


@lru_cache(maxsize=1)
def _first_chars() -> dict[str, tuple[int, ...]]:
    """Return, for each first character of a region name, the names' lengths, longest first."""
    lengths: dict[str, set[int]] = {}
    for name in _name_index()[0]:
        lengths.setdefault(name[0], set()).add(len(name))
    return {char: tuple(sorted(sizes, reverse=True)) for char, sizes in lengths.items()}


def _mentions(text: str, start: int = 0, end: int | None = None) -> list[_Mention]:
    """Region names in ``text[start:end]``, longest first at each place, not overlapping (a linear scan)."""
    index, _ = _name_index()
    sizes = _first_chars()
    end = len(text) if end is None else end
    out: list[_Mention] = []
    pos = start
    while pos < end:
        # Only the lengths of names that start with this character are tried: most characters start none.
        for size in sizes.get(text[pos], ()):
            if pos + size > end:
                continue
            name = text[pos : pos + size]
            codes = index.get(name)
            # 市经信局会同县财政局: after a body's name, 会同 is "together with", not 会同县.
            if codes and name.startswith("会同") and pos > 0 and text[pos - 1] in "局委厅部办府":
                codes = None
            if codes:
                out.append(_Mention(pos, pos + size, name, codes))
                pos += size
                break
        else:
            pos += 1
    return out


def _resolve(mentions: list[_Mention]) -> tuple[str, _Mention] | None:
    """Return the most specific region a run of mentions names, each ambiguous name placed by the others.

    北京市通州区 → 110112 (not 南通's 通州区); a bare 通州区 with 南通 named nearby → 320612.
    """
    if not mentions:
        return None
    named = {c for m in mentions for c in m.codes}

    def support(code: str) -> int:
        return sum(1 for other in named if other != code and code.startswith(_trimmed(other)))

    best: tuple[int, int, str, _Mention] | None = None
    for m in mentions:
        for code in m.codes:
            score = (support(code), len(code))
            if best is None or score > best[:2]:
                best = (score[0], score[1], code, m)
    assert best is not None
    # A specific name only counts if it is not contradicted by the first (issuing) place named.
    first = mentions[0]
    code = best[2]
    if not any(code.startswith(_trimmed(c)) for c in first.codes):
        code = first.codes[0] if len(first.codes) == 1 else code
        return _as_document_code(_trimmed(code)), first
    return _as_document_code(_trimmed(code)), best[3]


def _issuer_zone(text: str, title: str) -> list[tuple[str, int, int]]:
    """Where the issuer is named: the title's head (before 关于 / 印发), the text's head, the signature."""
    zones: list[tuple[str, int, int]] = []
    head_end = min(len(text), 160)
    cut = re.search(r"关于|印发|转发|：|:|\n\s*\n", text[:head_end])
    zones.append(("text", 0, cut.start() if cut else min(len(text), 60)))
    noise = _TAIL_NOISE_RE.search(text, max(0, len(text) - 400))
    end = noise.start() if noise is not None else len(text)
    # The signature block: after the last full stop (本政策由县科技局会同县财政局负责解释。 names no issuer).
    stop = max(text.rfind("。", max(0, end - 80), end), end - 80, 0)
    zones.append(("text", stop, end))
    return zones


def read_region(text: str, title: str = "") -> ReadFact | None:
    """Read the region a document is for, from its issuer (title, head, signature), else from what its text calls 本市.

    A national body with no place named beside it gives no region (None): the document is national.
    """
    # 1. The title's issuer (北京市人力资源和社会保障局关于… / 铁岭市人民政府关于印发…).
    for source, start, end, whole in (
        ("title", 0, len(title), title),
        *((s, a, b, text) for s, a, b in _issuer_zone(text, title)),
    ):
        segment = whole[start:end]
        if not segment.strip():
            continue
        if source == "title":
            cut = re.search(r"关于|印发|转发", segment)
            if cut is not None and cut.start() > 1:
                segment_end = cut.start()
            else:
                segment_end = len(segment)
            mentions = _mentions(whole, start, start + segment_end)
            mentions = [
                m
                for m in mentions
                if _ORG_AFTER_RE.match(whole, m.end) or segment_end - m.end <= 2 or m.start - start <= 1
            ]
            national = _NATIONAL_RE.search(whole, start, start + segment_end)
        else:
            mentions = [m for m in _mentions(whole, start, end) if _ORG_AFTER_RE.match(whole, m.end)]
            national = _NATIONAL_RE.search(whole, start, end)
        if mentions and (
            national is None
            or national.start() > mentions[0].start
            or _inside_local(whole, national, mentions)
        ):
            resolved = _resolve(mentions)
            if resolved is not None:
                code, mention = resolved
                span = None if source == "title" else (mention.start, mention.end)
                return ReadFact(code, span, mention.name)
        if national is not None:
            span = None if source == "title" else national.span()
            return ReadFact(None, span, national.group(0))
    # 2. What the text calls itself (我市 / 本省) placed by the region it names most.
    own = [
        (m.start(), _OWN_WORDS[m.group(0)])
        for m in _OWN_WORDS_RE.finditer(text, 0, min(len(text), _OWN_SCAN_CHARS))
    ]
    if not own:
        return _passage_region(text)
    digits = max(set(d for _, d in own), key=lambda d: sum(1 for _, x in own if x == d))
    counted: dict[str, tuple[int, _Mention]] = {}
    for m in _mentions(text, 0, min(len(text), _OWN_SCAN_CHARS)):
        for code in m.codes:
            code = _trimmed(code)
            if len(code) == digits or (digits == 4 and len(code) == 2 and code in ("11", "12", "31", "50")):
                n, first = counted.get(code, (0, m))
                counted[code] = (n + 1, first)
    if not counted:
        return None
    code, (n, mention) = max(counted.items(), key=lambda kv: kv[1][0])
    if n < 2 and len(code) != 2:
        return None  # one passing mention of a city does not make the document its own
    return ReadFact(_as_document_code(code), (mention.start, mention.end), mention.name)


# An answer passage (政务问答) names no issuer; when it is this short and every place it names lies in one
# province that it names itself (北京, 中关村 …), it speaks for that province.
_PASSAGE_CHARS = 1500


def _passage_region(text: str) -> ReadFact | None:
    """Return the province a short passage with no issuer names as its own, or None."""
    if len(text) > _PASSAGE_CHARS:
        return None
    mentions = _mentions(text)
    provinces = {_trimmed(c)[:2] for m in mentions for c in m.codes}
    if len(provinces) != 1:
        return None
    province = provinces.pop()
    own = next((m for m in mentions if any(_trimmed(c) == province for c in m.codes)), None)
    if own is None:
        return None
    return ReadFact(province, (own.start, own.end), own.name)


def _inside_local(text: str, national: re.Match[str], mentions: list[_Mention]) -> bool:
    """国家税务总局河南省税务局: a national body's local office is the place's."""
    return any(national.end() <= m.start <= national.end() + 2 for m in mentions)


# --- department --------------------------------------------------------------------------------

_DEPT_TAIL = (
    r"(?:人民政府办公厅|人民政府办公室|人民政府|办公厅|办公室|委员会|管委会|指挥部|领导小组(?:办公室)?|"
    r"总局|总署|[^\s，。；、：:“”（）()]{0,2}(?:局|厅|委|部|署|办|中心|银行|分行|支行|税务局))"
)
_DEPT_RE = re.compile(rf"[\u4e00-\u9fff]{{2,30}}?{_DEPT_TAIL}")


_NAME_GAP_RE = re.compile(r"[\s\u200b-\u200d\ufeff】\-）》|。&;]")


def _department_name(whole: str, head_start: int, head_end: int) -> tuple[int, str] | None:
    """Return the name that ends at ``head_end`` (after the last space or bracket before it), when it is a body's name."""
    head_start = max(head_start, head_end - 40)
    gaps = [m.end() for m in _NAME_GAP_RE.finditer(whole, head_start, head_end)]
    head_start = gaps[-1] if gaps else head_start
    name = whole[head_start:head_end].strip()
    if name.startswith(("转发", "印发")):
        name, head_start = name[2:], head_start + 2
    if re.fullmatch(rf"[\u4e00-\u9fff]{{2,30}}{_DEPT_TAIL}", name) and not re.search(
        r"[的在对和为了]", name[-4:]
    ):
        return head_start, name
    return None


def _header_name(whole: str, end: int) -> tuple[int, int, str] | None:
    """Return the body named by one of the (up to three) words before ``end``: 国家税务总局辽宁省税务局 最新文件 关于…."""
    stop = end
    for _ in range(3):
        while stop > 0 and _NAME_GAP_RE.match(whole, stop - 1):
            stop -= 1
        if stop <= 0:
            return None
        found = _department_name(whole, max(0, stop - 40), stop)
        if found is not None:
            return found[0], stop, found[1]
        gaps = [m.end() for m in _NAME_GAP_RE.finditer(whole, max(0, stop - 40), stop)]
        if not gaps:
            return None
        stop = gaps[-1] - 1
    return None


def read_department(text: str, title: str = "") -> ReadFact | None:
    """Read the issuing body: the name before 关于 / 印发 in the title or the text's head, else the signature's name."""
    for whole, end, in_title in ((title, len(title), True), (text, min(len(text), 200), False)):
        for cut in re.finditer(r"关于|印发|转发", whole[:end]):
            if cut.start() < 3:
                continue
            header = _header_name(whole, cut.start())
            if header is not None:
                return ReadFact(header[2], None if in_title else header[:2], header[2])
            break
    issued = read_issued(text)
    stop = issued.span[0] if issued is not None and issued.span is not None else len(text.rstrip())
    # The signature names the issuers before the date, the lead one first: 财政部 生态环境部 2020年2月20日.
    first: tuple[int, int, str] | None = None
    for _ in range(4):
        while stop > 0 and text[stop - 1].isspace():
            stop -= 1
        found = _department_name(text, max(0, stop - 40), stop)
        if found is None:
            break
        first = (found[0], stop, found[1])
        stop = found[0]
    if first is not None:
        return ReadFact(first[2], (first[0], first[1]), first[2])
    return None


def _placed(department: ReadFact | None, region: ReadFact | None) -> ReadFact | None:
    """Name a body its text calls by level only (省工业和信息化厅) with the region read (贵州省工业和信息化厅)."""
    if department is None or region is None or not region.value:
        return department
    from corpus.reference import region_name

    code = str(region.value)
    level = {"省": (2,), "市": (4, 2), "区": (6,), "县": (6,)}.get(department.value[:1])
    name = region_name(code)
    if level is None or len(code) not in level or not name or not name.endswith(department.value[:1]):
        return department
    return ReadFact(name + department.value[1:], department.span, department.evidence)


# --- governing clauses -------------------------------------------------------------------------

# Sentences that speak for every item: whom the document is for, how items combine, when to apply.
_GOVERNS_RE = re.compile(
    r"(?:本|以上|上述|此)(?:若干)?(?:政策措施|政策|办法|措施|通知|意见|细则|规定|方案|条款)[^。；]{0,12}?(?:适用于|适用范围|支持对象|扶持对象)|"
    r"适用(?:对象|范围)|(?:支持|扶持|申报|奖励|补助)(?:对象|主体)(?:为|是|[：:])|"
    r"就高(?:不重复|原则|享受)|不重复享受|不得重复(?:享受|申报|申请)|从高(?:不重复)?享受|"
    r"(?:申报|申请|受理)(?:的)?时间(?:为|是|[：:])|申报截止|"
    # The document's own validity and its terms (本政策自印发之日起施行…; 本意见所称中小企业…; 遵照执行).
    r"(?:本|以上|上述|此)(?:若干)?(?:政策措施|政策|办法|措施|通知|意见|细则|规定|方案|公告|通告|条款)"
    r"(?:明确的政策措施|相关条款)?[^。；]{0,8}?(?:自|执行期|施行期|有效期|在[^。；]{0,10}期间有效|所指|所称|中的)|"
    r"(?:出台|新出台)[^。；]{0,12}政策[^。；]{0,10}遵照执行"
)


# A governing sentence that says whom the whole document is for: its conditions join every item's.
_SCOPE_RE = re.compile(
    r"适用于|适用(?:对象|范围)|(?:支持|扶持|申报|奖励|补助|服务)(?:对象|主体)(?:为|是|[：:])"
)


def _trimmed_sentence(text: str, start: int, end: int, keyword: int) -> Span:
    """Cut a sentence's start to the clause the keyword stands in (a heading or a phone number before it goes)."""
    cut = max(text.rfind(sep, start, keyword) for sep in (" ", "\u3000", "\xa0", "\n", "）", ")", "】"))
    if cut >= start:
        start = cut + 1
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def governing_clauses(text: str) -> tuple[Span, ...]:
    """Return spans of sentences that govern every item of the document (适用于…, 就高不重复, 申报时间 …).

    A sentence that speaks only for its own item (本条 / 该项) is left to that item.
    """
    out: list[Span] = []
    for start, end in sentences(text):
        if end - start > 300:
            continue
        match = _GOVERNS_RE.search(text, start, end)
        if match is None or re.search(r"本条|本项|该项|此项|本款", text[start:end]):
            continue
        out.append(_trimmed_sentence(text, start, end, match.start()))
    return tuple(out)


def scope_clauses(text: str, governs: Iterable[Span]) -> tuple[Span, ...]:
    """Return the governing sentences that say whom the document is for (适用于 / 支持对象为 …), not how or when."""
    return tuple(
        (a, b)
        for a, b in governs
        if _SCOPE_RE.search(text, a, b) and not re.search(r"适用于[^，。；]{0,6}期间", text[a:b])
    )


def governing_extraction(
    text: str, governs: Iterable[Span], *, region_code: str | None = None, issued: str | None = None
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """Return the v1 conditions and v2 entries the document's scope sentences state, for every item.

    就高不重复 and 申报时间 govern every item too, but state no condition of the enterprise:
    the first is how supports combine, the second is the window (a document fact).
    """
    from matcher.extraction import extract_conditions, extract_entries

    conditions: list[Any] = []
    entries: list[Any] = []
    for a, b in scope_clauses(text, governs):
        sentence = text[a:b]
        conditions += extract_conditions(sentence, region_code=region_code, issued=issued)
        entries += extract_entries(sentence, region_code=region_code, issued=issued)
    return tuple(conditions), tuple(entries)


def _entry_key(entry: Any) -> Any:
    if hasattr(entry, "key") and not callable(entry.key):
        return (entry.key, getattr(entry, "role", "require"))
    to_dict = getattr(entry, "to_dict", None)
    if to_dict is None:
        return id(entry)
    data = dict(to_dict())
    data.pop("span", None)
    data.pop("source", None)
    return repr(sorted(data.items()))


def with_governing(extraction: Any, conditions: tuple[Any, ...], entries: tuple[Any, ...]) -> Any:
    """Return an item's extraction with the document's governing conditions added (each once, before its tiers)."""
    if not conditions and not entries:
        return extraction
    own = {_entry_key(c) for c in extraction.conditions}
    added = tuple(c for c in conditions if _entry_key(c) not in own)
    changes: dict[str, Any] = {"conditions": added + tuple(extraction.conditions)}
    if hasattr(extraction, "entries"):
        own_entries = {_entry_key(e) for e in extraction.entries}
        added_entries = tuple(e for e in entries if _entry_key(e) not in own_entries)
        changes["entries"] = added_entries + tuple(extraction.entries)
    return dataclasses.replace(extraction, **changes)


# --- the whole document ------------------------------------------------------------------------


def read_document(text: str, *, title: str = "", issued: str | None = None) -> DocumentFacts:
    """Read every document fact from the title and text (``issued`` given: the validity counts from it)."""
    issued_fact = read_issued(text) if issued is None else ReadFact(issued, None, "(given)")
    day = issued_fact.value if issued_fact is not None else None
    valid_from, valid_until = read_validity(text, day)
    window_open, window_close = read_window(text, day)
    kind = classify_document(text, title=title)
    region = read_region(text, title)
    return DocumentFacts(
        region_code=region,
        department=_placed(read_department(text, title), region),
        issued=None if issued is not None else issued_fact,
        valid_from=valid_from,
        valid_until=valid_until,
        window_open=window_open,
        window_close=window_close,
        doc_type=ReadFact(kind.doc_type, None, kind.evidence),
        is_policy=ReadFact(kind.is_policy, None, kind.evidence),
        fulfilment=read_fulfilment(text, title),
        governs=governing_clauses(text),
    )


# The facts a PolicyDocument may carry, and the value that means "not given".
_UNSET: Mapping[str, Any] = {
    "region_code": None,
    "department": None,
    "issued": None,
    "valid_from": None,
    "valid_until": None,
    "window_open": None,
    "window_close": None,
    "doc_type": None,
    "is_policy": True,
    "fulfilment": None,
}


def given_facts(doc: Any, record: Mapping[str, Any] | None = None) -> frozenset[str]:
    """Return the facts given explicitly: the keys a posted record carries, else those the document holds set."""
    if record is not None:
        keys = {k for k, v in record.items() if v is not None}
        if "window" in keys:
            keys |= {"window_open", "window_close"}
        if "fulfilment_mode" in keys:
            keys.add("fulfilment")
        return frozenset(k for k in _UNSET if k in keys)
    return frozenset(k for k, unset in _UNSET.items() if hasattr(doc, k) and getattr(doc, k) != unset)


def apply_document_facts(doc: Any, facts: DocumentFacts, given: Iterable[str] | None = None) -> Any:
    """Return ``doc`` with every read fact it was not given (metadata given explicitly wins).

    A fact the document's class has no field for is skipped, so the reader works with any
    :class:`corpus.schemas.PolicyDocument` version. A window or validity read from the text that
    contradicts a given date (a window closing before a given ``valid_from``) is dropped.
    """
    from corpus.schemas import FULFILMENTS

    given = frozenset(given_facts(doc) if given is None else given)
    names = {f.name for f in dataclasses.fields(doc)}
    changes: dict[str, Any] = {}
    for key, fact in facts.values().items():
        if key not in names or key in given or fact is None:
            continue
        if key == "fulfilment" and fact not in FULFILMENTS:
            continue
        changes[key] = fact
    merged = {
        k: changes.get(k, getattr(doc, k, None))
        for k in ("valid_from", "valid_until", "window_open", "window_close", "issued")
    }
    if merged["valid_from"] and merged["valid_until"] and merged["valid_until"] < merged["valid_from"]:
        for key in ("valid_from", "valid_until"):
            changes.pop(key, None)
    if merged["issued"] and merged["valid_until"] and merged["valid_until"] < merged["issued"]:
        changes.pop("valid_until", None)
    if merged["window_open"] and merged["window_close"] and merged["window_close"] < merged["window_open"]:
        for key in ("window_open", "window_close"):
            changes.pop(key, None)
    if "fact_spans" in names:
        changes["fact_spans"] = {k: v for k, v in facts.spans().items() if k not in given}
    return dataclasses.replace(doc, **changes) if changes else doc
