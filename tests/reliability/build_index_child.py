"""Child process of the index-kill test: open the service on a data directory and rebuild its index.

``python -m tests.reliability.build_index_child DATA_DIR MODELS_DIR``
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(data_dir: Path, models_dir: Path) -> int:
    """Open store and service (no build at open), then build a new index version and print its name."""
    from corpus.store import open_store
    from matcher.service import Matcher
    from models.factory import make_encoder

    encoder = make_encoder("onnx-int8", "active", models_dir)
    store = open_store(data_dir / "policymatch.sqlite3")
    try:
        matcher = Matcher.open(data_dir, store, encoder, build_index=False)
        print("building", flush=True)
        print(matcher.rebuild_index(), flush=True)
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
