"""A stored enterprise's BM25 query tokens, cut when its profile is written, serve its match (issue 19, v30).

On the real service (SQLite store, the test encoder, BM25 and passage indexes) over the hand-written corpus of
:mod:`service_corpus`: the tokens the store keeps are the ones the index would cut, a match of a stored
enterprise cuts nothing, and tokens of another tokenizer version or of another query text are not used
(the query is cut, as before); the answers are the same either way.
"""

from __future__ import annotations

import pytest
from service_corpus import ENTERPRISES

from corpus.schemas import validate_profile
from matcher import item_index
from matcher.encoder_text import query_text
from matcher.query_tokens import query_hash, stored_form, stored_version, tokens_of, tokens_version


def _answer(matcher, enterprise_id):
    out = matcher.match(enterprise_id=enterprise_id, top_k=50).to_dict()
    out["index"] = ""
    return out


@pytest.fixture
def cuts(monkeypatch):
    """Count the queries the item index cuts itself (every match that does not use stored tokens)."""
    counted = []
    original = item_index.ItemIndex._query_terms

    def counting(self, retriever, query):
        counted.append(query)
        return original(self, retriever, query)

    monkeypatch.setattr(item_index.ItemIndex, "_query_terms", counting)
    return counted


def _set_tokens(matcher, enterprise_id, value):
    with matcher.store.transaction():
        matcher.store._conn().execute(
            "UPDATE enterprises SET query_tokens = ? WHERE id = ?", (value, enterprise_id)
        )


def test_stored_tokens_are_the_ones_the_index_cuts(matcher):
    retriever = matcher.index.retriever
    version = matcher.index._tokens_version(retriever)
    for enterprise in ENTERPRISES:
        found, stored = matcher.store.get_enterprise_for_match(enterprise["id"])
        query = query_text(found.to_dict())
        assert stored_version(stored) == version
        assert tokens_of(stored, query, version) == retriever.query_terms(query)


def test_match_of_a_stored_enterprise_uses_its_tokens_and_answers_the_same(matcher, cuts, monkeypatch):
    with_tokens = {e["id"]: _answer(matcher, e["id"]) for e in ENTERPRISES}
    assert cuts == []  # no query cut: every one was stored
    # Ad-hoc profiles have none: cut on the request.
    matcher.match(profile={k: v for k, v in ENTERPRISES[0].items() if k != "id"})
    assert len(cuts) == 1
    # The same answers when the query is cut instead (no tokens stored, none remembered by the index).
    for enterprise in ENTERPRISES:
        _set_tokens(matcher, enterprise["id"], None)
    matcher.index._tokens.clear()
    try:
        assert {e["id"]: _answer(matcher, e["id"]) for e in ENTERPRISES} == with_tokens
        assert len(cuts) == 1 + len(ENTERPRISES)
    finally:
        matcher.store.upsert_enterprises([validate_profile(e) for e in ENTERPRISES])  # cut again (stale)
    cuts.clear()
    _answer(matcher, "E1")
    assert cuts == []


def test_tokens_of_another_version_or_query_are_not_used(matcher, cuts):
    expected = _answer(matcher, "E1")
    found, stored = matcher.store.get_enterprise_for_match("E1")
    version, digest, tokens = stored.split("|", 2)
    # Another tokenizer's tokens (a changed dictionary), then tokens of another query text: both
    # would change the answer if used (they name a word of another trade), neither is.
    for wrong in (f"qt0.old|{digest}|医疗器械 医疗器械", f"{version}|{query_hash('另一段文字')}|医疗器械"):
        _set_tokens(matcher, "E1", wrong)
        matcher.index._tokens.clear()
        cuts.clear()
        assert _answer(matcher, "E1") == expected
        assert len(cuts) == 1
    # Tokens cut for another analyzer (an index built with ``words`` only) are not this index's.
    assert tokens_of(stored, query_text(found.to_dict()), tokens_version("words", True)) is None
    matcher.store.upsert_enterprises([found])  # unchanged profile, stale tokens: cut anew
    assert matcher.store.get_enterprise_for_match("E1")[1] == stored == stored_form(found.to_dict())
