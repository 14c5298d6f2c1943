"""The strict checks every door applies before a write: ids, text, number ranges (issue 18).

One module, read by the HTTP schemas (:mod:`api.schemas`, which turn these
bounds into ``ge``/``le``/``pattern`` so ``/docs`` states them) and by
:func:`corpus.schemas.validate_profile` / :func:`corpus.schemas.validate_policy`,
which every import path (CLI, ingest, HTTP) goes through. So a value refused
at one door is refused at every door, and each refusal names its field.

- **Ids** (policy, enterprise): 1–128 characters; the first a letter or digit
  of any script or ``_``; the rest letters, digits and ``- _ . : @ + ~ ( ) （ ） ·``.
  So ``.``, ``..``, paths, whitespace, ``#``/``?``/``%`` and control characters never
  name a record.
- **Text**: no NUL anywhere (SQLite, C libraries and spreadsheets cut or choke on it).
- **Numbers**: finite, within :data:`NUMBER_RANGES` (万元 amounts up to 10¹² 万元,
  employees up to 10⁷, percentages as stated); whole numbers where a count is meant.
"""

from __future__ import annotations

import math
import re
from typing import Any

MAX_ID_CHARS = 128
ID_FIRST = r"\w"
ID_REST = r"[\w\-.:@+~()（）·]"
ID_PATTERN = rf"^{ID_FIRST}{ID_REST}{{0,{MAX_ID_CHARS - 1}}}$"
ID_RE = re.compile(ID_PATTERN)
ID_RULE = "1-128 characters: a letter, digit or _ first, then letters, digits and - _ . : @ + ~ ( ) （ ） ·"

MONEY_MAX = 1e12  # 万元: a trillion 万元 is 10^16 yuan, beyond any enterprise
# Inclusive ranges of the profile's numbers (万元, persons, %).
NUMBER_RANGES: dict[str, tuple[float, float]] = {
    "employees": (0, 10_000_000),
    "revenue": (0, MONEY_MAX),
    "total_assets": (0, MONEY_MAX),
    "rd_expense": (0, MONEY_MAX),
    "tax_paid": (0, MONEY_MAX),
    "output_value": (0, MONEY_MAX),
    "export_value": (0, MONEY_MAX),
    "investment": (0, MONEY_MAX),
    "revenue_growth": (-100.0, 1e6),
    "rd_ratio": (0.0, 1e6),
}


def id_problem(value: Any) -> str | None:
    """Say what is wrong with an id (``None`` when it is a valid id)."""
    if not isinstance(value, str):
        return f"must be a string, got {type(value).__name__}"
    if ID_RE.fullmatch(value) is None:
        if value in (".", ".."):
            return f"{value!r} is not an id ({ID_RULE})"
        bad = sorted({c for c in value if not re.fullmatch(ID_REST, c)})
        shown = ", ".join(repr(c) for c in bad[:5])
        if len(value) > MAX_ID_CHARS:
            return f"is {len(value)} characters long; an id is {ID_RULE}"
        return f"{value!r} is not an id ({ID_RULE})" + (f"; not allowed: {shown}" if bad else "")
    return None


def text_problem(value: Any) -> str | None:
    """Say what is wrong with a text value: a NUL character (``None`` when clean)."""
    if isinstance(value, str):
        at = value.find("\x00")
        if at >= 0:
            return f"contains a NUL character (U+0000) at position {at}"
    return None


def nested_text_problem(value: Any, depth: int = 0) -> str | None:
    """Like :func:`text_problem` for a JSON value of any shape (keys included), to a depth of 32."""
    if depth > 32:
        return "is nested too deeply"
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, dict):
        for key, item in value.items():
            problem = text_problem(key) or nested_text_problem(item, depth + 1)
            if problem:
                return problem
    elif isinstance(value, list | tuple):
        for item in value:
            problem = nested_text_problem(item, depth + 1)
            if problem:
                return problem
    return None


def range_problem(name: str, value: float | int | None) -> str | None:
    """Say what is wrong with a number of the profile: not finite, or out of its declared range."""
    if value is None or name not in NUMBER_RANGES:
        return None
    low, high = NUMBER_RANGES[name]
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, got {value!r}"
    if not low <= value <= high:
        return f"must be between {low:g} and {high:g}, got {_shown(value)}"
    return None


def _shown(value: float | int) -> str:
    if isinstance(value, int) and abs(value) >= 10**15:
        return f"an integer of {len(str(abs(value)))} digits"
    return f"{value:g}"
