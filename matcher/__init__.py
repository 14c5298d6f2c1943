"""Reads meaning: extraction and tags, retrieval (BM25, FAISS), eligibility verdicts, 智能匹配 / 精准推送."""

# Installs how the store forms an enterprise's query tokens (corpus.store.derived), whichever part of
# the matcher a process imports first.
import matcher.query_tokens  # noqa: E402, F401
