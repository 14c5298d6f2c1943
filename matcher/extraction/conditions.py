"""Read eligibility conditions out of a policy item's text, each with the exact span it came from.

Rules over the characters (normalised one-for-one, so offsets stay true):
numeric thresholds with their metric, unit and boundary word; 企业规模;
qualifications with aliases; regions; industries; exclusions; and requirements
no profile field decides, which become ``undecidable`` — never a silent guess.
A number that describes the support (给予50万元奖励, 最高不超过200万元) is not a
condition: a threshold needs a metric of the enterprise before it.

The readers live in :mod:`~matcher.extraction.figures` (numbers, sizes, titles),
:mod:`~matcher.extraction.facts` (regions, dates, industries, exclusions) and
:mod:`~matcher.extraction.free_text` (``undecidable`` requirements), over
:mod:`~matcher.extraction.found`; :func:`found_conditions` runs them in order.
"""

from __future__ import annotations

import bisect
import datetime as dt

from corpus.conditions import Condition
from matcher.extraction.facts import (
    _established,
    _exclusions,
    _industries,
    _mu_jun,
    _regions,
    _semantic,
    _tax_credit,
)
from matcher.extraction.figures import (  # noqa: F401 (re-exported)
    _nearest_metric,
    _numeric,
    _qualifications,
    _sizes,
    _undecidable_metric_re,
)
from matcher.extraction.found import _NUMBER_RE, _Found, _inside_parentheses  # noqa: F401 (re-exported)
from matcher.extraction.free_text import (
    _beneficiary_requirements,
    _cited_titles,
    _Decided,
    _heading_end,
    _inside_span,
    _merge_adjacent,
    _overlaps,
    _subject_headings,
    _supported_act,
    _trim,
    _undecidable,
)
from matcher.extraction.numbers import (
    normalize_aligned,
)


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
    text: str, *, region_code: str | None = None, issued: str | dt.date | None = None, repeats: bool = False
) -> tuple[str, list[_Found]]:
    """Return the normalised text and every finding in it (offsets into ``text`` too: normalisation is one-for-one).

    ``repeats=True`` keeps an ``undecidable`` said again: the v2 reader decides per measure whether it
    restates one (a tier's 受疫情影响较大 is its own requirement even when another tier said it first).
    """
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
        if not repeats and found.condition.field == "undecidable" and key in seen:
            continue
        seen.add(key)
        unique.append(found)
    # Spans are re-read from the original text by as_condition: normalisation never moves an offset.
    return norm, unique
