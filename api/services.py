"""What the HTTP app serves from: the store, the matcher, the key ring and the limits.

:func:`open_services` finds everything under the data directory (the model
in the registry, the SQLite store, the index versions) the way ``policymatch
serve`` needs it; tests build a :class:`Services` over a temporary data
directory the same way. :func:`record_audit` writes one append-only audit row.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api.limits import Limits, RateLimiter
from api.security import KeyRing, Principal
from corpus.settings import Settings

log = logging.getLogger("policymatch.api")


@dataclass
class Services:
    """The live components behind the app (mutable: the matcher may be swapped by a rebuild)."""

    settings: Settings
    store: Any
    matcher: Any
    limits: Limits = field(default_factory=Limits)
    keyring: KeyRing | None = None
    rate_limiter: RateLimiter | None = None
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    _directory: list[tuple[str, str, str | None, str | None]] | None = field(default=None, repr=False)
    _directory_count: int = field(default=-1, repr=False)

    def __post_init__(self) -> None:
        if self.keyring is None:
            self.keyring = KeyRing(self.store)
        if self.rate_limiter is None:
            self.rate_limiter = RateLimiter(self.limits.rate_per_minute, self.limits.burst)

    @property
    def model_version(self) -> str:
        """The served model's version."""
        return str(getattr(self.matcher, "model_version", "") or "")

    @property
    def index_version(self) -> str:
        """The served index's version."""
        return str(getattr(self.matcher, "index_version", "") or "")

    @property
    def enterprises_version(self) -> int:
        """A counter the matcher bumps whenever its enterprise columns change (0 when it keeps none)."""
        columns = getattr(self.matcher, "columns", None)
        return int(getattr(columns, "version", 0) or 0)

    def enterprise_directory(self) -> list[tuple[str, str, str | None, str | None]]:
        """(id, name, region code, industry code) of every enterprise, cached until one changes."""
        count = self.store.count_enterprises()
        directory = self._directory
        if directory is None or count != self._directory_count:
            directory = [
                (p.id, p.name, p.region_code, p.industry_code) for p in self.store.iter_enterprises()
            ]
            self._directory, self._directory_count = directory, count
        return directory

    def directory_changed(self) -> None:
        """Forget the cached directory (an enterprise was upserted)."""
        self._directory = None

    def close(self) -> None:
        """Close the store (the matcher holds nothing that needs closing)."""
        close = getattr(self.store, "close", None)
        if close is not None:
            close()


def open_services(
    settings: Settings,
    *,
    limits: Limits | None = None,
    prepare: bool = True,
    say: Callable[[str], None] = lambda _: None,
) -> Services:
    """Open model, store and index under ``settings.data_dir``; with ``prepare``, bootstrap what is missing.

    Preparing means: build the default model into the registry when none is
    active, load the demo corpus when the store is empty, and build the index
    when none exists (the matcher does that on open).
    """
    from corpus.store import open_store
    from matcher.service import Matcher
    from models.factory import make_encoder

    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    if prepare and settings.model == "active":
        from models.bootstrap import ensure_default_model

        say(f"model: ensuring the default model in {settings.models_dir}")
        ensure_default_model(settings.models_dir)
    say(f"store: opening {settings.store_location}")
    store = open_store(settings.store_location)
    try:
        if prepare:
            from matcher.demo import ensure_demo

            if settings.demo_policies or settings.demo_enterprises:
                say("demo: loading the demo corpus if the store is empty (the first run takes a while)")
                report = ensure_demo(
                    store,
                    seed=settings.demo_seed,
                    n_policies=settings.demo_policies,
                    n_enterprises=settings.demo_enterprises,
                    progress=True,
                )
                say(report.summary())
        say(f"encoder: {settings.encoder_backend} ({settings.model})")
        encoder = make_encoder(settings.encoder_backend, settings.model, settings.models_dir)
        say("index: loading (building it if none exists)")
        matcher = Matcher.open(data_dir, store, encoder)
    except BaseException:
        store.close()
        raise
    return Services(settings=settings, store=store, matcher=matcher, limits=limits or Limits())


def record_audit(
    services: Services,
    principal: Principal,
    action: str,
    target: str = "",
    *,
    policy_version: int | str | None = None,
    profile_snapshot: int | str | None = None,
    **details: Any,
) -> None:
    """Append one audit row: who (key id), what, on which target, and the policy, model, index and profile versions."""
    from corpus.store import AuditEvent

    record: dict[str, Any] = {
        "role": principal.role,
        "model_version": services.model_version or None,
        "index_version": services.index_version or None,
    }
    if principal.enterprise_id:
        record["key_enterprise_id"] = principal.enterprise_id
    if policy_version is not None:
        record["policy_version"] = policy_version
    if profile_snapshot is not None:
        record["profile_snapshot"] = profile_snapshot
    record.update({k: v for k, v in details.items() if v is not None})
    services.store.append_audit(
        AuditEvent(actor=principal.key_id, action=action, target=target, details=record)
    )
