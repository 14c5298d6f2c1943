"""Tagging and condition extraction: what a policy item requires and offers, and what an enterprise is.

- :func:`extract_item` — an item's :class:`PolicyTags` and its conditions
  (conditions.md), each with its exact span, and the same read in the condition
  language v2 (docs/conditions.md: roles, ``any`` groups, tiers) as ``entries``;
- :func:`extract_entries` — the v2 reading alone;
- :func:`for_enterprises` — whether an item gives an enterprise anything (not: persons' benefits,
  departments' duties);
- :func:`enterprise_tags` — an enterprise's :class:`EnterpriseTags`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from corpus.conditions import Condition, Entry
from matcher.extraction.audience import for_enterprises
from matcher.extraction.conditions import extract_conditions
from matcher.extraction.enterprise import EnterpriseTags, enterprise_tags
from matcher.extraction.structure import extract_entries
from matcher.extraction.tags import IndustryTag, PolicyTags, read_tags

__all__ = [
    "EnterpriseTags",
    "Extraction",
    "IndustryTag",
    "PolicyTags",
    "enterprise_tags",
    "extract_conditions",
    "extract_entries",
    "extract_item",
    "extract_policy_item",
    "for_enterprises",
]


@dataclass(frozen=True)
class Extraction:
    """What was read from one policy item: its tags, its conditions, and the same in the language v2.

    ``conditions`` are the v1 leaves (every requirement ANDed); ``entries`` say what the text
    says (alternatives, bonuses, exclusions, tiers), for the stores and verdicts that speak v2.
    ``for_enterprises`` is False for an item that gives enterprises nothing (a benefit for persons
    only, duties of departments): ingest stores it, never offered.
    """

    tags: PolicyTags
    conditions: tuple[Condition, ...]
    entries: tuple[Entry, ...] = ()
    for_enterprises: bool = True


def extract_item(
    text: str,
    *,
    title: str = "",
    region_code: str | None = None,
    department: str | None = None,
    issued: str | None = None,
) -> Extraction:
    """Read one item's tags and conditions (each condition's ``span`` is a substring of ``text``).

    ``region_code`` is the issuer's region (what 本市 / 我县 name); ``issued`` the policy's date
    (``YYYY-MM-DD``), which ages such as 成立满3年 count back from — today when not given.
    """
    conditions = extract_conditions(text, region_code=region_code, issued=issued)
    entries = extract_entries(text, region_code=region_code, issued=issued)
    tags = read_tags(text, conditions, title=title, region_code=region_code, department=department)
    if not for_enterprises(text):
        # Whom it names (医务人员, 各地税务机关) are no conditions on an enterprise: the item is never
        # offered (ingest stores it as no policy), and it states none (labelling guide §4).
        return Extraction(tags, (), (), False)
    return Extraction(tags, conditions, entries)


class ItemRecord(Protocol):
    """What :func:`extract_policy_item` reads of an item record (``issued`` too where it has one)."""

    @property
    def text(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def region_code(self) -> str | None: ...
    @property
    def department(self) -> str | None: ...


def extract_policy_item(item: ItemRecord) -> Extraction:
    """:func:`extract_item` of an item record: its ``text``, ``title``, ``region_code``, ``department``, ``issued``.

    The one call ingest and both evaluation runners make, so they read an item with the same facts.
    """
    return extract_item(
        item.text,
        title=item.title,
        region_code=item.region_code,
        department=item.department,
        issued=getattr(item, "issued", None),
    )
