"""Metrics of a real run (verdicts, extraction, ranking) and the markdown summary."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

from eval.real_corpus import SPLITS, issuer_count
from eval.real_eval.intervals import LEVEL, document_bootstrap, interval_text
from eval.real_eval.leaves import TRUTH_LABELS
from eval.real_eval.run import ItemResult, RealRun
from eval.reference_verdicts import LEVELS

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


# Which items are offered (issue 14): the kinds of offering error, each costing the pairs of its items.
NON_POLICY_OFFERED = "non-policy documents offered"
POLICY_HIDDEN = "policies hidden as non-policies"
NEVER_OFFERED = "items for enterprises never offered"
WRONGLY_OFFERED = "items not for enterprises offered"
OFFERING_KINDS = (NON_POLICY_OFFERED, POLICY_HIDDEN, NEVER_OFFERED, WRONGLY_OFFERED)


def offering_kind(result: ItemResult, document_is_policy: bool) -> str | None:
    """Return the offering error an item's service reading makes (:data:`OFFERING_KINDS`), or None."""
    if not document_is_policy:
        return NON_POLICY_OFFERED if result.offered else None
    if not result.read_as_policy:
        return POLICY_HIDDEN
    if result.not_for_enterprises:
        return WRONGLY_OFFERED if result.offered else None
    return None if result.offered else NEVER_OFFERED


def offering_errors(
    run: RealRun, items: Sequence[ItemResult], pairs: Sequence[tuple[str, str, str, str, str]]
) -> dict[str, dict[str, int]]:
    """Per offering error kind: its items and the pairs scored wrong in them (an unaligned item is never offered).

    ``by_reason`` splits each kind by the reader that decided the item (``ItemResult.offer_reason``).
    """
    wrong = Counter(item for _, item, _, truth, said in pairs if truth != said)
    out: dict[str, dict[str, Any]] = {
        kind: {"items": 0, "pairs": 0, "by_reason": {}} for kind in OFFERING_KINDS
    }
    for r in items:
        kind = offering_kind(r, run.corpus.documents[r.item.doc].record.get("is_policy") is not False)
        if kind is not None:
            out[kind]["items"] += 1
            out[kind]["pairs"] += wrong[r.item.id]
            reason = out[kind]["by_reason"].setdefault(
                r.offer_reason or "not explained", {"items": 0, "pairs": 0}
            )
            reason["items"] += 1
            reason["pairs"] += wrong[r.item.id]
    return out


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
            out[name] = ranking_summary(ranked, relevant, ks=(1, 10, 50)).headline()
    return out


def split_report(run: RealRun, split: str, seen: Collection[str] | None = None) -> dict[str, Any]:
    """Every figure of one split (or ``all``); for check and final also the figures on unseen text only.

    ``seen``: ids of items whose text also occurs in tune (default ``run.extra["_seen_in_tune"]``,
    set by the CLI from the whole corpus). Without it, no unseen-text view is added.
    """
    items = [r for r in run.items if split == "all" or r.item.split == split]
    pairs = [p for p in run.pairs if split == "all" or p[2] == split]
    part = run.corpus.subset(SPLITS if split == "all" else (split,))
    out: dict[str, Any] = {
        "split": split,
        "documents": len(part.documents),
        "items": len(part.items),
        "issuers": issuer_count(part.documents.values()),
        **_figures(run, items, pairs),
    }
    if pairs:
        out["ranking"] = ranking_metrics(run, split)
    seen = run.extra.get("_seen_in_tune") if seen is None else seen
    if seen is not None and split in ("check", "final"):
        out[UNSEEN] = unseen_report(run, split, seen)
    return out


UNSEEN = "unseen_text_only"


def unseen_report(run: RealRun, split: str, seen: Collection[str]) -> dict[str, Any]:
    """Return the figures of one split without its items whose text also occurs in tune (the leakage-free view)."""
    items = [r for r in run.items if r.item.split == split and r.item.id not in seen]
    kept = {r.item.id for r in items}
    pairs = [p for p in run.pairs if p[2] == split and p[1] in kept]
    documents = {r.item.doc for r in items}
    part = run.corpus.subset((split,))
    return {
        "split": f"{split}, unseen text only",
        "documents": len(documents),
        "items": len(items),
        "items_left_out": len(part.items) - len(items),
        "issuers": issuer_count(part.documents[d] for d in documents),
        **_figures(run, items, pairs),
    }


def _figures(
    run: RealRun, items: list[ItemResult], pairs: list[tuple[str, str, str, str, str]]
) -> dict[str, Any]:
    """Return extraction over ``items``; with pairs, their verdicts and silent-eligible pairs (both reports' core)."""
    out: dict[str, Any] = {"extraction": extraction_metrics(items)}
    if pairs:
        out["eligibility"] = verdict_metrics(pairs)
        out["eligibility"]["intervals"] = document_bootstrap(pairs, {r.item.id: r.item.doc for r in items})
        out["silent_eligible_pairs"] = silent_eligible_pairs(
            RealRun(run.corpus, items, pairs, run.levels, run.scores)
        )
        out["offering_errors"] = offering_errors(run, items, pairs)
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
            f"eligible precision, {LEVEL:.0%} interval (bootstrap over documents)",
            lambda r: interval_text(r, "eligible_precision"),
            None,
        ),
        (
            f"eligible recall, {LEVEL:.0%} interval (bootstrap over documents)",
            lambda r: interval_text(r, "eligible_recall"),
            None,
        ),
        (
            "eligible F1",
            lambda r: r.get("eligibility", {}).get("per_verdict", {}).get("eligible", {}).get("f1"),
            None,
        ),
        ("unknown P / R", lambda r: _pr(r, "unknown"), None),
        ("ineligible P / R", lambda r: _pr(r, "ineligible"), None),
        ("3-way accuracy", lambda r: r.get("eligibility", {}).get("verdict_accuracy"), 0.95),
        (
            f"3-way accuracy, {LEVEL:.0%} interval (bootstrap over documents)",
            lambda r: interval_text(r, "verdict_accuracy"),
            None,
        ),
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
        *(
            (f"pairs wrong: {kind} (items)", lambda r, kind=kind: _offering(r, kind), None)
            for kind in OFFERING_KINDS
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
    out = f"{table}\n\nError categories (labelled leaves vs extracted conditions):\n\n{errors}"
    reasons = offering_reason_table(reports)
    if reasons:
        out += f"\n\nOffering errors by the reader that decided (pairs wrong (items)):\n\n{reasons}"
    return out


def offering_reason_table(reports: Mapping[str, Mapping[str, Any]]) -> str:
    """Each offering error kind split by the reader that decided it, a column per split ('' when no split has any)."""
    from eval.report import markdown_table

    splits = list(reports)
    keys = sorted(
        {
            (kind, reason)
            for s in splits
            for kind, counts in reports[s].get("offering_errors", {}).items()
            for reason in counts.get("by_reason", {})
        }
    )
    rows = []
    for kind, reason in keys:
        cells = []
        for s in splits:
            got = reports[s].get("offering_errors", {}).get(kind, {}).get("by_reason", {}).get(reason)
            cells.append(f"{got['pairs']} ({got['items']})" if got else "—")
        rows.append([kind, reason, *cells])
    return markdown_table(["offering error", "decided by", *splits], rows) if rows else ""


def _offering(report: Mapping[str, Any], kind: str) -> str | None:
    counts = report.get("offering_errors", {}).get(kind)
    return None if counts is None else f"{counts['pairs']} ({counts['items']})"


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
