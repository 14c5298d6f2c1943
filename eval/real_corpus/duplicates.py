"""Identical texts in the real corpus: group them by the stored sha256, find labels that differ, copy one label to all.

NCP reposts one document under several docids (a ministry's notice, then each
province's forward of it), so the same 事项 text is labelled more than once,
sometimes in different splits and by different readers. Two labels of one text
must agree (the truth of a pair cannot depend on which repost it came from),
and a check or final item whose text also occurs in tune is not unseen text.

Everything here reads the label files only — the ``sha256`` each item and
document record stores — never the texts, so it runs without ``../shared`` and
never opens a final-split text.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from durable import write_text_atomic
from eval.real_corpus.base import LABELS_DIR, sha256_text, split_of
from eval.real_corpus.records import _read_jsonl

# What is not part of a label: where a record sits (ids, offsets, files), who wrote it and their words.
ITEM_IGNORED = frozenset({"kind", "id", "doc", "start", "end", "sha256", "title", "labeller", "note"})
DOCUMENT_IGNORED = frozenset({"kind", "doc", "source", "docid", "sha256", "title", "labeller", "note"})


@dataclass(frozen=True)
class LabelRecord:
    """One record of a label file, where it is, and its document's split (from the key, not the text)."""

    path: Path
    line: int
    record: Mapping[str, Any]

    @property
    def kind(self) -> str:
        """``item`` or ``document``."""
        return str(self.record.get("kind"))

    @property
    def key(self) -> str:
        """The item id, or the document key."""
        return str(self.record.get("id") if self.kind == "item" else self.record.get("doc"))

    @property
    def split(self) -> str:
        """The fixed split of the record's document."""
        return split_of(str(self.record.get("doc")))

    @property
    def sha256(self) -> str:
        """The stored sha256 of the record's text."""
        return str(self.record.get("sha256"))


@dataclass(frozen=True)
class DuplicateGroup:
    """Records of one kind whose texts have the same sha256, and the distinct labels they carry."""

    kind: str
    sha256: str
    members: tuple[LabelRecord, ...]
    labels: tuple[str, ...]  # canonical label of each member, in member order

    @property
    def consistent(self) -> bool:
        """Say whether every member carries the same label."""
        return len(set(self.labels)) == 1

    @property
    def splits(self) -> tuple[str, ...]:
        """The members' splits, in member order."""
        return tuple(m.split for m in self.members)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-able summary: members (key, split, file:line) and which label each carries."""
        variants = list(dict.fromkeys(self.labels))
        return {
            "kind": self.kind,
            "sha256": self.sha256,
            "consistent": self.consistent,
            "members": [
                {
                    "key": m.key,
                    "split": m.split,
                    "at": f"{m.path.name}:{m.line}",
                    "label": variants.index(label),
                }
                for m, label in zip(self.members, self.labels, strict=True)
            ],
        }


def read_label_records(
    labels_dir: Path | None = None, files: Sequence[Path] | None = None
) -> list[LabelRecord]:
    """Every JSON object of the label files (``labels/*.jsonl``), in file and line order; bad lines are skipped."""
    paths = sorted(files) if files is not None else sorted(Path(labels_dir or LABELS_DIR).glob("*.jsonl"))
    # A line that does not parse comes as its error: load_corpus reports it, the grouping skips it.
    return [
        LabelRecord(path, number, record)
        for path in paths
        for number, record in _read_jsonl(path)
        if isinstance(record, Mapping) and record.get("sha256")
    ]


def _canonical(value: Any) -> Any:
    """Sort dict keys and drop empty values, so equal labels compare equal."""
    if isinstance(value, Mapping):
        return {k: _canonical(v) for k, v in sorted(value.items()) if v not in (None, [], {})}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def item_label(record: Mapping[str, Any]) -> str:
    """Return the label of an item as one canonical string: conditions, tiers, support_type, for_enterprises."""
    label = {k: v for k, v in record.items() if k not in ITEM_IGNORED}
    return json.dumps(_canonical(label), ensure_ascii=False, sort_keys=True)


def document_label(record: Mapping[str, Any]) -> str:
    """Return the document facts as one canonical string (issuer, is_policy, region, dates, governs …)."""
    label = {k: v for k, v in record.items() if k not in DOCUMENT_IGNORED}
    return json.dumps(_canonical(label), ensure_ascii=False, sort_keys=True)


def duplicate_groups(records: Iterable[LabelRecord]) -> list[DuplicateGroup]:
    """Return the groups of two or more items (or documents) with the same text sha256, largest first."""
    by_hash: dict[tuple[str, str], list[LabelRecord]] = defaultdict(list)
    for r in records:
        if r.kind in ("item", "document"):
            by_hash[(r.kind, r.sha256)].append(r)
    groups = []
    for (kind, digest), members in by_hash.items():
        if len(members) < 2:
            continue
        labeller = item_label if kind == "item" else document_label
        groups.append(
            DuplicateGroup(kind, digest, tuple(members), tuple(labeller(m.record) for m in members))
        )
    groups.sort(key=lambda g: (g.kind != "document", -len(g.members), g.sha256))
    return groups


def consistency_report(records: Sequence[LabelRecord]) -> dict[str, Any]:
    """Count duplicate groups and list and every group whose members' labels differ."""
    groups = duplicate_groups(records)
    differing = [g for g in groups if not g.consistent]
    tune = tune_item_hashes(records)
    seen_in_tune: dict[str, int] = defaultdict(int)
    for r in records:
        if r.kind == "item" and r.split != "tune" and r.sha256 in tune:
            seen_in_tune[r.split] += 1
    return {
        "item_groups": sum(g.kind == "item" for g in groups),
        "items_in_groups": sum(len(g.members) for g in groups if g.kind == "item"),
        "item_groups_differing": sum(g.kind == "item" for g in differing),
        "document_groups": sum(g.kind == "document" for g in groups),
        "document_groups_differing": sum(g.kind == "document" for g in differing),
        "cross_split_item_groups": sum(g.kind == "item" and len(set(g.splits)) > 1 for g in groups),
        "items_whose_text_is_in_tune": dict(seen_in_tune),
        "differing": [g.as_dict() for g in differing],
    }


def tune_item_hashes(records: Iterable[LabelRecord]) -> frozenset[str]:
    """Return the sha256 of every tune item's text (read from the labels: no text is opened)."""
    return frozenset(r.sha256 for r in records if r.kind == "item" and r.split == "tune")


def whitespace_free_sha256(text: str) -> str:
    """Return the sha256 of a text with every whitespace character removed (reposts re-wrap lines)."""
    return sha256_text("".join(text.split()))


def items_seen_in_tune(items: Iterable[Any]) -> dict[str, str]:
    """Map each check / final item whose text also occurs in tune to how: ``same text`` or ``same but whitespace``.

    ``items`` are loaded items (``id``, ``split``, ``record["sha256"]``, ``text``); the texts are
    only hashed, mechanically, so no final text is read by anyone.
    """
    items = list(items)
    exact = {i.record["sha256"] for i in items if i.split == "tune"}
    loose = {whitespace_free_sha256(i.text) for i in items if i.split == "tune"}
    seen = {}
    for i in items:
        if i.split == "tune":
            continue
        if i.record["sha256"] in exact:
            seen[i.id] = "same text"
        elif whitespace_free_sha256(i.text) in loose:
            seen[i.id] = "same but whitespace"
    return seen


def propagate(
    records: Sequence[LabelRecord], source_key: str, *, kind: str = "item"
) -> dict[Path, dict[int, dict[str, Any]]]:
    """Build new records for every member of ``source_key``'s group, carrying its label (keeping their own ids, offsets).

    Returns ``{file: {line: new record}}`` for the members whose label changes. A
    member keeps its own ``id``/``doc``/offsets/``labeller``/``title``; its label
    fields become the source's (spans are item-relative, so identical texts keep them).
    """
    source = next((r for r in records if r.kind == kind and r.key == source_key), None)
    if source is None:
        raise KeyError(f"no {kind} {source_key!r} in the label files")
    ignored = ITEM_IGNORED if kind == "item" else DOCUMENT_IGNORED
    labeller = item_label if kind == "item" else document_label
    label = {k: v for k, v in source.record.items() if k not in ignored}
    changes: dict[Path, dict[int, dict[str, Any]]] = defaultdict(dict)
    for r in records:
        if r.kind != kind or r.sha256 != source.sha256 or r is source:
            continue
        if labeller(r.record) == labeller(source.record):
            continue
        kept = {k: v for k, v in r.record.items() if k in ignored}
        new = {**kept, **label}
        new["note"] = _note(r.record.get("note"), f"label copied from {source_key} (identical text, sha256)")
        changes[r.path][r.line] = {k: new[k] for k in _order(r.record, new)}
    return dict(changes)


def _note(old: Any, add: str) -> str:
    return add if not old else (old if add in str(old) else f"{old}; {add}")


def _order(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[str]:
    """Yield the old record's key order, then new keys (keeps the diff small)."""
    yield from (k for k in old if k in new)
    yield from (k for k in new if k not in old)


def write_changes(changes: Mapping[Path, Mapping[int, Mapping[str, Any]]]) -> int:
    """Rewrite the given lines of the label files in place; return how many records changed."""
    n = 0
    for path, lines in changes.items():
        rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
        for line, record in lines.items():
            rows[line - 1] = json.dumps(record, ensure_ascii=False) + "\n"
            n += 1
        write_text_atomic(path, "".join(rows))  # a label file is never left half-written
    return n


def summary_markdown(report: Mapping[str, Any]) -> str:
    """Write a short markdown account of the duplicate groups and the differing ones."""
    seen = report["items_whose_text_is_in_tune"]
    lines = [
        f"- item groups (same text sha256): {report['item_groups']} ({report['items_in_groups']} items), "
        f"{report['cross_split_item_groups']} across splits, **{report['item_groups_differing']} with differing labels**",
        f"- document groups (same whole text): {report['document_groups']}, "
        f"**{report['document_groups_differing']} with differing facts**",
        f"- items of check / final whose text also occurs in tune: {seen.get('check', 0)} / {seen.get('final', 0)}",
    ]
    for g in report["differing"]:
        members = ", ".join(f"{m['key']} ({m['split']}, label {m['label']})" for m in g["members"])
        lines.append(f"  - {g['kind']} {g['sha256'][:12]}: {members}")
    return "\n".join(lines)
