"""Honour lists (荣誉认定名单): each row grants an enterprise a title, matched by USCC first and exact name second.

A list names enterprises granted a title in a year by a body (省级专精特新中小企业 2024,
浙江省经济和信息化厅). :func:`read_honour_list` reads one (CSV or JSONL; English or Chinese
column names, :data:`COLUMNS`), the list-wide values (``--title`` / ``--year`` …) filling what
a row leaves out. :func:`import_honours` finds each row's enterprise — by
统一社会信用代码 when the row has one that is stored, else by its exact name (spaces
dropped, full- and half-width brackets alike), never by a guess — adds the title to the
profile's ``qualifications`` (canonical, :mod:`corpus.reference`) and keeps the grant
(title, level, year, issuer, expiry) with the import. Rows it cannot place are reported
with their line and why. Everything is one transaction, audited, and recorded with every
changed profile before and after, so :func:`reverse_import` puts each one back exactly.

Level: the row's, else the taxonomy's. Expiry: the row's, else ``year + valid_years - 1``-12-31
when the taxonomy says how long the title holds (高企: 3 years), else unknown.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from corpus import reference
from corpus.loaders import LoadError, UnsupportedFormatError, sniff_encoding
from corpus.loaders.rows import csv_rows, jsonl_objects
from corpus.schemas import EnterpriseProfile, uscc_problem
from corpus.store.base import AuditEvent, ImportRecord, ImportRow, Store, utc_now

KIND = "honours"
# Column names a list may use (English, or the Chinese of a typical 认定名单) → the field they fill.
COLUMNS: dict[str, str] = {
    "uscc": "uscc",
    "统一社会信用代码": "uscc",
    "信用代码": "uscc",
    "name": "name",
    "企业名称": "name",
    "单位名称": "name",
    "名称": "name",
    "title": "title",
    "荣誉": "title",
    "荣誉名称": "title",
    "认定类型": "title",
    "资质": "title",
    "level": "level",
    "级别": "level",
    "year": "year",
    "年度": "year",
    "认定年度": "year",
    "issuer": "issuer",
    "认定机构": "issuer",
    "发文单位": "issuer",
    "expires": "expires",
    "有效期至": "expires",
}
GRANT_FIELDS = ("title", "level", "year", "issuer", "expires")


class HonourImportError(ValueError):
    """An honour import or reversal that cannot be done as asked (one sentence, nothing written)."""


@dataclass(frozen=True)
class Grant:
    """One qualification grant: a title, its level, the year, who granted it, until when it holds."""

    title: str
    level: str | None
    year: int
    issuer: str
    expires: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "title": self.title,
            "level": self.level,
            "year": self.year,
            "issuer": self.issuer,
            "expires": self.expires,
        }


@dataclass(frozen=True)
class HonourRow:
    """One row of a list: how to find the enterprise, and its grant."""

    line: int | None
    uscc: str | None
    name: str | None
    grant: Grant


@dataclass(frozen=True)
class Unmatched:
    """A row no stored enterprise was found for, and why."""

    line: int | None
    uscc: str | None
    name: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"line": self.line, "uscc": self.uscc, "name": self.name, "reason": self.reason}


@dataclass
class HonourReport:
    """What an import did (or, dry, would do)."""

    import_id: str | None
    source: str
    rows: int = 0
    matched_by_uscc: int = 0
    matched_by_name: int = 0
    changed: int = 0  # enterprises whose profile changed
    unchanged: int = 0  # enterprises that already held every title granted
    unmatched: list[Unmatched] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (what the import record's summary keeps)."""
        return {
            "import_id": self.import_id,
            "source": self.source,
            "rows": self.rows,
            "matched_by_uscc": self.matched_by_uscc,
            "matched_by_name": self.matched_by_name,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "unmatched": [u.to_dict() for u in self.unmatched],
            "errors": [str(e) for e in self.errors],
            "dry_run": self.dry_run,
        }

    def summary(self) -> str:
        """One paragraph for the CLI."""
        head = "dry run, nothing written: " if self.dry_run else f"import {self.import_id}: "
        lines = [
            f"{head}{self.rows} rows; matched {self.matched_by_uscc} by 统一社会信用代码 and "
            f"{self.matched_by_name} by name; {self.changed} profiles changed, {self.unchanged} already held "
            f"the title; {len(self.unmatched)} unmatched; {len(self.errors)} with errors"
        ]
        lines += [
            f"  unmatched line {u.line}: {u.uscc or ''} {u.name or ''} — {u.reason}" for u in self.unmatched
        ]
        lines += [f"  {e}" for e in self.errors]
        return "\n".join(lines)


def default_expiry(title: str, year: int) -> str | None:
    """Return the last day a title granted in ``year`` holds, from the taxonomy's ``valid_years``; None when unknown."""
    known = reference.qualification(title)
    if known is None or not known.valid_years:
        return None
    return f"{year + known.valid_years - 1}-12-31"


def make_grant(values: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> Grant:
    """Build a grant from a row's values over the list's ``defaults``; raises ValueError naming the field."""
    merged = {**{k: v for k, v in (defaults or {}).items() if v not in (None, "")}}
    merged.update({k: v for k, v in values.items() if k in GRANT_FIELDS and v not in (None, "")})
    title_text = str(merged.get("title") or "").strip()
    if not title_text:
        raise ValueError("title: is required (a column, or the list's --title)")
    title = reference.canonical_qualification(title_text) or title_text
    try:
        year = int(str(merged.get("year", "")).strip().removesuffix("年"))
    except ValueError:
        raise ValueError(f"year: must be a year such as 2024, got {merged.get('year')!r}") from None
    if not 1949 <= year <= 2100:
        raise ValueError(f"year: must be a year such as 2024, got {year}")
    known = reference.qualification(title)
    level = str(merged.get("level") or "").strip() or (known.level if known and known.level else None)
    expires = str(merged.get("expires") or "").strip() or None
    if expires is not None:
        try:
            expires = dt.date.fromisoformat(expires).isoformat()
        except ValueError:
            raise ValueError(f"expires: must be a date YYYY-MM-DD, got {expires!r}") from None
    else:
        expires = default_expiry(title, year)
    return Grant(title, level, year, str(merged.get("issuer") or "").strip(), expires)


def read_honour_list(
    path: str | Path, defaults: Mapping[str, Any] | None = None
) -> tuple[list[HonourRow], list[LoadError]]:
    """Read a list (``.csv`` or ``.jsonl``): its rows, and the errors of rows that cannot be read."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw: Iterator[tuple[int, dict[str, Any] | LoadError]] = csv_rows(
            path, sniff_encoding(path), required=()
        )
    elif suffix == ".jsonl":
        raw = jsonl_objects(path)
    else:
        raise UnsupportedFormatError(
            f"{path}: unsupported honour list type {suffix or '(none)'}; use .csv or .jsonl"
        )
    return honour_rows(((line, data) for line, data in raw), str(path), defaults)


def honour_rows(
    records: Iterable[tuple[int | None, Mapping[str, Any] | LoadError]],
    source: str,
    defaults: Mapping[str, Any] | None = None,
) -> tuple[list[HonourRow], list[LoadError]]:
    """Turn (line, record) pairs into rows; a record needs a USCC or a name, and a grant (title, year)."""
    rows: list[HonourRow] = []
    errors: list[LoadError] = []
    for line, data in records:
        if isinstance(data, LoadError):
            errors.append(data)
            continue
        values = {
            COLUMNS[k.strip()]: v for k, v in data.items() if isinstance(k, str) and k.strip() in COLUMNS
        }
        uscc = str(values.get("uscc") or "").strip().upper() or None
        name = str(values.get("name") or "").strip() or None
        if uscc is None and name is None:
            errors.append(
                LoadError(source, line, "uscc, name", "a row needs a 统一社会信用代码 or an enterprise name")
            )
            continue
        if uscc is not None and (problem := uscc_problem(uscc)):
            errors.append(LoadError(source, line, "uscc", problem))
            continue
        try:
            grant = make_grant(values, defaults)
        except ValueError as exc:
            name_part, _, message = str(exc).partition(": ")
            errors.append(LoadError(source, line, name_part, message))
            continue
        rows.append(HonourRow(line, uscc, name, grant))
    return rows, errors


def _name_key(name: str) -> str:
    # Exact name, but spaces and the width of brackets are how a list was typed, not a different enterprise.
    return re.sub(r"\s+", "", name).replace("(", "（").replace(")", "）")


def import_honours(
    store: Store,
    rows: Iterable[HonourRow],
    *,
    actor: str,
    source: str,
    errors: Iterable[LoadError] = (),
    dry_run: bool = False,
) -> HonourReport:
    """Grant each row's title to its enterprise (USCC first, exact name second), in one audited, reversible import."""
    rows = list(rows)
    report = HonourReport(None, source, rows=len(rows), errors=list(errors), dry_run=dry_run)
    report.rows += len({(e.path, e.line) for e in report.errors})
    by_uscc: dict[str, str] = {}
    by_name: dict[str, list[str]] = {}
    for profile in store.iter_enterprises():
        if profile.uscc:
            by_uscc[profile.uscc] = profile.id
        by_name.setdefault(_name_key(profile.name), []).append(profile.id)
    grants: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        enterprise_id = by_uscc.get(row.uscc) if row.uscc else None
        if enterprise_id is not None:
            report.matched_by_uscc += 1
        else:
            named = by_name.get(_name_key(row.name), []) if row.name else []
            if len(named) != 1:
                if not named:
                    reason = "no stored enterprise has this 统一社会信用代码 or exactly this name"
                else:
                    reason = f"{len(named)} stored enterprises have this name and the row has no matching 统一社会信用代码"
                report.unmatched.append(Unmatched(row.line, row.uscc, row.name, reason))
                continue
            enterprise_id = named[0]
            report.matched_by_name += 1
        grants.setdefault(enterprise_id, []).append({**row.grant.to_dict(), "line": row.line})
    if not grants:
        return report
    # Read, merge and write in one transaction: a profile written meanwhile is not overwritten.
    with nullcontext() if dry_run else store.transaction():
        current = store.get_enterprises(grants)
        changes: list[tuple[EnterpriseProfile, EnterpriseProfile, list[dict[str, Any]]]] = []
        for enterprise_id, granted in grants.items():
            before = current[enterprise_id]
            titles = list(before.qualifications or ())
            titles += [g["title"] for g in granted if g["title"] not in titles]
            after = replace(before, qualifications=tuple(titles))
            if after == before:
                report.unchanged += 1
            else:
                report.changed += 1
            changes.append((before, after, granted))
        if dry_run:
            return report
        report.import_id = f"hon_{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}_{secrets.token_hex(3)}"
        at = utc_now()
        store.upsert_enterprises([after for _, after, _ in changes], action="import")
        store.save_import(
            ImportRecord(
                report.import_id,
                KIND,
                at,
                actor,
                source,
                report.to_dict(),
                None,
                tuple(ImportRow(b.id, b.to_dict(), a.to_dict(), tuple(g)) for b, a, g in changes),
            )
        )
        store.append_audit(AuditEvent(actor, "honours.import", report.import_id, report.to_dict(), at))
    return report


@dataclass
class ReverseReport:
    """What a reversal did."""

    import_id: str
    restored: list[str] = field(default_factory=list)  # enterprise ids put back as before the import
    changed_since: list[str] = field(
        default_factory=list
    )  # changed after the import (restored only with force)
    gone: list[str] = field(default_factory=list)  # deleted since the import (left deleted)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "import_id": self.import_id,
            "restored": self.restored,
            "changed_since": self.changed_since,
            "gone": self.gone,
        }


def reverse_import(store: Store, import_id: str, *, actor: str, force: bool = False) -> ReverseReport:
    """Put every profile an import changed back exactly as it was before it, in one audited transaction.

    A profile changed again after the import would lose that later change: unless ``force``,
    the reversal then writes nothing and names them (:class:`HonourImportError`).
    """
    from corpus.store.records import profile_of, to_json

    record = store.get_import(import_id)
    if record is None:
        raise HonourImportError(f"no import {import_id!r}; `policymatch honours list` shows them")
    if record.reversed_at is not None:
        raise HonourImportError(f"import {import_id} was already reversed at {record.reversed_at}")
    report = ReverseReport(import_id)
    with store.transaction():
        current = store.get_enterprises(r.enterprise_id for r in record.rows)
        restore: list[EnterpriseProfile] = []
        for row in record.rows:
            if dict(row.before) == dict(row.after):
                continue  # the import changed nothing here (the title was held): nothing to put back
            now = current.get(row.enterprise_id)
            if now is None:
                report.gone.append(row.enterprise_id)
                continue
            if now.to_dict() != dict(row.after):
                report.changed_since.append(row.enterprise_id)
                if not force:
                    continue
            restore.append(profile_of(to_json(dict(row.before))))  # exactly as stored, not re-derived
            report.restored.append(row.enterprise_id)
        if report.changed_since and not force:
            shown = ", ".join(report.changed_since[:5])
            raise HonourImportError(
                f"{len(report.changed_since)} profiles changed after import {import_id} ({shown}); reversing "
                "would undo those later changes too: pass force to reverse anyway"
            )
        at = utc_now()
        if not store.mark_import_reversed(import_id, at):
            raise HonourImportError(f"import {import_id} was already reversed")
        store.upsert_enterprises(restore, action="reverse")
        store.append_audit(
            AuditEvent(actor, "honours.reverse", import_id, report.to_dict() | {"force": force}, at)
        )
    return report
