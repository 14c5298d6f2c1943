"""精准推送: an item's whole target list over every enterprise, and 免申即享 lists.

:class:`TargetLists` judges one item's conditions over the enterprise columns
in a few numpy passes (:func:`~matcher.targets.order_targets`), keeps the last
orders computed (a page of a list reads the cached order), and spells rows out
lazily (:func:`~matcher.targets.build_row`).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from corpus.conditions import leaves
from matcher.enterprise_directory import EnterpriseDirectory
from matcher.item_catalog import CatalogItem, ItemCatalog
from matcher.item_index import ItemIndex
from matcher.semantic import SemanticJudge
from matcher.targets import (
    DEFAULT_LEVELS,
    EntitledList,
    TargetOrder,
    TargetPage,
    TargetRow,
    build_row,
    check_levels,
    order_targets,
    undecidable_conditions,
    unknown_region_capped,
)

# Orders kept: the lists being paged through at once.
CACHED_ORDERS = 32


class TargetLists:
    """Target lists of items over the directory's enterprises, the last orders cached."""

    def __init__(
        self,
        catalog: Callable[[], ItemCatalog],
        directory: EnterpriseDirectory,
        index: ItemIndex,
        judge: SemanticJudge,
        today: Callable[[], dt.date],
    ) -> None:
        self._catalog = catalog
        self._directory = directory
        self._index = index
        self._judge = judge
        self._today = today
        self.orders: OrderedDict[tuple[Any, ...], TargetOrder] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget every cached order (items, enterprises or the index changed)."""
        with self._lock:
            self.orders.clear()

    def order(
        self,
        policy_id: str,
        item_id: str | None = None,
        levels: Sequence[str] = DEFAULT_LEVELS,
        include_excluded: bool = True,
        *,
        as_of: dt.date | None = None,
    ) -> TargetOrder:
        """Compute the whole ordered target list of one item (the policy's only item when ``item_id`` is None)."""
        catalog = self._catalog()
        items = catalog.find(policy_id, item_id)
        if item_id is None and len(items) > 1:
            raise ValueError(
                f"policy {policy_id!r} has {len(items)} items; name one with item_id (e.g. {items[0].id!r})"
            )
        item = items[0]
        levels = check_levels(levels)
        columns = self._directory.columns
        today = as_of or self._today()
        key = (item.id, levels, include_excluded, columns.version, id(catalog), self._index.version, today)
        with self._lock:
            cached = self.orders.get(key)
        if cached is not None:
            return cached
        semantic_scores = None
        semantic = [c for c in leaves(item.conditions) if c.op == "semantic"]
        if semantic and columns.vectors is not None:
            texts = [str(c.value or c.span) for c in semantic]
            vectors = self._judge.condition_vectors(texts)
            semantic_scores = {
                t: columns.vectors[: len(columns)] @ v for t, v in zip(texts, vectors, strict=True)
            }
        with columns._lock:
            verdicts = columns.judge(item.conditions, semantic_scores, self._judge.codes)
            applicable = columns.region_applicable(item.region_prefix)
            if item.region_prefix:
                # An enterprise whose region is unknown may be inside the item's: listed, at best need_info
                # (as 智能匹配 answers it, with the region as its gap), never dropped as if outside.
                verdicts, applicable = unknown_region_capped(verdicts, applicable, columns.region_unknown())
            if not item.facts.offered(today):
                applicable = np.zeros_like(applicable)  # an expired item or a non-policy has no one to notify
            dense = None
            vector = self._index.item_vector(item.id)
            if vector is not None and columns.vectors is not None:
                dense = np.where(
                    columns.has_vector[: len(columns)], columns.vectors[: len(columns)] @ vector, 0.0
                )
            order = order_targets(
                item.id, columns, verdicts, applicable, levels, dense, include_excluded, self._index.fusion
            )
        with self._lock:
            self.orders[key] = order
            while len(self.orders) > CACHED_ORDERS:
                self.orders.popitem(last=False)
        return order

    def _row(self, order: TargetOrder, item: CatalogItem, position: int, as_of: dt.date | None) -> TargetRow:
        return build_row(
            order,
            position,
            self._directory.columns,
            item.policy_id,
            item.conditions,
            item.facts,
            as_of or self._today(),
            fulfilment=item.fulfilment,
            support=item.support,
            region_prefix=item.region_prefix,
        )

    def page(
        self,
        policy_id: str,
        item_id: str | None = None,
        levels: Sequence[str] = DEFAULT_LEVELS,
        offset: int = 0,
        limit: int = 50,
        include_excluded: bool = True,
        *,
        as_of: dt.date | None = None,
    ) -> TargetPage:
        """One page of an item's target list, in the stable order (level, score desc, enterprise id)."""
        if offset < 0 or limit <= 0:
            raise ValueError(f"offset must be >= 0 and limit > 0, got offset={offset} limit={limit}")
        order = self.order(policy_id, item_id, levels, include_excluded, as_of=as_of)
        item = self._catalog().find(policy_id, order.item_id)[0]
        end = min(len(order), offset + limit)
        rows = tuple(self._row(order, item, p, as_of) for p in range(offset, end))
        return TargetPage(len(order), rows, offset, limit, order.counts(), self._index.version)

    def rows(
        self,
        policy_id: str,
        item_id: str | None = None,
        levels: Sequence[str] = DEFAULT_LEVELS,
        include_excluded: bool = True,
        *,
        as_of: dt.date | None = None,
    ) -> Iterator[TargetRow]:
        """Every row of an item's target list, in order (for CSV export), spelled out lazily."""
        order = self.order(policy_id, item_id, levels, include_excluded, as_of=as_of)
        item = self._catalog().find(policy_id, order.item_id)[0]
        for position in range(len(order)):
            yield self._row(order, item, position, as_of)

    def entitled(
        self, policy_id: str, item_id: str | None = None, *, as_of: dt.date | None = None
    ) -> list[EntitledList]:
        """免申即享 lists: per item, the enterprises meeting every condition, when all its conditions are decidable."""
        out = []
        for item in self._catalog().find(policy_id, item_id):
            blocked = undecidable_conditions(item.conditions)
            if blocked:
                out.append(EntitledList(item.policy_id, item.id, False, blocked, (), ()))
                continue
            order = self.order(item.policy_id, item.id, ("eligible",), include_excluded=False, as_of=as_of)
            columns = self._directory.columns
            ids = tuple(columns.ids[int(r)] for r in order.rows)
            flagged = tuple(
                (columns.ids[int(r)], columns.flags[int(r)]) for r in order.rows if columns.flags[int(r)]
            )
            out.append(EntitledList(item.policy_id, item.id, True, (), ids, flagged))
        return out
