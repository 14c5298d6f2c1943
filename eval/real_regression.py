"""The CI fast slice: labelled tune clauses the extractor must keep extracting exactly as labelled.

``regression.json`` lists ``tune`` items whose labelled leaves (conditions,
tiers, any groups flattened) the extractor reproduces exactly today — field,
op, value and role, free-text leaves by kind and count — read from the item's
own text with the document's source metadata. Only items it already gets right
are listed, so the suite stays green; ``python -m eval.real_regression``
adds the items that have become right (the list only grows; an item that
stops extracting as labelled fails ``tests/eval/test_real_regression.py``).
Thresholds of the whole measure live in ``docs/benchmarks.md``, not here.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.real_corpus import SET_DIR, Corpus, LabelledItem, load_corpus
from eval.real_eval import Comparison, compare, flatten

REGRESSION_PATH = SET_DIR / "regression.json"


def extract_leaves(corpus: Corpus, item: LabelledItem) -> Comparison:
    """Extract the item's text as the service would store it and compare with its labels (governing clauses aside)."""
    from matcher.extraction import extract_item

    document = corpus.documents[item.doc]
    extraction = extract_item(
        item.text,
        department=document.source.department,
        issued=document.record.get("as_of") or document.source.issued,
    )
    true = flatten(item.record.get("conditions") or [])
    for n, tier in enumerate(item.record.get("tiers") or []):
        true += flatten(tier.get("conditions") or [], f"tier#{n}")
    if item.record.get("for_enterprises") is False or document.record.get("is_policy") is False:
        true = []
    return compare(true, flatten(_served(extraction)))


def _served(extraction: Any) -> Sequence[Any]:
    """Return what the store keeps of an extraction: its v2 entries, as ingest stores them."""
    from corpus.store.policy_tables import extracted_entries

    return tuple(extracted_entries(extraction))


def exact(comparison: Comparison) -> bool:
    """Say whether nothing is missed, extra, wrong or structured differently."""
    c = comparison
    return not (c.missed or c.extra or c.wrong_value or c.wrong_op or c.structure_errors)


def passing_items(corpus: Corpus) -> list[str]:
    """Tune items with at least one labelled leaf that extract exactly as labelled."""
    out = []
    for item in corpus.items:
        if item.split != "tune":
            continue
        comparison = extract_leaves(corpus, item)
        if comparison.tp and exact(comparison):
            out.append(item.id)
    return out


def read_regression(path: Path = REGRESSION_PATH) -> list[str]:
    """Read the listed item ids (empty when the file is absent)."""
    if not path.is_file():
        return []
    return list(json.loads(path.read_text(encoding="utf-8"))["items"])


def update(path: Path = REGRESSION_PATH, corpus: Corpus | None = None) -> dict[str, Any]:
    """Add every tune item that now extracts exactly; keep the ones listed before."""
    corpus = corpus or load_corpus()
    before = read_regression(path)
    now = passing_items(corpus)
    items = sorted(set(before) | set(now))
    body = {
        "about": "tune items whose labelled leaves the extractor reproduces exactly (eval/real_regression.py); "
        "the list only grows",
        "items": items,
    }
    path.write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return {
        "listed": len(items),
        "added": len(set(now) - set(before)),
        "tune_items": sum(i.split == "tune" for i in corpus.items),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite regression.json from the labels and the extractor at hand."""
    del argv
    sys.stdout.write(json.dumps(update()) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
