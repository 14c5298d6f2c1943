"""Train/test splits by policy document, and the guard that checks them.

Everything that is learned (fine-tuning pairs, thresholds) must come from the
training part; a test policy (or, for a retrieval set, a test document) must
not appear in training at all — not one of its items, not one question about
it. Splits are by hashing the document id with a seed, so a document stays on
its side when the set grows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from eval.sets import EligibilitySet, RetrievalQuery, RetrievalSet


class LeakageError(ValueError):
    """A training part that contains something of the test part."""


@dataclass(frozen=True)
class Split:
    """Which documents (policy ids or docids) are in training and which in test."""

    train_groups: frozenset[str]
    test_groups: frozenset[str]
    test_fraction: float
    seed: int


@dataclass(frozen=True)
class LeakageReport:
    """What the guard found: sizes of each side and every training member that touches a test document."""

    n_train_groups: int
    n_test_groups: int
    n_train_members: int
    n_test_members: int
    leaked: tuple[str, ...]
    duplicate_texts: tuple[tuple[str, str], ...] = ()

    @property
    def ok(self) -> bool:
        """True when no training member touches a test document."""
        return not self.leaked

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict for metrics.json."""
        return {
            "ok": self.ok,
            "n_train_groups": self.n_train_groups,
            "n_test_groups": self.n_test_groups,
            "n_train_members": self.n_train_members,
            "n_test_members": self.n_test_members,
            "leaked": list(self.leaked[:20]),
            "n_leaked": len(self.leaked),
            "duplicate_texts_across_split": [list(p) for p in self.duplicate_texts[:20]],
        }


def _in_test(group: str, test_fraction: float, seed: int) -> bool:
    digest = hashlib.sha256(f"{seed}\0{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < test_fraction


def split_groups(groups: Iterable[str], *, test_fraction: float = 0.3, seed: int = 0) -> Split:
    """Split document ids into train and test by a seeded hash (stable as the set grows)."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    unique = sorted(set(groups))
    test = frozenset(g for g in unique if _in_test(g, test_fraction, seed))
    if len(unique) >= 2 and (not test or len(test) == len(unique)):
        # A tiny set can hash all to one side; move one document so both sides exist.
        test = frozenset(unique[:1]) if not test else test - {unique[0]}
    return Split(frozenset(unique) - test, test, test_fraction, seed)


def check_leakage(
    train_members: Mapping[str, Collection[str]],
    test_groups: Collection[str],
    *,
    n_train_groups: int = 0,
    n_test_members: int = 0,
) -> LeakageReport:
    """Report every training member (pair, query, item) whose documents include a test document."""
    test = set(test_groups)
    leaked = tuple(sorted(member for member, groups in train_members.items() if set(groups) & test))
    return LeakageReport(n_train_groups, len(test), len(train_members), n_test_members, leaked)


def assert_no_leakage(report: LeakageReport) -> LeakageReport:
    """Raise :class:`LeakageError` naming the first leaked members; returns the report when clean."""
    if not report.ok:
        shown = ", ".join(report.leaked[:5])
        raise LeakageError(
            f"{len(report.leaked)} training members touch a test document (first: {shown}); the split leaks"
        )
    return report


@dataclass(frozen=True)
class RetrievalSplit:
    """A retrieval set's questions split by document: both parts search the full document collection."""

    train: RetrievalSet
    test: RetrievalSet
    split: Split
    report: LeakageReport


def split_retrieval_set(rset: RetrievalSet, *, test_fraction: float = 0.3, seed: int = 0) -> RetrievalSplit:
    """Split questions by document: a question belongs to the side of its first relevant document.

    Documents are grouped before splitting: copies of one text under two docids are one document,
    and items of one policy (``policy#seq``) are one policy, so neither can straddle the split.
    A training question keeps only its training-side relevant documents (a question with several
    answers may name test documents too); a test question keeps all of its answers.
    """
    group = document_groups(rset)
    split = split_groups(
        (group[d] for q in rset.queries for d in q.docids), test_fraction=test_fraction, seed=seed
    )
    test_docs = frozenset(d for d, g in group.items() if g in split.test_groups)
    by_document = Split(frozenset(group) - test_docs, test_docs, test_fraction, seed)
    test_queries = [q for q in rset.queries if q.docids[0] in test_docs]
    train_queries = []
    for q in rset.queries:
        if q.docids[0] in test_docs:
            continue
        kept = {d: g for d, g in q.relevant.items() if d not in test_docs}
        train_queries.append(RetrievalQuery(q.qid, q.question, MappingProxyType(kept)))
    train = RetrievalSet(rset.path, rset.docs, tuple(train_queries), rset.sha256, f"{rset.name}:train")
    test = RetrievalSet(rset.path, rset.docs, tuple(test_queries), rset.sha256, f"{rset.name}:test")
    report = check_retrieval_split(train, test, test_docs=test_docs)
    return RetrievalSplit(train, test, by_document, assert_no_leakage(report))


def document_groups(rset: RetrievalSet) -> dict[str, str]:
    """Map each docid to its document group: the policy of an item id, the first docid with the same text."""
    first: dict[str, str] = {}
    out = {}
    for doc in rset.docs:
        digest = hashlib.sha256(doc.text.strip().encode()).hexdigest()
        out[doc.docid] = first.setdefault(digest, doc.docid).split("#", 1)[0]
    return out


def check_retrieval_split(
    train: RetrievalSet, test: RetrievalSet, *, test_docs: Collection[str] | None = None
) -> LeakageReport:
    """Check that no training question is about a test document, and list test documents duplicated in training.

    ``test_docs`` defaults to every document a test question names.
    """
    test_docs = set(test_docs) if test_docs is not None else {d for q in test.queries for d in q.docids}
    train_docs = {d for q in train.queries for d in q.docids}
    base = check_leakage(
        {q.qid: q.docids for q in train.queries},
        test_docs,
        n_train_groups=len(train_docs),
        n_test_members=len(test.queries),
    )
    # The same text under two docids is a leak the ids cannot show.
    text_of = {d.docid: hashlib.sha256(d.text.strip().encode()).hexdigest() for d in train.docs}
    by_hash: dict[str, list[str]] = {}
    for docid in train_docs:
        by_hash.setdefault(text_of.get(docid, docid), []).append(docid)
    duplicates = tuple(
        (test_doc, other)
        for test_doc in sorted(test_docs)
        for other in sorted(by_hash.get(text_of.get(test_doc, ""), ()))
        if other != test_doc
    )
    return LeakageReport(
        base.n_train_groups,
        base.n_test_groups,
        base.n_train_members,
        base.n_test_members,
        base.leaked,
        duplicates,
    )


@dataclass(frozen=True)
class EligibilitySplit:
    """An eligibility set's items split by policy document."""

    train_items: frozenset[str]
    test_items: frozenset[str]
    split: Split
    report: LeakageReport


def split_eligibility_set(
    eset: EligibilitySet, *, test_fraction: float = 0.3, seed: int = 0
) -> EligibilitySplit:
    """Split items by their policy: every item of a test policy is a test item."""
    split = split_groups((item.policy_id for item in eset.items), test_fraction=test_fraction, seed=seed)
    train = frozenset(item.id for item in eset.items if item.policy_id in split.train_groups)
    test = frozenset(item.id for item in eset.items if item.policy_id in split.test_groups)
    policy_of = {item.id: item.policy_id for item in eset.items}
    report = check_leakage(
        {item_id: (policy_of[item_id],) for item_id in train},
        split.test_groups,
        n_train_groups=len(split.train_groups),
        n_test_members=len(test),
    )
    return EligibilitySplit(train, test, split, assert_no_leakage(report))
