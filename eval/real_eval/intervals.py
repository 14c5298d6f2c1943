"""How far a split's verdict figures could move with other documents: a bootstrap over documents.

A held-out split holds few documents (check 60, final 63), and the pairs of one document are not
independent: a national notice's item is judged for all 430 profiles at once, so one item read the
other way moves accuracy by a third of a point. Resampling pairs would hide that; resampling whole
documents (the unit the splits are drawn by) shows it. The intervals are percentiles over
:data:`DRAWS` resamples with a fixed seed, so a report is reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

DRAWS = 2000
LEVEL = 0.90
SEED = 14


def document_bootstrap(
    pairs: Sequence[tuple[str, str, str, str, str]], doc_of: Mapping[str, str]
) -> dict[str, list[float]]:
    """Return the ``LEVEL`` intervals of 3-way accuracy and eligible precision / recall, resampling documents.

    ``pairs``: (profile, item, split, truth, said); ``doc_of``: each item's document. A draw in which no
    pair is said (or truly) eligible gives no precision (recall) and is left out of that interval.
    """
    docs = sorted({doc_of[p[1]] for p in pairs})
    if len(docs) < 2:
        return {}
    index = {d: n for n, d in enumerate(docs)}
    # Per document: pairs, right, eligible said and true, said eligible, truly eligible.
    stats = np.zeros((len(docs), 5))
    for _, item, _, truth, said in pairs:
        row = stats[index[doc_of[item]]]
        row += (1, truth == said, truth == said == "eligible", said == "eligible", truth == "eligible")
    rng = np.random.default_rng(SEED)
    weights = np.stack(
        [np.bincount(rng.integers(0, len(docs), len(docs)), minlength=len(docs)) for _ in range(DRAWS)]
    )
    n, right, both, said, true = (weights @ stats).T
    with np.errstate(divide="ignore", invalid="ignore"):
        figures = {
            "verdict_accuracy": right / n,
            "eligible_precision": np.where(said > 0, both / said, np.nan),
            "eligible_recall": np.where(true > 0, both / true, np.nan),
        }
    tail = (1 - LEVEL) / 2 * 100
    out = {}
    for name, values in figures.items():
        values = values[~np.isnan(values)]
        if len(values):
            out[name] = [float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))]
    return out


def interval_text(report: Mapping[str, Any], name: str) -> str | None:
    """Render one figure's interval of a split's report (``0.912 – 0.951``), or None when it has none."""
    got = report.get("eligibility", {}).get("intervals", {}).get(name)
    return None if got is None else f"{got[0]:.3f} – {got[1]:.3f}"
