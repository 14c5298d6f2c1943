"""What an ingest did (:class:`IngestReport`) and the running count it is made from."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from corpus.loaders import LoadError

#: Errors an ingest's summary (and its audit event) spells out; the rest are counted.
MAX_ERRORS_SHOWN = 20


@dataclass(frozen=True)
class IngestReport:
    """What an ingest did: counts, every error (file:line:field) and warning, and how long it took."""

    kind: str
    read: int = 0
    inserted: int = 0
    replaced: int = 0
    unchanged: int = 0
    items: int = 0
    conditions: int = 0
    errors: tuple[LoadError, ...] = ()
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    strict: bool = False
    stored_ids: tuple[str, ...] = field(default=(), repr=False)

    @property
    def stored(self) -> int:
        """Records written (new or replaced)."""
        return self.inserted + self.replaced

    @property
    def failed(self) -> int:
        """Distinct records kept out by errors."""
        return len({(e.path, e.line) for e in self.errors})

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.errors

    def summary(self) -> str:
        """Describe the ingest in a few lines: counts, then the first errors with file:line:field."""
        noun = "policies" if self.kind == "policies" else "enterprises"
        head = (
            f"{self.read} {noun} read: {self.inserted} new, {self.replaced} replaced"
            + (f", {self.unchanged} unchanged" if self.kind == "enterprises" else "")
            + (f"; {self.items} items, {self.conditions} conditions" if self.kind == "policies" else "")
            + f"; {self.failed} with errors ({self.seconds:.1f} s)"
        )
        if self.strict and self.errors:
            head += " — strict: nothing was stored"
        lines = [head, *self.warnings]
        lines += [f"  {e}" for e in self.errors[:MAX_ERRORS_SHOWN]]
        if len(self.errors) > MAX_ERRORS_SHOWN:
            lines.append(f"  … and {len(self.errors) - MAX_ERRORS_SHOWN} more errors")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "kind": self.kind,
            "read": self.read,
            "inserted": self.inserted,
            "replaced": self.replaced,
            "unchanged": self.unchanged,
            "items": self.items,
            "conditions": self.conditions,
            "failed": self.failed,
            "errors": [str(e) for e in self.errors],
            "warnings": list(self.warnings),
            "seconds": round(self.seconds, 3),
            "strict": self.strict,
        }


class IngestFailed(ValueError):
    """A strict ingest that met errors and stored nothing; ``report`` has them all."""

    def __init__(self, report: IngestReport) -> None:
        self.report = report
        super().__init__(f"ingest of {report.kind} stored nothing: " + report.summary())


@dataclass
class Tally:
    """The running count of an ingest: records read and stored, errors and warnings so far."""

    read: int = 0
    inserted: int = 0
    replaced: int = 0
    unchanged: int = 0
    items: int = 0
    conditions: int = 0
    errors: list[LoadError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stored_ids: list[str] = field(default_factory=list)

    def refused(self, entries: Iterable[Any], exc: BaseException) -> None:
        """Report every entry (each with ``path`` and ``line``) as refused by the store with ``exc``."""
        for entry in entries:
            self.errors.append(LoadError(entry.path, entry.line, None, f"the store refused it: {exc}"))

    def report(self, kind: str, started: float, strict: bool) -> IngestReport:
        """Make the :class:`IngestReport` of what was counted (strict with errors: nothing was stored)."""
        failed = strict and bool(self.errors)
        return IngestReport(
            kind=kind,
            read=self.read,
            inserted=0 if failed else self.inserted,
            replaced=0 if failed else self.replaced,
            unchanged=0 if failed else self.unchanged,
            items=0 if failed else self.items,
            conditions=0 if failed else self.conditions,
            errors=tuple(self.errors),
            warnings=tuple(self.warnings),
            seconds=time.perf_counter() - started,
            strict=strict,
            stored_ids=() if failed else tuple(self.stored_ids),
        )
