"""Reads meaning: extraction and tags, retrieval (BM25, FAISS), eligibility verdicts, 智能匹配 / 精准推送."""
