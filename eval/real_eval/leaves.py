"""Posting a labelled document as the service's form would, aligning items, and comparing condition leaves."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eval.real_corpus import LabelledItem

TRUTH_LABELS = ("eligible", "unknown", "ineligible")
FREE_TEXT = ("undecidable", "semantic")
METADATA_MODES = ("source", "labelled")
# The home region of the platform a source's documents are posted to, where the source is one platform's
# (``POLICYMATCH_HOME_REGION`` of its deployment): msgabench is the Q&A of 首都之窗, the Beijing government's
# portal (../shared/data/README.md), whose answers name their department without the city (科委,
# 人力资源社会保障局) as a city's own portal does. One value for the whole source, known before any document
# is read — never a document's labelled region. NCP mixes national and provincial bodies (no one
# platform); the Guangzhou csv's 发文机关 names each issuer's place.
PLATFORM_REGIONS: Mapping[str, str] = {"msga": "11"}


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
    """Match leaves on (field, op, value) — free-text leaves by kind and count — then classify what is left.

    Among leaves of one key, one of the same role is paired first, so a role error is counted only where no leaf of
    that key holds the labelled role — not where the same leaves were listed in another order.
    """
    out = Comparison()
    left = list(predicted)
    unmatched = []
    # Leaves of one key are interchangeable for the count (free-text ones match by kind alone), so pairs of the
    # same role are made first, over all the leaves: the role comparison below must not hang on the order leaves
    # were listed in (a governing exclusion listed before an item's own requirement is no role error).
    paired: dict[int, Leaf] = {}
    for same_role in (True, False):
        for n, leaf in enumerate(true):
            if n in paired:
                continue
            hit = next(
                (p for p in left if _key(p) == _key(leaf) and (p.role == leaf.role or not same_role)), None
            )
            if hit is not None:
                left.remove(hit)
                paired[n] = hit
    for n, leaf in enumerate(true):
        if n in paired:
            out.tp.append((leaf, paired[n]))
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
