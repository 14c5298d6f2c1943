"""The item catalog: every policy item as the matcher holds it, compiled for 智能匹配 and 精准推送.

An :class:`ItemCatalog` is one immutable snapshot of the store's items: their
conditions compiled into one :class:`~matcher.eligibility.ConditionTable`, the
region prefixes and validity as arrays, and the tag words as a sparse
incidence matrix. A change of a policy compiles a new snapshot (readers keep
the one they started with).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from corpus.conditions import Entry
from matcher.eligibility import ConditionTable
from matcher.encoder_text import item_text
from matcher.extraction.support import support_text as support_sentence
from matcher.facts import FactArrays, ItemFacts

# (region prefixes, day) pairs whose offered items a catalog keeps (``ItemCatalog.offered_in``): ≈ 18 KB each for
# a district of the 5k-item demo (its ≈ 2k positions as int64 and their mask), one per catalog prefix and day.
_OFFERED_KEPT = 256
_NATIONAL = {"", "0", "000000", "100000", "86"}
# Tag keys that say how much or when, not what an item is about: no tag words.
_NOT_TOPICAL = ("amount", "amount_cap", "cap", "deadline", "department", "support", "amount_text")
# The sentence of an item that states its support: a kind of support and an amount in 元.


class ItemNotFound(LookupError):
    """No policy or item with that id."""


def region_prefix(code: str | None) -> str:
    """Return the prefix an item's region code covers: ``330000`` → ``33``, ``331000`` → ``3310``, national → ``""``."""
    text = str(code or "").strip()
    if text in _NATIONAL:
        return ""
    if len(text) == 6:
        if text.endswith("0000"):
            return text[:2]
        if text.endswith("00"):
            return text[:4]
    return text


def day_number(value: Any) -> float:
    """Return the ordinal day of an ISO date (``+inf`` when open-ended or unreadable)."""
    if not value:
        return math.inf
    try:
        return float(dt.date.fromisoformat(str(value)[:10]).toordinal())
    except ValueError:
        return math.inf


def support_text(text: str, tags: Mapping[str, Any] | None) -> str | None:
    """Return an item's 支持内容: the sentence stating its support, else what extraction tagged.

    Extraction tags the kinds of support (``support_types``), the largest amount and the cap,
    in 万元 (``amount``, ``amount_cap``); with none, and no such sentence, there is nothing to show.
    """
    # Linear in the text (issue 18): the regex it replaces backtracked quadratically on long text.
    sentence = support_sentence(text)
    if sentence:
        return sentence.strip()
    tags = tags or {}
    said = [str(k) for k in tags.get("support_types") or () if str(k).strip()]
    cap, amount = _positive(tags.get("amount_cap")), _positive(tags.get("amount"))
    if cap is not None:
        said.append(f"最高{cap:g}万元")
    elif amount is not None:
        said.append(f"{amount:g}万元")
    return "，".join(said) or None


def _positive(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return None


def tag_words(tags: Mapping[str, Any] | None) -> frozenset[str]:
    """Return the words an item is tagged with (industries, qualifications, regions, support types, ...)."""
    words: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            if value.strip():
                words.add(value.strip())
        elif isinstance(value, Mapping):
            for v in value.values():
                walk(v)
        elif isinstance(value, Iterable):
            for v in value:
                walk(v)

    for key, value in (tags or {}).items():
        if key not in _NOT_TOPICAL:
            walk(value)
    return frozenset(words)


@dataclass(frozen=True)
class CatalogItem:
    """A policy item as the matcher holds it."""

    id: str
    policy_id: str
    title: str
    text: str
    region_prefix: str
    valid_until: float  # day number, +inf when open-ended
    fulfilment: str | None
    support: str | None
    conditions: tuple[Entry, ...]
    tag_words: frozenset[str]
    facts: ItemFacts = ItemFacts()

    @property
    def indexed_text(self) -> str:
        """What the item index reads of the item (``matcher.encoder_text.item_text``)."""
        return item_text(self.title, self.text)


@dataclass(frozen=True)
class Offered:
    """What an enterprise's region and the day leave of the catalog (``ItemCatalog.offered_in``)."""

    #: The items of the region (every item when the region is unknown), in position order.
    positions: np.ndarray
    #: Of those, whether each is offered on the day (a policy, within its validity).
    applicable: np.ndarray
    #: How many items are offered.
    count: int
    #: False: an unknown region, every item kept with its region unknown.
    region_known: bool


@dataclass(frozen=True)
class ItemCatalog:
    """Every item, sorted by id, with its compiled conditions, regions, validity and tag words."""

    items: tuple[CatalogItem, ...]
    position: dict[str, int]
    table: ConditionTable
    prefixes: tuple[str, ...]
    prefix_of: np.ndarray
    has_region: np.ndarray
    valid_until: np.ndarray
    id_array: np.ndarray
    tag_vocab: dict[str, int]
    tag_matrix: Any  # scipy CSR (items × tag words) or None
    tag_counts: np.ndarray
    facts: FactArrays | None = None

    @classmethod
    def compile(cls, items: Iterable[CatalogItem]) -> ItemCatalog:
        """Compile items (in any order) into a catalog."""
        import scipy.sparse as sp

        ordered = tuple(sorted(items, key=lambda i: i.id))
        prefixes = tuple(sorted({i.region_prefix for i in ordered}))
        prefix_index = {p: n for n, p in enumerate(prefixes)}
        vocab: dict[str, int] = {}
        rows, cols = [], []
        for n, item in enumerate(ordered):
            for word in item.tag_words:
                rows.append(n)
                cols.append(vocab.setdefault(word, len(vocab)))
        matrix = (
            sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(ordered), len(vocab)))
            if vocab
            else None
        )
        return cls(
            items=ordered,
            position={item.id: n for n, item in enumerate(ordered)},
            table=ConditionTable([item.conditions for item in ordered]),
            prefixes=prefixes,
            prefix_of=np.array([prefix_index[i.region_prefix] for i in ordered], dtype=np.int64),
            has_region=np.array([bool(i.region_prefix) for i in ordered], dtype=bool),
            valid_until=np.array([i.valid_until for i in ordered], dtype=np.float64),
            id_array=np.array([i.id for i in ordered], dtype=object),
            tag_vocab=vocab,
            tag_matrix=matrix,
            tag_counts=np.array([len(i.tag_words) for i in ordered], dtype=np.float64),
            facts=FactArrays.of([i.facts for i in ordered]),
        )

    def __len__(self) -> int:
        """Items held."""
        return len(self.items)

    def with_policy(self, policy_id: str, fresh: Sequence[CatalogItem]) -> ItemCatalog:
        """Return the catalog with one policy's items replaced by ``fresh`` (none: the policy left)."""
        return ItemCatalog.compile([i for i in self.items if i.policy_id != policy_id] + list(fresh))

    def of_policy(self, policy_id: str) -> list[CatalogItem]:
        """Return the items of one policy."""
        return [i for i in self.items if i.policy_id == policy_id]

    def find(self, policy_id: str, item_id: str | None) -> list[CatalogItem]:
        """Return one item of a policy (``item_id``) or all of them; raises :class:`ItemNotFound`."""
        if item_id is not None:
            position = self.position.get(item_id)
            if position is None or self.items[position].policy_id != policy_id:
                raise ItemNotFound(f"policy {policy_id!r} has no item {item_id!r}")
            return [self.items[position]]
        items = self.of_policy(policy_id)
        if not items:
            raise ItemNotFound(f"no policy with id {policy_id!r} (or it has no items)")
        return items

    def item(self, item_id: str) -> CatalogItem:
        """Return the item with this id; raises :class:`ItemNotFound`."""
        position = self.position.get(item_id)
        if position is None:
            raise ItemNotFound(f"no item with id {item_id!r}")
        return self.items[position]

    def offered_in(self, region: str, day: dt.date) -> Offered:
        """Return the items an enterprise of ``region`` may be offered on ``day``; "" is an unknown region.

        It reads nothing of the enterprise, so it is built once and kept per (the catalog prefixes the
        region starts with, day), its arrays read-only and shared by every request alike (a first request
        otherwise spent a few numpy passes over every item on it). Regions with the same longest matching
        prefix share one, so a catalog keeps at most one per prefix plus one (no region) per day.
        """
        matched = tuple(n for n, prefix in enumerate(self.prefixes) if region.startswith(prefix))
        key = (matched if region else None, day.toordinal())
        kept: dict[tuple[tuple[int, ...] | None, int], Offered] | None = self.__dict__.get("_offered")
        if kept is None:
            kept = {}
            object.__setattr__(self, "_offered", kept)  # frozen: a catalog is replaced, never changed
        found = kept.get(key)
        if found is None:
            n = len(self.items)
            in_region = self.in_region(region) if region else None
            every = np.ones(n, dtype=bool) if in_region is None else in_region.copy()
            # Document facts: non-policies are never matched; outside validity nothing is offered.
            if self.facts is not None:
                every &= self.facts.offered(day)
            else:
                every &= self.valid_until >= day.toordinal()
            if in_region is not None:
                positions = np.flatnonzero(in_region)
                found = Offered(positions, every[positions], int(every.sum()), True)
            else:
                found = Offered(np.arange(n, dtype=np.int64), every, int(every.sum()), False)
            found.positions.setflags(write=False)  # shared: a caller writing to one raises
            found.applicable.setflags(write=False)
            if len(kept) >= _OFFERED_KEPT:
                kept.clear()  # bounded: a long-running process sees a new day every day
            kept[key] = found
        return found

    def in_region(self, region: str) -> np.ndarray:
        """Whether each item may be offered in ``region`` (its prefix starts the code; a national item's is ""): a new array."""
        return np.array([region.startswith(p) for p in self.prefixes], dtype=bool)[self.prefix_of]

    def tag_overlap(self, words: frozenset[str]) -> np.ndarray:
        """Share of each item's tag words among ``words`` (0 for untagged items), over all items."""
        columns = [self.tag_vocab[w] for w in words if w in self.tag_vocab]
        if not columns or self.tag_matrix is None:
            return np.zeros(len(self.items))
        indicator = np.zeros(self.tag_matrix.shape[1])
        indicator[columns] = 1.0
        hits = self.tag_matrix @ indicator
        return np.asarray(hits / np.maximum(self.tag_counts, 1), dtype=np.float64)


def read_items(store: Any, policy_ids: Iterable[str] | None = None) -> list[CatalogItem]:
    """Read items (all, or those of ``policy_ids``) with their tags and conditions from the store."""
    out = []
    for item in store.iter_items() if policy_ids is None else _policy_items(store, policy_ids):
        tags = store.item_tags(item.id)
        out.append(
            CatalogItem(
                id=item.id,
                policy_id=item.policy_id,
                title=item.title,
                text=item.text,
                region_prefix=region_prefix(item.region_code),
                valid_until=day_number(item.valid_until),
                fulfilment=item.fulfilment,
                support=support_text(item.text, tags),
                conditions=tuple(store.item_conditions(item.id)),
                tag_words=tag_words(tags),
                facts=ItemFacts.of(item),
            )
        )
    return out


def _policy_items(store: Any, policy_ids: Iterable[str]) -> Iterator[Any]:
    for policy_id in policy_ids:
        yield from store.iter_items(policy_id)
