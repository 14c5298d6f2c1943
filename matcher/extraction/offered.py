"""Is an item a measure offered to enterprises? A small logistic model over the character uni- and bigrams it holds.

The splitter keeps a numbered measure that names no support word it knows (补贴, 减免, 贷款 …) and
grants nothing in the shapes :func:`corpus.splitting.grants_enterprises` reads as never offered. Many
such measures are offered all the same, said in words no rule lists (停征…收费 / 欠费不停供 / 列入
重点用电保障企业名单, 支持企业满负荷生产), while most are not (组织领导, duties of departments); words
alone (支持, 保障, 协调) do not tell them apart. This model, fitted by :mod:`eval.offered_items` on the
``tune`` split's item labels only (``for_enterprises`` in a policy document), reads the item's opening
(its first ``opening`` characters, a length also chosen by cross-validation on tune and stored in the
file) and is asked only about those measures, at a threshold chosen by cross-validation over tune documents. The other way round, an item the rules offer that the model is
all but sure is no measure for enterprises (p below ``withhold_below``, also chosen on tune: 工作要求,
duties of banks or departments that name a support word) is withheld. The weights (``offered_items.json`` beside this module) hold a
weight per character n-gram and nothing from which a sentence could be read back.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from matcher.extraction.requirement_clauses import load_ngram_model, ngram_probability

MODEL_PATH = Path(__file__).with_name("offered_items.json")
# An item's heading and first sentences say what it is; its later lists (materials, legal bases) do not.
# How much of it the model reads is the shipped file's ``opening`` (chosen on tune); this is the
# default for a file that names none.
OPENING = 400


@lru_cache(maxsize=1)
def _opening() -> int:
    return int(json.loads(MODEL_PATH.read_text(encoding="utf-8")).get("opening", OPENING))


def item_words(text: str, opening: int | None = None) -> str:
    """Return what the model reads of an item: its first ``opening`` characters (the shipped file's), unpadded."""
    return text.strip()[: _opening() if opening is None else opening]


@lru_cache(maxsize=1024)
def offered_probability(text: str) -> float:
    """Return the model's probability that an item (its whole text) is a measure offered to enterprises.

    Cached: ingest asks it of one item twice (whom the item is for, then whether to offer or withhold it).
    """
    return ngram_probability(load_ngram_model(MODEL_PATH), item_words(text))


def offered_to_enterprises(text: str) -> bool:
    """Say whether the model reads an item as offered to enterprises, at the shipped threshold."""
    return offered_probability(text) >= load_ngram_model(MODEL_PATH)[2]


@lru_cache(maxsize=1)
def _withhold_below() -> float:
    return float(json.loads(MODEL_PATH.read_text(encoding="utf-8"))["withhold_below"])


def not_offered_to_enterprises(text: str) -> bool:
    """Say whether the model is all but sure an item is no measure for enterprises (below ``withhold_below``)."""
    return offered_probability(text) < _withhold_below()
