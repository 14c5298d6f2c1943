"""Training data for retraining: pairs from labelled sets and feedback, with BM25 hard negatives.

Retraining end to end is pairs (here) → fine-tune → register → evaluate (:mod:`eval.retrain`),
then before / after on every system (:mod:`eval.training_compare`) and the written verdict
(:mod:`eval.training_report`). Training pairs come only from the training side of each set's split by document (checked by
:mod:`eval.leakage`); hard negatives are mined with BM25 among training documents only, so no
text of a test document is seen in training. The new version is registered with its parent,
data checksums and training config, exported to ONNX fp32 + int8, and evaluated — together
with the active version — on the held-out parts of the same sets; the evaluations go into both
manifests, where ``policymatch models promote`` reads them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from durable import sha256_file
from eval.compare import (
    DEFAULT_MAX_CHARS,
    BM25System,
    doc_text,
)
from eval.leakage import assert_no_leakage, check_leakage, split_eligibility_set, split_retrieval_set
from eval.sets import (
    EligibilitySet,
    FeedbackRecord,
    RetrievalDoc,
    RetrievalSet,
    read_eligibility_set,
    read_feedback,
    read_retrieval_set,
)
from matcher.encoder_text import dense_text, item_text
from models.train import TrainingPair, hard_negatives_from_scores

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LabelledPair:
    """A training pair with the documents it touches (for the leakage guard) and where it came from."""

    pair: TrainingPair
    groups: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class TrainingData:
    """Pairs ready to train on, how many came from each source, the data checksums and leakage reports."""

    pairs: tuple[TrainingPair, ...]
    counts: Mapping[str, int]
    checksums: Mapping[str, str]
    leakage: Mapping[str, Any]
    held_out: tuple[Any, ...] = field(default_factory=tuple)  # RetrievalSet / (EligibilitySet, item ids)


def pairs_from_retrieval(
    train: RetrievalSet, *, max_chars: int = DEFAULT_MAX_CHARS, per_query: int = 2
) -> list[LabelledPair]:
    """(question, head of a relevant document) for every training question, at most ``per_query`` answers each."""
    docs = {d.docid: d for d in train.docs}
    return [
        LabelledPair(
            TrainingPair(q.question, doc_text(docs[docid])[:max_chars]), (docid,), f"retrieval:{train.name}"
        )
        for q in train.queries
        for docid in q.docids[:per_query]
    ]


def pairs_from_eligibility(
    eset: EligibilitySet,
    train_items: frozenset[str],
    *,
    per_profile: int = 2,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> list[LabelledPair]:
    """(enterprise text, an item it is truly eligible for) from the demo generator's ground truth, training items only."""
    profiles = {str(p["id"]): p for p in eset.profiles}
    items = {i.id: i for i in eset.items}
    taken: dict[str, int] = {}
    out = []
    for row in eset.truth:
        if (
            row.verdict != "eligible"
            or row.item not in train_items
            or taken.get(row.profile, 0) >= per_profile
        ):
            continue
        query = dense_text(profiles[row.profile])
        if not query:
            continue
        item = items[row.item]
        taken[row.profile] = taken.get(row.profile, 0) + 1
        out.append(
            LabelledPair(
                TrainingPair(query, item_text(item.title, item.text)[:max_chars]),
                (item.policy_id,),
                f"demo:{eset.path.name}",
            )
        )
    return out


def pairs_from_feedback(
    records: Sequence[FeedbackRecord], *, max_chars: int = DEFAULT_MAX_CHARS
) -> list[LabelledPair]:
    """Positives (useful / applied / received) as pairs; a ``not_useful`` item of the same enterprise as their negative."""
    negatives: dict[str, str] = {}
    for record in records:
        if not record.positive:
            negatives.setdefault(record.enterprise_id, record.item_text[:max_chars])
    return [
        LabelledPair(
            TrainingPair(r.query_text, r.item_text[:max_chars], negatives.get(r.enterprise_id)),
            (r.item_id.split("#", 1)[0],),
            "feedback",
        )
        for r in records
        if r.positive
    ]


def add_bm25_negatives(
    pairs: Sequence[LabelledPair], corpus: Sequence[tuple[str, str]], *, skip: int = 2
) -> list[LabelledPair]:
    """Give each pair without a negative the best BM25 passage of ``corpus`` (training docs only) that is not its own.

    ``corpus`` is (group id, passage) of training documents; the top ``skip`` non-positives are
    passed over, since they are often unlabelled answers.
    """
    if not corpus:
        return list(pairs)
    lexical = BM25System()
    lexical.fit([RetrievalDoc(f"{i}", text) for i, (_, text) in enumerate(corpus)])
    todo = [i for i, p in enumerate(pairs) if p.pair.negative is None]
    scores = lexical.scores([pairs[i].pair.query for i in todo]) if todo else np.zeros((0, len(corpus)))
    positives = [
        {
            c
            for c, (group, text) in enumerate(corpus)
            if group in pairs[i].groups or text == pairs[i].pair.positive
        }
        for i in todo
    ]
    chosen = hard_negatives_from_scores(scores, positives, skip=skip)
    out = list(pairs)
    for i, column in zip(todo, chosen, strict=True):
        if column is not None:
            p = out[i]
            out[i] = LabelledPair(
                TrainingPair(p.pair.query, p.pair.positive, corpus[column][1]), p.groups, p.source
            )
    return out


def collect_training_data(
    *,
    retrieval_sets: Iterable[Path] = (),
    eligibility_sets: Iterable[Path] = (),
    feedback_files: Iterable[Path] = (),
    test_fraction: float = 0.3,
    seed: int = 0,
    max_chars: int = DEFAULT_MAX_CHARS,
    negatives: bool = True,
) -> TrainingData:
    """Pairs from every source, split by document, checked for leakage, with BM25 hard negatives."""
    labelled: list[LabelledPair] = []
    counts: dict[str, int] = {}
    checksums: dict[str, str] = {}
    leakage: dict[str, Any] = {}
    held_out: list[Any] = []
    corpus: list[tuple[str, str]] = []
    test_groups: set[str] = set()
    for path in retrieval_sets:
        rset = read_retrieval_set(path)
        split = split_retrieval_set(rset, test_fraction=test_fraction, seed=seed)
        found = pairs_from_retrieval(split.train, max_chars=max_chars)
        labelled += found
        counts[f"retrieval:{rset.name}"] = len(found)
        checksums[f"retrieval:{rset.name}"] = rset.sha256
        leakage[f"retrieval:{rset.name}"] = split.report.to_dict()
        held_out.append(split.test)
        test_groups |= split.split.test_groups
        # Negatives come from every document outside the test side (never from a test document).
        corpus += [
            (d.docid, doc_text(d)[:max_chars]) for d in rset.docs if d.docid not in split.split.test_groups
        ]
    for path in eligibility_sets:
        eset = read_eligibility_set(path)
        esplit = split_eligibility_set(eset, test_fraction=test_fraction, seed=seed)
        found = pairs_from_eligibility(eset, esplit.train_items, max_chars=max_chars)
        labelled += found
        counts[f"demo:{eset.path.name}"] = len(found)
        checksums[f"demo:{eset.path.name}"] = eset.sha256
        leakage[f"demo:{eset.path.name}"] = esplit.report.to_dict()
        held_out.append((eset, esplit.test_items))
        test_groups |= esplit.split.test_groups
        corpus += [
            (i.policy_id, item_text(i.title, i.text)[:max_chars])
            for i in eset.items
            if i.id in esplit.train_items
        ]
    for path in feedback_files:
        found = pairs_from_feedback(read_feedback(path), max_chars=max_chars)
        labelled += found
        counts[f"feedback:{Path(path).name}"] = len(found)
        checksums[f"feedback:{Path(path).name}"] = sha256_file(path)
    if not labelled:
        raise ValueError("no training pairs: give a retrieval set, an eligibility set or a feedback export")
    # The guard over everything together: no training pair may touch a test document of any set.
    report = assert_no_leakage(
        check_leakage(
            {f"{i}:{p.source}": p.groups for i, p in enumerate(labelled)},
            test_groups,
            n_train_groups=len({g for p in labelled for g in p.groups}),
        )
    )
    leakage["all"] = report.to_dict()
    if negatives:
        labelled = add_bm25_negatives(labelled, corpus)
    return TrainingData(tuple(p.pair for p in labelled), counts, checksums, leakage, tuple(held_out))
