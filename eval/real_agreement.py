"""Agreement between two independent labellings of the real corpus's double-labelled sample.

The sample (``second_sample.json``) is about 10 % of the documents, chosen by a
hash of the document key within each (source, split) stratum, so every source
and split is in it and no one picks which documents are read twice. A second
reader labels those documents into ``labels/second/*.jsonl`` (same format,
without seeing the first labels); :func:`agreement` then reports

- **item boundaries**: items of the two readers paired by character overlap
  (intersection over union ≥ 0.5); precision / recall / F1 of the pairing and
  the mean overlap of the pairs;
- **conditions**: F1 between readers over (field, op, value) of the leaves of
  paired items (free-text leaves by kind and count, as extraction is scored),
  plus agreement on the document facts (is_policy, doc_type, region_code);
- **verdicts**: Cohen's kappa of the 3-way verdicts the reference evaluator
  gives every (profile, paired item) under each reader's labels, and the
  second reader's eligible precision / recall taken against the first — the
  same figures the service is scored by, so a goal can be read against what
  two people reading the same text reach;
- **whom an item is for**: how often the readers agree on ``for_enterprises``
  (the offering decision) over paired items.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.real_corpus import SET_DIR, Corpus, LabelledItem
from eval.real_eval import compare, labelled_leaves
from eval.reference_verdicts import judge_pair

SAMPLE_PATH = SET_DIR / "second_sample.json"
SECOND_DIR = SET_DIR / "labels" / "second"
FRACTION = 0.10
IOU_PAIRED = 0.5


def sample_rank(doc_key: str) -> str:
    """Return the hash that orders documents within a stratum (salted, so it is not the split's hash)."""
    return hashlib.sha256(f"second-reader:{doc_key}".encode()).hexdigest()


def choose_sample(strata: Mapping[str, str], fraction: float = FRACTION) -> list[str]:
    """Choose the documents to label twice: the first ceil(fraction·n) by :func:`sample_rank` of each stratum."""
    groups: dict[str, list[str]] = defaultdict(list)
    for key, stratum in strata.items():
        groups[stratum].append(key)
    chosen = []
    for stratum in sorted(groups):
        keys = sorted(groups[stratum], key=sample_rank)
        chosen += keys[: math.ceil(fraction * len(keys))]
    return sorted(chosen)


def read_sample(path: Path = SAMPLE_PATH) -> list[str]:
    """Read the committed sample's document keys."""
    return list(json.loads(path.read_text(encoding="utf-8"))["documents"])


def _iou(a: LabelledItem, b: LabelledItem) -> float:
    inter = min(a.end, b.end) - max(a.start, b.start)
    if inter <= 0:
        return 0.0
    return inter / (max(a.end, b.end) - min(a.start, b.start))


def pair_items(
    first: Sequence[LabelledItem], second: Sequence[LabelledItem]
) -> list[tuple[LabelledItem, LabelledItem, float]]:
    """Greedy one-to-one pairing by overlap (highest first), pairs with IoU ≥ 0.5."""
    candidates = sorted(
        ((_iou(a, b), n, m) for n, a in enumerate(first) for m, b in enumerate(second)), reverse=True
    )
    used_a, used_b, pairs = set(), set(), []
    for iou, n, m in candidates:
        if iou < IOU_PAIRED:
            break
        if n in used_a or m in used_b:
            continue
        used_a.add(n)
        used_b.add(m)
        pairs.append((first[n], second[m], iou))
    return pairs


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Cohen's kappa of two labellings of the same cases (1.0 when both are constant and equal)."""
    n = len(a)
    if not n:
        return float("nan")
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    if expected >= 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return (observed - expected) / (1 - expected)


def agreement(
    first: Corpus, second: Corpus, profiles: Sequence[Mapping[str, Any]], sample: Iterable[str] | None = None
) -> dict[str, Any]:
    """Item-boundary agreement, condition F1 between readers, fact agreement and kappa on pair verdicts."""
    keys = sorted(set(first.documents) & set(second.documents) & set(sample or first.documents))
    n_first = n_second = 0
    ious: list[float] = []
    tp = fp = fn = 0
    verdicts_a: list[str] = []
    verdicts_b: list[str] = []
    facts: Counter[str] = Counter()
    offered_same = 0
    for key in keys:
        doc_a, doc_b = first.documents[key].record, second.documents[key].record
        for fact in ("is_policy", "doc_type", "region_code"):
            facts[fact] += doc_a.get(fact) == doc_b.get(fact)
        items_a, items_b = first.items_of(key), second.items_of(key)
        n_first += len(items_a)
        n_second += len(items_b)
        for a, b, iou in pair_items(items_a, items_b):
            ious.append(iou)
            offered_same += a.for_enterprises == b.for_enterprises
            c = compare(labelled_leaves(a.record, doc_a), labelled_leaves(b.record, doc_b))
            tp += len(c.tp)
            fn += len(c.missed) + len(c.wrong_value) + len(c.wrong_op)
            fp += len(c.extra) + len(c.wrong_value) + len(c.wrong_op)
            for profile in profiles:
                verdicts_a.append(judge_pair(doc_a, a.record, profile).verdict)
                verdicts_b.append(judge_pair(doc_b, b.record, profile).verdict)
    paired = len(ious)
    bp = paired / n_second if n_second else 0.0
    br = paired / n_first if n_first else 0.0
    both = sum(x == y == "eligible" for x, y in zip(verdicts_a, verdicts_b, strict=True))
    said_b, said_a = verdicts_b.count("eligible"), verdicts_a.count("eligible")
    cp = tp / (tp + fp) if tp + fp else 0.0
    cr = tp / (tp + fn) if tp + fn else 0.0
    return {
        "documents": len(keys),
        "sample": len(list(sample)) if sample is not None else None,
        "items_first": n_first,
        "items_second": n_second,
        "items_paired": paired,
        "boundary_precision": bp,
        "boundary_recall": br,
        "boundary_f1": 2 * bp * br / (bp + br) if bp + br else 0.0,
        "mean_iou": sum(ious) / paired if paired else 0.0,
        "condition_precision": cp,
        "condition_recall": cr,
        "condition_f1": 2 * cp * cr / (cp + cr) if cp + cr else 0.0,
        "facts_agreement": {k: v / len(keys) for k, v in facts.items()} if keys else {},
        "verdict_pairs": len(verdicts_a),
        "verdict_agreement": (
            sum(x == y for x, y in zip(verdicts_a, verdicts_b, strict=True)) / len(verdicts_a)
            if verdicts_a
            else 0.0
        ),
        "verdict_kappa": cohen_kappa(verdicts_a, verdicts_b),
        # The second reader scored as the service is, against the first: eligible precision and recall.
        "eligible_pairs_first": said_a,
        "eligible_pairs_second": said_b,
        "eligible_precision": both / said_b if said_b else 0.0,
        "eligible_recall": both / said_a if said_a else 0.0,
        "for_enterprises_agreement": offered_same / paired if paired else 0.0,
    }


def summary_markdown(result: Mapping[str, Any]) -> str:
    """Render the agreement figures as a Markdown table."""
    from eval.report import markdown_table

    rows = [
        ["documents labelled twice", result["documents"]],
        ["items (first / second / paired)", f"{result['items_first']} / {result['items_second']} / {result['items_paired']}"],
        ["item-boundary F1 (mean IoU of pairs)", f"{result['boundary_f1']:.3f} ({result['mean_iou']:.3f})"],
        ["condition F1 between readers", f"{result['condition_f1']:.3f}"],
        ["document facts agree (is_policy / doc_type / region)", " / ".join(f"{v:.2f}" for v in result["facts_agreement"].values())],
        ["pair verdicts agree", f"{result['verdict_agreement']:.3f} over {result['verdict_pairs']} pairs"],
        ["Cohen's kappa of pair verdicts", f"{result['verdict_kappa']:.3f}"],
        ["second reader's eligible precision / recall against the first (eligible pairs: first / second)",
         f"{result['eligible_precision']:.3f} / {result['eligible_recall']:.3f} "
         f"({result['eligible_pairs_first']} / {result['eligible_pairs_second']})"],
        ["paired items whose for_enterprises agrees", f"{result['for_enterprises_agreement']:.3f}"],
    ]  # fmt: skip
    return markdown_table(["agreement", "value"], rows)


def write_sample(first: Corpus, path: Path = SAMPLE_PATH) -> list[str]:
    """Choose the sample over the documents labelled so far and commit it as JSON."""
    strata = {k: f"{d.source.source}/{d.split}" for k, d in first.documents.items()}
    chosen = choose_sample(strata)
    body = {
        "about": "Documents a second reader labels independently (labels/second/*.jsonl): ceil(10 %) of each "
        "(source, split) stratum of the documents labelled when it was chosen, ordered by "
        "sha256('second-reader:' + key). Fixed: do not re-choose after seeing labels.",
        "chosen_over": len(strata),
        "strata": dict(sorted(Counter(strata.values()).items())),
        "documents": chosen,
    }
    path.write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return chosen
