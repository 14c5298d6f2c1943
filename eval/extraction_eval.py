"""Extraction evaluation: score extracted conditions against a labelled set, and build the real set.

The real development set (``eval/sets/ncp_extraction/annotations.jsonl``) holds
only annotations: each clause is a (source, docid, start, end) reference into
``../shared/data`` with a sha256 of its text, each condition a span given as
offsets into the clause. :func:`materialize` turns it into a labelled set
folder (items / profiles / truth, conditions.md) — the text itself is never in
the repository (shared/data/README.md).

Scoring is over (item, field, op, value) as conditions.md says. A ``semantic``
or ``undecidable`` condition's value is free text, so it is scored by count:
the n-th such condition of an item matches the n-th predicted one.
"""

from __future__ import annotations

import csv
import hashlib
import json
import tempfile
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.conditions import Condition, judge_item, leaves, parse_conditions, truth_verdict
from eval.metrics import ExtractionScores, extraction_scores

ANNOTATIONS = "annotations.jsonl"
DEFAULT_ANNOTATIONS_DIR = Path(__file__).resolve().parent / "sets" / "ncp_extraction"


class ExtractionSetError(ValueError):
    """An annotation that does not resolve against ../shared (missing source, moved text)."""


def condition_keys(conditions: Iterable[Condition]) -> list[tuple[str, str, Any]]:
    """Scoring keys of an item's conditions; free-text ones numbered per (field kind)."""
    keys: list[tuple[str, str, Any]] = []
    counts: dict[str, int] = {}
    for condition in conditions:
        if condition.field == "undecidable" or condition.op == "semantic":
            kind = "undecidable" if condition.field == "undecidable" else "semantic"
            counts[kind] = counts.get(kind, 0) + 1
            keys.append((kind, "*", f"#{counts[kind]}"))
        else:
            keys.append(condition.key)
    return keys


# --- materialising the real set ----------------------------------------------------------------


def _source_dates(shared_dir: Path) -> dict[str, dict[str, str]]:
    """Issued dates (``YYYY-MM-DD``) of the source documents that state one (the Guangzhou clauses)."""
    guangzhou = shared_dir / "data" / "policies" / "guangzhou_official_clauses.csv"
    dates: dict[str, dict[str, str]] = {"policies/guangzhou_official_clauses.csv": {}}
    if guangzhou.exists():
        with guangzhou.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                if (row.get("发布日期") or "").strip():
                    dates["policies/guangzhou_official_clauses.csv"][row["序号"]] = row["发布日期"].strip()
    return dates


def _source_texts(shared_dir: Path) -> dict[str, dict[str, str]]:
    data = shared_dir / "data"
    ncp = data / "retrieval" / "ncp_policies" / "docs.jsonl"
    guangzhou = data / "policies" / "guangzhou_official_clauses.csv"
    if not ncp.exists() or not guangzhou.exists():
        raise ExtractionSetError(
            f"the real extraction set needs {ncp} and {guangzhou}; ../shared is not beside this checkout"
        )
    texts: dict[str, dict[str, str]] = {
        "ncp_policies/docs.jsonl": {},
        "policies/guangzhou_official_clauses.csv": {},
    }
    with ncp.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            texts["ncp_policies/docs.jsonl"][record["docid"]] = record["text"]
    with guangzhou.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            texts["policies/guangzhou_official_clauses.csv"][row["序号"]] = row["原文关键条款(逐字摘录)"]
    return texts


def read_annotations(directory: Path) -> list[dict[str, Any]]:
    """Read the annotation records of a folder's annotations.jsonl."""
    path = directory / ANNOTATIONS
    records = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ExtractionSetError(f"{path}:{number}: not JSON ({exc.msg})") from exc
    return records


def _title(text: str) -> str:
    return text.strip().split()[0][:60] if text.strip() else ""


def _resolve(
    record: Mapping[str, Any], texts: Mapping[str, Mapping[str, str]]
) -> tuple[str, str, list[Condition]]:
    source = texts.get(record["source"])
    if source is None or record["docid"] not in source:
        raise ExtractionSetError(
            f"annotation {record['id']}: {record['source']} has no document {record['docid']}"
        )
    document = source[record["docid"]]
    clause = document[record["start"] : record["end"]]
    if hashlib.sha256(clause.encode("utf-8")).hexdigest() != record["sha256"]:
        raise ExtractionSetError(
            f"annotation {record['id']}: the text at {record['start']}:{record['end']} changed"
        )
    conditions = []
    for number, cond in enumerate(record["conditions"], 1):
        span = clause[cond["span"][0] : cond["span"][1]]
        if not span:
            raise ExtractionSetError(
                f"annotation {record['id']} condition {number}: empty span {cond['span']}"
            )
        value = span if cond.get("value_from_span") else cond["value"]
        conditions.append(Condition(cond["field"], cond["op"], value, span, source="edited"))
    return clause, _title(document), conditions


def _county_under(prefix: str) -> str:
    from corpus.reference import iter_regions

    return next(
        (
            r.code
            for r in iter_regions()
            if len(r.code) == 6 and r.code.startswith(prefix) and not r.code.endswith("00")
        ),
        prefix.ljust(6, "0"),
    )


def _industry_under(codes: Sequence[str]) -> str:
    from corpus.reference import iter_industries

    return next(
        i.canonical_code
        for i in iter_industries()
        if i.level == "class" and i.canonical_code.startswith(str(codes[0]))
    )


def _industry_outside(codes: Sequence[str]) -> str:
    from corpus.reference import iter_industries

    return next(
        i.canonical_code
        for i in iter_industries()
        if i.level == "class" and not any(i.canonical_code.startswith(str(c)) for c in codes)
    )


def _satisfy(profile: dict[str, Any], condition: Condition, *, meet: bool) -> None:
    """Set the profile field so that ``condition`` is met (or unmet); free-text conditions are left alone."""
    field, op, value = condition.field, condition.op, condition.value
    if field == "undecidable" or op == "semantic":
        return
    if op in ("gte", "gt", "lte", "lt"):
        v = float(value)
        if meet:
            profile[field] = v + (1 if op == "gt" else -1 if op == "lt" else 0)
        else:
            profile[field] = v * 0.5 - 1 if op in ("gte", "gt") else v * 2 + 1
        if field == "employees":
            profile[field] = max(0, int(profile[field]))
    elif op == "eq":
        if field == "credit_status":
            profile[field] = "normal" if meet == (value == "normal") else "dishonest"
        elif field == "major_violation":
            profile[field] = bool(value) if meet else not bool(value)
        else:
            profile[field] = value if meet else f"非{value}"
    elif op == "in" and field == "size_class":
        others = [c for c in ("大", "中", "小", "微") if c not in value]
        profile[field] = value[0] if meet or not others else others[0]
    elif op in ("has", "in", "not_has"):
        title = value if op != "in" else value[0]
        titles = set(profile.get("qualifications") or [])
        (titles.add if (op != "not_has") == meet else titles.discard)(title)
        profile["qualifications"] = sorted(titles)
    elif op == "within_region":
        profile[field] = (
            _county_under(str(value)) if meet else ("310101" if not str(value).startswith("31") else "110101")
        )
    elif op == "industry_in":
        profile[field] = _industry_under(value) if meet else _industry_outside(value)
    elif op in ("established_after", "established_before"):
        profile[field] = value if meet else ("1990-01-01" if op == "established_after" else "2099-01-01")


def profiles_for(item_id: str, conditions: Sequence[Condition]) -> list[dict[str, Any]]:
    """Three profiles per item: one meeting every decidable condition, one failing the first, one with no data."""
    decidable = [c for c in conditions if c.field != "undecidable" and c.op != "semantic"]
    meets: dict[str, Any] = {"id": f"{item_id}/meets", "name": f"{item_id} 全部满足企业"}
    for condition in decidable:
        _satisfy(meets, condition, meet=True)
    out = [meets]
    if decidable:
        fails = {**meets, "id": f"{item_id}/fails", "name": f"{item_id} 缺一项企业"}
        _satisfy(fails, decidable[0], meet=False)
        out.append(fails)
    out.append({"id": f"{item_id}/blank", "name": f"{item_id} 无数据企业"})
    return out


def materialize(annotations_dir: Path, shared_dir: Path, out_dir: Path) -> Path:
    """Write the labelled set (items.jsonl, profiles.jsonl, truth.jsonl) from annotations and ../shared."""
    texts = _source_texts(shared_dir)
    dates = _source_dates(shared_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    items, profiles, truth = [], [], []
    for record in read_annotations(annotations_dir):
        clause, title, conditions = _resolve(record, texts)
        items.append(
            {
                "id": record["id"],
                "policy_id": f"{record['source']}#{record['docid']}",
                "title": title,
                "text": clause,
                "region_code": record.get("region_code"),
                "department": None,
                "issued": dates.get(record["source"], {}).get(record["docid"]),
                "source": record["source"],
                "half": record.get("half"),
                "conditions": [c.to_dict() for c in conditions],
            }
        )
        for profile in profiles_for(record["id"], conditions):
            verdict = judge_item(conditions, profile)
            profiles.append(profile)
            truth.append(
                {
                    "profile": profile["id"],
                    "item": record["id"],
                    "verdict": truth_verdict(verdict.level),
                    "failed": verdict.failed_fields,
                    "unknown": verdict.unknown_fields,
                }
            )
    for name, rows in (("items.jsonl", items), ("profiles.jsonl", profiles), ("truth.jsonl", truth)):
        with (out_dir / name).open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return out_dir


# --- scoring -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemResult:
    """Truth and prediction of one item (for error analysis)."""

    item_id: str
    half: str | None
    true: tuple[Condition, ...]
    predicted: tuple[Condition, ...]


@dataclass(frozen=True)
class ExtractionReport:
    """Scores over a whole set and per half (A = tuned on, B = held out), with per-item results."""

    overall: ExtractionScores
    halves: dict[str, ExtractionScores]
    items: tuple[ItemResult, ...]

    def to_dict(self) -> dict[str, Any]:
        """metrics.json body: conditions.md keys plus ``halves`` and counts."""
        out = self.overall.to_dict()
        out["n_items"] = len(self.items)
        out["n_true_conditions"] = sum(len(r.true) for r in self.items)
        out["n_predicted_conditions"] = sum(len(r.predicted) for r in self.items)
        if self.halves:
            out["halves"] = {name: scores.to_dict() for name, scores in sorted(self.halves.items())}
        return out


def _read_items(set_dir: Path) -> list[dict[str, Any]]:
    path = set_dir / "items.jsonl"
    if not path.exists():
        raise ExtractionSetError(f"{set_dir} has no items.jsonl (nor {ANNOTATIONS})")
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def score_items(results: Sequence[ItemResult]) -> ExtractionScores:
    """P/R/F1 over (item, field, op, value) of a list of item results."""
    true: dict[Hashable, list[tuple[str, str, Any]]] = {r.item_id: condition_keys(r.true) for r in results}
    predicted: dict[Hashable, list[tuple[str, str, Any]]] = {
        r.item_id: condition_keys(r.predicted) for r in results
    }
    return extraction_scores(true, predicted)


def evaluate_set(set_dir: Path) -> ExtractionReport:
    """Extract every item of a labelled set from its text and metadata alone, and score it."""
    from matcher.extraction import extract_item

    results = []
    for item in _read_items(set_dir):
        if "conditions" not in item:
            continue
        # Scored on leaves (v2 groups and tiers flattened), as the extractor's v1 ``conditions`` are.
        true = tuple(leaves(parse_conditions(item["conditions"], item.get("tiers"))))
        extraction = extract_item(
            item["text"],
            title=item.get("title") or "",
            region_code=item.get("region_code"),
            department=item.get("department"),
            issued=item.get("issued"),
        )
        results.append(ItemResult(item["id"], item.get("half"), true, extraction.conditions))
    halves = {
        h: score_items([r for r in results if r.half == h])
        for h in sorted({r.half for r in results if r.half})
    }
    return ExtractionReport(score_items(results), halves, tuple(results))


def run_eval(set_dir: Path, report_dir: Path, *, shared_dir: Path | None = None) -> dict[str, Any]:
    """``policymatch eval extraction``: materialise when given annotations, score, write OUT/metrics.json."""
    from eval.report import write_metrics
    from eval.sets import set_sha256

    set_dir = Path(set_dir)
    with tempfile.TemporaryDirectory(prefix="policymatch-extraction-") as tmp:
        if (set_dir / ANNOTATIONS).exists() and not (set_dir / "items.jsonl").exists():
            shared = shared_dir or Path(__file__).resolve().parents[2] / "shared"
            work = materialize(set_dir, shared, Path(tmp) / "set")
        else:
            work = set_dir
        report = evaluate_set(work)
        metrics = report.to_dict()
        metrics["set"] = str(set_dir)
        metrics["set_sha256"] = set_sha256(work)
        metrics["errors"] = _errors(report)[:60]
        report_dir.mkdir(parents=True, exist_ok=True)
        write_metrics(metrics, report_dir)
    return metrics


def _errors(report: ExtractionReport) -> list[dict[str, Any]]:
    rows = []
    for result in report.items:
        true_keys, pred_keys = condition_keys(result.true), condition_keys(result.predicted)
        missed = [c.to_dict() for c, k in zip(result.true, true_keys, strict=True) if k not in pred_keys]
        extra = [c.to_dict() for c, k in zip(result.predicted, pred_keys, strict=True) if k not in true_keys]
        if missed or extra:
            rows.append({"item": result.item_id, "missed": missed, "extra": extra})
    return rows


# --- support type: rule vs a learned classifier --------------------------------------------------

SUPPORT_LABELS = "support_types.jsonl"


@dataclass(frozen=True)
class SupportTypeScores:
    """Accuracy of the keyword rule and of the learned classifier on one labelled sample."""

    name: str
    n_items: int
    rule_accuracy: float
    classifier_accuracy: float


def _item_text(item: Mapping[str, Any]) -> str:
    return f"{item.get('title') or ''}\n{item['text']}"


def _accuracy(truth: Sequence[str], predicted: Sequence[str | None]) -> float:
    return sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth) if truth else 0.0


def demo_support_items(seed: int, n_policies: int) -> list[dict[str, Any]]:
    """Items of the demo corpus of ``seed`` with the support type the generator gave each."""
    from corpus.demo import generate

    corpus = generate(seed=seed, n_policies=n_policies, n_enterprises=0)
    return [{"title": i.title, "text": i.text, "support_type": i.support_type} for i in corpus.items]


def compare_support_types(
    train: Sequence[Mapping[str, Any]],
    samples: Mapping[str, Sequence[Mapping[str, Any]]],
) -> list[SupportTypeScores]:
    """Fit the classifier on ``train`` items and score it and the rule on each held-out sample.

    Items are mappings with ``title``, ``text`` and ``support_type``.
    """
    from matcher.extraction.support import SupportTypeClassifier, rule_support_type

    classifier = SupportTypeClassifier().fit(
        [_item_text(i) for i in train], [str(i["support_type"]) for i in train]
    )
    scores = []
    for name, items in samples.items():
        texts = [_item_text(i) for i in items]
        truth = [str(i["support_type"]) for i in items]
        scores.append(
            SupportTypeScores(
                name,
                len(items),
                _accuracy(truth, [rule_support_type(t) for t in texts]),
                _accuracy(truth, classifier.predict(texts)),
            )
        )
    return scores


def real_support_items(annotations_dir: Path, shared_dir: Path) -> list[dict[str, Any]]:
    """Real clauses with a hand-labelled primary support type (support_types.jsonl beside the annotations)."""
    labels = {}
    with (annotations_dir / SUPPORT_LABELS).open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                labels[record["id"]] = record["support_type"]
    texts = _source_texts(shared_dir)
    items = []
    for record in read_annotations(annotations_dir):
        if record["id"] in labels:
            clause, title, _ = _resolve(record, texts)
            items.append({"title": title, "text": clause, "support_type": labels[record["id"]]})
    return items
