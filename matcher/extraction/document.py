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
  附则, and a 主送 line naming particular places) whose conditions join every item's.

Every read fact keeps its span (offsets into the text; ``None`` when it was
read from the title). :func:`apply_document_facts` fills a
:class:`corpus.schemas.PolicyDocument` with them; metadata given explicitly
(API, JSONL, front matter) always wins over what is read.

The readers live in :mod:`~matcher.extraction.document_dates` (dates, validity, window, mode)
and :mod:`~matcher.extraction.document_region` (region, department); this module reads the
governing clauses and puts the facts together. Every pattern runs on one sentence or a bounded window, with no nested
quantifiers over overlapping classes, so reading stays linear in the text.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import Any

from corpus.conditions import Condition, Group
from matcher.extraction.doctype import classify_document
from matcher.extraction.document_dates import (  # noqa: F401 (re-exported)
    DocumentFacts,
    ReadFact,
    Span,
    read_fulfilment,
    read_issued,
    read_validity,
    read_window,
    sentences,
)
from matcher.extraction.document_department import _placed, read_department  # noqa: F401 (re-exported)
from matcher.extraction.document_region import (  # noqa: F401 (re-exported)
    ZONE_COUNTIES,
    read_addressed_places,
    read_region,
)

# --- governing clauses -------------------------------------------------------------------------

# Whom the whole document refuses (…的企业，不得享受本政策; 有下列情形之一的，不予享受上述政策): an exclusion of
# every item, so its conditions join every item's like 适用于's do.
_EXCLUDED_FROM_ALL = (
    r"(?:不得|不予|不能|不再|不)(?:享受|申报|申请)(?:本|上述|以上|此)(?:若干)?"
    r"(?:政策措施|政策|办法|措施|意见|细则|规定|方案)"
)

# A sentence that bars enterprises from every support of the document for a time (对…套取资金的企业，…N年内不得
# 申请各类扶持资金): whom it names is an exclusion of every item, though it names no document.
_BARRED_FROM_ALL = (
    r"不(?:准|得|予)其?再?(?:申请|申报|享受)[^。；，]{0,10}?(?:各类|各项|所有|任何)"
    r"[^。；，]{0,8}?(?:政策|资金|补贴|奖励|扶持|补助)"
)

# Sentences that speak for every item: whom the document is for, how items combine, when to apply.
_GOVERNS_RE = re.compile(
    r"(?:本|以上|上述|此)(?:若干)?(?:政策措施|政策|办法|措施|通知|意见|细则|规定|方案|条款)[^。；]{0,12}?(?:适用于|适用范围|支持对象|扶持对象)|"
    r"适用(?:对象|范围)|(?:支持|扶持|申报|奖励|补助)(?:对象|主体)(?:为|是|[：:])|"
    r"就高(?:不重复|原则|享受)|不重复享受|不得重复(?:享受|申报|申请)|从高(?:不重复)?享受|"
    r"(?:申报|申请|受理)(?:的)?时间(?:为|是|[：:])|申报截止|"
    # The document's own validity and its terms (本政策自印发之日起施行…; 本意见所称中小企业…; 遵照执行).
    r"(?:本|以上|上述|此)(?:若干)?(?:政策措施|政策|办法|措施|通知|意见|细则|规定|方案|公告|通告|条款)"
    r"(?:明确的政策措施|相关条款)?[^。；]{0,8}?(?:自|执行期|施行期|有效期|在[^。；]{0,10}期间有效|所指|所称|中的)|"
    r"(?:出台|新出台)[^。；]{0,12}政策[^。；]{0,10}遵照执行|" + _EXCLUDED_FROM_ALL + "|" + _BARRED_FROM_ALL
)


# A governing sentence that says whom the whole document is for: its conditions join every item's.
_SCOPE_RE = re.compile(
    r"适用于|适用(?:对象|范围)|(?:支持|扶持|申报|奖励|补助|服务)(?:对象|主体)(?:为|是|[：:])|"
    + _EXCLUDED_FROM_ALL
    + "|"
    + _BARRED_FROM_ALL
)

# Whom a bar from every support names: the "对 / 凡 X 的（企业）" clause its sentence opens with.
_BARRED_WHO_RE = re.compile(r"(?:对|凡)(?P<who>[^，。；]{2,40}?)的(?:企业|单位|市场主体|主体)?，")

# Duties a scope sentence asks beside the place of registration (在某区注册、纳税、入统的企业): one requirement
# no profile field records, so one undecidable leaf; the place is the region reader's.
_DUTY = r"(?:依法)?(?:纳税|缴税|纳统|入统|统计|缴纳社保|缴纳社会保险)"
_DUTIES_RE = re.compile(
    r"(?:注册|登记)(?:并|且|[、和及与])(?P<duties>" + _DUTY + r"(?:(?:并|且|[、和及与])" + _DUTY + r")*)"
)

# A title that supports one sector's enterprises (关于支持服务业企业…的若干措施): the sector bounds every item.
# The sectors of the 三次产业划分规定 over GB/T 4754 sections (T, international bodies, holds no enterprise).
_TITLE_SECTORS = {
    "第一产业": ("A",),
    "农业": ("A",),
    "第二产业": ("B", "C", "D", "E"),
    "工业": ("B", "C", "D"),
    "制造业": ("C",),
    "建筑业": ("E",),
    "第三产业": tuple("FGHIJKLMNOPQRS"),
    "服务业": tuple("FGHIJKLMNOPQRS"),
}
_TITLE_SECTOR_RE = re.compile(
    r"(?:支持|扶持|帮扶|助力|促进|服务)(?:全市|全省|全区|本市|我市)?(?P<sector>"
    + "|".join(sorted(_TITLE_SECTORS, key=len, reverse=True))
    + r")(?:中小微|中小)?(?:市场主体|企业)"
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
    text: str,
    governs: Iterable[Span],
    *,
    region_code: str | None = None,
    issued: str | None = None,
    title: str = "",
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """Return the v1 conditions and v2 entries the document's scope sentences state, for every item.

    就高不重复 and 申报时间 govern every item too, but state no condition of the enterprise:
    the first is how supports combine, the second is the window (a document fact). A title that
    supports one sector's enterprises bounds every item by the sector; a sentence barring enterprises
    from every support excludes whom it names from every item; the duties a scope sentence asks beside
    the place of registration are one requirement.
    """
    from matcher.extraction import extract_conditions, extract_entries

    conditions: list[Any] = []
    entries: list[Any] = []
    governs = tuple(governs)
    addressed = read_addressed_places(text, region_code)
    if addressed is not None and addressed[0] in governs:
        places = _addressed_entry(text, *addressed)
        entries.append(places)
        if not isinstance(places, Group):
            conditions.append(places)
    sector = _TITLE_SECTOR_RE.search(title)
    if sector is not None:
        trade = Condition("industry_code", "industry_in", list(_TITLE_SECTORS[sector["sector"]]), sector[0])
        conditions.append(trade)
        entries.append(trade)
    for a, b in scope_clauses(text, governs):
        sentence = text[a:b]
        barred = _barred(sentence)
        if barred is not None:
            conditions.append(barred)
            entries.append(barred)
            continue
        read = extract_entries(sentence, region_code=region_code, issued=issued)
        conditions += extract_conditions(sentence, region_code=region_code, issued=issued)
        entries += read
        duties = _duties(sentence, read)
        if duties is not None:
            conditions.append(duties)
            entries.append(duties)
    return tuple(conditions), tuple(entries)


def _barred(sentence: str) -> Condition | None:
    """Return the exclusion a sentence barring enterprises from every support states (its "对 X 的" clause)."""
    if re.search(_EXCLUDED_FROM_ALL, sentence) or not re.search(_BARRED_FROM_ALL, sentence):
        return None
    who = _BARRED_WHO_RE.match(sentence)
    if who is None:
        return None
    return Condition("undecidable", "eq", who["who"], who["who"], role="exclude")


def _duties(sentence: str, read: Iterable[Any]) -> Condition | None:
    """Return the duties a scope sentence asks beside the place of registration, when a region was read there."""
    read = tuple(read)
    if not any(getattr(e, "field", None) == "region_code" for e in _leaves(read)):
        return None
    found = _DUTIES_RE.search(sentence)
    if found is None or any(found["duties"] in str(getattr(e, "span", "")) for e in _leaves(read)):
        return None
    return Condition("undecidable", "eq", found["duties"], found["duties"])


def _leaves(entries: Iterable[Any]) -> Iterable[Any]:
    for entry in entries:
        if isinstance(entry, Group):
            yield from _leaves(entry.members)
        else:
            yield entry


def _addressed_entry(text: str, span: Span, codes: tuple[str, ...]) -> Any:
    """Return the region a notice's 主送 line bounds every item by: one place, or an ``any`` group of them."""
    words = text[span[0] : span[1]]
    leaves = tuple(Condition("region_code", "within_region", code, words) for code in codes)
    return leaves[0] if len(leaves) == 1 else Group("any", leaves, words)


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


def read_document(
    text: str,
    *,
    title: str = "",
    issued: str | None = None,
    department: str | None = None,
    home_region: str | None = None,
) -> DocumentFacts:
    """Read every document fact from the title and text (``issued`` given: the validity counts from it).

    ``department`` (the 发文机关 it was posted with) places a document whose title and text name no
    place; ``home_region`` (the platform's own region) places one whose issuer is a local body named
    without its place (科委, 市人社局) or whose text says 本市 naming no city (:func:`read_region`).
    """
    issued_fact = read_issued(text) if issued is None else ReadFact(issued, None, "(given)")
    day = issued_fact.value if issued_fact is not None else None
    valid_from, valid_until = read_validity(text, day)
    window_open, window_close = read_window(text, day)
    kind = classify_document(text, title=title)
    region = read_region(text, title, department=department, home_region=home_region)
    governs = governing_clauses(text)
    # A notice sent to some places' departments only (主送 湖北、湖南…主管部门：) is for their enterprises.
    addressed = read_addressed_places(text, region.value if region is not None else None)
    if addressed is not None:
        governs = (addressed[0], *governs)
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
        governs=governs,
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
