"""The served fusion's fit: a small listwise model over the parts of both real retrieval sets (f31).

Per candidate, nine features a served retriever has for every question
(:data:`matcher.fusion.LISTWISE_FEATURES`): the z-scored lexical part (document
BM25 + 0.3 × best passage) ``L`` and dense part ``D`` over the pooled
candidates, BM25's and dense's top-two margins ``mL`` / ``mD`` (each part's
confidence on this question), and the log of the candidate's number of dense
windows ``w`` (dense reads a short passage whole and a long policy as its best
window). Score = θ · (L, D, D·e^−mL, D·w, D·e^−mL·w, w, L·mD, D·mD, L·w); fitted by
a softmax over each question's candidates (cross-entropy of the relevant
documents' share), both training sides at once with each set's questions
weighted as one set, L2 1e-3, L-BFGS.

θ is fitted on the training sides only; 5-fold cross-validation inside them
(folds by question, per set) gives the held-out worst lead over the best single
part. The test sides are scored with θ fixed (section ``fusion-listwise`` of
``docs/benchmarks.md``); θ rounded to 4 places is ``matcher.retrieval.SERVED_FUSION``.

Run: ``PYTHONPATH=$PWD python -m eval.fusion_logistic SET_DIR [SET_DIR ...]`` (JSON on stdout).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

import numpy as np

from eval.fusion_choice import SetScores, _metrics, part_question_metrics, pools, read_sides
from eval.fusion_windows import worst_leads
from matcher.fusion import LISTWISE_FEATURES, lexical_evidence, listwise_features, zscore

FEATURES = LISTWISE_FEATURES
PASSAGE_WEIGHT = 0.3
L2 = 1e-3


def candidate_features(
    bm25: np.ndarray, passage: np.ndarray | None, dense: np.ndarray, windows: np.ndarray
) -> np.ndarray:
    """Return the (candidates, 9) features of one question's pooled candidates, as the served fusion reads them."""
    lexical = zscore(lexical_evidence(bm25, passage, PASSAGE_WEIGHT))
    logs = np.log(np.maximum(np.asarray(windows, dtype=np.float64), 1.0))
    return listwise_features(lexical, zscore(dense), logs)


def set_features(
    scores: SetScores, candidates: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the padded (questions, pool, features) array, its mask and each candidate's share of relevance."""
    if scores.windows is None:
        raise ValueError(f"{scores.name}: the documents' windows were not read")
    width = max(len(p) for p in candidates)
    features = np.zeros((len(candidates), width, len(FEATURES)))
    mask = np.zeros((len(candidates), width), dtype=bool)
    target = np.zeros((len(candidates), width))
    for n, (pool, rel) in enumerate(zip(candidates, scores.relevant, strict=True)):
        features[n, : len(pool)] = candidate_features(
            scores.bm25[n][pool], scores.passage[n][pool], scores.dense[n][pool], scores.windows[pool]
        )
        mask[n, : len(pool)] = True
        hits = np.isin(pool, list(rel)).astype(np.float64)
        if hits.sum():
            target[n, : len(pool)] = hits / hits.sum()
    return features, mask, target


def fit(sets: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], l2: float = L2) -> np.ndarray:
    """θ minimising the mean over sets of each set's mean listwise cross-entropy, + ``l2`` ‖θ‖²."""
    import torch

    tensors = []
    for features, mask, target in sets:
        keep = target.sum(1) > 0
        tensors.append(
            (torch.from_numpy(features[keep]), torch.from_numpy(mask[keep]), torch.from_numpy(target[keep]))
        )
    theta = torch.zeros(len(FEATURES), dtype=torch.float64)
    theta[:2] = 1.0
    theta.requires_grad_(True)
    optimiser = torch.optim.LBFGS([theta], max_iter=500, tolerance_grad=1e-9, line_search_fn="strong_wolfe")

    def loss() -> torch.Tensor:
        optimiser.zero_grad()
        total = l2 * (theta * theta).sum()
        for features, mask, target in tensors:
            logits = (features @ theta).masked_fill(~mask, float("-inf"))
            log_p = torch.log_softmax(logits, dim=1).masked_fill(~mask, 0.0)
            total = total - (target * log_p).sum() / len(target) / len(tensors)
        total.backward()
        return total

    optimiser.step(loss)
    return theta.detach().numpy().copy()


def question_metrics(
    features: np.ndarray,
    candidates: Sequence[np.ndarray],
    relevant: Sequence[frozenset[int]],
    theta: np.ndarray,
) -> np.ndarray:
    """Each question's (recall@10, reciprocal rank) with its pooled candidates ranked by θ · features."""
    out = np.zeros((len(candidates), 2))
    for n, (pool, rel) in enumerate(zip(candidates, relevant, strict=True)):
        total = features[n, : len(pool)] @ theta
        out[n] = _metrics(pool[np.lexsort((pool, -total))], rel)
    return out


def cross_validate(
    train: Sequence[SetScores], folds: int = 5, seeds: Sequence[int] = (0, 1, 2, 3, 4)
) -> list[float]:
    """Worst lead over the best part of the held-out rankings, θ fitted on the other folds (one per seed)."""
    candidates = [pools(s) for s in train]
    built = [set_features(s, c) for s, c in zip(train, candidates, strict=True)]
    parts = [part_question_metrics(s) for s in train]
    out = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        fold_of = [rng.permutation(len(s.relevant)) % folds for s in train]
        held = [np.zeros((len(s.relevant), 2)) for s in train]
        for k in range(folds):
            theta = fit([tuple(a[f != k] for a in b) for b, f in zip(built, fold_of, strict=True)])
            for s, c, b, f, h in zip(train, candidates, built, fold_of, held, strict=True):
                rows = np.flatnonzero(f == k)
                h[rows] = question_metrics(
                    b[0][rows], [c[r] for r in rows], [s.relevant[r] for r in rows], theta
                )
        out.append(float(worst_leads([h[None] for h in held], parts, [np.arange(len(h)) for h in held])[0]))
    return out


def main(argv: Sequence[str]) -> int:
    """Fit on both training sides, report the in-sample and cross-validated worst leads, then the test sides."""
    train, _test, encoder_id = read_sides(argv)
    candidates = [pools(s) for s in train]
    built = [set_features(s, c) for s, c in zip(train, candidates, strict=True)]
    theta = fit(built)
    report: dict[str, object] = {
        "encoder": encoder_id,
        "features": dict(zip(FEATURES, theta.tolist(), strict=True)),
    }
    sides = {}
    for s, c, b in zip(train, candidates, built, strict=True):
        metrics = question_metrics(b[0], c, s.relevant, theta)
        part = part_question_metrics(s)
        lead = float(worst_leads([metrics[None]], [part], [np.arange(len(metrics))])[0])
        sides[s.name] = {"fitted": metrics.mean(0).tolist(), "lead": lead}
    report["train"] = sides
    report["cv_worst_lead"] = cross_validate(train)
    # The test sides, read only now, with θ fixed.
    tested = {}
    for s in _test:
        c = pools(s)
        metrics = question_metrics(set_features(s, c)[0], c, s.relevant, theta)
        part = part_question_metrics(s)
        lead = float(worst_leads([metrics[None]], [part], [np.arange(len(metrics))])[0])
        tested[s.name] = {"fused": metrics.mean(0).tolist(), "lead": lead}
    report["test"] = tested
    sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
