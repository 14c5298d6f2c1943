"""What every reader of :mod:`matcher.extraction.conditions` shares: a finding with its span, the number pattern, windows."""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.conditions import Condition
from matcher.extraction.numbers import (
    NUMBER_PATTERN,
)

_UNIT = r"(?P<unit>亿元|万元|千元|元|亿|万(?!人)|人|名|%|个百分点|件|项(?!目))"
_NUMBER_RE = re.compile(rf"(?P<num>{NUMBER_PATTERN}){_UNIT}")
_AFTER_RE = re.compile(r"^(?:（不?含）|\(不?含\))?(?:及以上|以上|及以下|以下|以内|之内)(?:（含）|\(含\))?")
# Where a requirement's words stop: punctuation between clauses and list items.
_BOUNDARY = "，。；;,：:！？!?\n、"
_SENTENCE_BOUNDARY = "。；;！？!?\n"


@dataclass(frozen=True)
class _Found:
    """One condition found in the text, with its offsets."""

    start: int
    end: int
    condition: Condition


def _window_start(text: str, pos: int, limit: int = 24, boundary: str = _BOUNDARY) -> int:
    start = pos
    while start > 0 and pos - start < limit and text[start - 1] not in boundary:
        start -= 1
    return start


QUOTES = '“”"‘’「」'


def _inside_parentheses(text: str, pos: int, limit: int = 10) -> bool:
    opened = max(text.rfind("（", 0, pos), text.rfind("(", 0, pos))
    closed = max(text.rfind("）", 0, pos), text.rfind(")", 0, pos))
    return opened > closed and pos - opened <= limit
