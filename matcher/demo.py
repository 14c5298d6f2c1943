"""Load the demo corpus into a store through the ordinary ingest (split → extract → store).

The demo's policies go in as any posted policy would: split by
:func:`corpus.splitting.split_policy` and read by the extractor, so what the
service shows for them is what it would show for a real document. The
generator's true conditions are not stored; they are the ground truth of the
labelled sets (``policymatch demo --write-set DIR``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from typing import Any

from corpus.demo import DEFAULT_SEED, DemoCorpus, DemoItem, generate
from corpus.schemas import PolicyDocument, PolicyItem
from corpus.store.base import Store
from matcher.ingest import IngestReport, ingest_enterprises, ingest_policies


@dataclass(frozen=True)
class DemoLoadReport:
    """What loading the demo did: counts, the two ingest reports and the seconds each part took."""

    loaded: bool
    seed: int
    policies: int = 0
    items: int = 0
    enterprises: int = 0
    policy_seconds: float = 0.0
    enterprise_seconds: float = 0.0
    policy_report: IngestReport | None = None
    enterprise_report: IngestReport | None = None
    reason: str = ""

    @property
    def seconds(self) -> float:
        """Total time of the load."""
        return self.policy_seconds + self.enterprise_seconds

    def summary(self) -> str:
        """One line for people."""
        if not self.loaded:
            return f"demo not loaded: {self.reason}"
        return (
            f"demo corpus (seed {self.seed}) loaded: {self.policies} policies, {self.items} items, "
            f"{self.enterprises} enterprises in {self.seconds:.1f} s "
            f"(policies {self.policy_seconds:.1f} s, enterprises {self.enterprise_seconds:.1f} s)"
        )


def store_is_empty(store: Store) -> bool:
    """Tell whether the store holds no policy and no enterprise."""
    return store.count_items() == 0 and not store.list_policies() and store.count_enterprises() == 0


def load_demo(
    store: Store,
    *,
    seed: int = DEFAULT_SEED,
    n_policies: int = 200,
    n_enterprises: int = 10_000,
    progress: bool = False,
    style: str = "realistic",
) -> DemoLoadReport:
    """Generate the demo corpus of ``seed`` and ingest it (policies, then enterprises) into ``store``.

    Raises :class:`matcher.ingest.IngestFailed`-style errors only through the
    ingest itself; a demo record the ingest refuses is a bug of the generator
    and is reported in the returned ingest reports. ``style`` is the generator's
    (``"realistic"`` Taizhou-shaped text, ``"plain"`` the regular text of earlier demos).
    """
    corpus = generate(seed, n_policies, n_enterprises, style)
    started = time.perf_counter()
    policy_report = ingest_policies(store, [p.to_record() for p in corpus.policies], progress=progress)
    policy_seconds = time.perf_counter() - started
    started = time.perf_counter()
    enterprise_report = ingest_enterprises(store, corpus.iter_enterprises(), progress=progress)
    enterprise_seconds = time.perf_counter() - started
    return DemoLoadReport(
        loaded=True,
        seed=seed,
        policies=policy_report.stored,
        items=store.count_items(),
        enterprises=enterprise_report.stored,
        policy_seconds=policy_seconds,
        enterprise_seconds=enterprise_seconds,
        policy_report=policy_report,
        enterprise_report=enterprise_report,
    )


def ensure_demo(
    store: Store,
    *,
    seed: int = DEFAULT_SEED,
    n_policies: int = 200,
    n_enterprises: int = 10_000,
    progress: bool = False,
) -> DemoLoadReport:
    """Load the demo corpus only when the store is empty; otherwise leave it untouched and say why."""
    if not store_is_empty(store):
        return DemoLoadReport(
            loaded=False, seed=seed, reason="the store already holds policies or enterprises"
        )
    return load_demo(store, seed=seed, n_policies=n_policies, n_enterprises=n_enterprises, progress=progress)


@dataclass(frozen=True)
class _TrueExtraction:
    """What the store reads of an extraction, filled with the generator's true conditions."""

    conditions: tuple[Any, ...]
    tags: dict[str, Any]


_UNDATED: dict[str, Any] = {"department": None, "valid_until": None}


def store_items_with_true_conditions(store: Store, corpus: DemoCorpus, n_items: int | None = None) -> int:
    """Store the first ``n_items`` demo items with the generator's true conditions (no splitting, no extraction).

    For benchmarks and tests that time or check matching alone: what is stored is exactly what the
    labelled sets call the truth. Returns the number of items stored.
    """
    titles = {policy.id: policy.title for policy in corpus.policies}
    by_policy: dict[str, list[DemoItem]] = {}
    for demo_item in corpus.items[:n_items]:
        by_policy.setdefault(demo_item.policy_id, []).append(demo_item)
    for policy_id, demo_items in by_policy.items():
        doc = PolicyDocument(
            id=policy_id, title=titles[policy_id], text="", region_code=demo_items[0].region_code
        )
        # The demo item's own fields, without department and end date (a stored item's defaults).
        stored = [
            PolicyItem(
                **{f.name: getattr(i, f.name) for f in fields(PolicyItem) if hasattr(i, f.name)} | _UNDATED
            )
            for i in demo_items
        ]
        store.upsert_policy(doc, stored, [_TrueExtraction(tuple(i.conditions), {}) for i in demo_items])
    return sum(len(v) for v in by_policy.values())
