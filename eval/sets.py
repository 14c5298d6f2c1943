"""Labelled sets, read from any folder in the formats of ``shared/spec/conditions.md``.

- An **eligibility set**: ``items.jsonl``, ``profiles.jsonl``, ``truth.jsonl``.
- A **retrieval set**: ``docs.jsonl`` and ``queries.jsonl`` (or NCP's
  ``dev_queries.jsonl``), one relevant ``docid`` per question or ``docids``
  for several (a list, or a mapping docid → grade for graded relevance).
- **Exported feedback** (``policymatch feedback export`` writes it, ``policymatch
  train`` reads it): JSONL, one judgement per line, see :class:`FeedbackRecord`.

Errors name the file, the line and the field. :func:`set_sha256` is the
checksum recorded with every result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from corpus.conditions import ConditionError, Entry, node_from_dict, parse_conditions

TRUTH_VERDICTS = ("eligible", "unknown", "ineligible")
FEEDBACK_LABELS = ("useful", "not_useful", "applied", "received")
POSITIVE_FEEDBACK = frozenset({"useful", "applied", "received"})
QUERY_FILES = ("queries.jsonl", "dev_queries.jsonl")


class SetFormatError(ValueError):
    """A labelled set that does not follow the format; the message names file:line:field."""


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line; raise SetFormatError on bad JSON."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SetFormatError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(obj, dict):
                raise SetFormatError(f"{path}:{number}: expected a JSON object, got {type(obj).__name__}")
            yield number, obj


def _keyed_records(path: Path, key: str, what: str = "") -> Iterator[tuple[int, dict[str, Any], str]]:
    """Yield (line number, object, its ``key`` as text) for each line; a key seen before is an error."""
    seen: set[str] = set()
    for number, obj in _read_jsonl(path):
        value = str(_need(obj, key, path, number, (str, int)))
        if value in seen:
            raise SetFormatError(f"{path}:{number}: field {key!r} repeats {what}{value!r}")
        seen.add(value)
        yield number, obj, value


def _need(
    obj: Mapping[str, Any], key: str, path: Path, number: int, kind: type | tuple[type, ...] = str
) -> Any:
    if key not in obj or obj[key] is None or obj[key] == "":
        raise SetFormatError(f"{path}:{number}: field {key!r} is missing")
    value = obj[key]
    if not isinstance(value, kind):
        raise SetFormatError(f"{path}:{number}: field {key!r} has the wrong type ({type(value).__name__})")
    return value


def _require_file(directory: Path, name: str) -> Path:
    path = directory / name
    if not path.is_file():
        raise SetFormatError(f"{path}: file is missing (a labelled set needs it)")
    return path


def set_sha256(directory: Path | str) -> str:
    """SHA-256 over the names and bytes of the set's ``*.jsonl`` files, in name order."""
    directory = Path(directory)
    files = sorted(p for p in directory.glob("*.jsonl") if p.is_file())
    if not files:
        raise SetFormatError(f"{directory}: no .jsonl files, not a labelled set")
    return files_sha256(files)


def files_sha256(paths: Iterable[Path]) -> str:
    """SHA-256 over each file's name and bytes, in the order given (a labelled set's checksum)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0")
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


# --- eligibility sets -------------------------------------------------------------------------


@dataclass(frozen=True)
class EligibilityItem:
    """One policy item of an eligibility set; ``conditions`` is None when the set carries none."""

    id: str
    policy_id: str
    title: str
    text: str
    region_code: str | None
    department: str | None
    source: str | None
    conditions: tuple[Entry, ...] | None
    # The document facts a set may give each item (docs/conditions.md §5), posted with it as the
    # service's door would: a non-policy is never offered, nor an item outside its validity at ``as_of``.
    facts: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    as_of: str | None = None
    # The document's sentences that govern every item (适用于…; …的企业不得享受本政策), read with the item.
    governing_text: tuple[str, ...] = ()


@dataclass(frozen=True)
class TruthRow:
    """The true verdict of one (profile, item) pair (``unknown`` = need_info)."""

    profile: str
    item: str
    verdict: str
    failed: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()


@dataclass(frozen=True)
class EligibilitySet:
    """A labelled eligibility set: items, profiles (read-only mappings) and truth."""

    path: Path
    items: tuple[EligibilityItem, ...]
    profiles: tuple[Mapping[str, Any], ...]
    truth: tuple[TruthRow, ...]
    sha256: str

    @property
    def has_conditions(self) -> bool:
        """True when every item carries its true conditions."""
        return bool(self.items) and all(item.conditions is not None for item in self.items)

    def item(self, item_id: str) -> EligibilityItem:
        """Return the item with this id."""
        return _index(self.items)[item_id]


def _index(items: tuple[EligibilityItem, ...]) -> dict[str, EligibilityItem]:
    return {item.id: item for item in items}


def _policy_id(obj: Mapping[str, Any], item_id: str) -> str:
    if obj.get("policy_id"):
        return str(obj["policy_id"])
    return item_id.split("#", 1)[0]


def _document_facts(obj: Mapping[str, Any], path: Path, number: int) -> dict[str, Any]:
    """Return the document facts an item line states (``window`` is ``[open, close]``), as PolicyItem names them."""
    facts: dict[str, Any] = {}
    if obj.get("is_policy") is not None:
        if not isinstance(obj["is_policy"], bool):
            raise SetFormatError(f"{path}:{number}: field 'is_policy' must be true or false")
        facts["is_policy"] = obj["is_policy"]
    if obj.get("doc_type"):
        facts["doc_type"] = str(obj["doc_type"])
    # Dates count only in a dated set: its truth was judged at each line's as_of. An undated set (the
    # plain demo's) judged every pair whatever the day, so its validity and window are left out.
    if not obj.get("as_of"):
        return facts
    for key in ("valid_from", "valid_until", "issued"):
        if obj.get(key):
            facts[key] = str(obj[key])
    window = obj.get("window")
    if window:
        if not (isinstance(window, list) and len(window) == 2):
            raise SetFormatError(
                f"{path}:{number}: field 'window' must be [open, close] (either may be null)"
            )
        facts["window_open"], facts["window_close"] = (str(d) if d else None for d in window)
    return facts


def read_eligibility_set(directory: Path | str) -> EligibilitySet:
    """Read ``items.jsonl``, ``profiles.jsonl`` and ``truth.jsonl`` from ``directory``."""
    directory = Path(directory)
    if not directory.is_dir():
        raise SetFormatError(f"{directory}: not a folder")
    items_path = _require_file(directory, "items.jsonl")
    profiles_path = _require_file(directory, "profiles.jsonl")
    truth_path = _require_file(directory, "truth.jsonl")

    items: list[EligibilityItem] = []
    for number, obj, item_id in _keyed_records(items_path, "id", "item "):
        text = _need(obj, "text", items_path, number)
        conditions: tuple[Entry, ...] | None = None
        if obj.get("conditions") is not None:
            raw = obj["conditions"]
            if not isinstance(raw, list):
                raise SetFormatError(f"{items_path}:{number}: field 'conditions' must be a list")
            tiers = obj.get("tiers") or []
            if not isinstance(tiers, list):
                raise SetFormatError(f"{items_path}:{number}: field 'tiers' must be a list")
            # The condition language v2: leaves, any groups, roles, and tiers (inline or beside them).
            parsed: list[Entry] = []
            for name, entries in (("conditions", raw), ("tiers", tiers)):
                for position, cond in enumerate(entries):
                    try:
                        parsed.append(node_from_dict(cond))
                    except (ConditionError, TypeError, AttributeError) as exc:
                        raise SetFormatError(
                            f"{items_path}:{number}: field '{name}[{position}]': {exc}"
                        ) from exc
            conditions = parse_conditions(parsed)
        items.append(
            EligibilityItem(
                id=item_id,
                policy_id=_policy_id(obj, item_id),
                title=str(obj.get("title") or ""),
                text=text,
                region_code=str(obj["region_code"]) if obj.get("region_code") else None,
                department=str(obj["department"]) if obj.get("department") else None,
                source=str(obj["source"]) if obj.get("source") else None,
                conditions=conditions,
                facts=MappingProxyType(_document_facts(obj, items_path, number)),
                as_of=str(obj["as_of"]) if obj.get("as_of") else None,
                governing_text=tuple(str(t) for t in obj.get("governing_text") or ()),
            )
        )

    profiles: list[Mapping[str, Any]] = [
        MappingProxyType({**obj, "id": profile_id})
        for _, obj, profile_id in _keyed_records(profiles_path, "id", "profile ")
    ]
    seen_profiles = {str(p["id"]) for p in profiles}
    seen_items = {item.id for item in items}

    truth: list[TruthRow] = []
    for number, obj in _read_jsonl(truth_path):
        profile_id = str(_need(obj, "profile", truth_path, number, (str, int)))
        item_id = str(_need(obj, "item", truth_path, number, (str, int)))
        verdict = _need(obj, "verdict", truth_path, number)
        if verdict not in TRUTH_VERDICTS:
            raise SetFormatError(
                f"{truth_path}:{number}: field 'verdict' must be one of {', '.join(TRUTH_VERDICTS)}, got {verdict!r}"
            )
        if profile_id not in seen_profiles:
            raise SetFormatError(
                f"{truth_path}:{number}: field 'profile' names {profile_id!r}, not in profiles.jsonl"
            )
        if item_id not in seen_items:
            raise SetFormatError(f"{truth_path}:{number}: field 'item' names {item_id!r}, not in items.jsonl")
        truth.append(
            TruthRow(
                profile=profile_id,
                item=item_id,
                verdict=verdict,
                failed=tuple(str(f) for f in obj.get("failed") or ()),
                unknown=tuple(str(f) for f in obj.get("unknown") or ()),
            )
        )
    if not items or not truth:
        raise SetFormatError(
            f"{directory}: the set has {len(items)} items and {len(truth)} truth rows; both must be non-empty"
        )
    return EligibilitySet(directory, tuple(items), tuple(profiles), tuple(truth), set_sha256(directory))


# --- retrieval sets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RetrievalDoc:
    """One document of a retrieval set."""

    docid: str
    text: str
    title: str = ""


@dataclass(frozen=True)
class RetrievalQuery:
    """One question with its relevant documents (grade 1.0 for binary relevance)."""

    qid: str
    question: str
    relevant: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def docids(self) -> tuple[str, ...]:
        """The relevant docids, in file order."""
        return tuple(self.relevant)


@dataclass(frozen=True)
class RetrievalSet:
    """A labelled retrieval set: documents and questions."""

    path: Path
    docs: tuple[RetrievalDoc, ...]
    queries: tuple[RetrievalQuery, ...]
    sha256: str
    name: str = ""

    def subset(self, qids: Iterable[str], name: str) -> RetrievalSet:
        """Return the same documents with only the queries in ``qids`` (a split's part)."""
        wanted = set(qids)
        return RetrievalSet(
            self.path, self.docs, tuple(q for q in self.queries if q.qid in wanted), self.sha256, name
        )


def read_retrieval_set(directory: Path | str) -> RetrievalSet:
    """Read ``docs.jsonl`` and ``queries.jsonl`` (or ``dev_queries.jsonl``) from ``directory``."""
    directory = Path(directory)
    if not directory.is_dir():
        raise SetFormatError(f"{directory}: not a folder")
    docs_path = _require_file(directory, "docs.jsonl")
    queries_path = next((directory / name for name in QUERY_FILES if (directory / name).is_file()), None)
    if queries_path is None:
        raise SetFormatError(f"{directory}: needs queries.jsonl (or dev_queries.jsonl) beside docs.jsonl")

    docs = [
        RetrievalDoc(docid, _need(obj, "text", docs_path, number), str(obj.get("title") or ""))
        for number, obj, docid in _keyed_records(docs_path, "docid")
    ]
    seen_docs = {d.docid for d in docs}

    queries: list[RetrievalQuery] = []
    for number, obj, qid in _keyed_records(queries_path, "qid"):
        question = _need(obj, "question", queries_path, number)
        relevant = _relevance(obj, queries_path, number)
        missing = [d for d in relevant if d not in seen_docs]
        if missing:
            raise SetFormatError(
                f"{queries_path}:{number}: field 'docid' names {missing[0]!r}, not in docs.jsonl"
            )
        queries.append(RetrievalQuery(qid, question, MappingProxyType(relevant)))
    if not docs or not queries:
        raise SetFormatError(
            f"{directory}: the set has {len(docs)} docs and {len(queries)} queries; both must be non-empty"
        )
    return RetrievalSet(directory, tuple(docs), tuple(queries), set_sha256(directory), directory.name)


def _relevance(obj: Mapping[str, Any], path: Path, number: int) -> dict[str, float]:
    if obj.get("docids") is not None:
        raw = obj["docids"]
        if isinstance(raw, Mapping):
            try:
                return {str(k): float(v) for k, v in raw.items()}
            except (TypeError, ValueError) as exc:
                raise SetFormatError(f"{path}:{number}: field 'docids' grades must be numbers") from exc
        if isinstance(raw, list) and raw:
            return {str(d): 1.0 for d in raw}
        raise SetFormatError(
            f"{path}:{number}: field 'docids' must be a non-empty list or a mapping docid → grade"
        )
    return {str(_need(obj, "docid", path, number, (str, int))): 1.0}


# --- exported feedback ------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackRecord:
    """One judgement of a matched item by an enterprise, as ``policymatch feedback export`` writes it.

    One JSON object per line: ``{"enterprise_id", "item_id", "label", "query_text",
    "item_text", "created", "comment"}``. ``label`` is ``useful`` / ``applied`` /
    ``received`` (positives) or ``not_useful`` (a negative). ``query_text`` is the
    text the enterprise was matched by (its business scope, products and
    description, as the matcher built the query); ``item_text`` the item's title
    and text. Both texts are carried so training needs no store.
    """

    enterprise_id: str
    item_id: str
    label: str
    query_text: str
    item_text: str
    created: str = ""
    comment: str = ""

    @property
    def positive(self) -> bool:
        """True for useful / applied / received."""
        return self.label in POSITIVE_FEEDBACK

    def to_dict(self) -> dict[str, str]:
        """JSON-ready dict, the export line."""
        return {
            "enterprise_id": self.enterprise_id,
            "item_id": self.item_id,
            "label": self.label,
            "query_text": self.query_text,
            "item_text": self.item_text,
            "created": self.created,
            "comment": self.comment,
        }


def write_feedback(records: Iterable[FeedbackRecord], path: Path | str) -> int:
    """Write feedback records as JSONL; returns how many were written."""
    count = 0
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
            count += 1
    return count


def read_feedback(path: Path | str) -> tuple[FeedbackRecord, ...]:
    """Read exported feedback JSONL; raises SetFormatError naming file:line:field."""
    path = Path(path)
    if not path.is_file():
        raise SetFormatError(f"{path}: feedback file is missing")
    records = []
    for number, obj in _read_jsonl(path):
        label = _need(obj, "label", path, number)
        if label not in FEEDBACK_LABELS:
            raise SetFormatError(
                f"{path}:{number}: field 'label' must be one of {', '.join(FEEDBACK_LABELS)}, got {label!r}"
            )
        records.append(
            FeedbackRecord(
                enterprise_id=str(_need(obj, "enterprise_id", path, number, (str, int))),
                item_id=str(_need(obj, "item_id", path, number, (str, int))),
                label=label,
                query_text=_need(obj, "query_text", path, number),
                item_text=_need(obj, "item_text", path, number),
                created=str(obj.get("created") or ""),
                comment=str(obj.get("comment") or ""),
            )
        )
    return tuple(records)
