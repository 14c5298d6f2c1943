"""Enterprise tags from a profile: industry path, qualifications, size class, region path, keywords."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EnterpriseTags:
    """What the matcher knows an enterprise by, beside its numbers."""

    industry_path: tuple[str, ...]
    industry_codes: tuple[str, ...]
    qualifications: tuple[str, ...]
    size_class: str | None
    region_path: tuple[str, ...]
    keywords: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "industry_path": list(self.industry_path),
            "industry_codes": list(self.industry_codes),
            "qualifications": list(self.qualifications),
            "size_class": self.size_class,
            "region_path": list(self.region_path),
            "keywords": list(self.keywords),
        }


def keywords(text: str, top_k: int = 12) -> tuple[str, ...]:
    """TF-IDF keywords of free text (jieba.analyse over the domain tokenizer)."""
    if not text.strip():
        return ()
    import jieba.analyse
    import jieba.posseg

    from matcher.text import get_tokenizer, normalize_text

    extractor = jieba.analyse.TFIDF()
    extractor.tokenizer = get_tokenizer()
    extractor.postokenizer = jieba.posseg.POSTokenizer(get_tokenizer())
    return tuple(extractor.extract_tags(normalize_text(text), topK=top_k))


def enterprise_tags(profile: Mapping[str, Any]) -> EnterpriseTags:
    """Tags of one profile (a Mapping in the shape of enterprise_profile.md)."""
    from corpus import reference

    code = str(profile.get("industry_code") or "")
    path = reference.industry_path(code) if code else ()
    titles = []
    for title in profile.get("qualifications") or ():
        titles.append(reference.canonical_qualification(str(title)) or str(title))
    size = profile.get("size_class")
    if size is None and code:
        size = reference.size_class(
            code, profile.get("employees"), profile.get("revenue"), profile.get("total_assets")
        )
    region = str(profile.get("region_code") or "")
    text = " ".join(str(profile.get(k) or "") for k in ("business_scope", "products", "description"))
    return EnterpriseTags(
        industry_path=tuple(i.name for i in path),
        industry_codes=tuple(i.canonical_code for i in path),
        qualifications=tuple(dict.fromkeys(titles)),
        size_class=size,
        region_path=reference.region_path(region) if region else (),
        keywords=keywords(text),
    )
