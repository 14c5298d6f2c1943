"""``policymatch bench demo``: how long the demo corpus takes to generate, load and index."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from corpus.demo import DEFAULT_SEED, generate
from corpus.store.base import Store
from matcher.demo import load_demo


@dataclass(frozen=True)
class DemoTimings:
    """Seconds the demo takes at one size: generating it, loading it into a fresh store, and indexing it."""

    seed: int
    n_policies: int
    n_items: int
    n_enterprises: int
    generate_policies_s: float
    generate_enterprises_s: float
    load_policies_s: float
    load_enterprises_s: float
    index_s: float | None  # None when not measured

    @property
    def load_s(self) -> float:
        """Store + extraction: what `policymatch demo` takes."""
        return self.load_policies_s + self.load_enterprises_s


def time_generation(seed: int, n_enterprises: int) -> float:
    """Seconds to generate ``n_enterprises`` profile dicts (nothing stored)."""
    started = time.perf_counter()
    for _ in generate(seed, 0, n_enterprises).iter_enterprises():
        pass
    return time.perf_counter() - started


def time_demo(
    store: Store,
    *,
    seed: int = DEFAULT_SEED,
    n_policies: int = 200,
    n_enterprises: int = 10_000,
    index: Callable[[], object] | None = None,
) -> DemoTimings:
    """Time generating the demo, loading it into ``store`` (which should be empty) and, if given, ``index()``."""
    started = time.perf_counter()
    corpus = generate(seed, n_policies, 0)
    generate_policies_s = time.perf_counter() - started
    generate_enterprises_s = time_generation(seed, n_enterprises)
    report = load_demo(store, seed=seed, n_policies=n_policies, n_enterprises=n_enterprises)
    index_s = None
    if index is not None:
        started = time.perf_counter()
        index()
        index_s = time.perf_counter() - started
    return DemoTimings(
        seed=seed,
        n_policies=n_policies,
        n_items=len(corpus.items),
        n_enterprises=n_enterprises,
        generate_policies_s=generate_policies_s,
        generate_enterprises_s=generate_enterprises_s,
        load_policies_s=report.policy_seconds,
        load_enterprises_s=report.enterprise_seconds,
        index_s=index_s,
    )


def demo_section(
    seed: int,
    sizes: list[int],
    store: Store,
    *,
    n_policies: int,
    n_enterprises: int,
    index: Callable[[], object] | None,
    index_note: str,
    encoder_backend: str,
    machine: str,
) -> str:
    """Time generation at each size and the default demo into ``store`` (empty); returns the ``demo`` section."""
    rows = []
    for n in sizes:
        seconds = time_generation(seed, n)
        rows.append(f"| {n:,} | {seconds:.1f} | {n / seconds:,.0f} |")
        print(rows[-1])
    timings = time_demo(store, seed=seed, n_policies=n_policies, n_enterprises=n_enterprises, index=index)
    index_text = (
        f"{timings.index_s:.1f} s ({encoder_backend}, `Matcher.open` building the item index)"
        if timings.index_s is not None
        else index_note
    )
    markdown = "\n".join(
        [
            "## Demo corpus (`policymatch bench demo`)",
            "",
            f"Machine: {machine}. Seed {seed}. The machine is shared, so times are upper bounds.",
            "",
            f"Default demo: {timings.n_policies} policies ({timings.n_items} items), "
            f"{timings.n_enterprises:,} enterprises.",
            "",
            "| step | seconds |",
            "|---|---|",
            f"| generate the policies | {timings.generate_policies_s:.2f} |",
            f"| generate the enterprise profiles | {timings.generate_enterprises_s:.2f} |",
            f"| load policies into SQLite (split + extract + store) | {timings.load_policies_s:.1f} |",
            f"| load enterprises into SQLite (validate + store) | {timings.load_enterprises_s:.1f} |",
            f"| **`policymatch demo` total (store + extraction)** | **{timings.load_s:.1f}** |",
            f"| item index build (separate) | {index_text} |",
            "",
            "Enterprise profile generation (dicts in memory, nothing stored):",
            "",
            "| enterprises | seconds | profiles/s |",
            "|---|---|---|",
            *rows,
        ]
    )
    return markdown
