"""The one text builder: what the encoder and BM25 read of an enterprise or a policy item.

Serving (智能匹配, 精准推送), semantic judging (:mod:`matcher.semantic`) and
training (:mod:`eval.training`) all build their texts here, so the model is
fine-tuned on text shaped like the text it serves:

- :func:`profile_text`: an enterprise as the encoder reads it (the dense query of
  智能匹配, the side of a semantic condition, the enterprise of a training pair);
- :func:`query_text`: an enterprise as BM25 reads it (the lexical query of 智能匹配);
- :func:`item_text`: a policy item as indexed (BM25, passages, dense windows) and trained on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Registration boilerplate of a 经营范围 that says nothing about what an enterprise does.
_BOILERPLATE = re.compile(
    r"[（(]\s*(?:除依法须经批准的项目外|依法须经批准的项目)[^）)]*[）)]|(?:一般项目|许可项目|经营范围)\s*[:：]"
)
# Characters of text an enterprise is judged on: enough for what it does, short enough to encode fast.
PROFILE_TEXT_CHARS = 160
# Characters of an enterprise's BM25 query.
QUERY_TEXT_CHARS = 1000


def _field_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value or "")


def profile_text(profile: Mapping[str, Any]) -> str:
    """Return what the encoder reads of an enterprise: products, then business scope without boilerplate."""
    parts = [
        _BOILERPLATE.sub("", _field_text(profile.get(f))).strip(" ；;。，,")
        for f in ("products", "business_scope")
    ]
    return "；".join(p for p in parts if p)[:PROFILE_TEXT_CHARS]


def query_text(profile: Mapping[str, Any]) -> str:
    """Return what BM25 reads of an enterprise: name, industry name, scope, products, qualifications."""
    industry = str(profile.get("industry_code") or "")
    try:
        from corpus import reference

        industry_name = (reference.industry_name(industry) if industry else None) or ""
    except Exception:  # noqa: BLE001 - a missing table only loses a word of the query
        industry_name = ""
    parts = [
        str(profile.get("name") or ""),
        industry_name,
        _field_text(profile.get("business_scope")),
        _field_text(profile.get("products")),
        " ".join(str(q) for q in profile.get("qualifications") or ()),
    ]
    return " ".join(p for p in parts if p.strip())[:QUERY_TEXT_CHARS]


def item_text(title: str, text: str) -> str:
    """Return what is indexed of a policy item (or a retrieval document): its title first unless the text holds it."""
    return f"{title}\n{text}" if title and title not in text else text


def dense_text(profile: Mapping[str, Any]) -> str:
    """Return the enterprise's dense query in 智能匹配 and in training pairs: its profile text, else its BM25 query."""
    return dense_of(profile_text(profile), query_text(profile))


def dense_of(own_text: str, query: str) -> str:
    """Return :func:`dense_text` from the two texts already built (``profile_text``, ``query_text``)."""
    return own_text or query
