"""A learned support-type classifier (TF-IDF over jieba tokens + logistic regression), kept for comparison.

Issue 4 asks for scikit-learn where a learned piece beats a rule. Trained on
the demo generator's items (whose support type is known) it is perfect on
held-out generated items but fails on real policy text, where the keyword rule
(:func:`matcher.extraction.tags.support_types`) holds up — so the rule is what
:func:`~matcher.extraction.extract_item` uses. ``eval.extraction_eval.compare_support_types``
measures both (docs/benchmarks.md, extraction section).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from matcher.extraction.tags import support_types

# The words that say an item pays or relieves something, for :func:`support_text`.
_SUPPORT_WORD_RE = re.compile(r"奖励|补助|补贴|资助|贴息|减免")
# An amount in 元: a run of digits and dots (starting only where a run starts, and never backtracking
# into it: every start inside a run would rescan the run, quadratic on a long one), spaces, 亿/万, 元.
_AMOUNT_RE = re.compile(r"(?<![\d.])(?>\.*+\d)[\d.]*+\s*+(?:亿|万)?元")
_SENTENCE_RE = re.compile(r"[^。；;]+")
_CLAUSE_RE = re.compile(r"[^，,]+")


def support_text(text: str) -> str | None:
    r"""Return the first clause naming a support word with an amount in 元 after it, to its sentence end.

    What ``[^。；;，,]*(?:奖励|…)[^。；;]*?\d[\d.]*\s*(?:亿|万)?元[^。；;]*`` found (the matcher's
    one-line summary of what an item gives), in linear time: that pattern backtracked
    quadratically over long text without sentence punctuation (200 000 characters held the
    service for minutes). Each sentence is read once: the last amount's start decides whether
    a clause's first support word has an amount after it.
    """
    for sentence in _SENTENCE_RE.finditer(text):
        start, end = sentence.span()
        last_amount = -1
        for amount in _AMOUNT_RE.finditer(text, start, end):
            last_amount = amount.start()
        if last_amount < 0:
            continue
        for clause in _CLAUSE_RE.finditer(text, start, end):
            if clause.start() >= last_amount:
                break
            word = _SUPPORT_WORD_RE.search(text, clause.start(), clause.end())
            if word is not None and word.end() <= last_amount:
                return text[clause.start() : end].strip()
    return None


def rule_support_type(text: str) -> str | None:
    """Return the rule's single support type of an item: the first type whose words it uses, or None."""
    found = support_types(text)
    return found[0] if found else None


def _tokens(text: str) -> list[str]:
    from matcher.text import tokenize

    # Numbers say how much, not what kind of support: one token for all of them.
    return [re.sub(r"\d+(?:\.\d+)?", "<n>", t) for t in tokenize(text)]


@dataclass
class SupportTypeClassifier:
    """TF-IDF (jieba tokens with the domain dictionary, uni- and bigrams) + logistic regression."""

    c: float = 10.0
    min_df: int = 2
    vectorizer_: Any = field(default=None, repr=False)
    model_: Any = field(default=None, repr=False)

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> SupportTypeClassifier:
        """Fit on item texts and their support types."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        if len(texts) != len(labels) or not texts:
            raise ValueError("fit needs as many labels as texts, and at least one of each")
        self.vectorizer_ = TfidfVectorizer(
            tokenizer=_tokens,
            lowercase=False,
            token_pattern=None,
            ngram_range=(1, 2),
            min_df=self.min_df,
            sublinear_tf=True,
        )
        features = self.vectorizer_.fit_transform(texts)
        self.model_ = LogisticRegression(C=self.c, max_iter=2000).fit(features, list(labels))
        return self

    def predict(self, texts: Sequence[str]) -> list[str]:
        """Predict one support type per text."""
        if self.model_ is None:
            raise RuntimeError("SupportTypeClassifier.predict called before fit")
        return [str(label) for label in self.model_.predict(self.vectorizer_.transform(texts))]
