"""Where and by whom a document is issued, split out of :mod:`matcher.extraction.document`.

The issuing region against the 2022 区划 table (national bodies → ``None``; 开发区 / 新区 → their
county) and the places a notice is addressed to; the issuing department is
:mod:`matcher.extraction.document_department`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from matcher.extraction.document_dates import _TAIL_NOISE_RE, ReadFact, Span

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
    # A zone the table lists too (滨海新区, 浦东新区) is one place, not an ambiguous name of two.
    return {k: tuple(dict.fromkeys(v)) for k, v in index.items()}, max(len(k) for k in index)


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


_PRINTED_RE = re.compile(r"(?P<body>[^\s。；;，,：:]{2,40}?)\s*(?:19|20)\d\d年\d{1,2}月\d{1,2}日\s*印发")


# A national body a passage cites is not its issuer: 按照科技部…《办法》, 根据财政部 税务总局公告 in the clause that
# names it; nor, in a title, one named after its first clause (现行…法规定，…财政部…), as the opening line of an
# answer passage posted without a title reads.
_CITING_RE = re.compile(r"按照|根据|依据|依照|遵照|参照|按|详见|落实|贯彻|经")
_CLAUSE_END_RE = re.compile(r"[，,。；;！？!?]")


def _issuing_national(text: str, start: int, end: int, *, heading: bool = False) -> re.Match[str] | None:
    """Return the first national body in ``text[start:end]`` that may be its issuer, or None.

    Not one the passage cites; in a heading (a title, a text's head), not one past its first clause.
    """
    for national in _NATIONAL_RE.finditer(text, start, end):
        before = text[start : national.start()]
        ends = list(_CLAUSE_END_RE.finditer(before.rstrip()))
        if heading and ends:
            continue
        clause = before[ends[-1].end() :] if ends else before
        if _CITING_RE.search(clause):
            continue
        return national
    return None


def _issuer_zone(text: str, title: str) -> list[tuple[str, int, int]]:
    """Where the issuer is named: the title's head (before 关于 / 印发), the text's head, the signature."""
    zones: list[tuple[str, int, int]] = []
    head_end = min(len(text), 160)
    cut = re.search(r"关于|印发|转发|：|:|\n\s*\n", text[:head_end])
    zones.append(("head", 0, cut.start() if cut else min(len(text), 60)))
    noise = _TAIL_NOISE_RE.search(text, max(0, len(text) - 400))
    end = noise.start() if noise is not None else len(text)
    # The 版记's printing line (天津市商务局办公室 2020年2月15日印发) names the body that issued this
    # document, even when the text ends with the signature of a notice it forwards (商务部办公厅 2020年2月7日).
    printed = _PRINTED_RE.search(text, max(0, end - 200), end)
    if printed is not None:
        zones.append(("text", printed.start("body"), printed.end("body")))
    # The signature block: after the last full stop (本政策由县科技局会同县财政局负责解释。 names no issuer).
    stop = max(text.rfind("。", max(0, end - 80), end), end - 80, 0)
    zones.append(("text", stop, end))
    return zones


def read_region(
    text: str, title: str = "", *, department: str | None = None, home_region: str | None = None
) -> ReadFact | None:
    """Read the region a document is for: its issuer, the department it was posted with, its 本市, or the home region.

    In that order: the issuer named in the title, head or signature; the department it was posted
    with; what its text calls 本市; the platform's home region for a body named without its place.

    A national body with no place named beside it gives no region (None): the document is national.
    ``department`` is the issuer as posted (发文机关, 北京市经济和信息化局); ``home_region`` the region
    of the platform the document is posted to (a deployment setting, ``POLICYMATCH_HOME_REGION``):
    a body of that platform named without its place (科委, 人力资源社会保障局, 市科委) and a text that
    says 本市 / 我市 without naming the city are the platform's own. With no home region they stay national.
    """
    read = _issuer_region(text, title)
    if read is None:
        read = _department_region(department)
    if read is None:
        read = _own_region(text)
    if read is None and home_region:
        read = _home_region(text, department, home_region)
    return read


def _issuer_region(text: str, title: str) -> ReadFact | None:
    """Return the region of the issuer the title, head or signature names (a national issuer: a fact of None), or None."""
    # The title's issuer (北京市人力资源和社会保障局关于… / 铁岭市人民政府关于印发…).
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
            national = _issuing_national(whole, start, start + segment_end, heading=True)
        else:
            mentions = [m for m in _mentions(whole, start, end) if _ORG_AFTER_RE.match(whole, m.end)]
            national = _issuing_national(whole, start, end, heading=source == "head")
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
    return None


def _own_region(text: str) -> ReadFact | None:
    """Return the region a text calls its own (我市 / 本省, placed by the region it names most), or None."""
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
    return _headline_place(
        text, ReadFact(_as_document_code(code), (mention.start, mention.end), mention.name)
    )


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
    return _headline_place(text, ReadFact(province, (own.start, own.end), own.name))


# A crawled page opens with its headline; the first place it names (成都推出…, 滨海新区出台…) is what the page is about.
_HEADLINE_CHARS = 40


def _headline_place(text: str, read: ReadFact) -> ReadFact:
    """Narrow a region read from 本市 words or a passage to the place the headline names first, when inside it.

    A page whose headline is 成都推出减税抗疫贷 and whose text names 四川 firms is 成都's (5101), not the
    province's; a headline naming no place, or one outside the region read, changes nothing.
    """
    mentions = _mentions(text, 0, min(len(text), _HEADLINE_CHARS))
    if not mentions or len(mentions[0].codes) != 1 or not read.value:
        return read
    first = mentions[0]
    code = _as_document_code(_trimmed(first.codes[0]))
    wider = _trimmed(read.value)
    if code != wider and code.startswith(wider):
        return ReadFact(code, (first.start, first.end), first.name)
    return read


# What a posted 发文机关 adds after the issuer's name: where it was published (（广州市人民政府门户发布）).
_NOTE_RE = re.compile(r"[（(][^）)]{0,40}[）)]")
# A body named by its level alone, or by its trade alone (市科委, 区人社局, 科委, 人力资源社会保障局): a local body.
_LOCAL_BODY_RE = re.compile(rf"[\u4e00-\u9fff]{{1,20}}?(?:{_ORG_AFTER})")


def _lead_body(department: str | None) -> str:
    """Return the lead issuer of a posted department, without its notes (co-issuers follow it: 市医保局、市财政局)."""
    if not department:
        return ""
    return re.split(r"[、，,；;\s]", _NOTE_RE.sub("", department).strip(), maxsplit=1)[0]


def _department_region(department: str | None) -> ReadFact | None:
    """Return the region the posted department names (北京市经济和信息化局 → 11); a national body → a national fact."""
    lead = _lead_body(department)
    if not lead:
        return None
    mentions = [m for m in _mentions(lead) if _ORG_AFTER_RE.match(lead, m.end) or m.end == len(lead)]
    national = _NATIONAL_RE.search(lead)
    if mentions and (
        national is None or national.start() > mentions[0].start or _inside_local(lead, national, mentions)
    ):
        resolved = _resolve(mentions)
        if resolved is not None:
            return ReadFact(resolved[0], None, lead)
    if national is not None:
        return ReadFact(None, None, lead)
    return None


def _home_region(text: str, department: str | None, home_region: str) -> ReadFact | None:
    """Return the home region for a local body named without its place, or a text saying 本市 with no city.

    Whatever the passage explains: a platform's own body (科委) answering about a national scheme
    (研发费用加计扣除, 高新技术企业认定) addresses the platform's enterprises, as a provincial bureau's
    reminder of a national rule takes the province (docs/labelling.md, "Region of msgabench answers").
    """
    lead = _lead_body(department)
    if lead and _NATIONAL_RE.search(lead) is None and _LOCAL_BODY_RE.fullmatch(lead):
        return ReadFact(home_region, None, lead)
    own = _OWN_WORDS_RE.search(text, 0, min(len(text), _OWN_SCAN_CHARS))
    if own is not None and _fits_level(home_region, _OWN_WORDS[own.group(0)]):
        return ReadFact(home_region, own.span(), own.group(0))
    return None


def _fits_level(code: str, digits: int) -> bool:
    """Say whether 本市 (4) / 本省 (2) / 本区 (6) can mean ``code`` (a 直辖市 is both a province and a city)."""
    code = _trimmed(code)
    return len(code) == digits or (digits == 4 and code in ("11", "12", "31", "50"))


def _inside_local(text: str, national: re.Match[str], mentions: list[_Mention]) -> bool:
    """国家税务总局河南省税务局: a national body's local office is the place's."""
    return any(national.end() <= m.start <= national.end() + 2 for m in mentions)


# --- addressees ---------------------------------------------------------------------------------

# The 主送 line of a notice: bodies, then a colon, at the head (内蒙古、辽宁…商务、财政主管部门：). It ends in a
# body's name; 各省、自治区… (every province) or 各市、县 (every city) addresses all, so a line with 各 names
# no particular places.
_ADDRESSEE_RE = re.compile(r"[^。；;：:\s]{2,160}?(?:部门|厅|局|委|委员会|政府|办|办公室|管委会)[：:]")
_ADDRESSEE_HEAD_CHARS = 600


def read_addressed_places(text: str, region_code: str | None = None) -> tuple[Span, tuple[str, ...]] | None:
    """Return the span of a notice's 主送 line and the places it names, when it addresses particular places.

    湖北、湖南、广东商务主管部门： — a notice sent to the departments of some provinces only is for their
    enterprises: the places (2022 区划 codes, trimmed) are alternatives every item is bounded by. A line
    that addresses 各省 / 各市 (all of them), names a place ambiguously, or names one outside the
    issuer's ``region_code`` gives None.
    """
    match = _ADDRESSEE_RE.search(text, 0, min(len(text), _ADDRESSEE_HEAD_CHARS))
    if match is None or "各" in match.group(0):
        return None
    mentions = _mentions(text, match.start(), match.end())
    if not mentions or any(len(m.codes) != 1 for m in mentions):
        return None
    # Every name of the line is a place or a body: a place named inside a body's full name
    # (国家税务总局湖北省税务局) addresses that body, not its province's enterprises.
    if _NATIONAL_RE.search(text, match.start(), match.end()) is not None:
        return None
    codes = tuple(dict.fromkeys(_as_document_code(_trimmed(m.codes[0])) for m in mentions))
    if region_code and not all(
        c.startswith(_trimmed(region_code)) and c != _trimmed(region_code) for c in codes
    ):
        return None
    return (mentions[0].start, match.end()), codes
