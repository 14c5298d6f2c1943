"""Counts of the real corpus (documents, items, shapes per split and source) and their markdown."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from eval.real_corpus.base import SPLITS, _iter_leaves

if TYPE_CHECKING:  # records imports this module for Corpus.counts
    from eval.real_corpus.records import Corpus, LabelledDocument

# --- counts ------------------------------------------------------------------------------------


def item_shapes(item: Mapping[str, Any], document: Mapping[str, Any]) -> set[str]:
    """Return the hard shapes an item's labels hold (any, tiers, bonus, exclude, …) for the corpus report."""
    shapes: set[str] = set()
    nodes = list(item.get("conditions") or [])
    for tier in item.get("tiers") or []:
        nodes += tier.get("conditions") or []
    if item.get("tiers"):
        shapes.add("tiers")
    for node in nodes:
        if isinstance(node, Mapping) and "any" in node:
            shapes.add("any")
        if isinstance(node, Mapping) and node.get("role") in ("bonus", "exclude"):
            shapes.add(str(node["role"]))
    for leaf in _iter_leaves(nodes):
        if leaf.get("role") in ("bonus", "exclude"):
            shapes.add(str(leaf["role"]))
        if leaf.get("field") in ("credit_status", "major_violation"):
            shapes.add("失信/违法")
        if leaf.get("field") == "undecidable":
            shapes.add("undecidable")
        if leaf.get("op") == "semantic":
            shapes.add("semantic")
        if leaf.get("field") == "qualifications":
            shapes.add("qualifications")
    if item.get("for_enterprises") is False:
        shapes.add("not_for_enterprises")
    if not nodes and item.get("for_enterprises") is not False and document.get("is_policy") is not False:
        shapes.add("no_conditions")
    return shapes


def issuer_count(docs: Iterable[LabelledDocument]) -> int:
    """Return how many distinct issuers (the labelled issuer, else the department) the documents have."""
    return len({str(d.record.get("issuer") or d.record.get("department")) for d in docs})


def corpus_counts(corpus: Corpus) -> dict[str, Any]:
    """Count the corpus (a JSON-ready dict)."""
    docs = corpus.documents.values()
    shapes: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for item in corpus.items:
        document = corpus.documents[item.doc].record
        shapes.update(item_shapes(item.record, document))
        nodes = list(item.record.get("conditions") or [])
        for tier in item.record.get("tiers") or []:
            nodes += tier.get("conditions") or []
        leaves.update(f"{leaf.get('field')}/{leaf.get('op')}" for leaf in _iter_leaves(nodes))
    doc_shapes: Counter[str] = Counter()
    for d in docs:
        r = d.record
        doc_shapes["non-policy"] += r.get("is_policy") is False
        doc_shapes["governs"] += bool(r.get("governs"))
        doc_shapes["governs_conditions"] += bool(r.get("governs_conditions"))
        doc_shapes["valid_until"] += bool(r.get("valid_until"))
        doc_shapes["valid_from"] += bool(r.get("valid_from"))
        doc_shapes["window"] += bool(r.get("window"))
        doc_shapes["regional"] += bool(r.get("region_code"))
        doc_shapes["fulfilment_mode"] += bool(r.get("fulfilment_mode"))
    per_split = {
        s: {
            "documents": sum(d.split == s for d in docs),
            "items": sum(i.split == s for i in corpus.items),
        }
        for s in SPLITS
    }
    return {
        "documents": len(corpus.documents),
        "items": len(corpus.items),
        "issuers": issuer_count(docs),
        "sources": dict(Counter(d.source.source for d in docs)),
        "splits": per_split,
        "labellers": dict(Counter(str(d.record.get("labeller")) for d in docs)),
        "doc_types": dict(Counter(str(d.record.get("doc_type")) for d in docs)),
        "document_shapes": dict(doc_shapes),
        "item_shapes": dict(shapes.most_common()),
        "leaves": sum(leaves.values()),
        "leaf_kinds": dict(leaves.most_common()),
        "problems": len(corpus.problems),
        "files": list(corpus.files),
        "sha256": corpus.sha256,
    }


def summary_markdown(counts: Mapping[str, Any]) -> str:
    """Render the corpus counts as a short Markdown block."""
    splits = ", ".join(f"{s} {v['documents']} docs / {v['items']} items" for s, v in counts["splits"].items())
    shapes = ", ".join(f"{k} {v}" for k, v in counts["item_shapes"].items())
    doc_shapes = ", ".join(f"{k} {v}" for k, v in counts["document_shapes"].items())
    return (
        f"**{counts['documents']} documents, {counts['items']} items, {counts['issuers']} issuers** "
        f"(sources {counts['sources']}); splits: {splits}.\n\n"
        f"Item shapes: {shapes}.\n\nDocument facts: {doc_shapes}.\n\n"
        f"{counts['leaves']} labelled leaves; {counts['problems']} records left out by checks."
    )
