"""Evaluation runs of retrieval: systems side by side on one set (eligibility: :mod:`eval.eligibility_run`).

Each run returns a frozen result whose ``metrics()`` is the ``metrics.json`` of
``shared/spec/conditions.md`` and whose ``write(out_dir)`` writes the whole
report folder (metrics, summary, plots).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from eval import report
from eval.compare import HybridSystem, RetrievalSystem, rank
from eval.metrics import (
    DEFAULT_KS,
    FirstStageRecall,
    RankingSummary,
    first_stage_recall,
    ranking_summary,
)
from eval.sets import RetrievalSet

log = logging.getLogger(__name__)

FIRST_STAGE_DEPTH = 100


# --- retrieval --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SystemResult:
    """One system's metrics on one set."""

    name: str
    summary: RankingSummary
    first_stage: FirstStageRecall
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """Flat metrics plus first-stage recall and the time the system took."""
        return {
            **self.summary.to_dict(),
            "first_stage_recall": self.first_stage.recall,
            "first_stage_share_kept": self.first_stage.share_kept,
            "first_stage_depth": FIRST_STAGE_DEPTH,
            "seconds": round(self.seconds, 2),
        }


@dataclass(frozen=True)
class RetrievalRun:
    """Every system's metrics on one retrieval set; ``served`` is the one at the top level."""

    set_name: str
    set_sha256: str
    n_docs: int
    n_queries: int
    served: str
    systems: tuple[SystemResult, ...]
    extra: Mapping[str, Any] = field(default_factory=dict)

    def system(self, name: str) -> SystemResult:
        """Return the result of the named system."""
        for result in self.systems:
            if result.name == name:
                return result
        raise LookupError(
            f"no system {name!r} in this run; systems: {', '.join(s.name for s in self.systems)}"
        )

    def metrics(self) -> dict[str, Any]:
        """metrics.json: the served system's keys at the top level, every system under ``systems``."""
        out: dict[str, Any] = dict(self.system(self.served).to_dict())
        out.update(
            {
                "served": self.served,
                "systems": {s.name: s.to_dict() for s in self.systems},
                "set": self.set_name,
                "set_sha256": self.set_sha256,
                "n_docs": self.n_docs,
                "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                **self.extra,
            }
        )
        return out

    def summary_markdown(self) -> str:
        """Return a Markdown table of every system."""
        header = [
            "system",
            "recall@1",
            "recall@5",
            "recall@10",
            "recall@20",
            "recall@50",
            "MRR",
            "nDCG@10",
            f"first-stage recall@{FIRST_STAGE_DEPTH} (share kept)",
        ]
        rows = []
        for s in self.systems:
            r = s.summary.recall
            rows.append(
                [
                    f"**{s.name}**" if s.name == self.served else s.name,
                    r.get(1),
                    r.get(5),
                    r.get(10),
                    r.get(20),
                    r.get(50),
                    s.summary.mrr,
                    s.summary.ndcg_at_10,
                    f"{s.first_stage.recall:.3f} ({s.first_stage.share_kept:.1%})",
                ]
            )
        return report.markdown_table(header, rows)

    def write(self, out_dir: Path, *, title: str = "") -> Path:
        """Write metrics.json, summary.md and recall_at_k.png into ``out_dir``."""
        out_dir = Path(out_dir)
        report.write_metrics(self.metrics(), out_dir)
        report.plot_recall_curves(
            {s.name: s.summary.recall for s in self.systems},
            out_dir / "recall_at_k.png",
            title=title or f"{self.set_name} recall@k",
        )
        text = (
            f"# Retrieval: {self.set_name}\n\n{self.n_queries} questions over {self.n_docs} documents; set sha256 `{self.set_sha256[:16]}…`; "
            f"served system **{self.served}**.\n\n{self.summary_markdown()}\n\n![recall@k](recall_at_k.png)\n"
        )
        report.write_summary(text, out_dir)
        return out_dir


def run_retrieval(
    rset: RetrievalSet,
    systems: Sequence[RetrievalSystem],
    *,
    served: str | None = None,
    ks: Sequence[int] = DEFAULT_KS,
    extra: Mapping[str, Any] | None = None,
) -> RetrievalRun:
    """Fit and score every system on the set; parts of a hybrid are scored once and reused."""
    docids = [d.docid for d in rset.docs]
    questions = [q.question for q in rset.queries]
    relevant = [dict(q.relevant) for q in rset.queries]
    score_cache: dict[str, np.ndarray] = {}
    fitted: set[str] = set()

    def scores_of(system: RetrievalSystem) -> np.ndarray:
        if system.name not in score_cache:
            if isinstance(system, HybridSystem):
                part_scores = [scores_of(part) for part in system.parts]
                score_cache[system.name] = system.fuse(part_scores)
            else:
                if system.name not in fitted:
                    system.fit(rset.docs)
                    fitted.add(system.name)
                score_cache[system.name] = system.scores(questions)
        return score_cache[system.name]

    results = []
    for system in systems:
        start = time.perf_counter()
        log.info("scoring %s on %s", system.name, rset.name)
        scores = scores_of(system)
        seconds = time.perf_counter() - start
        ranked = rank(scores, docids, depth=max(max(ks), FIRST_STAGE_DEPTH))
        candidates = [set(r[:FIRST_STAGE_DEPTH]) for r in ranked]
        if isinstance(system, HybridSystem):
            # The hybrid's first stage is the union of its parts' candidate lists.
            for part in system.parts:
                for row, part_ranked in enumerate(rank(scores_of(part), docids, depth=FIRST_STAGE_DEPTH)):
                    candidates[row] |= set(part_ranked)
        results.append(
            SystemResult(
                system.name,
                ranking_summary(ranked, relevant, ks),
                first_stage_recall(candidates, relevant, len(docids)),
                seconds,
            )
        )
    names = [s.name for s in systems]
    chosen = served or next((n for n in names if n.startswith("hybrid")), names[0])
    return RetrievalRun(
        rset.name or str(rset.path),
        rset.sha256,
        len(docids),
        len(questions),
        chosen,
        tuple(results),
        dict(extra or {}),
    )
