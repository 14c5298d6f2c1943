"""The enterprise directory: every enterprise as columns, with the text vectors the cache holds.

:class:`EnterpriseDirectory` owns the :class:`~matcher.eligibility.EnterpriseColumns`
that target lists judge in a few numpy passes: it loads them from the store,
applies changed or deleted enterprises, and fills in text vectors (the
enterprise's :func:`~matcher.encoder_text.profile_text` encoded as a query),
which semantic conditions and the dense part of a target list read.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from corpus.store.records import chunks
from matcher.eligibility import EnterpriseColumns
from matcher.encoder_text import profile_text
from matcher.semantic import SemanticJudge
from models.cached_encoder import content_key


class EnterpriseDirectory:
    """Every stored enterprise as columns; swapped whole on reload, changed in place otherwise."""

    def __init__(self, store: Any, judge: SemanticJudge, write_lock: threading.RLock) -> None:
        self.store = store
        self.judge = judge
        self._write_lock = write_lock
        self.columns = EnterpriseColumns()

    def reload(self, batch_size: int = 5000) -> int:
        """Load every enterprise from the store into fresh columns (cached text vectors included)."""
        columns = EnterpriseColumns(capacity=max(1024, int(self.store.count_enterprises() * 1.1)))
        for batch in chunks((p.to_dict() for p in self.store.iter_enterprises()), batch_size):
            self._add(columns, batch, encode=False)
        with self._write_lock:
            self.columns = columns
        return columns.n_alive

    def _add(self, columns: EnterpriseColumns, profiles: list[dict[str, Any]], *, encode: bool) -> None:
        rows = columns.upsert(profiles)
        texts = [profile_text(p) for p in profiles]
        with_text = [(r, t) for r, t in zip(rows, texts, strict=True) if t]
        if not with_text:
            return
        if encode:
            vectors = self.judge.text_vectors([t for _, t in with_text])
            columns.set_vectors([r for r, _ in with_text], vectors)
            return
        # Only what the cache already holds: encoding every enterprise is `index build`'s job.
        model_id = self.judge.encoder.model_id
        found = [
            (r, v)
            for r, t in with_text
            if (v := self.judge.cache.get(content_key(model_id, "query", t))) is not None
        ]
        if found:
            columns.set_vectors([r for r, _ in found], np.stack([v for _, v in found]))

    def encode_all(self, batch_size: int = 256) -> int:
        """Encode the text of every enterprise that has no vector yet; returns how many."""
        columns = self.columns
        todo = [r for r in range(len(columns)) if columns.alive[r] and not columns.has_vector[r]]
        done = 0
        for start in range(0, len(todo), batch_size):
            rows = todo[start : start + batch_size]
            texts = [profile_text(columns.profile_view(r)) for r in rows]
            keep = [(r, t) for r, t in zip(rows, texts, strict=True) if t]
            if keep:
                columns.set_vectors([r for r, _ in keep], self.judge.text_vectors([t for _, t in keep]))
                done += len(keep)
        self.judge.cache.save()
        return done

    def changed(self, ids: Iterable[str]) -> None:
        """Re-read these enterprises from the store (deleted ones leave); the caller holds the write lock."""
        profiles, gone = [], []
        for enterprise_id in (str(i) for i in ids):
            profile = self.store.get_enterprise(enterprise_id)
            if profile is None:
                gone.append(enterprise_id)
            else:
                profiles.append(profile.to_dict())
        if profiles:
            self._add(self.columns, profiles, encode=True)
        if gone:
            self.columns.remove(gone)

    def remember_vector(self, enterprise_id: str, profile: Mapping[str, Any]) -> None:
        """Keep a matched enterprise's text vector, so its semantic verdicts are known in target lists."""
        row = self.columns.row.get(enterprise_id)
        text = profile_text(profile)
        if row is None or not text or self.columns.has_vector[row]:
            return
        vector = self.judge.profile_vector(profile)
        if vector is not None:
            self.columns.set_vectors([row], vector.reshape(1, -1))
