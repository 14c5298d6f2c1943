"""The labelled records of the real corpus, their checks, :func:`load_corpus` and :func:`load_fit_corpus`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from eval.real_corpus.base import (
    _DATE,
    AS_FITTED,
    CONDITION_FIELDS_V2,
    DOC_TYPES,
    FULFILMENT_MODES,
    LABELS_DIR,
    NUMERIC_OPS,
    OPS_V2,
    ROLES,
    SHIPPED_FIT_LABELS,
    SIZE_CLASSES,
    SOURCES,
    SourceDoc,
    Vocabulary,
    read_sources,
    sha256_text,
    split_of,
)
from eval.real_corpus.counts import corpus_counts
from eval.sets import files_sha256

# --- records -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a label record: where (file:line, record) and what."""

    path: str
    line: int
    record: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.record}: {self.message}"


@dataclass(frozen=True)
class LabelledDocument:
    """A labelled document with its materialised text, its split and the file it came from."""

    key: str
    record: Mapping[str, Any]
    source: SourceDoc
    split: str
    origin: str

    @property
    def text(self) -> str:
        """The whole document text."""
        return self.source.text


@dataclass(frozen=True)
class LabelledItem:
    """A labelled item with its materialised text."""

    id: str
    doc: str
    record: Mapping[str, Any]
    text: str
    split: str

    @property
    def start(self) -> int:
        """Offset of the item in its document."""
        return int(self.record["start"])

    @property
    def end(self) -> int:
        """End offset of the item in its document."""
        return int(self.record["end"])

    @property
    def for_enterprises(self) -> bool:
        """Whether the labels say the item is for enterprises (the guide's default when ``for_enterprises`` is absent)."""
        return self.record.get("for_enterprises") is not False


@dataclass(frozen=True)
class Corpus:
    """Every valid labelled document and item, with the problems of those left out."""

    documents: Mapping[str, LabelledDocument]
    items: tuple[LabelledItem, ...]
    problems: tuple[Problem, ...] = ()
    files: tuple[str, ...] = ()
    sha256: str = ""

    def items_of(self, doc_key: str) -> list[LabelledItem]:
        """Items of one document in text order."""
        return [i for i in self.items if i.doc == doc_key]

    def subset(self, splits: Iterable[str]) -> Corpus:
        """Return the documents (and their items) of the given splits."""
        wanted = set(splits)
        docs = {k: d for k, d in self.documents.items() if d.split in wanted}
        return Corpus(
            docs, tuple(i for i in self.items if i.doc in docs), self.problems, self.files, self.sha256
        )

    def counts(self) -> dict[str, Any]:
        """Documents, items, issuers, sources, splits and the shapes the labels hold."""
        return corpus_counts(self)


def _read_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, exc


def check_node(node: Any, length: int, vocab: Vocabulary, depth: int = 0) -> list[str]:
    """Problems of one condition node (leaf, ``any`` group or ``all`` member) whose spans index a text of ``length``."""
    if not isinstance(node, Mapping):
        return [f"a condition must be an object, got {type(node).__name__}"]
    problems: list[str] = []
    role = node.get("role", "require")
    if role not in ROLES:
        problems.append(f"role {role!r} is not one of {', '.join(ROLES)}")
    span = node.get("span")
    if span is not None:
        if (
            not isinstance(span, list | tuple)
            or len(span) != 2
            or not all(isinstance(x, int) for x in span)
            or not 0 <= span[0] < span[1] <= length
        ):
            problems.append(f"span {span!r} is not inside its text (length {length})")
    if "any" in node or "all" in node:
        kind = "any" if "any" in node else "all"
        members = node.get(kind)
        if depth >= 1 and kind == "any":
            problems.append("an any group nested in a group (one level only)")
        if depth >= 2:
            problems.append("groups nest one level only")
        if not isinstance(members, list) or not members:
            return [*problems, f"{kind!r} must be a non-empty list"]
        for member in members:
            problems += check_node(member, length, vocab, depth + 1)
        return problems
    name, op, value = node.get("field"), node.get("op"), node.get("value")
    if name not in CONDITION_FIELDS_V2:
        problems.append(f"field {name!r} is not a profile field of v2 (or undecidable)")
    if op not in OPS_V2:
        problems.append(f"op {op!r} is not an op of the condition language")
    if span is None:
        problems.append("a leaf needs its span")
    if name == "undecidable" or op == "semantic":
        if not node.get("value_from_span") and value in (None, ""):
            problems.append("undecidable / semantic needs value_from_span or a value")
        return problems
    if op in NUMERIC_OPS - {"eq"} and (isinstance(value, bool) or not isinstance(value, int | float)):
        problems.append(f"op {op} needs a number, got {value!r}")
    if op in ("in", "industry_in") and not isinstance(value, list):
        problems.append(f"op {op} needs a list, got {value!r}")
    if op == "industry_in" and isinstance(value, list):
        bad = [v for v in value if str(v).upper() not in vocab.industries]
        if bad:
            problems.append(f"industry codes not in GB/T 4754-2017: {bad}")
    if op == "within_region":
        for code in value if isinstance(value, list) else [value]:
            if str(code) not in vocab.regions:
                problems.append(f"region code {code!r} is not a known 区划 code")
    if name == "qualifications":
        bad = [v for v in (value if isinstance(value, list) else [value]) if v not in vocab.qualifications]
        if bad:
            problems.append(
                f"qualifications not canonical titles (corpus/reference/qualifications.json): {bad}"
            )
    if name == "size_class":
        bad = [v for v in (value if isinstance(value, list) else [value]) if v not in SIZE_CLASSES]
        if bad:
            problems.append(f"size_class values must be of {SIZE_CLASSES}, got {bad}")
    if op in ("established_after", "established_before") and not _DATE.match(str(value)):
        problems.append(f"op {op} needs a YYYY-MM-DD date, got {value!r}")
    return problems


def check_document(record: Mapping[str, Any], text: str | None, vocab: Vocabulary) -> list[str]:
    """Problems of one document record against its materialised text (None: the source has no such document)."""
    problems = []
    for key in ("doc", "source", "docid", "sha256", "as_of"):
        if not record.get(key):
            problems.append(f"field {key!r} is missing")
    if problems:
        return problems
    if record["source"] not in SOURCES:
        return [f"source {record['source']!r} is not one of {', '.join(SOURCES)}"]
    if record["doc"] != f"{record['source']}:{record['docid']}":
        problems.append(f"doc {record['doc']!r} is not source:docid")
    if text is None:
        return [*problems, f"../shared has no document {record['doc']}"]
    if sha256_text(text) != record["sha256"]:
        problems.append("sha256 does not match the document text in ../shared (the source changed)")
    if not isinstance(record.get("is_policy"), bool):
        problems.append("is_policy must be true or false")
    if record.get("doc_type") not in DOC_TYPES:
        problems.append(f"doc_type {record.get('doc_type')!r} is not one of {', '.join(DOC_TYPES)}")
    region = record.get("region_code")
    if region is not None and str(region) not in vocab.regions:
        problems.append(f"region_code {region!r} is not a known 区划 code")
    for key in ("valid_from", "valid_until", "as_of"):
        if record.get(key) is not None and not _DATE.match(str(record[key])):
            problems.append(f"{key} {record[key]!r} is not YYYY-MM-DD")
    window = record.get("window")
    if window is not None and (
        not isinstance(window, list)
        or len(window) != 2
        or not all(w is None or _DATE.match(str(w)) for w in window)
    ):
        problems.append(f"window {window!r} is not [open, close] dates")
    if record.get("fulfilment_mode") not in FULFILMENT_MODES:
        problems.append(f"fulfilment_mode {record.get('fulfilment_mode')!r} is not a known mode")
    for span in record.get("governs") or []:
        if not (
            isinstance(span, list | tuple)
            and len(span) == 2
            and 0 <= int(span[0]) < int(span[1]) <= len(text)
        ):
            problems.append(f"governs span {span!r} is not inside the document")
    for node in record.get("governs_conditions") or []:
        problems += [f"governs_conditions: {p}" for p in check_node(node, len(text), vocab)]
    return problems


def check_item(record: Mapping[str, Any], document: LabelledDocument, vocab: Vocabulary) -> list[str]:
    """Problems of one item record against its document."""
    problems = []
    for key in ("id", "doc", "sha256"):
        if not record.get(key):
            problems.append(f"field {key!r} is missing")
    start, end = record.get("start"), record.get("end")
    if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(document.text):
        return [*problems, f"item [{start}, {end}] is not inside its document (length {len(document.text)})"]
    if problems:
        return problems
    text = document.text[start:end]
    if sha256_text(text) != record["sha256"]:
        problems.append(f"sha256 does not match text[{start}:{end}]")
    conditions = record.get("conditions") or []
    tiers = record.get("tiers") or []
    if not isinstance(conditions, list) or not isinstance(tiers, list):
        return [*problems, "conditions and tiers must be lists"]
    for node in conditions:
        problems += check_node(node, len(text), vocab)
    for n, tier in enumerate(tiers):
        if not isinstance(tier, Mapping):
            problems.append(f"tier {n} is not an object")
            continue
        for node in tier.get("conditions") or []:
            problems += [f"tier {n}: {p}" for p in check_node(node, len(text), vocab)]
        span = tier.get("span")
        if span is not None and not (
            isinstance(span, list | tuple) and len(span) == 2 and 0 <= span[0] < span[1] <= len(text)
        ):
            problems.append(f"tier {n}: span {span!r} is not inside the item")
    silent = document.record.get("is_policy") is False or record.get("for_enterprises") is False
    if silent and (conditions or tiers):
        problems.append("an item of a non-policy (or not for enterprises) carries conditions")
    return problems


def load_corpus(
    labels_dir: Path | None = None,
    shared_dir: Path | None = None,
    *,
    files: Sequence[Path] | None = None,
    vocab: Vocabulary | None = None,
    sources: Mapping[str, SourceDoc] | None = None,
) -> Corpus:
    """Read every ``labels/*.jsonl`` (or ``files``), materialise from ``shared_dir``, check, split.

    A document labelled twice keeps its first labelling (files in name order); the
    second is reported. Raises :class:`CorpusUnavailable` when ../shared is absent.
    """
    labels_dir = Path(labels_dir or LABELS_DIR)
    paths = sorted(files) if files is not None else sorted(labels_dir.glob("*.jsonl"))
    texts = sources if sources is not None else read_sources(shared_dir)
    vocab = vocab or Vocabulary.load()
    problems: list[Problem] = []
    documents: dict[str, LabelledDocument] = {}
    item_rows: list[tuple[str, int, Mapping[str, Any]]] = []
    for path in paths:
        for number, record in _read_jsonl(path):
            if isinstance(record, Exception) or not isinstance(record, Mapping):
                problems.append(Problem(path.name, number, "?", f"not a JSON object ({record})"))
                continue
            kind = record.get("kind")
            if kind == "item":
                item_rows.append((path.name, number, record))
            elif kind == "document":
                key = str(record.get("doc"))
                source = texts.get(key)
                found = check_document(record, source.text if source else None, vocab)
                if key in documents:
                    found.append(f"labelled twice (first in {documents[key].origin}); this one is left out")
                if found:
                    problems += [Problem(path.name, number, key, p) for p in found]
                    continue
                assert source is not None
                documents[key] = LabelledDocument(key, record, source, split_of(key), f"{path.name}:{number}")
            else:
                problems.append(Problem(path.name, number, "?", f"kind {kind!r} is not document or item"))
    items: list[LabelledItem] = []
    seen: set[str] = set()
    for name, number, record in item_rows:
        key = str(record.get("doc"))
        document = documents.get(key)
        rid = str(record.get("id"))
        if document is None or not document.origin.startswith(name + ":"):
            if document is None:
                problems.append(Problem(name, number, rid, f"its document {key} is not (validly) labelled"))
            continue  # the items of a second labelling go with it
        found = check_item(record, document, vocab)
        if rid in seen:
            found.append("item id used twice")
        if found:
            problems += [Problem(name, number, rid, p) for p in found]
            continue
        seen.add(rid)
        items.append(
            LabelledItem(rid, key, record, document.text[record["start"] : record["end"]], document.split)
        )
    items.sort(key=lambda i: (i.doc, i.start))
    return Corpus(documents, tuple(items), tuple(problems), tuple(p.name for p in paths), files_sha256(paths))


def load_fit_corpus(
    shared_dir: Path | None = None,
    files: Sequence[Path] = SHIPPED_FIT_LABELS,
    *,
    as_fitted: Path | None = None,
) -> Corpus:
    """Load the label batches a shipped model was fitted on (default ``SHIPPED_FIT_LABELS``), as it was fitted.

    The batches are read as they are now; every record of ``AS_FITTED`` (a tune item or document relabelled after the
    fit, l29) takes back the record the shipped weights were fitted on. Only labels change there: the record's
    place and text (doc, start, end, sha256) must be the same.
    """
    corpus = load_corpus(shared_dir=shared_dir, files=files)
    fitted_items: dict[str, Mapping[str, Any]] = {}
    fitted_docs: dict[str, Mapping[str, Any]] = {}
    path = Path(as_fitted or AS_FITTED)
    for _, record in _read_jsonl(path) if path.is_file() else ():
        if isinstance(record, Mapping) and record.get("kind") == "item":
            fitted_items[str(record.get("id"))] = record
        elif isinstance(record, Mapping) and record.get("kind") == "document":
            fitted_docs[str(record.get("doc"))] = record

    def _same_place(old: Mapping[str, Any], now: Mapping[str, Any], name: str, keys: tuple[str, ...]) -> None:
        for key in keys:
            if old.get(key) != now.get(key):
                raise ValueError(f"{name}: the as-fitted record differs in {key}")

    documents = {}
    for key, document in corpus.documents.items():
        old = fitted_docs.get(key)
        if old is not None:
            _same_place(old, document.record, key, ("doc", "sha256"))
            document = replace(document, record=old)
        documents[key] = document
    items = []
    for item in corpus.items:
        old = fitted_items.get(item.id)
        if old is not None:
            _same_place(old, item.record, item.id, ("doc", "start", "end", "sha256"))
            item = replace(item, record=old)
        items.append(item)
    return replace(corpus, documents=documents, items=tuple(items))
