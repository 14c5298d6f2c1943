"""``policymatch eval corpus``, and ``eval eligibility`` / ``eval extraction`` on the real corpus (their default)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from eval.real_corpus import LABELS_DIR, Corpus, load_corpus, summary_markdown
from eval.real_profiles import PROFILES_PATH, read_profiles

DEFAULT_SPLITS = "tune,check"  # the final split is run once, at the end of a piece of work, by asking for it


def add_corpus_arguments(parser: argparse.ArgumentParser, *, splits: bool = True) -> None:
    """Add the options every real-corpus command takes."""
    parser.add_argument(
        "--labels", type=Path, default=LABELS_DIR, help="folder of label files (labels/*.jsonl)"
    )
    parser.add_argument("--shared", type=Path, default=None, help="the ../shared folder the texts come from")
    if splits:
        parser.add_argument(
            "--split",
            default=DEFAULT_SPLITS,
            help="splits to report, comma-separated: tune, check, final or all (default tune,check: "
            "the final split is run once at the end of a piece of work, and its errors are never read)",
        )
        parser.add_argument(
            "--metadata",
            choices=("source", "labelled"),
            default="source",
            help="what is posted with each document: what its source carries (default) or the labelled "
            "region, dates and department, as a person filling in the form would",
        )


def add_set_argument(parser: argparse.ArgumentParser, folder_help: str) -> None:
    """Add ``--set``: a labelled set folder; a command given none measures the real corpus."""
    parser.add_argument(
        "--set",
        dest="set_dir",
        type=Path,
        default=None,
        help=f"{folder_help} (default: the real corpus, eval/sets/real_policies)",
    )


def _load(args: argparse.Namespace) -> Corpus:
    corpus = load_corpus(args.labels, args.shared)
    if not corpus.documents:
        raise ValueError(f"no labelled documents under {args.labels}")
    for problem in corpus.problems[:20]:
        sys.stderr.write(f"left out: {problem}\n")
    if len(corpus.problems) > 20:
        sys.stderr.write(f"… and {len(corpus.problems) - 20} more records left out\n")
    return corpus


def corpus_command(args: argparse.Namespace) -> int:
    """Print the corpus counts and every record the checks leave out; --write materialises the set."""
    if args.consistency or args.propagate:
        return consistency_command(args)
    corpus = _load(args)
    counts = corpus.counts()
    if args.profiles.is_file():
        counts["truth"] = truth_counts(corpus, read_profiles(args.profiles))
    sys.stdout.write(json.dumps(counts, ensure_ascii=False, indent=1) + "\n")
    sys.stdout.write(summary_markdown(counts) + "\n")
    if args.write:
        write_materialised(corpus, args.write, read_profiles(args.profiles))
        sys.stdout.write(
            f"wrote {args.write} (items, profiles, truth; evaluation-only text, never commit it)\n"
        )
    return 1 if corpus.problems and args.strict else 0


def consistency_command(args: argparse.Namespace) -> int:
    """``eval corpus --consistency``: identical texts (by stored sha256) whose labels differ; no text is read.

    ``--propagate KEY`` copies the label of item (or document) KEY onto every record with the same
    text sha256 — the way a reconciled label reaches the other reposts, final ones included, without
    opening their text. Exit 1 when a group still differs.
    """
    from eval.real_corpus.duplicates import (
        consistency_report,
        propagate,
        read_label_records,
        write_changes,
    )
    from eval.real_corpus.duplicates import summary_markdown as duplicates_table

    records = read_label_records(args.labels)
    for key in args.propagate or []:
        kind = "document" if ":" in key else "item"
        changed = write_changes(propagate(records, key, kind=kind))
        sys.stdout.write(f"{key}: label copied to {changed} record(s) with the same text\n")
        records = read_label_records(args.labels)
    report = consistency_report(records)
    sys.stdout.write(duplicates_table(report) + "\n")
    return 1 if report["differing"] else 0


def truth_counts(corpus: Corpus, profiles: list[dict[str, Any]]) -> dict[str, Any]:
    """Levels and reasons of the reference truth over every (profile, item) pair, and items with each level."""
    from collections import Counter

    from eval.reference_verdicts import judge_pair

    levels: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    items_with: Counter[str] = Counter()
    for item in corpus.items:
        document = corpus.documents[item.doc].record
        seen = set()
        for profile in profiles:
            truth = judge_pair(document, item.record, profile)
            levels[truth.level] += 1
            reasons[truth.reason] += 1
            seen.add(truth.level)
        items_with.update(seen)
    return {
        "pairs": sum(levels.values()),
        "levels": dict(levels),
        "reasons": dict(reasons),
        "items_with_level": dict(items_with),
    }


def write_materialised(corpus: Corpus, out: Path, profiles: list[dict[str, Any]]) -> Path:
    """Write items.jsonl (with text), profiles.jsonl and truth.jsonl (the reference evaluator's) into ``out``."""
    from eval.reference_verdicts import judge_pair

    out.mkdir(parents=True, exist_ok=True)
    with (out / "items.jsonl").open("w", encoding="utf-8") as handle:
        for item in corpus.items:
            document = corpus.documents[item.doc].record
            row = dict(item.record) | {
                "text": item.text,
                "split": item.split,
                "region_code": document.get("region_code"),
                "department": document.get("department"),
                "source": item.doc,
            }
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    with (out / "profiles.jsonl").open("w", encoding="utf-8") as handle:
        for profile in profiles:
            handle.write(json.dumps(profile, ensure_ascii=False) + "\n")
    with (out / "truth.jsonl").open("w", encoding="utf-8") as handle:
        for item in corpus.items:
            document = corpus.documents[item.doc].record
            for profile in profiles:
                truth = judge_pair(document, item.record, profile)
                row = {"profile": profile["id"], "item": item.id, "verdict": truth.verdict}
                row |= {"failed": list(truth.failed), "unknown": list(truth.unknown), "level": truth.level}
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return out


def _write_reports(
    run: Any, splits: list[str], report_dir: Path, kind: str, args: argparse.Namespace
) -> dict[str, Any]:
    from eval.real_eval import UNSEEN, errors_listing, field_table, split_report
    from eval.real_eval import summary_markdown as table

    reports = {s: split_report(run, s) for s in splits}
    columns = {}  # the table: each split, then (check, final) the same figures on text tune never held
    for s in splits:
        columns[s] = reports[s]
        if UNSEEN in reports[s]:
            columns[f"{s}, unseen text only"] = reports[s][UNSEEN]
    counts = run.corpus.counts()
    extra = {k: v for k, v in run.extra.items() if not k.startswith("_")}
    metrics = {
        "kind": kind,
        "splits": reports,
        "corpus": {k: counts[k] for k in ("documents", "items", "issuers", "sources", "splits", "sha256")},
        **extra,
    }
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "metrics.json").write_text(
        json.dumps(metrics, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    (report_dir / "errors.json").write_text(
        json.dumps(errors_listing(run, splits), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    summary = table(columns, extra) + _UNSEEN_NOTE
    fields = field_table(reports[splits[0]])
    text = (
        f"# {kind.capitalize()} on the real corpus ({', '.join(splits)})\n\n"
        f"{summary_markdown(counts)}\n\n{summary}\n\nPer field ({splits[0]}):\n\n{fields}\n"
    )
    (report_dir / "summary.md").write_text(text, encoding="utf-8")
    if getattr(args, "benchmarks", None):
        from eval.benchfile import machine_description, update_section

        body = (
            f"### {kind.capitalize()} on the real corpus — splits {', '.join(splits)} ({args.benchmarks})\n\n"
            f"Machine: {machine_description()} (cores shared). Corpus sha256 `{counts['sha256'][:16]}`, "
            f"metadata posted: {run.extra.get('metadata')}. Command: `policymatch eval {kind} --split "
            f"{args.split}{' --metadata labelled' if run.extra.get('metadata') == 'labelled' else ''}"
            f"{' --read entries' if run.extra.get('read') == 'entries' else ''}`.\n\n"
            f"{summary_markdown(counts)}\n\n{_METHOD[kind]}\n\n{summary}\n\nPer field ({splits[0]}):\n\n{fields}"
            f"{_demo_line()}"
        )
        update_section(f"real-{kind}-{args.benchmarks}", body)
    sys.stdout.write(text)
    return metrics


_UNSEEN_NOTE = (
    "\n\n*unseen text only*: the same split without its items whose text (sha256, or the same after removing "
    "whitespace) is also a tune item's — NCP reposts one notice under several docids, so a check or final "
    "document can repeat tune text word for word. The splits stay as fixed; this column is the measure of "
    "generalisation, the column before it the split as a whole."
)

_METHOD = {
    "eligibility": (
        "Each labelled document is ingested whole through the service's ingest path into a temporary store "
        "with the profiles (`eval/sets/real_policies/profiles.jsonl`); each labelled item is aligned to the "
        "service item it overlaps most; a pair's verdict is its level in that item's 精准推送 target list at "
        "the document's `as_of` (`Matcher(today=as_of)`), and **not eligible when the list leaves the "
        "enterprise out**. Truth: `eval/reference_verdicts.py` on the labels. Silent-eligible items: items "
        "stating a requirement for which the service extracted no condition. Goals are the issue's, on the "
        "final split."
    ),
    "extraction": (
        "Labelled leaves (any groups and tiers flattened, the document's governing conditions included) "
        "against the conditions the service stored for the aligned item, on (field, op, value); free-text "
        "leaves by kind and count. Any groups, tiers and roles are scored apart (logic structure)."
    ),
}


def _demo_line() -> str:
    """Today's demo eligibility figures, read from their own section, for the comparison."""
    import re

    from eval.benchfile import DEFAULT_PATH

    if not DEFAULT_PATH.exists():
        return ""
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    section = re.search(r"<!-- BEGIN evaluation-demo-eligibility-extracted -->(.*?)<!-- END", text, re.S)
    figures = (
        re.search(
            r"verdict accuracy \*\*([\d.]+)\*\*, eligible precision \*\*([\d.]+)\*\*, eligible recall \*\*([\d.]+)\*\*",
            section.group(1),
        )
        if section
        else None
    )
    if not figures:
        return ""
    return (
        f"\n\nBeside it, today's generated demo (section `evaluation-demo-eligibility-extracted`): 3-way accuracy "
        f"{figures.group(1)}, eligible precision {figures.group(2)}, eligible recall {figures.group(3)}."
    )


def _mark_seen(run: Any, full: Corpus, splits: list[str]) -> None:
    """Mark the check / final items whose text also occurs in tune (hashed over the whole corpus, splits fixed)."""
    from collections import Counter

    from eval.real_corpus.duplicates import items_seen_in_tune

    seen = items_seen_in_tune(full.items)
    split_of_item = {i.id: i.split for i in full.items}
    run.extra["_seen_in_tune"] = frozenset(seen)
    run.extra["items_whose_text_is_in_tune"] = {
        s: n for s, n in Counter(split_of_item[i] for i in seen).items() if s in splits
    }


def eligibility_command(args: argparse.Namespace, encoder: Any) -> int:
    """``eval eligibility`` on the real corpus: ingest whole documents and profiles, score the target lists.

    ``encoder`` is the active model, as the door that runs the command builds it from its settings.
    """
    from eval.real_eval import iter_splits, run_eligibility

    splits = list(dict.fromkeys(iter_splits(args.split)))
    full = _load(args)
    corpus = full.subset(splits)
    profiles = read_profiles(args.profiles)
    run = run_eligibility(corpus, profiles, encoder, metadata=args.metadata, ranking=not args.no_ranking)
    run.extra["model_id"] = str(encoder.model_id)
    run.extra["profiles"] = len(profiles)
    _mark_seen(run, full, splits)
    _write_reports(run, splits, args.report, "eligibility", args)
    return 0


def extraction_command(args: argparse.Namespace) -> int:
    """``eval extraction`` on the real corpus: the service's conditions against the labels, per split."""
    from eval.real_eval import iter_splits, run_extraction

    splits = list(dict.fromkeys(iter_splits(args.split)))
    full = _load(args)
    run = run_extraction(full.subset(splits), metadata=args.metadata, read=args.read)
    _mark_seen(run, full, splits)
    _write_reports(run, splits, args.report, "extraction", args)
    return 0


def register_corpus(evals: Any) -> None:
    """Add ``eval corpus``."""
    parser = evals.add_parser(
        "corpus",
        help="check the labelled real corpus against ../shared and print its counts (documents, items, shapes)",
    )
    add_corpus_arguments(parser, splits=False)
    parser.add_argument("--profiles", type=Path, default=PROFILES_PATH, help="profiles for --write")
    parser.add_argument(
        "--write", type=Path, default=None, help="materialise items/profiles/truth into this folder"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when any record is left out")
    parser.add_argument(
        "--consistency",
        action="store_true",
        help="list identical texts (same stored sha256) whose labels differ, reading no text; exit 1 if any",
    )
    parser.add_argument(
        "--propagate",
        action="append",
        metavar="KEY",
        help="copy the label of item id (or document key) KEY to every record with the same text sha256",
    )
    parser.set_defaults(func=corpus_command)


def agreement_command(args: argparse.Namespace) -> int:
    """``eval agreement``: the second reader's labels of the sample against the first labels."""
    from eval.real_agreement import agreement, read_sample
    from eval.real_agreement import summary_markdown as agreement_table

    first = _load(args)
    files = sorted(args.second.glob("*.jsonl"))
    if not files:
        raise FileNotFoundError(f"no second labelling under {args.second} (labels/second/*.jsonl)")
    second = load_corpus(files=files, shared_dir=args.shared)
    for problem in second.problems[:20]:
        sys.stderr.write(f"second reader, left out: {problem}\n")
    sample = read_sample(args.sample)
    result = agreement(first, second, read_profiles(args.profiles), sample)
    table = agreement_table(result)
    if args.report:
        args.report.mkdir(parents=True, exist_ok=True)
        (args.report / "metrics.json").write_text(
            json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8"
        )
    if args.benchmarks:
        from eval.benchfile import update_section

        update_section(
            "real-agreement",
            "### Agreement of two independent readers on the real corpus's 10 % sample\n\n"
            f"Command: `policymatch eval agreement`. Sample `eval/sets/real_policies/second_sample.json` "
            f"({len(sample)} documents).\n\n{table}",
        )
    sys.stdout.write(table + "\n")
    return 0


def register_agreement(evals: Any) -> None:
    """Add ``eval agreement``."""
    from eval.real_agreement import SAMPLE_PATH, SECOND_DIR

    parser = evals.add_parser(
        "agreement", help="agreement of a second, independent labelling of the 10 % sample with the first"
    )
    add_corpus_arguments(parser, splits=False)
    parser.add_argument(
        "--second", type=Path, default=SECOND_DIR, help="folder of the second reader's label files"
    )
    parser.add_argument(
        "--sample", type=Path, default=SAMPLE_PATH, help="the committed sample (second_sample.json)"
    )
    parser.add_argument("--profiles", type=Path, default=PROFILES_PATH)
    parser.add_argument("--report", type=Path, default=None, help="write metrics.json here")
    parser.add_argument(
        "--benchmarks", action="store_true", help="write docs/benchmarks.md section real-agreement"
    )
    parser.set_defaults(func=agreement_command)
