"""Fit the document model of :mod:`matcher.extraction.doctype` from the tune split's labelled documents.

``python -m eval.document_model --write`` refits and rewrites the shipped weights (``document_model.json`` beside
``doctype.py``; needs ../shared to materialise the texts); without ``--write`` it prints the figures it chose by. The
model reads a document's title and opening (:func:`matcher.extraction.doctype.document_words`) as character uni- and
bigrams (logistic, :func:`eval.requirement_clauses.fit_ngrams`) and says whether it is a policy; it is fitted on
every labelled tune document (``is_policy``). How it is combined with the template classifier and the rules, and
at which threshold, is chosen by cross-validation over tune documents (:data:`FOLDS` folds by document), scored as
the eval weighs pairs: a non-policy offered costs its pairs, a policy hidden every enterprise its measures were for
(:func:`cost`); no setting may hide more tune policies than the template classifier alone (:func:`choose`). Check is printed as counts only, at the chosen setting. Deterministic: the same labels give the same
file.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from eval.requirement_clauses import FOLDS, fit_command, model_file, probability
from eval.requirement_clauses import cross_validated as cross_validated_rows

THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
OPENINGS = (150, 300, 600)
# How the model is combined with the template classifier where no rule fires (the rules always decide when they
# fire): ``instead`` — the model alone; ``both`` — a non-policy only when the template classifier and the model both
# say so; ``either`` — a non-policy when either says so. (A fourth, ``either`` but never hiding a document that
# opens with its addressees 各…：, scored exactly as ``either`` on tune: no hidden tune policy is so addressed.)
MODES = ("instead", "both", "either")
# A policy hidden costs every enterprise its measures were for; a non-policy offered costs the pairs of its one
# body item. Per document: a hidden policy weighs HIDDEN_WEIGHT times its items for enterprises (at least one).
HIDDEN_WEIGHT = 3


class Row(NamedTuple):
    """One labelled document: its key, what the model reads, its label, the template reading and its cost if wrong."""

    key: str
    words: str
    is_policy: int
    template_policy: bool
    ruled: bool
    weight: int


def rows(corpus: Any, split: str, opening: int) -> list[Row]:
    """Return one row per labelled document of the split, read as ingest reads it (its posted title and text)."""
    from corpus.schemas import validate_policy
    from eval.real_eval.leaves import posted_document
    from matcher.extraction.doctype import classify_document, document_words

    out = []
    for key, labelled in sorted(corpus.documents.items()):
        if labelled.split != split:
            continue
        document = validate_policy(posted_document(labelled, "source"))
        kind = classify_document(document.text, title=document.title, real_model=False)
        is_policy = labelled.record.get("is_policy") is not False
        offered = sum(1 for item in corpus.items_of(key) if item.for_enterprises)
        weight = HIDDEN_WEIGHT * max(1, offered) if is_policy else 1
        out.append(
            Row(
                key,
                document_words(document.text, document.title, opening),
                int(is_policy),
                kind.is_policy,
                not kind.evidence.startswith("classifier"),
                weight,
            )
        )
    return out


def said_policy(row: Row, p: float, mode: str, threshold: float) -> bool:
    """Say whether a document is read as a policy by ``mode`` at ``threshold`` (as doctype.py reads it)."""
    from matcher.extraction.doctype import combined_policy

    # A rule that fires decides, and every rule names a non-policy.
    return not row.ruled and combined_policy(row.template_policy, p >= threshold, mode)


def cost(data: Sequence[Row], said: Sequence[bool]) -> tuple[int, int, int]:
    """Return (weighted cost, non-policies offered, policies hidden) of a reading of ``data``."""
    offered = sum(1 for r, s in zip(data, said, strict=True) if s and not r.is_policy)
    hidden = [r for r, s in zip(data, said, strict=True) if not s and r.is_policy]
    return offered + sum(r.weight for r in hidden), offered, len(hidden)


def cross_validated(data: Sequence[Row]) -> list[float]:
    """Return each tune document's probability of being a policy from a model fitted on the other folds."""
    return cross_validated_rows([r.key for r in data], [r.words for r in data], [r.is_policy for r in data])


def choose(
    data: Sequence[Row], probs: Sequence[float]
) -> tuple[tuple[str, float], dict[tuple[str, float], tuple[int, int, int]]]:
    """Return the (mode, threshold) of lowest cross-validated cost hiding no more policies than the template.

    Ties go to the higher threshold; each setting's (cost, non-policies offered, policies hidden) comes with it.

    Tune's hidden policies hold at most one measure for enterprises each, so the cost alone under-prices a hidden
    policy that holds many (a policy hidden costs every enterprise each of its measures was for): the model may
    take non-policies from the offered, never a policy more from the enterprises.
    """
    hidden = cost(data, [r.template_policy for r in data])[2]
    scores = {
        (mode, t): cost(data, [said_policy(r, p, mode, t) for r, p in zip(data, probs, strict=True)])
        for mode in MODES
        for t in THRESHOLDS
    }
    allowed = [s for s in scores if scores[s][2] <= hidden]
    best = min(allowed, key=lambda s: (scores[s][0], MODES.index(s[0]), -s[1]))
    return best, scores


def choose_opening(corpus: Any) -> tuple[int, dict[int, tuple[tuple[str, float], tuple[int, int, int]]]]:
    """Return the opening whose best cross-validated setting costs least on tune, and each opening's best."""
    found = {}
    for opening in OPENINGS:
        data = rows(corpus, "tune", opening)
        best, scores = choose(data, cross_validated(data))
        found[opening] = (best, scores[best])
    chosen = min(OPENINGS, key=lambda o: (found[o][1][0], o))
    return chosen, found


def fitted(data: Sequence[Row], mode: str, threshold: float, opening: int) -> dict[str, Any]:
    """Return the shipped file's content: the model fitted on every tune document, at the chosen setting."""
    out = model_file(
        [r.words for r in data],
        [r.is_policy for r in data],
        "character uni/bigram weights of a logistic model: is a document (its title and opening) a policy? "
        "Fitted by eval.document_model on the tune split's labelled documents only.",
        threshold=threshold,
        opening=opening,
    )
    return {"about": out["about"], "combine": mode, **{k: v for k, v in out.items() if k != "about"}}


def main(argv: Sequence[str] | None = None) -> int:
    """Fit on tune (``--write`` rewrites the shipped file); print the cross-validated costs and check's counts."""
    from matcher.extraction.doctype import MODEL_PATH

    return fit_command("python -m eval.document_model", MODEL_PATH, argv, _fit_and_report, fit_labels())


def fit_labels() -> tuple[Any, ...]:
    """Return the label batches the document model is fitted on: every batch (lab6 brought most non-policies)."""
    from eval.real_corpus import ITEM_MODEL_FIT_LABELS

    return tuple(ITEM_MODEL_FIT_LABELS)


def _report(
    out: Any,
    name: str,
    scores: Mapping[tuple[str, float], tuple[int, int, int]],
    template: tuple[int, int, int],
) -> None:
    out(
        f"{name}: template classifier cost {template[0]} ({template[1]} non-policies offered, {template[2]} hidden)\n"
    )
    for (mode, t), (c, offered, hidden) in sorted(scores.items()):
        out(f"  {mode} p >= {t}: cost {c} ({offered} non-policies offered, {hidden} policies hidden)\n")


def _fit_and_report(corpus: Any, seen_in_tune: frozenset[str]) -> dict[str, Any]:
    del seen_in_tune  # documents, not items: check documents are all read
    out = sys.stdout.write
    opening, by_opening = choose_opening(corpus)
    for length, ((mode, t), (c, offered, hidden)) in sorted(by_opening.items()):
        out(f"opening {length}: best {mode} p >= {t}, cost {c} ({offered} offered, {hidden} hidden)\n")
    data = rows(corpus, "tune", opening)
    probs = cross_validated(data)
    (mode, threshold), scores = choose(data, probs)
    _report(
        out,
        f"tune, {FOLDS}-fold by document, opening {opening}",
        scores,
        cost(data, [r.template_policy for r in data]),
    )
    model = fitted(data, mode, threshold, opening)
    check = rows(corpus, "check", opening)
    intercept, weights = float(model["intercept"]), model["weights"]
    p = [probability(intercept, weights, r.words) for r in check]
    said = [said_policy(r, x, mode, threshold) for r, x in zip(check, p, strict=True)]
    template = cost(check, [r.template_policy for r in check])
    c, offered, hidden = cost(check, said)
    out(
        f"check, {mode} p >= {threshold}: cost {c} ({offered} non-policies offered, {hidden} policies hidden); "
        f"template classifier {template[0]} ({template[1]}, {template[2]})\n"
    )
    return model


if __name__ == "__main__":
    raise SystemExit(main())
