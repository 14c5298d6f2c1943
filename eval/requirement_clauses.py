"""Fit the clause model of :mod:`matcher.extraction.requirement_clauses` from the tune split's labels.

``python -m eval.requirement_clauses --write`` refits and rewrites the shipped weights (needs
../shared to materialise the texts); without ``--write`` it prints the model's and the rules'
clause-level precision / recall on check (unseen text only) beside tune's cross-validated figures.
Only ``tune`` documents are fitted on; the threshold is chosen by cross-validation over tune
documents. Deterministic: the same labels give the same file.
It fits on the label batches the shipped weights came from (``SHIPPED_FIT_LABELS``); ``--all-labels``
fits on every batch, a refit to measure before shipping it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eval.real_corpus import Corpus

# How many n-grams the shipped file keeps (by |weight| of a first fit), and the smallest threshold allowed:
# a spurious stand-in turns truly eligible pairs unknown, so the model only speaks when fairly sure. Cross-
# validation on tune prefers 0.7–0.8 by clause F1 (0.58 against 0.56 at 0.85), but there the model adds
# stand-ins to 5 items of the regression slice that the labels read exactly (向旅行社暂退… / 由…部门确定 /
# 经…批准后…: the authorities' part, p 0.73–0.82), and that list only grows.
KEEP = 1000
MIN_THRESHOLD = 0.7
FOLDS = 5


def _spans(nodes: Sequence[Mapping[str, Any]]) -> Iterator[tuple[int, int]]:
    for node in nodes:
        if "any" in node:
            yield from _spans(node["any"])
        elif "conditions" in node:
            yield from _spans(node["conditions"])
        elif node.get("span") and node.get("role") != "bonus":
            yield int(node["span"][0]), int(node["span"][1])


def clauses(corpus: Any, split: str, skip: frozenset[str] = frozenset()) -> list[tuple[str, str, int]]:
    """Return (document, clause words, holds a labelled requirement) for every clause of the split's items."""
    from matcher.extraction.clauses import _CLAUSE_END, _split
    from matcher.extraction.requirement_clauses import clause_words

    out = []
    for item in corpus.items:
        if item.split != split or item.id in skip:
            continue
        document = corpus.documents[item.doc].record
        idle = item.record.get("for_enterprises") is False or document.get("is_policy") is False
        spans = [] if idle else list(_spans(item.record.get("conditions") or []))
        for tier in [] if idle else item.record.get("tiers") or []:
            spans += list(_spans(tier.get("conditions") or []))
        for clause in _split(item.text, _CLAUSE_END, marks=True):
            words = clause_words(item.text, clause.start, clause.end)
            if len(words) >= 4:
                held = any(a < clause.end and clause.start < b for a, b in spans)
                out.append((item.doc, words, int(held)))
    return out


def fit_ngrams(
    words: Sequence[str], labels: Sequence[int], keep: int = KEEP, strength: float = 1.0
) -> tuple[float, dict[str, float]]:
    """Fit a balanced logistic model on character uni/bigrams; refit on the ``keep`` heaviest (shared with eval.offered_items).

    ``strength`` is scikit-learn's ``C`` (smaller: stronger regularisation); ``keep`` 0 keeps every n-gram.
    """
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    first = CountVectorizer(analyzer="char", ngram_range=(1, 2), min_df=3, binary=True)
    matrix = first.fit_transform(words)
    model = LogisticRegression(max_iter=3000, C=strength, class_weight="balanced").fit(matrix, labels)
    names = first.get_feature_names_out()
    if keep:
        kept = sorted(names[i] for i in np.argsort(-np.abs(model.coef_[0]), kind="stable")[:keep])
        second = CountVectorizer(analyzer="char", ngram_range=(1, 2), binary=True, vocabulary=kept)
        model = LogisticRegression(max_iter=3000, C=strength, class_weight="balanced").fit(
            second.transform(words), labels
        )
        names = second.get_feature_names_out()
    return float(model.intercept_[0]), {
        str(n): round(float(w), 4) for n, w in zip(names, model.coef_[0], strict=True)
    }


def probability(intercept: float, weights: Mapping[str, float], words: str) -> float:
    """Return the probability a fitted model gives ``words`` (as the shipped reader computes it)."""
    from matcher.extraction.requirement_clauses import ngram_probability

    return ngram_probability((intercept, dict(weights), 0.0), words)


def prf(said: Sequence[bool], truth: Sequence[int]) -> tuple[float, float, float]:
    """Return precision, recall and F1 of ``said`` against ``truth``."""
    tp = sum(1 for s, t in zip(said, truth, strict=True) if s and t)
    fp = sum(1 for s, t in zip(said, truth, strict=True) if s and not t)
    fn = sum(1 for s, t in zip(said, truth, strict=True) if t and not s)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def cross_validated(
    documents: Sequence[str],
    words: Sequence[str],
    labels: Sequence[int],
    keep: int = KEEP,
    strength: float = 1.0,
) -> list[float]:
    """Return each row's probability from a model fitted on the other folds (``FOLDS`` folds by document)."""
    fold_of = {d: n % FOLDS for n, d in enumerate(sorted(set(documents)))}
    probs = [0.0] * len(words)
    for fold in range(FOLDS):
        train = [n for n, d in enumerate(documents) if fold_of[d] != fold]
        intercept, weights = fit_ngrams(
            [words[n] for n in train], [labels[n] for n in train], keep=keep, strength=strength
        )
        for n, d in enumerate(documents):
            if fold_of[d] == fold:
                probs[n] = probability(intercept, weights, words[n])
    return probs


def choose_threshold(
    rows: Sequence[tuple[str, str, int]],
) -> tuple[float, dict[float, tuple[float, float, float]]]:
    """Cross-validate over tune documents; return the threshold (≥ MIN_THRESHOLD) with the best clause F1."""
    truth = [y for _, _, y in rows]
    probs = cross_validated([d for d, _, _ in rows], [w for _, w, _ in rows], truth)
    scores = {t: prf([p >= t for p in probs], truth) for t in (0.7, 0.75, 0.8, 0.85, 0.9)}
    best = max((t for t in scores if t >= MIN_THRESHOLD), key=lambda t: (scores[t][2], t))
    return best, scores


def fit_arguments(
    prog: str, path: Path, argv: Sequence[str] | None, fit_labels: Sequence[Path] | None = None
) -> tuple[bool, Corpus]:
    """Parse a model-fitting command's arguments; return whether to rewrite the shipped ``path``, and the corpus.

    The corpus holds the label batches the shipped weights were fitted on (``fit_labels``, default
    ``SHIPPED_FIT_LABELS``), so a plain run reproduces them; ``--all-labels`` fits on every batch, a refit to be
    measured before it is shipped.
    """
    from eval.real_corpus import SHIPPED_FIT_LABELS, load_corpus, load_fit_corpus

    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--write", action="store_true", help=f"rewrite {path.name}")
    parser.add_argument(
        "--all-labels",
        action="store_true",
        help="fit on every label batch, not only those the shipped weights were fitted on",
    )
    args = parser.parse_args(argv)
    files = SHIPPED_FIT_LABELS if fit_labels is None else fit_labels
    return bool(args.write), load_corpus() if args.all_labels else load_fit_corpus(files=files)


def fit_command(
    prog: str,
    path: Path,
    argv: Sequence[str] | None,
    fit: Callable[[Corpus, frozenset[str]], dict[str, Any]],
    fit_labels: Sequence[Path] | None = None,
) -> int:
    """Run a model-fitting command: parse ``argv``, load the corpus, ``fit`` it and, with ``--write``, rewrite ``path``.

    ``fit`` gets the corpus and the check items whose text is also in tune (left out of the check figures), prints
    its figures and returns the model file; ``fit_labels``: the batches the shipped weights were fitted on (as
    :func:`fit_arguments`).
    """
    from eval.real_corpus.duplicates import items_seen_in_tune

    write, corpus = fit_arguments(prog, path, argv, fit_labels)
    model = fit(corpus, frozenset(items_seen_in_tune(corpus.items)))
    if write:
        write_model(path, model)
    return 0


def write_model(path: Path, model: dict[str, Any]) -> None:
    """Write a shipped n-gram model file (one key a line, so a refit's diff is readable) and say so."""
    path.write_text(json.dumps(model, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {path} ({len(model['weights'])} n-grams)\n")


def model_file(texts: Sequence[str], labels: Sequence[int], about: str, **bounds: float) -> dict[str, Any]:
    """Return a shipped n-gram model file: what it is ``about``, its ``bounds``, and the weights fitted on ``texts``."""
    intercept, weights = fit_ngrams(texts, labels)
    return {
        "about": about,
        **bounds,
        "intercept": round(intercept, 4),
        "weights": dict(sorted(weights.items())),
    }


def fitted(rows: Sequence[tuple[str, str, int]], threshold: float) -> dict[str, Any]:
    """Return the shipped file's content: the model fitted on every tune clause, at the chosen threshold."""
    return model_file(
        [w for _, w, _ in rows],
        [y for _, _, y in rows],
        "character uni/bigram weights of a logistic model: does a clause state a requirement? "
        "Fitted by eval.requirement_clauses on the tune split's labels only.",
        threshold=threshold,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Fit on tune (``--write`` rewrites the shipped file); print clause-level figures on tune (CV) and check."""
    from matcher.extraction.requirement_clauses import MODEL_PATH

    return fit_command("python -m eval.requirement_clauses", MODEL_PATH, argv, _fit_and_report)


def _fit_and_report(corpus: Corpus, seen_in_tune: frozenset[str]) -> dict[str, Any]:
    from matcher.extraction.silent import _CLAUSE_REQUIREMENT_RE, _NOT_A_REQUIREMENT_RE

    rows = clauses(corpus, "tune")
    threshold, scores = choose_threshold(rows)
    for t, (p, r, f) in sorted(scores.items()):
        sys.stdout.write(f"tune, {FOLDS}-fold by document, threshold {t}: P {p:.3f} R {r:.3f} F1 {f:.3f}\n")
    data = fitted(rows, threshold)
    intercept, weights = float(data["intercept"]), data["weights"]
    unseen = clauses(corpus, "check", seen_in_tune)
    truth = [y for _, _, y in unseen]
    model = prf([probability(intercept, weights, w) >= threshold for _, w, _ in unseen], truth)
    rules = prf(
        [
            bool(_CLAUSE_REQUIREMENT_RE.search(w)) and not _NOT_A_REQUIREMENT_RE.search(w)
            for _, w, _ in unseen
        ],
        truth,
    )
    sys.stdout.write(
        f"threshold {threshold}; check unseen, {len(unseen)} clauses ({sum(truth)} hold a requirement):\n"
    )
    sys.stdout.write(
        f"  model P {model[0]:.3f} R {model[1]:.3f} F1 {model[2]:.3f}; "
        f"rules P {rules[0]:.3f} R {rules[1]:.3f} F1 {rules[2]:.3f}\n"
    )
    return data


if __name__ == "__main__":
    raise SystemExit(main())
