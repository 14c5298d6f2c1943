"""The records of a demo policy: :class:`DemoPolicy` (a POST /v1/policies document) and its :class:`DemoItem` s."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from corpus.conditions import Entry, Node, conditions_json
from corpus.schemas import ItemText


@dataclass(frozen=True)
class DemoItem(ItemText):
    """One item (事项) of a demo policy with its true conditions; ``spans`` are offsets into ``text``."""

    conditions: tuple[Entry, ...]  # the truth (v2): the item's own entries plus what governs it
    spans: tuple[tuple[int, int], ...]  # offsets in ``text`` of the leaves of ``local``, in leaves() order
    theme: str
    support_type: str
    support: str
    fulfilment: str | None
    region_code: str
    department: str
    issued: str
    valid_until: str | None
    semantic_lines: tuple[tuple[str, tuple[str, ...]], ...] = ()
    local: tuple[Entry, ...] = ()  # what the item's own text says (spans in ``text``)
    governed: tuple[
        Node, ...
    ] = ()  # conditions of the document's governing clauses (spans in the policy text)
    facts: dict[str, Any] = field(default_factory=dict)  # the document facts (docs/conditions.md §5)

    @property
    def is_policy(self) -> bool:
        """False for an item of a 公示 / 名单: stored, never matched."""
        return bool(self.facts.get("is_policy", True))

    def to_set_record(self, source: str) -> dict[str, Any]:
        """Return the item as a line of a labelled set's ``items.jsonl`` (conditions.md v2), plus its metadata."""
        truth = conditions_json(self.conditions)
        return {
            "id": self.id,
            "title": self.title,
            "text": self.text,
            "region_code": self.region_code,
            "department": self.department,
            "source": source,
            "conditions": truth["conditions"],
            "tiers": truth["tiers"],
            **{key: value for key, value in self.facts.items() if key != "governs"},
            "governs": list(self.facts.get("governs", ())),
            "policy_id": self.policy_id,
            "heading_path": list(self.heading_path),
            "fulfilment": self.fulfilment,
            "issued": self.issued,
            "valid_until": self.valid_until,
            "theme": self.theme,
            "support_type": self.support_type,
            "support": self.support,
        }


@dataclass(frozen=True)
class DemoPolicy:
    """A demo policy document: the POST /v1/policies fields, its 文号, and its items."""

    id: str
    title: str
    text: str
    region_code: str
    department: str
    issued: str
    valid_until: str | None
    url: str
    fulfilment: str | None
    doc_number: str
    numbering: str
    items: tuple[DemoItem, ...] = field(default_factory=tuple)
    facts: dict[str, Any] = field(default_factory=dict)  # docs/conditions.md §5; governs as offsets in text

    @property
    def is_policy(self) -> bool:
        """False for a 公示 / 名单 (a document that is not a policy an enterprise can apply for)."""
        return bool(self.facts.get("is_policy", True))

    def to_record(self) -> dict[str, Any]:
        """Return the document in the POST /v1/policies shape (shared/spec/api.md), with its document facts."""
        from corpus.schemas import FULFILMENTS, PolicyDocument

        known = set(PolicyDocument.__dataclass_fields__)  # facts the running schema takes (v2 stores)
        window = self.facts.get("window")
        record: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "text": self.text,
            "region_code": self.region_code,
            "department": self.department,
            "issued": self.issued,
            "valid_until": self.valid_until,
            "url": self.url,
            # A mode the running schema does not know yet (快申优享 before it learnt them) stays in the text only.
            "fulfilment": self.fulfilment if self.fulfilment in FULFILMENTS else None,
        }
        if "is_policy" in known:
            record["is_policy"] = self.is_policy
            record["doc_type"] = self.facts.get("doc_type")
        if "valid_from" in known and self.facts.get("valid_from"):
            record["valid_from"] = self.facts["valid_from"]
        if "window_open" in known and window:
            record["window"] = list(window)
        return record
