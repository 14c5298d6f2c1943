"""The shape of an item's requirements (condition language v2, docs/conditions.md): roles, any groups, tiers.

:func:`extract_entries` reads the leaves :mod:`matcher.extraction.conditions` finds
and arranges them as the text says:

- titles an item is *for becoming* (申请认定高新技术企业, 高新技术企业复审) are no
  prerequisite, and one requirement said twice is one condition;
- 或 / 之一 / 满足下列条件之一 / 其中一项 make an ``any`` group;
- 优先 / 加分 / 鼓励 / 同等条件下 make ``bonus`` leaves; 不得 / 不能申报 / 除外 /
  不含 make ``exclude`` leaves (失信 / 重大违法 keep their base-spec form);
- outcomes that differ by what the enterprise is (国家级…奖励50万元，省级…奖励10万元;
  bracketed thresholds; 按设备投资额的8%给予补助，最高不超过200万元) make tiers with
  their support, amount and formula;
- no silent yes: a sentence that states a requirement and yields no condition
  becomes an ``undecidable`` one with its span.

The pieces live in :mod:`~matcher.extraction.roles`, :mod:`~matcher.extraction.silent`,
:mod:`~matcher.extraction.any_groups` and
:mod:`~matcher.extraction.tiers` (over :mod:`~matcher.extraction.clauses`); this module puts them
together. Every pattern runs over one sentence or clause at a time and has no nested
quantifier over overlapping classes, so the whole stays linear in the text.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from corpus.conditions import Condition, Entry, Tier
from matcher.extraction.any_groups import (
    _list_end,
    describes_alternative_trades,
    describes_trades,
    kind_lists,
    others_clauses,
)
from matcher.extraction.clauses import _CLAUSE_END, _HEADING_RE, _PART_END, _containing, _Span, _split
from matcher.extraction.conditions import _Found, found_conditions
from matcher.extraction.requirement_words import _LIST_LEAD_RE, _TARGET_RE, _past_others_duties
from matcher.extraction.restated import core, restated
from matcher.extraction.roles import (
    _ANY_LIST_RE,
    _EXCLUDE_LIST_RE,
    _applied_for,
    _elliptic_thresholds,
    _moot_exception,
    _role_of,
    _unheld_exceptions,
)
from matcher.extraction.silent import _Coverage, _silent_parts, _subject_part
from matcher.extraction.tiers import _with_tiers

# --- the whole ---------------------------------------------------------------------------------------

# 首次认定为 A、B、C 的企业: the words that time a title (labelling guide: the 首次/新认定 timing is no condition).
# 引导中小微企业通过…平台申请贷款 (matched from the clause's start): a channel pointed to.
_CHANNEL_RE = re.compile(
    r"[\s　]*(?:引导|鼓励|指导)[^，。；;]{0,12}?(?:企业|市场主体)通过[^，。；;]{0,40}?(?:平台|渠道|系统|网站)"
)


def _points_to_a_channel(text: str, found: _Found) -> bool:
    """Whether the clause holding ``found`` opens by pointing enterprises to a channel (引导…企业通过…平台).

    Only the few characters before the finding are searched for the clause's start (a long text stays
    linear, issue 18): 引导 stands at most a dozen characters before the enterprises it names.
    """
    low = max(0, found.start - 24)
    start = max(text.rfind(stop, low, found.start) for stop in "，,。；;：:\n") + 1
    if start == 0 and low > 0:
        return False
    return _CHANNEL_RE.match(text, start, min(len(text), found.end + 40)) is not None


_TIMES_A_TITLE_RE = re.compile(r"(?:首次|新|当年度?|新近)?被?(?:认定|评定|评选|获评)为?")
# 经认定的市级企业技术中心，给予…: the title named as what the applicant becomes.
_OUTCOME_RE = re.compile(r"(?:经|通过|获得)(?:认定|评定|评审)(?:后)?的?$")


def _unread_kinds(norm: str, found: list[_Found]) -> list[_Found]:
    """Stand-ins for the kinds of enterprise no rule reads, listed beside an industry or a title it reads.

    高新技术企业、科技型中小企业、软件企业、集成电路企业、动漫企业: the measure is for any of them, so the
    kinds no field holds (软件企业, 动漫企业) become ``undecidable`` members of the same ``any`` group
    (:func:`matcher.extraction.any_groups._or_groups`) instead of leaving the read ones required alone. A size
    is left as it is: 小微企业、个体工商户 names the small (the labelling guide reads the size alone).
    """
    out: list[_Found] = []
    lists = kind_lists(norm)
    if not lists:
        return out
    # Whether a finding overlaps a member is two look-ups, so an item of many lists stays linear in its findings.
    read = _Coverage(found)
    for start, end in lists:
        inside = [f for f in read.starting_in(start, end) if f.end <= end]
        if not any(f.condition.field in ("industry_code", "qualifications") for f in inside):
            continue
        if any(f.condition.field not in ("industry_code", "qualifications", "undecidable") for f in inside):
            continue
        at = start
        for member in norm[start:end].split("、"):
            m_start, m_end = at, at + len(member)
            at = m_end + 1
            m_start += len(member) - len(member.lstrip("和及以与或")) if member[:1] in "和及以与或" else 0
            if read.overlaps(m_start, m_end):
                continue
            value = norm[m_start:m_end]
            out.append(_Found(m_start, m_end, Condition("undecidable", "eq", value, value)))
    return out


# The tax guides' layout (申报享受税费优惠政策指引): a title, then 【享受主体】 whom the relief is for, 【优惠内容】 what it
# grants, 【享受条件】 what the beneficiary must meet, 【政策依据】 the rules. 享受主体 and 享受条件 say whom it is for.
_GUIDE_SECTION_RE = re.compile(r"【(享受主体|享受条件|优惠内容|政策依据)】")
_FOR_WHOM_SECTIONS = ("享受主体", "享受条件")
# A threshold (比例达到2%（含）以上 / 须占营业收入的60%以上): a tier of the relief, kept wherever it is said.
_GUIDE_THRESHOLD_RE = re.compile(
    r"[\d%％一二三四五六七八九十两][^\d，,。；;、]{0,5}?(?:（含）|\(含\))?(?:以上|以下|以内)|不(?:得)?(?:低|少)于"
)
# What the body of a guide says of claiming the relief, not of whom it is for: whoever takes it (缴纳人享受减征优惠的，
# 可自行申报 / 适用本项政策的，应当在年度汇算时说明), a relief that follows from the one granted (其收入免征增值税的，
# 同时免征教育费附加), a refund of what was paid before (已缴纳的税款予以退还), and the steps of the filing (应当在
# 申报表中注明 / 应当于次月完成).
_CLAIM_RE = re.compile(
    r"(?:享受|适用)[^，。；;]{0,24}?(?:政策|优惠)$|(?:免征|减征|免收)[^，。；;]{0,24}?(?:税|费|附加)$"
    r"|已(?:征|缴纳?)[^，。；;]{0,24}?(?:退还|抵减)|(?:须|需|应当?)(?:于|在|将|填写|注明|开具|留存)"
)


def _guide_sections(norm: str) -> tuple[int, list[tuple[int, int]]] | None:
    """Return where a guide-laid item's title ends and the spans of its 享受主体 / 享受条件 sections, else None."""
    marks = list(_GUIDE_SECTION_RE.finditer(norm))
    if not any(m.group(1) == "享受主体" for m in marks):
        return None
    ends = [m.start() for m in marks[1:]] + [len(norm)]
    sections = [
        (m.end(), end) for m, end in zip(marks, ends, strict=True) if m.group(1) in _FOR_WHOM_SECTIONS
    ]
    return marks[0].start(), sections


def _outside_for_whom(norm: str, found: list[_Found]) -> list[_Found]:
    """Drop the free-text stand-ins a guide-laid item reads in its title and in what it says of claiming the relief.

    The title (（二）具备冷链仓储能力的经营者减征水利建设基金) names the relief, and 【享受主体】 says whom it is for;
    the body's words of claiming it (_CLAIM_RE) restate the relief. A stand-in with a threshold (须占营业收入的60%以上)
    is kept, and so is every other one of 【优惠内容】 (对社区食堂自用的房屋，免征… — a tier of the relief). Only
    where a finding reaches into a for-whom section: else what is outside is all the item says.
    """
    laid = _guide_sections(norm)
    if laid is None:
        return found
    title_end, sections = laid

    def crosses(f: _Found) -> bool:
        return any(f.start < end and start < f.end for start, end in sections)

    if not any(crosses(f) for f in found):
        return found

    def restates(f: _Found) -> bool:
        if (
            f.condition.field != "undecidable"
            or crosses(f)
            or _GUIDE_THRESHOLD_RE.search(norm, f.start, f.end)
        ):
            return False
        return f.end <= title_end or bool(_CLAIM_RE.search(norm, f.start, f.end))

    return [f for f in found if not restates(f)]


def extract_entries(
    text: str, *, region_code: str | None = None, issued: str | dt.date | None = None
) -> tuple[Entry, ...]:
    """Read an item's conditions in the language v2: leaves with roles, ``any`` groups, then tiers (best first)."""
    norm, found = found_conditions(text, region_code=region_code, issued=issued, repeats=True)
    # Titles the item is for becoming; a requirement said twice (专精特新企业 / 专精特新中小企业).
    kept: list[_Found] = []
    seen: set[tuple] = set()
    # A decidable requirement said again (【享受主体】在职职工30人以下的企业 … 对在职职工30人以下的企业免征…) is
    # one condition; the part that says it again is read, and gets no stand-in of its own.
    repeated: list[_Found] = []
    applied_for = False
    # A title the item is for becoming (企业申请认定市级企业技术中心…) is the outcome, no prerequisite, where
    # the item names it again as what the applicant becomes (经认定的市级企业技术中心，给予…).
    applied = {id(f) for f in found if _applied_for(f, norm)}
    becoming = {f.condition.key for f in found if id(f) in applied}
    in_order = sorted(found, key=lambda f: (f.start, f.end))
    for n, f in enumerate(in_order):
        # 受疫情影响较大的…等行业，以及…的企业: the hardship describes trades that are one alternative.
        if describes_alternative_trades(norm, f, in_order[n + 1 : n + 4]):
            continue
        # 受疫情影响较大的批发零售、住宿餐饮等行业: the hardship says why the trades were chosen.
        if describes_trades(norm, f, in_order[max(0, n - 3) : n][::-1], in_order[n + 1 : n + 4]):
            continue
        if id(f) in applied or (
            f.condition.key in becoming and _OUTCOME_RE.search(norm, max(0, f.start - 6), f.start)
        ):
            applied_for = True
            continue
        # 对研发投入达到下列标准的企业: the list after it says the requirements, the lead-in none.
        if f.condition.field == "undecidable" and _LIST_LEAD_RE.search(norm, f.start, f.end):
            continue
        # 首次认定为 A、B、C 的企业: the words that time a title state nothing the title does not.
        if f.condition.field == "undecidable" and _TIMES_A_TITLE_RE.fullmatch(norm, f.start, f.end):
            continue
        if f.condition.field == "undecidable" and _moot_exception(norm[f.start : f.end]):
            continue
        # 力争实现95%以上 / 确保…不低于…: the authorities' own target, no requirement on the enterprise.
        if f.condition.field == "undecidable" and _TARGET_RE.search(norm, f.start, f.end):
            continue
        # 大型企业等其他参保单位: the kind named first is an example of "every other one", no requirement.
        if f.condition.field in ("size_class", "industry_code") and norm.startswith(
            ("等其他", "等各类"), f.end
        ):
            continue
        # 引导中小微企业通过…服务平台申请贷款: the authorities point enterprises to a channel; whom they name
        # is no requirement of the measure.
        if f.condition.field in ("size_class", "industry_code") and _points_to_a_channel(norm, f):
            continue
        key = f.condition.key
        if f.condition.field != "undecidable" and f.condition.op != "semantic" and key in seen:
            repeated.append(f)
            continue
        seen.add(key)
        kept.append(f)
    kept = _elliptic_thresholds(norm, kept)
    parts = _split(norm, _PART_END, marks=True)
    clauses = _split(norm, _CLAUSE_END, marks=True)
    # A part whose only finding repeats one said before still gets its stand-in (the repeat is dropped
    # below unless it is another measure's own): parts are read against first sayings only.
    said: set[tuple[str, str]] = set()
    first = []
    for f in kept:
        words = (f.condition.field, norm[f.start : f.end])
        if f.condition.field != "undecidable" or words not in said:
            first.append(f)
        said.add(words)
    decided = _Coverage(f for f in kept + repeated if f.condition.field != "undecidable")
    stand_ins = [
        f for f in _silent_parts(norm, first, parts, clauses) if not _restates_decided(norm, f, decided)
    ]
    # A repeated 受疫情影响严重 inside the stand-in its part got for it (受疫情影响严重的企业到期还款困难) is said by
    # that stand-in: kept beside it, a tier would hold the one requirement twice.
    firsts = {id(f) for f in first}
    within = _Containment(stand_ins)
    kept = [f for f in kept if f.condition.field != "undecidable" or id(f) in firsts or not within.holds(f)]
    kept += stand_ins
    kept += _unread_kinds(norm, kept)
    kept += others_clauses(norm, kept)
    kept += _unheld_exceptions(norm, kept, parts)
    kept = _outside_for_whom(norm, kept)
    duties: dict[int, int] = {}
    kept = [
        f for f in kept if f.condition.field != "undecidable" or not _in_others_duty(norm, f, parts, duties)
    ]
    # An item's heading names its topic (（五）延长受疫情影响较大的困难行业企业弥补亏损年限。): free text read in it
    # states no requirement of its own — the body says whom the measure is for, and is read for it.
    heading = _HEADING_RE.match(norm)
    if heading is not None:
        kept = [f for f in kept if f.condition.field != "undecidable" or f.start >= heading.end()]
    kept.sort(key=lambda f: (f.start, f.end))
    # Exclusions stated over a part with no condition of their own (除湖北省外, 不含机关事业单位).
    roles = [(f, _role_of(f, norm, clauses, parts)) for f in kept]
    # No silent yes: an item that names no condition we can read still says whom it is for — unless
    # what it names is the title it is for becoming (高新技术企业认定…): every enterprise may apply for
    # that, and the title's words name no one the item is restricted to (labelling guide §5).
    if norm.strip() and not applied_for and not any(r != "bonus" for _, r in roles):
        subject = _subject_part(norm, parts)
        if subject is not None:
            value = norm[subject[0] : subject[1]]
            roles.append((_Found(*subject, Condition("undecidable", "eq", value, value)), "require"))
            roles.sort(key=lambda x: (x[0].start, x[0].end))
    any_list = _ANY_LIST_RE.search(norm)
    exclude_list = _EXCLUDE_LIST_RE.search(norm)
    start = any_list.end() if any_list else (exclude_list.end() if exclude_list else None)
    any_from = None if start is None else (start, _list_end(norm, start))
    if exclude_list is not None and any_list is None:
        roles = [
            (
                f,
                "exclude"
                if any_from is not None
                and any_from[0] <= f.start < any_from[1]
                and not f.condition.is_exclusion
                else r,
            )
            for f, r in roles
        ]
    return _unrestated(_with_tiers(norm, roles, any_from, repeated))


# What is left of a stand-in once the decided conditions inside it are taken out, when it names nobody new.
_BARE_SUBJECT_RE = re.compile(
    r"[的之\s　、，,]*(?:企业|单位|纳税人|缴费人|市场主体|主体|用人单位)?[的\s　、，,]*"
)


class _Containment:
    """Spans by start with the furthest end so far: "does one of them hold this finding?" in log time (issue 18)."""

    def __init__(self, found: Iterable[_Found]) -> None:
        spans = sorted((f.start, f.end) for f in found)
        self.starts = [start for start, _ in spans]
        self.reach = list(itertools.accumulate((end for _, end in spans), max))

    def holds(self, found: _Found) -> bool:
        """Whether a span starting at or before ``found`` reaches to its end or past it."""
        at = bisect.bisect_right(self.starts, found.start) - 1
        return at >= 0 and self.reach[at] >= found.end


def _in_others_duty(norm: str, found: _Found, parts: Sequence[_Span], duties: dict[int, int]) -> bool:
    """Say whether a finding lies in the words of a part that say what another body is to do (金融机构要…，提升受疫情…).

    ``duties`` keeps where each part's other-body words end, by the part's start: a part is read once however
    many findings it holds, and found by binary search, so a long item stays linear (issue 18).
    """
    part = _containing(parts, found.start)
    if not part.start <= found.start < part.end:
        return False
    if part.start not in duties:
        duties[part.start] = _past_others_duties(norm, part.start, part.end)
    return found.end <= duties[part.start]


def _restates_decided(norm: str, stand_in: _Found, decided: _Coverage) -> bool:
    """Say whether a stand-in only says again a decided condition (…在职职工30人以下的企业, read once already).

    The decided findings inside the stand-in are found by binary search, not by a pass over all of them.
    """
    inside = [f for f in decided.starting_in(stand_in.start, stand_in.end) if f.end <= stand_in.end]
    if not inside:
        return False
    rest, at = [], stand_in.start
    for f in inside:
        if f.start >= at:
            rest.append(norm[at : f.start])
            at = f.end
    rest.append(norm[at : stand_in.end])
    return all(_BARE_SUBJECT_RE.fullmatch(piece) for piece in rest)


def _unrestated(entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
    """Drop an ``undecidable`` that restates an earlier one of the same measure (【享受主体】X … 对X …).

    Common requirements are compared with each other; a tier's with the common ones and its own —
    never with another tier's, where 受疫情影响 said again is each measure's own requirement.
    """
    common: list[str] = []

    def keep(node: Any, cores: list[str]) -> bool:
        if not isinstance(node, Condition) or node.field != "undecidable" or node.role != "require":
            return True
        if restated(node.span, cores):
            return False
        cores.append(core(node.span))
        return True

    out: list[Entry] = [e for e in entries if isinstance(e, Tier) or keep(e, common)]
    for n, entry in enumerate(out):
        if isinstance(entry, Tier):
            own = list(common)
            out[n] = replace(entry, conditions=tuple(c for c in entry.conditions if keep(c, own)))
    return tuple(out)


def entries_leaves(entries: Iterable[Entry]) -> list[Condition]:
    """Every leaf of ``entries`` (groups' members and tiers' conditions included), in order."""
    from corpus.conditions import leaves

    return list(leaves(entries))
