"""An enterprise's BM25 query tokens kept with its profile (``enterprises.query_tokens``), on both backends.

The store cuts them when a profile is written (``matcher.query_tokens``), so a first 智能匹配 reads them
with the profile instead of cutting the query with jieba; stale or missing tokens are cut anew by the
next upsert of the profile, even unchanged. Profiles are the store tests' own (``store_records.profile``).
"""

from __future__ import annotations

from store_records import profile

from matcher.encoder_text import query_text
from matcher.lexical import DEFAULT_ANALYZER
from matcher.query_tokens import cut_query, default_version, stored_version, tokens_of


def _tokens(store, enterprise_id):
    """The query tokens of the default analyzer as a match reads them from the store (None: not usable)."""
    found, stored = store.get_enterprise_for_match(enterprise_id)
    return tokens_of(stored, query_text(found.to_dict()), default_version())


def test_tokens_written_on_create_and_read_with_the_profile(store, backend):
    # A question word (dropped from queries) and full-width letters and digits (normalised) in the query.
    written = profile(
        "e1", business_scope="汽车零部件制造；技术开发；如何都做ＡＢＣ１２３", products="刹车片"
    )
    store.upsert_enterprises([written])
    found, stored = store.get_enterprise_for_match("e1")
    assert found == written
    assert stored_version(stored) == default_version()
    expected = cut_query(query_text(written.to_dict()), DEFAULT_ANALYZER, True)
    assert _tokens(store, "e1") == expected and "刹车片" in expected and "abc123" in expected
    assert "如何" not in expected
    assert backend.rows("SELECT query_tokens FROM enterprises WHERE id = 'e1'") == [(stored,)]
    assert store.get_enterprise_for_match("nobody") is None


def test_tokens_follow_a_changed_profile(store):
    store.upsert_enterprises([profile("e1", business_scope="汽车零部件制造")])
    before = store.enterprise_snapshot_id("e1")
    store.upsert_enterprises([profile("e1", business_scope="医疗器械研发")])
    assert store.enterprise_snapshot_id("e1") != before
    tokens = _tokens(store, "e1")
    assert "医疗器械" in tokens and "汽车零部件" not in tokens


def test_missing_or_stale_tokens_are_cut_by_the_next_upsert_without_a_snapshot(store, backend):
    written = profile("e1", business_scope="软件开发")
    store.upsert_enterprises([written, profile("e2", business_scope="服装加工")])
    # e1 as a row written before v30 (no tokens), e2 as cut by another tokenizer version.
    backend.write(
        [
            "UPDATE enterprises SET query_tokens = NULL WHERE id = 'e1'",
            "UPDATE enterprises SET query_tokens = 'qt0.old|0|软件' WHERE id = 'e2'",
        ]
    )
    assert _tokens(store, "e1") is None and _tokens(store, "e2") is None
    snapshots = (store.enterprise_snapshot_id("e1"), store.enterprise_snapshot_id("e2"))
    counts = store.upsert_enterprises([written, profile("e2", business_scope="服装加工")])
    assert counts.unchanged == 2 and counts.inserted == counts.updated == 0
    assert (store.enterprise_snapshot_id("e1"), store.enterprise_snapshot_id("e2")) == snapshots
    assert "软件开发" in _tokens(store, "e1") and "服装" in "".join(_tokens(store, "e2"))


def test_refresh_recuts_every_missing_or_stale_row_and_only_those(store, backend):
    """What ``policymatch index build`` runs after an upgrade: no profile is re-sent, no snapshot is made."""
    store.upsert_enterprises(
        [profile("e1", business_scope="软件开发"), profile("e2", business_scope="服装加工"), profile("e3")]
    )
    current = backend.rows("SELECT query_tokens FROM enterprises WHERE id = 'e3'")
    backend.write(
        [
            "UPDATE enterprises SET query_tokens = NULL WHERE id = 'e1'",
            "UPDATE enterprises SET query_tokens = 'qt0.old|0|服装' WHERE id = 'e2'",
        ]
    )
    snapshots = [store.enterprise_snapshot_id(e) for e in ("e1", "e2", "e3")]
    assert store.refresh_query_tokens(batch_size=2) == 2  # two pages of keyset reading
    assert "软件开发" in _tokens(store, "e1") and "服装" in "".join(_tokens(store, "e2"))
    assert backend.rows("SELECT query_tokens FROM enterprises WHERE id = 'e3'") == current
    assert [store.enterprise_snapshot_id(e) for e in ("e1", "e2", "e3")] == snapshots
    assert store.refresh_query_tokens() == 0  # all current now


def test_the_store_imports_no_matcher_and_writes_no_tokens_until_the_matcher_says_how(tmp_path):
    """``corpus/`` knows nothing above it: in a process that never imported ``matcher`` profiles are stored without
    tokens (a match then cuts the query itself), and stored ones are left alone."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    script = f"""
import sys
sys.path[:0] = [{str(root)!r}, {str(root / "tests" / "corpus")!r}]
from store_records import profile
from corpus.store import open_store
store = open_store({str(tmp_path / "s.db")!r})
counts = store.upsert_enterprises([profile("e1", business_scope="软件开发")])
assert counts.inserted == 1, counts
assert store.get_enterprise_for_match("e1")[1] is None
assert store.refresh_query_tokens() == 0
print(sorted(m for m in sys.modules if m == "matcher" or m.startswith("matcher.")))
import matcher  # installs how tokens are formed
assert store.refresh_query_tokens() == 1
assert store.get_enterprise_for_match("e1")[1] is not None
store.close()
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"  # the store wrote and read profiles without the matcher
