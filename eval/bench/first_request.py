"""CPU (``thread_time``) per first 智能匹配 at 5k items: ``Matcher.match(...).to_dict()``, no answer cache.

Run ``python -m eval.bench.first_request``: stored demo enterprises whose text vectors are cached (ingest's
job), hashing encoder; prints the median and mean CPU per request of five rounds and the load average
at the end (1, 5, 15 min: the cores are shared, docs/benchmarks.md).
"""

import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from corpus.demo import generate
from corpus.schemas import validate_profile
from corpus.store import open_store
from eval.bench.encoders import HashEncoder
from matcher.demo import store_items_with_true_conditions
from matcher.service import Matcher


def main() -> None:
    """Time five rounds of first requests and print them as one JSON line."""
    data_dir = Path(tempfile.mkdtemp(prefix="p19b-cpu-"))
    store = open_store(data_dir / "bench.sqlite3")
    corpus = generate(7, 5000 // 6 + 1, 1000)
    store_items_with_true_conditions(store, corpus, 5000)
    stored = [validate_profile(p) for p in corpus.iter_enterprises(1000)]
    store.upsert_enterprises(stored)
    matcher = Matcher.open(data_dir, store, HashEncoder(384, "bench-hash"))
    ids = [p.id for p in stored][:300]
    for i in ids:
        matcher.match(enterprise_id=i)  # text vectors cached (ingest's job), tokens of each query cached
    rounds = []
    for _round in range(5):
        t = []
        for i in ids:
            t0 = time.thread_time()
            matcher.match(enterprise_id=i).to_dict()
            t.append(time.thread_time() - t0)
        rounds.append((float(np.median(t)) * 1000, float(np.mean(t)) * 1000))
    print(
        json.dumps({"rounds_median_mean_ms": rounds, "load_average": [round(x, 2) for x in os.getloadavg()]})
    )


if __name__ == "__main__":
    main()
