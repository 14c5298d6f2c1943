"""The eligibility and extraction measure on the real corpus: scores what the service says.

Each labelled document is ingested **whole** through the service's ingest path
(:func:`matcher.ingest.ingest_policies`: split, extract, store) into a
temporary data directory, with the metadata its source carries (``source``:
the Guangzhou csv's 发文机关 / 发布日期 / 标题, msgabench's department; nothing
else — region and validity must come from the service itself) or, with
``metadata="labelled"``, the labelled region, dates and department as a
poster would type them into the form. The profiles are ingested beside them.

Each labelled item is aligned to the service item with the largest character
overlap (service items are exact substrings of the document). The service's
verdict for a pair is what it tells the enterprise: the level of the pair in
the aligned item's 精准推送 target list, or **ineligible** when the list
leaves the enterprise out (outside the region, expired at ``as_of``, a
non-policy) or no service item covers the labelled one. The truth is the
reference evaluator's (:mod:`eval.reference_verdicts`) at the document's
``as_of``.

The ``as_of`` hook: pairs of a document are judged with
``Matcher.open(..., today=as_of)`` — the service's own date parameter — so
validity and windows that the served code judges against ``Matcher.today`` are
judged at the date the truth was labelled at.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.real_corpus import SPLITS, Corpus, LabelledItem, corpus_counts
from eval.reference_verdicts import LEVELS, THREE_WAY, judge_pair

TRUTH_LABELS = ("eligible", "unknown", "ineligible")
FREE_TEXT = ("undecidable", "semantic")
METADATA_MODES = ("source", "labelled")


def policy_id_of(doc_key: str) -> str:
    """Return the id the corpus document is posted under (``ncp:abc`` → ``real-ncp-abc``)."""
    return "real-" + re.sub(r"[^0-9A-Za-z_-]", "-", doc_key.replace(":", "-"))


def _title_of(text: str) -> str:
    head = text.strip().split("\n", 1)[0].strip()
    return (head.split(" ", 1)[0] if len(head) > 60 else head)[:60] or "（无标题）"


def posted_document(document: Any, metadata: str = "source") -> dict[str, Any]:
    """Build the POST /v1/policies record of a labelled document: the source's own metadata, or the labelled facts."""
    source = document.source
    record: dict[str, Any] = {
        "id": policy_id_of(document.key),
        "title": source.title or _title_of(source.text),
        "text": source.text,
        "department": source.department,
        "issued": source.issued,
    }
    if metadata == "labelled":
        labels = document.record
        window = labels.get("window") or [None, None]
        facts = {
            "region_code": labels.get("region_code"),
            "department": labels.get("department") or source.department,
            "issued": labels.get("as_of") or source.issued,
            "valid_until": labels.get("valid_until"),
            # Document facts the posting form takes once the service speaks v2 (docs/conditions.md §5).
            "valid_from": labels.get("valid_from"),
            "is_policy": labels.get("is_policy"),
            "doc_type": labels.get("doc_type"),
            "window_open": window[0],
            "window_close": window[1],
            "fulfilment": labels.get("fulfilment_mode"),
        }
        accepted = _form_fields()
        record.update({k: v for k, v in facts.items() if k in accepted and v is not None})
    return record


def _form_fields() -> frozenset[str]:
    """Fields a posted policy document may carry (the served schema's, so newer facts pass when it takes them)."""
    from dataclasses import fields

    from corpus.schemas import PolicyDocument

    return frozenset(f.name for f in fields(PolicyDocument))


# --- alignment ---------------------------------------------------------------------------------


def service_spans(document_text: str, texts: Sequence[str]) -> list[tuple[int, int]]:
    """Offsets of each service item in the document (items are substrings, in order; (-1,-1) if not found)."""
    spans, cursor = [], 0
    for text in texts:
        at = document_text.find(text, cursor)
        if at < 0:
            at = document_text.find(text)
        spans.append((at, at + len(text)) if at >= 0 else (-1, -1))
        if at >= 0:
            cursor = at + 1
    return spans


def align(labelled: LabelledItem, spans: Sequence[tuple[int, int]]) -> int | None:
    """Index of the service item overlapping the labelled one most (None when none overlaps)."""
    best, best_overlap = None, 0
    for n, (start, end) in enumerate(spans):
        overlap = min(end, labelled.end) - max(start, labelled.start)
        if overlap > best_overlap:
            best, best_overlap = n, overlap
    return best


# --- condition comparison ----------------------------------------------------------------------


def _norm_value(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(sorted(str(v) for v in value))
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return round(float(value), 6)
    return value


@dataclass(frozen=True)
class Leaf:
    """One flattened condition leaf: field, op, value, role and the structure it sat in."""

    field: str
    op: str
    value: Any
    role: str = "require"
    group: str = ""  # "any#n" / "tier#n" / "" (plain)

    @property
    def kind(self) -> str:
        """Scoring kind: the field, or ``undecidable`` / ``semantic`` for free-text leaves."""
        if self.field == "undecidable":
            return "undecidable"
        return "semantic" if self.op == "semantic" else self.field


def flatten(nodes: Iterable[Any], group: str = "") -> list[Leaf]:
    """Leaves of labelled (dict) or served (Condition / dict) conditions, any groups and all members flattened."""
    out: list[Leaf] = []
    for n, node in enumerate(nodes):
        data = node if isinstance(node, Mapping) else _as_dict(node)
        if "field" not in data and isinstance(data.get("conditions"), list | tuple):  # a tier
            out += flatten(data["conditions"], f"tier#{n}")
            continue
        if "any" in data or "all" in data:
            kind = "any" if "any" in data else "all"
            inner = flatten(data[kind], group or f"{kind}#{n}")
            role = data.get("role") or "require"
            out += [
                Leaf(x.field, x.op, x.value, role if x.role == "require" else x.role, x.group) for x in inner
            ]
            continue
        out.append(
            Leaf(
                str(data.get("field")),
                str(data.get("op")),
                _norm_value(data.get("value")),
                str(data.get("role") or "require"),
                group,
            )
        )
    return out


def _as_dict(condition: Any) -> dict[str, Any]:
    if hasattr(condition, "to_dict"):
        return dict(condition.to_dict())
    return dict(vars(condition))


def labelled_leaves(item: Mapping[str, Any], document: Mapping[str, Any]) -> list[Leaf]:
    """Every labelled leaf of an item: its conditions, its tiers' and its document's governing conditions."""
    leaves = flatten(item.get("conditions") or [])
    for n, tier in enumerate(item.get("tiers") or []):
        leaves += flatten(tier.get("conditions") or [], f"tier#{n}")
    leaves += flatten(document.get("governs_conditions") or [], "governs")
    return leaves


@dataclass
class Comparison:
    """Labelled against extracted leaves of one item, with each error's category."""

    tp: list[tuple[Leaf, Leaf]] = field(default_factory=list)
    missed: list[Leaf] = field(default_factory=list)
    extra: list[Leaf] = field(default_factory=list)
    wrong_value: list[tuple[Leaf, Leaf]] = field(default_factory=list)
    wrong_op: list[tuple[Leaf, Leaf]] = field(default_factory=list)
    structure_true: int = 0
    structure_found: int = 0
    structure_errors: list[str] = field(default_factory=list)


def _key(leaf: Leaf) -> tuple[str, str, Any]:
    return (
        leaf.kind,
        leaf.op if leaf.kind not in FREE_TEXT else "*",
        leaf.value if leaf.kind not in FREE_TEXT else "*",
    )


def compare(true: Sequence[Leaf], predicted: Sequence[Leaf]) -> Comparison:
    """Match leaves on (field, op, value) — free-text leaves by kind and count — then classify what is left."""
    out = Comparison()
    left = list(predicted)
    unmatched = []
    for leaf in true:
        hit = next((p for p in left if _key(p) == _key(leaf)), None)
        if hit is not None:
            left.remove(hit)
            out.tp.append((leaf, hit))
        else:
            unmatched.append(leaf)
    for leaf in unmatched:
        same_op = next((p for p in left if p.kind == leaf.kind and p.op == leaf.op), None)
        if same_op is not None:
            left.remove(same_op)
            out.wrong_value.append((leaf, same_op))
            continue
        same_field = next((p for p in left if p.kind == leaf.kind), None)
        if same_field is not None:
            left.remove(same_field)
            out.wrong_op.append((leaf, same_field))
            continue
        out.missed.append(leaf)
    out.extra = left
    # Structure: each any group, tier set and non-default role is one structure to find.
    true_groups = {leaf.group for leaf in true if leaf.group.startswith("any")}
    has_tiers = any(leaf.group.startswith("tier") for leaf in true)
    pred_groups = {leaf.group for leaf in predicted if leaf.group.startswith("any")}
    pred_tiers = any(leaf.group.startswith("tier") for leaf in predicted)
    out.structure_true = len(true_groups) + has_tiers + sum(leaf.role != "require" for leaf in true)
    found = min(len(true_groups), len(pred_groups)) + (has_tiers and pred_tiers)
    found += sum(t.role != "require" and t.role == p.role for t, p in out.tp)
    out.structure_found = found
    if len(true_groups) > len(pred_groups):
        out.structure_errors.append("any group not found")
    if has_tiers and not pred_tiers:
        out.structure_errors.append("tiers not found")
    for t, p in out.tp:
        if t.role != p.role:
            out.structure_errors.append(f"role {t.role} read as {p.role}")
    return out


# --- the run -----------------------------------------------------------------------------------


@dataclass
class ItemResult:
    """One labelled item: its aligned service item, conditions compared, document facts checked."""

    item: LabelledItem
    service_item: str | None
    comparison: Comparison
    facts_errors: list[str]
    states_requirement: bool
    predicted_count: int
    not_for_enterprises: bool = False


@dataclass
class RealRun:
    """Everything one run measured: per-item comparisons and (with profiles) every pair's truth and service verdict."""

    corpus: Corpus
    items: list[ItemResult]
    pairs: list[tuple[str, str, str, str, str]] = field(
        default_factory=list
    )  # profile, item, split, truth, said
    levels: dict[tuple[str, str], str] = field(default_factory=dict)
    scores: dict[tuple[str, str], float] = field(default_factory=dict)
    target_rank: dict[tuple[str, str], int] = field(
        default_factory=dict
    )  # position in the item's target list
    extra: dict[str, Any] = field(default_factory=dict)


def _ingest(corpus: Corpus, data_dir: Path, metadata: str) -> tuple[Any, list[str]]:
    from corpus.store import open_store
    from matcher.ingest import ingest_policies

    store = open_store(data_dir / "policymatch.sqlite3")
    records = [posted_document(d, metadata) for d in corpus.documents.values()]
    report = ingest_policies(store, records, progress=False)
    return store, [str(e) for e in report.errors]


def _facts_errors(document: Any, stored: Any, service_listed_anyone: bool | None) -> list[str]:
    """List what the service got wrong about the document as a whole (region, validity, being a policy)."""
    errors = []
    labels = document.record
    region = labels.get("region_code") or None
    if stored is not None and (stored.region_code or None) != region:
        got = stored.region_code or "national"
        errors.append(f"region {got} (labelled {region or 'national'})")
    if stored is not None and labels.get("valid_until") and stored.valid_until != labels.get("valid_until"):
        errors.append(f"valid_until {stored.valid_until} (labelled {labels.get('valid_until')})")
    if labels.get("is_policy") is False and service_listed_anyone:
        errors.append("a non-policy is offered")
    return errors


def compare_extraction(corpus: Corpus, store: Any, *, read: str = "served") -> list[ItemResult]:
    """Align every labelled item to the service's items of its document and compare conditions.

    ``read="served"`` compares what the store serves for the item; ``read="entries"`` what the
    extractor reads of the same item text in the language v2 (``Extraction.entries``), whether
    or not the store serves it yet.
    """
    results = []
    for key, document in corpus.documents.items():
        service_items = list(store.iter_items(policy_id_of(key)))
        spans = service_spans(document.text, [i.text for i in service_items])
        for labelled in corpus.items_of(key):
            n = align(labelled, spans)
            true = labelled_leaves(labelled.record, document.record)
            predicted: list[Leaf] = []
            if n is not None:
                if read == "entries":
                    predicted = flatten(_extractor_entries(service_items[n]))
                else:
                    predicted = flatten(store.item_conditions(service_items[n].id))
            idle = (
                labelled.record.get("for_enterprises") is False or document.record.get("is_policy") is False
            )
            if idle:
                true = []
            stored = service_items[n] if n is not None else None
            results.append(
                ItemResult(
                    labelled,
                    stored.id if stored is not None else None,
                    compare(true, predicted),
                    _facts_errors(document, stored, None),
                    any(leaf.role != "bonus" for leaf in true),
                    len(predicted),
                    idle,
                )
            )
    return results


def _extractor_entries(item: Any) -> Sequence[Any]:
    """Return what the extractor reads of a stored item in the language v2 (its v1 leaves when it has no entries)."""
    from matcher.extraction import extract_item

    extraction = extract_item(
        item.text,
        title=item.title,
        region_code=item.region_code,
        department=item.department,
        issued=item.issued,
    )
    return tuple(getattr(extraction, "entries", None) or extraction.conditions)


def run_extraction(corpus: Corpus, *, metadata: str = "source", read: str = "served") -> RealRun:
    """Ingest the corpus into a temporary store and compare every item's conditions (no profiles, no model)."""
    with tempfile.TemporaryDirectory(prefix="policymatch-real-") as tmp:
        store, errors = _ingest(corpus, Path(tmp), metadata)
        try:
            items = compare_extraction(corpus, store, read=read)
        finally:
            store.close()
    return RealRun(corpus, items, extra={"ingest_errors": errors, "metadata": metadata, "read": read})


def run_eligibility(
    corpus: Corpus,
    profiles: Sequence[Mapping[str, Any]],
    encoder: Any,
    *,
    metadata: str = "source",
    ranking: bool = True,
) -> RealRun:
    """Ingest documents whole and profiles, read every pair's verdict from the target lists at each document's as_of."""
    import numpy as np

    from corpus.schemas import validate_profile
    from matcher.ingest import ingest_enterprises
    from matcher.service import Matcher

    started = time.perf_counter()
    truth = {
        (str(p["id"]), item.id): judge_pair(corpus.documents[item.doc].record, item.record, p)
        for p in profiles
        for item in corpus.items
    }
    by_date: dict[str, list[str]] = defaultdict(list)
    for key, document in corpus.documents.items():
        by_date[str(document.record.get("as_of") or "2020-02-20")].append(key)
    run = RealRun(corpus, [], extra={"metadata": metadata})
    with tempfile.TemporaryDirectory(prefix="policymatch-real-") as tmp:
        data_dir = Path(tmp)
        store, errors = _ingest(corpus, data_dir, metadata)
        try:
            report = ingest_enterprises(store, [validate_profile(p) for p in profiles], progress=False)
            if report.errors:
                # A profile the store refuses (a 统一社会信用代码 another profile holds …) would leave its pairs
                # unscored: the measure needs every profile it was given.
                raise ValueError(f"the store refused {len(report.errors)} profiles: {report.errors[0]}")
            run.items = compare_extraction(corpus, store)
            aligned = {r.item.id: r.service_item for r in run.items}
            listed_any: dict[str, bool] = {}
            for day, keys in sorted(by_date.items()):
                matcher = Matcher.open(
                    data_dir, store, encoder, build_index=False, today=dt.date.fromisoformat(day)
                )
                matcher.encode_enterprises()
                ids = matcher.columns.ids
                row_of = {str(ids[r]): r for r in range(len(ids)) if matcher.columns.alive[r]}
                rows = np.array([row_of[str(p["id"])] for p in profiles], dtype=np.int64)
                wanted = {k for k in keys}
                for item in corpus.items:
                    if item.doc not in wanted:
                        continue
                    service_item = aligned[item.id]
                    if service_item is None:
                        for p in profiles:
                            run.levels[(str(p["id"]), item.id)] = "not_listed"
                        continue
                    order = matcher.target_order(
                        policy_id_of(item.doc), service_item, LEVELS, include_excluded=True
                    )
                    listed = np.isin(rows, order.rows)
                    position = {int(r): n for n, r in enumerate(order.rows)}
                    ranks = order.verdicts.level[rows]
                    listed_any[item.doc] = listed_any.get(item.doc, False) or bool(listed.any())
                    for p, row, rank, on in zip(profiles, rows, ranks, listed, strict=True):
                        run.levels[(str(p["id"]), item.id)] = LEVELS[int(rank)] if on else "not_listed"
                        if on:
                            run.target_rank[(str(p["id"]), item.id)] = position[int(row)]
                if ranking and not run.scores:
                    # 智能匹配 once per enterprise, at the earliest as_of: an item's level and score do
                    # not depend on the date; whether it is offered at all does, and the ranking takes
                    # that from the item's target list at its own as_of (run.levels).
                    for p in profiles:
                        response = matcher.match(str(p["id"]), top_k=max(1, matcher.n_items), levels=LEVELS)
                        for result in response.results:
                            run.scores[(str(p["id"]), result.item_id)] = float(result.score)
                matcher.close()
            for r in run.items:
                document = corpus.documents[r.item.doc]
                if document.record.get("is_policy") is False and listed_any.get(r.item.doc):
                    r.facts_errors.append("a non-policy is offered")
        finally:
            store.close()
    for item in corpus.items:
        for p in profiles:
            pair = (str(p["id"]), item.id)
            level = run.levels[pair]
            said = "ineligible" if level == "not_listed" else THREE_WAY[level]
            run.pairs.append((pair[0], item.id, item.split, truth[pair].verdict, said))
    run.extra.update(
        ingest_errors=errors,
        seconds=round(time.perf_counter() - started, 1),
        as_of_dates=len(by_date),
        truth_reasons=dict(Counter(t.reason for t in truth.values())),
    )
    run.extra["_truth"] = truth
    return run


# --- metrics -----------------------------------------------------------------------------------


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "support": tp + fn}


def verdict_metrics(pairs: Sequence[tuple[str, str, str, str, str]]) -> dict[str, Any]:
    """3-way accuracy, P/R/F1 per verdict and the confusion (truth rows × said columns)."""
    n = len(pairs)
    confusion = {t: dict.fromkeys(TRUTH_LABELS, 0) for t in TRUTH_LABELS}
    for *_, true, said in pairs:
        confusion[true][said] += 1
    per = {}
    for label in TRUTH_LABELS:
        tp = confusion[label][label]
        fp = sum(confusion[t][label] for t in TRUTH_LABELS) - tp
        fn = sum(confusion[label].values()) - tp
        per[label] = _prf(tp, fp, fn)
    accuracy = sum(confusion[t][t] for t in TRUTH_LABELS) / n if n else 0.0
    return {
        "n_pairs": n,
        "verdict_accuracy": accuracy,
        "eligible_precision": per["eligible"]["precision"],
        "eligible_recall": per["eligible"]["recall"],
        "per_verdict": per,
        "confusion": confusion,
        "truly_eligible": sum(confusion["eligible"].values()),
        "said_eligible": sum(confusion[t]["eligible"] for t in TRUTH_LABELS),
    }


def extraction_metrics(items: Sequence[ItemResult]) -> dict[str, Any]:
    """Score extraction: P/R/F1 overall and per field, the structure category, error counts and silent-eligible items."""
    per_field: dict[str, Counter[str]] = defaultdict(Counter)
    errors: Counter[str] = Counter()
    structure_true = structure_found = 0
    fact_docs: set[str] = set()
    for r in items:
        c = r.comparison
        for t, _ in c.tp:
            per_field[t.kind]["tp"] += 1
        for t in c.missed:
            per_field[t.kind]["fn"] += 1
        for p in c.extra:
            per_field[p.kind]["fp"] += 1
        for t, p in c.wrong_value + c.wrong_op:
            per_field[t.kind]["fn"] += 1
            per_field[p.kind]["fp"] += 1
        errors["missed"] += len(c.missed)
        errors["extra (item not for enterprises)" if r.not_for_enterprises else "extra"] += len(c.extra)
        errors["wrong value"] += len(c.wrong_value)
        errors["wrong op"] += len(c.wrong_op)
        errors["logic structure"] += len(c.structure_errors)
        if r.facts_errors:
            fact_docs.add(r.item.doc)
        structure_true += c.structure_true
        structure_found += c.structure_found
    errors["document facts"] = len(fact_docs)  # counted per document: a fact is read once per document
    tp = sum(v["tp"] for v in per_field.values())
    fp = sum(v["fp"] for v in per_field.values())
    fn = sum(v["fn"] for v in per_field.values())
    silent = [r.item.id for r in items if is_silent(r)]
    no_conditions = [r.item.id for r in items if r.states_requirement and r.predicted_count == 0]
    idle_fp = sum(len(r.comparison.extra) for r in items if r.not_for_enterprises)
    on_items = _prf(tp, fp - idle_fp, fn)
    return {
        **{k: v for k, v in _prf(tp, fp, fn).items() if k != "support"},
        "f1_items_for_enterprises": on_items["f1"],
        "precision_items_for_enterprises": on_items["precision"],
        "true_leaves": tp + fn,
        "extracted_leaves": tp + fp,
        "per_field": {
            k: _prf(v["tp"], v["fp"], v["fn"]) for k, v in sorted(per_field.items(), key=lambda kv: -sum(kv[1].values()))
        },
        "structure": {"labelled": structure_true, "found": structure_found,
                      "recall": structure_found / structure_true if structure_true else 1.0},
        "errors": dict(errors),
        "silent_eligible": len(silent),
        "silent_eligible_items": silent[:80],
        "items_without_any_condition": len(no_conditions),
        "n_items": len(items),
        "items_unaligned": sum(r.service_item is None for r in items),
    }  # fmt: skip


def is_silent(result: ItemResult) -> bool:
    """Say whether an item states a requirement for which the service read no condition (a silent eligible).

    A required (or excluding) labelled leaf counts as read when an extracted condition of its
    field matched it, even with a wrong value or op; a leaf nothing of its kind answered is silent.
    """
    return result.states_requirement and any(t.role != "bonus" for t in result.comparison.missed)


def silent_eligible_pairs(run: RealRun) -> dict[str, int]:
    """Silent-eligible items, and how many pairs the service then calls eligible that are not."""
    silent = {r.item.id for r in run.items if is_silent(r)}
    said = Counter(
        item
        for _, item, _, truth, s in run.pairs
        if item in silent and s == "eligible" and truth != "eligible"
    )
    return {"items": len(silent), "items_said_eligible_wrongly": len(said), "pairs": sum(said.values())}


def ranking_metrics(run: RealRun, split: str) -> dict[str, dict[str, float]]:
    """Both directions, relevant = truly eligible: enterprise → items (智能匹配) and item → enterprises (target list)."""
    from eval.metrics import ranking_summary

    rank = {name: n for n, name in enumerate(LEVELS)}
    rank["not_listed"] = len(LEVELS)
    pairs = [p for p in run.pairs if p[2] == split or split == "all"]
    by_profile: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    by_item: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    served = {r.item.id: r.service_item for r in run.items}  # scores are keyed by the service's item
    for profile, item, _, truth, _ in pairs:
        level = run.levels[(profile, item)]
        score = run.scores.get((profile, str(served.get(item))), 0.0)
        by_profile[profile].append((rank[level], -score, item, truth == "eligible"))
        # The target list's own order; enterprises it leaves out come after it.
        listed_at = run.target_rank.get((profile, item), 1 << 30)
        by_item[item].append((listed_at, profile, profile, truth == "eligible"))
    out = {}
    for name, groups in (("enterprise→items", by_profile), ("item→enterprises", by_item)):
        ranked, relevant = [], []
        for rows in groups.values():
            ordered = sorted(rows)
            ranked.append([r[2] for r in ordered])
            relevant.append({r[2] for r in ordered if r[3]})
        if any(relevant):
            s = ranking_summary(ranked, relevant, ks=(1, 10, 50))
            out[name] = {
                "recall@10": s.recall[10],
                "ndcg@10": s.ndcg_at_10,
                "mrr": s.mrr,
                "n_queries": float(s.n_queries),
            }
    return out


def split_report(run: RealRun, split: str) -> dict[str, Any]:
    """Every figure of one split (or ``all``)."""
    items = [r for r in run.items if split == "all" or r.item.split == split]
    pairs = [p for p in run.pairs if split == "all" or p[2] == split]
    part = run.corpus.subset(SPLITS if split == "all" else (split,))
    out: dict[str, Any] = {
        "split": split,
        "documents": len(part.documents),
        "items": len(part.items),
        "issuers": corpus_counts(part)["issuers"],
        "extraction": extraction_metrics(items),
    }
    if pairs:
        out["eligibility"] = verdict_metrics(pairs)
        sub = RealRun(run.corpus, items, pairs, run.levels, run.scores)
        out["silent_eligible_pairs"] = silent_eligible_pairs(sub)
        out["ranking"] = ranking_metrics(run, split)
    return out


def errors_listing(run: RealRun, splits: Iterable[str]) -> list[dict[str, Any]]:
    """Per-item errors of the given splits (never the final split's: its errors are not read to write rules)."""
    wanted = set(splits) - {"final"}
    rows = []
    for r in run.items:
        if r.item.split not in wanted:
            continue
        c = r.comparison
        if c.missed or c.extra or c.wrong_value or c.wrong_op or c.structure_errors or r.facts_errors:
            rows.append(
                {
                    "item": r.item.id,
                    "service_item": r.service_item,
                    "missed": [vars(x) for x in c.missed],
                    "extra": [vars(x) for x in c.extra],
                    "wrong_value": [[vars(t), vars(p)] for t, p in c.wrong_value],
                    "wrong_op": [[vars(t), vars(p)] for t, p in c.wrong_op],
                    "structure": c.structure_errors,
                    "document_facts": r.facts_errors,
                }
            )
    return rows


# --- summary -----------------------------------------------------------------------------------

ERROR_CATEGORIES = (
    "missed",
    "extra",
    "extra (item not for enterprises)",
    "wrong value",
    "wrong op",
    "document facts",
    "logic structure",
)
GOALS = {
    "eligible_precision": 0.98,
    "eligible_recall": 0.90,
    "verdict_accuracy": 0.95,
    "extraction_f1": 0.90,
    "silent_eligible": 0,
}


def _f(x: Any) -> str:
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def summary_markdown(reports: Mapping[str, Mapping[str, Any]], extra: Mapping[str, Any]) -> str:
    """One table per measure, a column per split, with the goals and today's shortfall."""
    from eval.report import markdown_table

    splits = list(reports)
    rows = []
    for label, getter, goal in (
        ("documents / items / issuers", lambda r: f"{r['documents']} / {r['items']} / {r['issuers']}", None),
        ("pairs (profiles × items)", lambda r: r.get("eligibility", {}).get("n_pairs", "—"), None),
        ("eligible precision", lambda r: r.get("eligibility", {}).get("eligible_precision"), 0.98),
        ("eligible recall", lambda r: r.get("eligibility", {}).get("eligible_recall"), 0.90),
        (
            "eligible F1",
            lambda r: r.get("eligibility", {}).get("per_verdict", {}).get("eligible", {}).get("f1"),
            None,
        ),
        ("unknown P / R", lambda r: _pr(r, "unknown"), None),
        ("ineligible P / R", lambda r: _pr(r, "ineligible"), None),
        ("3-way accuracy", lambda r: r.get("eligibility", {}).get("verdict_accuracy"), 0.95),
        ("extraction precision", lambda r: r["extraction"]["precision"], None),
        ("extraction recall", lambda r: r["extraction"]["recall"], None),
        ("extraction F1", lambda r: r["extraction"]["f1"], 0.90),
        (
            "extraction F1, items for enterprises only",
            lambda r: r["extraction"]["f1_items_for_enterprises"],
            None,
        ),
        ("logic structure found", lambda r: _structure(r), None),
        (
            "silent-eligible items (a stated requirement read as nothing)",
            lambda r: r["extraction"]["silent_eligible"],
            0,
        ),
        ("… of which no condition at all", lambda r: r["extraction"]["items_without_any_condition"], None),
        (
            "… pairs said eligible wrongly because of them",
            lambda r: r.get("silent_eligible_pairs", {}).get("pairs"),
            None,
        ),
        ("enterprise→items recall@10 / MRR", lambda r: _rank(r, "enterprise→items"), None),
        ("item→enterprises recall@10 / MRR", lambda r: _rank(r, "item→enterprises"), None),
    ):
        values = [getter(reports[s]) for s in splits]
        if all(v in (None, "—") for v in values):
            continue  # an extraction-only run has no verdicts
        shown = [_f(v) if v is not None else "—" for v in values]
        short = ""
        if goal is not None and isinstance(values[-1], int | float):
            gap = (values[-1] - goal) if goal else values[-1]
            short = f"{'≥' if goal else '='} {goal} ({'meets' if (values[-1] >= goal if goal else values[-1] == 0) else f'short by {abs(gap):.3f}' if goal else f'{values[-1]} too many'})"
        rows.append([label, *shown, short])
    table = markdown_table(["measure", *splits, f"goal (vs {splits[-1]})"], rows)
    error_rows = []
    for s in splits:
        e = reports[s]["extraction"]["errors"]
        error_rows.append([s, *(e.get(k, 0) for k in ERROR_CATEGORIES)])
    errors = markdown_table(["split", *ERROR_CATEGORIES], error_rows)
    return f"{table}\n\nError categories (labelled leaves vs extracted conditions):\n\n{errors}"  # fmt: skip


def _pr(report: Mapping[str, Any], label: str) -> str:
    per = report.get("eligibility", {}).get("per_verdict", {}).get(label)
    return f"{per['precision']:.3f} / {per['recall']:.3f}" if per else "—"


def _structure(report: Mapping[str, Any]) -> str:
    s = report["extraction"]["structure"]
    return f"{s['found']} / {s['labelled']}"


def _rank(report: Mapping[str, Any], name: str) -> str:
    r = report.get("ranking", {}).get(name)
    return f"{r['recall@10']:.3f} / {r['mrr']:.3f}" if r else "—"


def field_table(report: Mapping[str, Any], top: int = 14) -> str:
    """Per-field extraction P/R/F1 of one split's report."""
    from eval.report import markdown_table

    rows = [
        [name, v["precision"], v["recall"], v["f1"], v["support"]]
        for name, v in list(report["extraction"]["per_field"].items())[:top]
    ]
    return markdown_table(["field", "precision", "recall", "F1", "labelled"], rows)


def iter_splits(spec: str) -> Iterator[str]:
    """``tune,check`` → tune, check; ``all`` → every split."""
    for part in spec.split(","):
        part = part.strip()
        if part == "all":
            yield from SPLITS
        elif part in SPLITS:
            yield part
        elif part:
            raise ValueError(f"split {part!r} is not one of {', '.join(SPLITS)} or all")
