"""Sentences, parts and clauses of an item's text, found by offset with binary search (stays linear)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

_SENTENCE_END = "。！？!?\n"
_PART_END = _SENTENCE_END + "；;"
_CLAUSE_END = _PART_END + "，,：:"
# A numbered list item opens a new part: （一） (1) 1. ① 一、
_LIST_MARK_RE = re.compile(
    r"[（(][一二三四五六七八九十\d]{1,3}[）)]|[①-⑳]|(?<![\d.])\d{1,2}[.、．](?!\d)|[一二三四五六七八九十]{1,3}、"
)


# The number that opens an item (（十） / 十、 / 7.), and the spaces after it.
ITEM_MARKER = (
    r"^\s*(?:[（(][一二三四五六七八九十\d]{1,3}[）)]|[一二三四五六七八九十]{1,3}、|\d{1,2}[.、．])\s*"
)
# A heading that opens an item (（十）加大技改资金支持。 / 7.加快冷链物流设施建设。) names a topic, no requirement.
_HEADING_RE = re.compile(ITEM_MARKER + r"[^。：:；;，,\n]{2,24}[。：:\n]")


@dataclass(frozen=True)
class _Span:
    start: int
    end: int


def _split(text: str, ends: str, marks: bool = False) -> list[_Span]:
    """Pieces of ``text`` cut after each character of ``ends`` (and before list marks when ``marks``)."""
    cuts = {0, len(text)}
    for i, ch in enumerate(text):
        if ch in ends:
            cuts.add(i + 1)
    if marks:
        for match in _LIST_MARK_RE.finditer(text):
            cuts.add(match.start())
    points = sorted(cuts)
    return [_Span(a, b) for a, b in zip(points, points[1:], strict=False) if text[a:b].strip()]


def _containing(spans: Sequence[_Span], pos: int) -> _Span:
    # Spans are in text order and disjoint: a binary search keeps long texts linear (issue 18).
    at = bisect.bisect_right(spans, pos, key=lambda span: span.start) - 1
    if 0 <= at < len(spans) and spans[at].start <= pos < spans[at].end:
        return spans[at]
    for span in spans[max(0, at - 1) : at + 2]:  # a position in the blank between two spans
        if span.start <= pos < span.end:
            return span
    return spans[-1] if spans else _Span(0, 0)


def _within(spans: Sequence[_Span], start: int, end: int) -> Sequence[_Span]:
    """Return the spans (in text order) that start in ``[start, end)``, found by binary search."""
    low = bisect.bisect_left(spans, start, key=lambda span: span.start)
    high = bisect.bisect_left(spans, end, key=lambda span: span.start)
    return spans[low:high]
