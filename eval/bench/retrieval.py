"""``policymatch bench retrieval``: fusion on the NCP questions, filtered vector search recall, BM25 speed.

:func:`ncp_section` compares BM25, dense and fusions on the NCP policy questions
(``../shared/data/retrieval/ncp_policies``, never shipped): the questions are
split by answering document into a tuning half and a test half; weights are
chosen on the tuning half only and every system is reported on the test half.
:func:`filtered_section` measures recall of the FAISS index against exact
(filtered) search at several filter selectivities.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from eval.bench.filtered import bench_cutover, bench_filtered_search, filtered_markdown
from eval.bench.lexical import bench_bm25
from eval.bench.ncp import load_ncp
from eval.bench.ncp_eval import evaluate_ncp
from eval.bench.retrieval_report import retrieval_markdown
from models.encoder import Encoder


def ncp_section(
    folder: Path, encoder: Encoder, max_chunks: int, machine: str, log: Callable[[str], None] = print
) -> str:
    """Measure the NCP comparison and BM25 speed; returns the ``retrieval`` section."""
    if not (folder / "docs.jsonl").exists():
        raise FileNotFoundError(f"{folder / 'docs.jsonl'}: NCP set not found; pass --ncp DIR")
    report = evaluate_ncp(folder, encoder, max_chunks=max_chunks, log=log)
    lexical = bench_bm25(load_ncp(folder))
    return retrieval_markdown(report, lexical, machine, encoder.model_id)


def filtered_section(n_vectors: int, machine: str, log: Callable[[str], None] = print) -> str:
    """Measure filtered FAISS recall and the exact-search cut-over; returns the ``filtered-search`` section."""
    from matcher.vector_index.faiss_index import EXACT_CUTOVER

    rows, timings = bench_filtered_search(n=n_vectors, log=log)
    cutover = bench_cutover(n=n_vectors)
    text = filtered_markdown(rows, timings, cutover, machine, n_vectors, 384)
    return text + f"\n\nServed `EXACT_CUTOVER` = {EXACT_CUTOVER:,}."
