"""A candidate fusion, not served: the dense part weighted per candidate by its number of windows (f31).

Dense reads a short answer passage whole and a long policy in windows of
``chunk_chars`` characters, its score being the best window's cosine; the more
windows, the more chances one scores high by accident, and the less the best
window says about the whole document. This candidate keeps the hand-weighted fusion
(:func:`matcher.fusion.fuse`: z-scored parts, dense weight × exp(−c × BM25's
top-two margin)) and multiplies each candidate's dense term by
``windows ** -window_decay``. ``window_decay`` 0 is the hand-weighted family.

It is chosen on the training sides of both sets only: the largest worst lead
over the best single part (recall@10 and MRR, on the worse set), ties broken by
the mean of that worst lead over bootstrap draws of the training questions
(a plateau of fusions share the best in-sample lead); 5-fold cross-validation
inside the training sides says how much of that lead is selection. Test sides
are then scored once. It was not served: on NCP's test side it trailed BM25's
recall@10 by more than the hand-weighted fusion then served (:data:`eval.fusion_choice.HAND_WEIGHTED`;
section ``f31`` of ``docs/benchmarks.md``); the listwise model of :mod:`eval.fusion_logistic` is.

Run: ``PYTHONPATH=$PWD python -m eval.fusion_windows SET_DIR [SET_DIR ...]`` (JSON on stdout).
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from eval.fusion_choice import (
    HAND_WEIGHTED,
    PARTS,
    SetScores,
    _metrics,
    part_question_metrics,
    pools,
    read_sides,
)
from matcher.fusion import FusionConfig, PartScores, fuse


@dataclass(frozen=True)
class WindowFusion:
    """The hand-weighted fusion's parameters and the per-candidate dense decay by number of windows."""

    fusion: FusionConfig
    window_decay: float = 0.0

    def words(self) -> str:
        """Return the fusion in words, for the JSON report."""
        f = self.fusion
        return (
            f"zscore, BM25 1 + {f.passage_weight:g} × best passage, dense {f.dense_weight:g} × "
            f"exp(−{f.lexical_confidence:g} × BM25's top-two margin) × windows^−{self.window_decay:g}"
        )


def windowed_fuse(parts: PartScores, windows: np.ndarray, candidate: WindowFusion) -> np.ndarray:
    """Return :func:`fuse`'s total with each candidate's dense term × ``windows ** -window_decay``."""
    fused = fuse(parts, candidate.fusion)
    if not candidate.window_decay:
        return fused.total
    counts = np.maximum(np.asarray(windows, dtype=np.float64), 1.0)
    return fused.bm25 + fused.dense * counts**-candidate.window_decay + fused.tags


def question_metrics(
    scores: SetScores, candidate: WindowFusion, candidates: Sequence[np.ndarray]
) -> np.ndarray:
    """Each question's (recall@10, reciprocal rank) under ``candidate``, ranked over its pooled candidates."""
    if scores.windows is None:
        raise ValueError(f"{scores.name}: the documents' windows were not read")
    out = np.zeros((len(scores.relevant), 2))
    for n, (rel, pool) in enumerate(zip(scores.relevant, candidates, strict=True)):
        parts = PartScores(scores.bm25[n][pool], scores.passage[n][pool], scores.dense[n][pool])
        total = windowed_fuse(parts, scores.windows[pool], candidate)
        out[n] = _metrics(pool[np.lexsort((pool, -total))], rel)
    return out


def worst_leads(
    fused: Sequence[np.ndarray], parts: Sequence[dict[str, np.ndarray]], rows: Sequence[np.ndarray]
) -> np.ndarray:
    """Worst lead over the best part of each fusion (axis 0 of ``fused[s]``) on the questions ``rows[s]`` of each set."""
    leads = []
    for matrix, part, index in zip(fused, parts, rows, strict=True):
        best = np.max([p[index].mean(0) for p in part.values()], axis=0)
        leads.append((matrix[:, index].mean(1) - best).min(-1))
    return np.min(leads, axis=0)


def grid() -> list[WindowFusion]:
    """Return the fusions tried: the hand-weighted family (decay 0) and decays 0.1–0.4, dense weight 2.5–6, c 0.6–1.5."""
    return [
        WindowFusion(
            FusionConfig("zscore", 1.0, dense, 1.0, passage_weight=0.3, lexical_confidence=confidence), decay
        )
        for decay, dense, confidence in itertools.product(
            (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4),
            (2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 6.0),
            (0.6, 0.8, 1.0, 1.2, 1.5),
        )
    ]


def select(
    fused: Sequence[np.ndarray], parts: Sequence[dict[str, np.ndarray]], *, draws: int = 300, seed: int = 0
) -> tuple[int, np.ndarray, np.ndarray]:
    """Index of the fusion with the best in-sample worst lead, ties by bootstrap mean; (index, in-sample, bootstrap)."""
    everything = [np.arange(m.shape[1]) for m in fused]
    in_sample = worst_leads(fused, parts, everything)
    rng = np.random.default_rng(seed)
    boot = np.zeros(len(in_sample))
    for _ in range(draws):
        boot += worst_leads(
            fused, parts, [np.asarray(rng.integers(0, m.shape[1], m.shape[1])) for m in fused]
        )
    boot /= draws
    best = max(range(len(in_sample)), key=lambda i: (round(float(in_sample[i]), 6), float(boot[i])))
    return best, in_sample, boot


def cross_validate(
    fused: Sequence[np.ndarray],
    parts: Sequence[dict[str, np.ndarray]],
    allowed: Sequence[int],
    *,
    folds: int = 5,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
) -> list[float]:
    """Worst lead of held-out rankings, the fusion chosen among ``allowed`` on the other folds (one per seed)."""
    out = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        fold_of = [rng.permutation(m.shape[1]) % folds for m in fused]
        held = [np.zeros((m.shape[1], 2)) for m in fused]
        for k in range(folds):
            rows = [np.flatnonzero(f != k) for f in fold_of]
            leads = worst_leads(fused, parts, rows)
            mrr = np.mean([m[:, r, 1].mean(1) for m, r in zip(fused, rows, strict=True)], axis=0)
            best = max(allowed, key=lambda i: (round(float(leads[i]), 6), float(mrr[i])))
            for matrix, f, h in zip(fused, fold_of, held, strict=True):
                h[f == k] = matrix[best, f == k]
        out.append(float(worst_leads([h[None] for h in held], parts, [np.arange(len(h)) for h in held])[0]))
    return out


def main(argv: Sequence[str]) -> int:
    """Choose on the training sides, cross-validate, score the test sides once; JSON on stdout."""
    train, test, encoder_id = read_sides(argv)
    configs = grid()
    train_pools = [pools(s) for s in train]
    fused = [
        np.stack([question_metrics(s, c, p) for c in configs])
        for s, p in zip(train, train_pools, strict=True)
    ]
    parts = [part_question_metrics(s) for s in train]
    best, in_sample, boot = select(fused, parts)
    chosen = configs[best]
    hand_weighted = WindowFusion(HAND_WEIGHTED)
    family = [i for i, c in enumerate(configs) if c.window_decay == 0]
    report: dict[str, Any] = {
        "encoder": encoder_id,
        "n_configs": len(configs),
        "chosen": chosen.words(),
        "train_worst_lead": float(in_sample[best]),
        "train_bootstrap_mean": float(boot[best]),
        "cv_windows": cross_validate(fused, parts, range(len(configs))),
        "cv_hand_weighted_family": cross_validate(fused, parts, family),
        "sides": {},
    }
    for scored in (*train, *test):
        part = part_question_metrics(scored)
        candidates = pools(scored)
        row = {"questions": len(scored.relevant), "parts": {p: part[p].mean(0).tolist() for p in PARTS}}
        for name, candidate in (("chosen", chosen), ("hand_weighted", hand_weighted)):
            metrics = question_metrics(scored, candidate, candidates)
            row[name] = metrics.mean(0).tolist()
            row[f"{name}_lead"] = float(worst_leads([metrics[None]], [part], [np.arange(len(metrics))])[0])
        report["sides"][scored.name] = row
    order = np.argsort(-in_sample, kind="stable")[:12]
    report["top"] = [
        {"fusion": configs[i].words(), "worst_lead": float(in_sample[i]), "bootstrap": float(boot[i])}
        for i in order
    ]
    sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
