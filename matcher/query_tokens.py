"""The BM25 query's tokens of a stored enterprise, made when its profile is written, not on its first match.

An enterprise's lexical query (:func:`matcher.encoder_text.query_text`) is cut by jieba on
its first 智能匹配 in a process (≈ 0.3 ms of CPU, docs/benchmarks.md ``v30``). The store
keeps the tokens with the profile instead (``enterprises.query_tokens``, written by
``upsert_enterprises``), and a match reads them with the profile.

The stored form is one text: ``<version>|<query hash>|<tokens, space-separated>``.

- The version (:func:`tokens_version`) names what the tokens depend on besides the query text: the
  analyzer and question-word option they were cut for, jieba's version, the domain dictionary,
  the stop and question words, and :data:`FORMAT` (bump it when the tokenising code changes).
- The query hash is of the query text the tokens were cut from: a match builds the query text
  anyway, and uses the tokens only when its hash agrees (a profile changed behind the store's
  back, or ``query_text`` built another way, falls back to cutting the text).

Tokens never hold a space (jieba's blocks hold none and :func:`matcher.text.tokenize` strips
its tokens), so a space separates them; a token that did would leave the enterprise without
stored tokens (it is cut on the request, as before).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from corpus.store.derived import QueryTokens, install_query_tokens

#: Bump when the code that cuts a query changes (the dictionary and word lists are hashed already).
FORMAT = "qt1"
_SEP = "|"


@lru_cache(maxsize=8)
def tokens_version(analyzer: str, query_stopwords: bool) -> str:
    """Return a short name of what tokens of ``analyzer`` (question words dropped or not) depend on."""
    import jieba

    from matcher import text

    digest = hashlib.sha256()
    for part in (
        FORMAT,
        analyzer,
        str(bool(query_stopwords)),
        jieba.__version__,
        str(text._LONG_WORD_FREQ),
        str(text._SHORT_WORD_FREQ),
        "\n".join(text.domain_terms()),
        "\n".join(sorted(text.STOPWORDS)),
        "\n".join(text.QUESTION_WORDS),
    ):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return f"{FORMAT}.{digest.hexdigest()[:16]}"


def default_version() -> str:
    """:func:`tokens_version` of what the store cuts for: the default analyzer, question words dropped."""
    from matcher.lexical import DEFAULT_ANALYZER

    return tokens_version(DEFAULT_ANALYZER, True)


def query_hash(query: str) -> str:
    """Return a short hash of a query text (what stored tokens were cut from)."""
    return hashlib.blake2b(query.encode("utf-8"), digest_size=8).hexdigest()


def cut_query(query: str, analyzer: str, query_stopwords: bool) -> list[str]:
    """Cut ``query`` as a :class:`~matcher.lexical.BM25Index` of ``analyzer`` does (its ``query_tokens``)."""
    from matcher.lexical import ANALYZERS
    from matcher.text import strip_question_words

    return ANALYZERS[analyzer](strip_question_words(query) if query_stopwords else query)


def stored_form(
    profile: Mapping[str, Any], analyzer: str | None = None, query_stopwords: bool = True
) -> str | None:
    """Return the stored form of a profile's query tokens (None when a token holds the separator)."""
    from matcher.encoder_text import query_text
    from matcher.lexical import DEFAULT_ANALYZER

    analyzer = analyzer or DEFAULT_ANALYZER
    query = query_text(profile)
    tokens = cut_query(query, analyzer, query_stopwords)
    if any(" " in t or not t for t in tokens):
        return None
    return _SEP.join((tokens_version(analyzer, query_stopwords), query_hash(query), " ".join(tokens)))


def is_current(stored: str | None, profile: Mapping[str, Any]) -> bool:
    """Tell whether ``stored`` holds the profile's query tokens as the store cuts them now (version and query text)."""
    from matcher.encoder_text import query_text

    parts = stored.split(_SEP, 2) if stored else ()
    return len(parts) == 3 and parts[0] == default_version() and parts[1] == query_hash(query_text(profile))


def current_form(stored: str | None, profile: Mapping[str, Any]) -> str | None:
    """Return the stored form a profile's tokens should have now: ``stored`` itself while it is current."""
    return stored if is_current(stored, profile) else stored_form(profile)


def stored_version(stored: str | None) -> str | None:
    """Return the version a stored form was made with (None when there is none)."""
    return stored.split(_SEP, 1)[0] if stored else None


def tokens_of(stored: str | None, query: str, version: str | None) -> Sequence[str] | None:
    """Return the stored tokens when they were cut from ``query`` under ``version``; None: cut the query instead."""
    if not stored or version is None:
        return None
    parts = stored.split(_SEP, 2)
    if len(parts) != 3 or parts[0] != version or parts[1] != query_hash(query):
        return None
    return parts[2].split(" ") if parts[2] else []


# The store keeps the tokens with the profile; it cannot import this layer, so this layer tells it how.
install_query_tokens(QueryTokens(stored_form=stored_form, current_form=current_form))
