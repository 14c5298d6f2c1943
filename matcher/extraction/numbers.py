"""Numbers, units and boundary words of Chinese policy text, as pure functions.

``五千万元`` → 5000 (万元), ``1亿元`` → 10000, ``3000元`` → 0.3, ``１２３`` → 123;
boundary words map to the ops of conditions.md (以上/不低于/达到 → ``gte``, …).
"""

from __future__ import annotations

import re
import unicodedata

from corpus.splitting import CN_DIGITS

_DIGITS = CN_DIGITS
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}

# A number as written: Arabic (with , and .) or Chinese numerals. Linear on any text (issue 18):
# a number starts only where its run starts (a start inside a run would rescan the run, quadratic
# over 200 000 digits), and never gives characters back (possessive: what may follow a number, a
# unit or a word, is never a digit, comma, dot or numeral, so giving back never made a match).
NUMBER_PATTERN = (
    r"(?:(?<!\d)\d++(?:,\d{3})*+(?:\.\d++)?+"
    r"|(?<![零〇一二两三四五六七八九十百千])[零〇一二两三四五六七八九十百千]++(?:点[零〇一二三四五六七八九]++)?+)"
)

# Money units → factor to 万元.
MONEY_FACTORS = {"亿元": 10_000.0, "亿": 10_000.0, "万元": 1.0, "万": 1.0, "千元": 0.1, "元": 0.0001}

# Boundary words (conditions.md): after the number, then before it.
AFTER_WORDS: dict[str, str] = {
    "及以上": "gte",
    "以上": "gte",
    "及以下": "lte",
    "以下": "lte",
    "以内": "lte",
    "之内": "lte",
}
BEFORE_WORDS: dict[str, str] = {
    "不低于": "gte",
    "不少于": "gte",
    "达到或超过": "gte",
    "达到": "gte",
    "满": "gte",
    "超过": "gt",
    "突破": "gt",
    "高于": "gt",
    "大于": "gt",
    "多于": "gt",
    "不超过": "lte",
    "不高于": "lte",
    "不大于": "lte",
    "不多于": "lte",
    "低于": "lt",
    "不足": "lt",
    "少于": "lt",
    "小于": "lt",
    "未满": "lt",
    "未达到": "lt",
}


def normalize_char(ch: str) -> str:
    """Full-width digits, letters, ``％`` and ``．`` to ASCII; every other character (punctuation included) as is."""
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 and (folded.isascii() and (folded.isalnum() or folded in "%.")) else ch


def normalize_aligned(text: str) -> str:
    """NFKC-normalise character by character, so offsets into the result are offsets into ``text``."""
    return "".join(normalize_char(ch) for ch in text)


def chinese_to_number(text: str) -> float | None:
    """Value of a Chinese numeral (``三`` → 3, ``五千`` → 5000, ``十二`` → 12, ``一万二千`` → 12000), or None."""
    if not text:
        return None
    if "点" in text:
        whole, _, frac = text.partition("点")
        head = chinese_to_number(whole) if whole else 0.0
        if head is None or not all(c in _DIGITS for c in frac):
            return None
        return head + float("0." + "".join(str(_DIGITS[c]) for c in frac))
    total, section, digit = 0.0, 0.0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _SMALL_UNITS:
            section += (1 if digit is None else digit) * _SMALL_UNITS[ch]
            digit = None
        elif ch in _BIG_UNITS:
            section += digit or 0
            total += (section or 1) * _BIG_UNITS[ch]
            section, digit = 0.0, None
        else:
            return None
    return total + section + (digit or 0)


def parse_number(text: str) -> float | None:
    """Value of an Arabic (``1,200.5``, ``１２３``) or Chinese (``五千``) number, or None."""
    text = normalize_aligned(text.strip())
    if re.fullmatch(r"\d+(?:,\d{3})*(?:\.\d+)?", text):
        return float(text.replace(",", ""))
    return chinese_to_number(text)


def to_wan(value: float, unit: str) -> float:
    """Convert an amount in ``unit`` (亿元, 万元, 千元, 元) to 万元."""
    try:
        return value * MONEY_FACTORS[unit]
    except KeyError as exc:
        raise ValueError(f"unknown money unit {unit!r}; known: {', '.join(MONEY_FACTORS)}") from exc


def boundary_op(before: str, after: str) -> str | None:
    """Return the op of a threshold from the words just before and after the number+unit, or None.

    ``（含）以下`` is ``lte``; a word after the number wins over one before it
    (``超过500万元（含）以上`` reads as ``gte``).
    """
    after = after.replace("（含）", "").replace("(含)", "").lstrip()
    for word in sorted(AFTER_WORDS, key=len, reverse=True):
        if after.startswith(word):
            return AFTER_WORDS[word]
    for word in sorted(BEFORE_WORDS, key=len, reverse=True):
        if before.endswith(word):
            return BEFORE_WORDS[word]
    return None
