"""The labelled corpus of real policy text (``eval/sets/real_policies``): load, materialise, check, split, count.

The repository keeps only references and labels (``labels/*.jsonl``, format in
the set's README); :func:`load_corpus` reads every label file, materialises
each document's text from ``../shared/data`` (NCP ``docs.jsonl``, msgabench
``docs.jsonl``, the Guangzhou csv cell ``原文关键条款(逐字摘录)`` by ``序号``),
verifies the sha256 of every document and item, validates every record
(fields and ops of docs/conditions.md v2, spans inside their item, canonical
qualification titles, known region and industry codes) and assigns each
document its split by the README's fixed rule. A record that fails is reported
with its file and line and left out (with its items, for a document); the rest
still load.

The corpus lives in three modules — :mod:`~eval.real_corpus.base` (vocabulary, sources, reference
tables), :mod:`~eval.real_corpus.records` (the records, their checks, :func:`load_corpus`) and
:mod:`~eval.real_corpus.counts` — and every public name is importable from here.
"""

from eval.real_corpus.base import (
    AS_FITTED,
    CONDITION_FIELDS_V2,
    DEFAULT_SHARED,
    DOC_TYPES,
    FULFILMENT_MODES,
    ITEM_MODEL_FIT_LABELS,
    LABELS_DIR,
    NUMERIC_OPS,
    OPS_V2,
    PROFILE_FIELDS_V2,
    ROLES,
    SET_DIR,
    SHIPPED_FIT_LABELS,
    SIZE_CLASSES,
    SOURCES,
    SPLITS,
    CorpusUnavailable,
    SourceDoc,
    Vocabulary,
    read_sources,
    sha256_text,
    shared_available,
    source_paths,
    split_of,
)
from eval.real_corpus.counts import (
    corpus_counts,
    issuer_count,
    item_shapes,
    summary_markdown,
)
from eval.real_corpus.records import (
    Corpus,
    LabelledDocument,
    LabelledItem,
    Problem,
    check_document,
    check_item,
    check_node,
    load_corpus,
    load_fit_corpus,
)

__all__ = [
    "AS_FITTED",
    "CONDITION_FIELDS_V2",
    "Corpus",
    "CorpusUnavailable",
    "DEFAULT_SHARED",
    "DOC_TYPES",
    "FULFILMENT_MODES",
    "LABELS_DIR",
    "ITEM_MODEL_FIT_LABELS",
    "SHIPPED_FIT_LABELS",
    "LabelledDocument",
    "LabelledItem",
    "NUMERIC_OPS",
    "OPS_V2",
    "PROFILE_FIELDS_V2",
    "Problem",
    "ROLES",
    "SET_DIR",
    "SIZE_CLASSES",
    "SOURCES",
    "SPLITS",
    "SourceDoc",
    "Vocabulary",
    "check_document",
    "check_item",
    "check_node",
    "corpus_counts",
    "issuer_count",
    "item_shapes",
    "load_corpus",
    "load_fit_corpus",
    "read_sources",
    "sha256_text",
    "shared_available",
    "source_paths",
    "split_of",
    "summary_markdown",
]
