"""Fit the incomplete-reading gate of :mod:`matcher.extraction.completeness` on the tune split.

``python -m eval.reading_gate --write`` refits and rewrites ``reading_gate.json`` (needs ../shared for the
texts and the real profiles); without ``--write`` it prints the tradeoff curve only. Only ``tune`` is read:
its documents are ingested and judged against the real profiles as ``eval eligibility`` does (no ranking),
with the gate switched off, and for every item the gate is asked about (no required ``undecidable`` yet)
it records the reading's features and the item's pairs said eligible, by truth.

- The model: a logistic regression over :data:`~matcher.extraction.completeness.FEATURES` (standardised), on
  whether the tune item's reading missed a labelled requirement (``eval.real_eval.is_silent``).
- The bound: chosen by 5-fold cross-validation over tune *documents* (each item's p from a model fitted on
  the other folds) on the objective fixed before check was run — **wrong "eligible" pairs removed less twice
  the right "eligible" pairs lost** (a gated item's pairs said eligible become unknown); ties go to the
  higher bound (fewer items gated). Where no bound scores above zero the gate never fires (bound 2.0).

Deterministic: the same labels give the same file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

BOUNDS = (0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
NEVER = 2.0
LOST_WEIGHT = 2
FOLDS = 5


@dataclass
class Row:
    """One tune item the gate is asked about: its document, features, label and pairs said eligible by truth."""

    doc: str
    item: str
    features: list[float]
    has_span: bool
    silent: int
    eligible_right: int
    eligible_wrong: int
    eligible_wrong_unknown: int


def collect(corpus: Any) -> list[Row]:
    """Ingest and judge the tune documents with the gate off; return a row per item the gate is asked about."""
    from api.settings import get_settings
    from eval.real_eval import is_silent, run_eligibility
    from eval.real_eval import run as run_module
    from eval.real_profiles import PROFILES_PATH, read_profiles
    from matcher.extraction.completeness import Reading, watching
    from models.bootstrap import ensure_default_model
    from models.factory import make_encoder

    settings = get_settings()
    ensure_default_model(settings.models_dir, progress=False)
    encoder = make_encoder(settings.encoder_backend, "active", settings.models_dir)
    readings: dict[str, Reading] = {}
    texts: dict[str, str] = {}
    original = run_module.compare_extraction

    def compare(corpus_: Any, store: Any, **kwargs: Any) -> Any:
        texts.update({i.id: i.text for i in store.iter_items()})
        return original(corpus_, store, **kwargs)

    run_module.compare_extraction = compare  # type: ignore[assignment]
    try:
        with watching(lambda text, reading: readings.__setitem__(text, reading)):
            run = run_eligibility(corpus, read_profiles(PROFILES_PATH), encoder, ranking=False)
    finally:
        run_module.compare_extraction = original
    pairs: dict[str, Counter[str]] = {}
    for _, item, _, truth, said in run.pairs:
        if said == "eligible":
            pairs.setdefault(item, Counter())[truth] += 1
    rows = []
    for r in run.items:
        if r.service_item is None or texts.get(r.service_item) not in readings:
            continue
        reading = readings[texts[r.service_item]]
        counts = pairs.get(r.item.id, Counter())
        rows.append(
            Row(
                r.item.doc,
                r.item.id,
                reading.vector(),
                reading.span is not None,
                int(is_silent(r)),
                counts["eligible"],
                counts["unknown"] + counts["ineligible"],
                counts["unknown"],
            )
        )
    return rows


def fit(rows: Sequence[Row]) -> tuple[float, list[float], list[float], list[float]]:
    """Fit the logistic model on ``rows``: (intercept, weights, means, scales) over standardised features."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    x = np.array([r.features for r in rows], dtype=float)
    y = np.array([r.silent for r in rows])
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales == 0] = 1.0
    model = LogisticRegression(max_iter=2000, C=1.0, class_weight="balanced").fit((x - means) / scales, y)
    return (
        float(model.intercept_[0]),
        [round(float(w), 6) for w in model.coef_[0]],
        [round(float(m), 6) for m in means],
        [round(float(s), 6) for s in scales],
    )


def _probability(
    model: tuple[float, list[float], list[float], list[float]], features: Sequence[float]
) -> float:
    import math

    intercept, weights, means, scales = model
    z = intercept + sum(w * (x - m) / s for x, w, m, s in zip(features, weights, means, scales, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def cross_validated(rows: Sequence[Row]) -> list[float]:
    """Each row's p from a model fitted on the other folds (``FOLDS`` folds by tune document)."""
    fold_of = {d: n % FOLDS for n, d in enumerate(sorted({r.doc for r in rows}))}
    probs = [0.0] * len(rows)
    for fold in range(FOLDS):
        model = fit([r for r in rows if fold_of[r.doc] != fold])
        for n, r in enumerate(rows):
            if fold_of[r.doc] == fold:
                probs[n] = _probability(model, r.features)
    return probs


def curve(rows: Sequence[Row], probs: Sequence[float]) -> dict[float, dict[str, int]]:
    """At each bound: items gated, wrong eligible removed (of them truly unknown), right eligible lost, silent gated."""
    out = {}
    for bound in BOUNDS:
        gated = [r for r, p in zip(rows, probs, strict=True) if r.has_span and p >= bound]
        removed = sum(r.eligible_wrong for r in gated)
        lost = sum(r.eligible_right for r in gated)
        out[bound] = {
            "items": len(gated),
            "silent_items": sum(r.silent for r in gated),
            "items_said_eligible": sum(1 for r in gated if r.eligible_right + r.eligible_wrong),
            "removed": removed,
            "removed_unknown": sum(r.eligible_wrong_unknown for r in gated),
            "lost": lost,
            "score": removed - LOST_WEIGHT * lost,
            "accuracy_pairs": sum(r.eligible_wrong_unknown for r in gated) - lost,
        }
    return out


def choose(scores: Mapping[float, Mapping[str, int]]) -> float:
    """Return the bound with the best score (ties: the higher bound); never fire where none scores above zero."""
    best = max(scores, key=lambda b: (scores[b]["score"], b))
    return best if scores[best]["score"] > 0 else NEVER


def main(argv: Sequence[str] | None = None) -> int:
    """Collect tune, print the cross-validated curve and the chosen bound; ``--write`` rewrites the shipped file."""
    from eval.real_corpus import load_corpus
    from matcher.extraction.completeness import FEATURES, MODEL_PATH

    parser = argparse.ArgumentParser(prog="python -m eval.reading_gate")
    parser.add_argument("--write", action="store_true", help=f"rewrite {MODEL_PATH.name}")
    parser.add_argument(
        "--rows", help="also write the tune rows (features, labels, pair counts) to this JSON file"
    )
    args = parser.parse_args(argv)
    rows = collect(load_corpus().subset(["tune"]))
    if args.rows:
        with open(args.rows, "w", encoding="utf-8") as fh:
            json.dump([vars(r) for r in rows], fh)
    probs = cross_validated(rows)
    scores = curve(rows, probs)
    out = sys.stdout.write
    out(
        f"tune: {len(rows)} items asked about, {sum(r.silent for r in rows)} silent, "
        f"{sum(r.eligible_right for r in rows)} right / {sum(r.eligible_wrong for r in rows)} wrong eligible pairs\n"
    )
    out(
        "bound | items gated | silent | said eligible | wrong eligible removed (truly unknown) | right lost | score | pairs right, net\n"
    )
    for bound, s in scores.items():
        out(
            f"{bound} | {s['items']} | {s['silent_items']} | {s['items_said_eligible']} | {s['removed']} "
            f"({s['removed_unknown']}) | {s['lost']} | {s['score']} | {s['accuracy_pairs']:+d}\n"
        )
    bound = choose(scores)
    intercept, weights, means, scales = fit(rows)
    out(f"chosen bound {bound}; weights {dict(zip(FEATURES, weights, strict=True))}\n")
    if args.write:
        data = {
            "about": "incomplete-reading gate: logistic model over the features of matcher.extraction.completeness "
            "(standardised), fitted by eval.reading_gate on the tune split only; bound chosen by 5-fold CV over "
            "tune documents (wrong eligible removed - 2 x right eligible lost).",
            "features": list(FEATURES),
            "bound": bound,
            "intercept": round(intercept, 6),
            "weights": weights,
            "means": means,
            "scales": scales,
        }
        MODEL_PATH.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        out(f"wrote {MODEL_PATH}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
