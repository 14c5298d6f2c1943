"""Serve the API tests' corpus from pre-forked workers (run as a subprocess by ``test_prefork.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_helpers import open_services  # noqa: E402


def main(data_dir: str, models_dir: str, port: int, workers: int, events: bool = False) -> int:
    """Load once, then fork ``workers`` workers on ``port``; ``events``: with webhooks, as ``policymatch serve``."""
    from api.prefork import serve_services
    from events.runtime import attach, start_delivering
    from models.factory import make_encoder

    encoder = make_encoder("onnx-int8", "active", Path(models_dir))
    services = open_services(Path(data_dir), encoder)
    services.feed_cursor = services.store.last_change_seq()
    settings = services.settings.model_copy(
        update={"host": "127.0.0.1", "port": port, "webhook_backoff_s": 0.2}
    )
    if events:
        # As ``policymatch serve`` does: a delivery-only dispatcher on a store of its own, given producers once
        # the services are open.
        attach(start_delivering(settings), services)

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    return serve_services(services, workers, say, settings=settings)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:] == ["events"]))
