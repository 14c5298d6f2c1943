"""Does a clause state a requirement? A small logistic model over the character uni- and bigrams it holds.

The weights (``requirement_clauses.json`` beside this module) are fitted by
:mod:`eval.requirement_clauses` from the ``tune`` split's labels only: a clause of a tune item
that holds a labelled (non-bonus) condition's span is a requirement, every other clause of an
item is not. The file holds a weight per character n-gram (one or two characters) and nothing
from which a sentence could be read back. The rules in :mod:`matcher.extraction.silent` decide
first; the model catches requirements said in words no rule names (依托一定数量的科技人员 /
已经在本市取得…许可), and is read only for clauses no extracted condition covers.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

MODEL_PATH = Path(__file__).with_name("requirement_clauses.json")


@lru_cache(maxsize=1)
def _model() -> tuple[float, dict[str, float], float]:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    return (
        float(data["intercept"]),
        {str(k): float(v) for k, v in data["weights"].items()},
        float(data["threshold"]),
    )


def clause_words(text: str, start: int, end: int) -> str:
    """Return the words of a clause as the model reads them: without the spaces and stops around it."""
    return text[start:end].strip(" 　\t\n，,：:；;。！？!?")


def requirement_probability(words: str) -> float:
    """Return the model's probability that ``words`` (one clause) state a requirement on the applicant."""
    intercept, weights, _ = _model()
    grams = set(words) | {words[i : i + 2] for i in range(len(words) - 1)}
    z = intercept + sum(weights.get(g, 0.0) for g in grams)
    z = max(-60.0, min(60.0, z))
    return 1.0 / (1.0 + math.exp(-z))


def states_requirement(words: str) -> bool:
    """Say whether the model reads ``words`` as a requirement, at the shipped (precision-leaning) threshold."""
    return requirement_probability(words) >= _model()[2]
