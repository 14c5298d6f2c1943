"""One requirement said again is one condition: restated ``undecidable`` requirements collapse.

Real items say whom they are for more than once — a heading, 【享受主体】, 【享受条件】 and the
body (对疫情防控重点保障物资生产企业…; 疫情防控重点保障物资生产企业名单，由…确定) — and each
became an ``undecidable`` of its own: one requirement counted two or three times (issue 14,
*duplicates*). :func:`restated` tells a later restatement of an earlier requirement from a
requirement of its own, on the words that carry it (:func:`core`); words much shorter than the
ones they sit in (受疫情影响 inside 受疫情影响导致面临暂时性生产经营困难) say something of their
own. Patterns are anchored and bounded, so each runs in linear time.
"""

from __future__ import annotations

import re

# Labels, list marks and the lead-in word around the words that carry a requirement.
_LEAD_RE = re.compile(
    r"^(?:[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,2}[.．、]|[一二三四五六七八九十]{1,3}、)?"
    r"(?:【[^】]{1,8}】|[^】]{0,6}】)?(?:对于|对|为)?"
)
# What trails the same words without changing the requirement (…名单, …的).
_TAIL_RE = re.compile(r"(?:名单|范围|的)$")
_BLANK_RE = re.compile(r"[\s\u3000\xa0]+")
# A restatement shorter than this share of the words it restates says something of its own.
_SHARE = 0.7


def core(words: str) -> str:
    """Return the words that carry a requirement: no label, list mark, lead-in 对 or trailing 名单 / 的."""
    text = _BLANK_RE.sub("", words)
    text = _LEAD_RE.sub("", text, count=1)
    return _TAIL_RE.sub("", text)


def restated(words: str, earlier: list[str]) -> bool:
    """Tell whether ``words`` restate one of the ``earlier`` cores (equal, or one inside the other and nearly as long)."""
    mine = core(words)
    if len(mine) < 2:
        return False
    for other in earlier:
        if not other:
            continue
        if mine == other:
            return True
        short, long = (mine, other) if len(mine) <= len(other) else (other, mine)
        if short in long and len(short) >= _SHARE * len(long):
            return True
    return False
