"""Partial updates of enterprise profiles: JSON merge patch (RFC 7396) and the imports that carry some columns.

One rule for every partial write (``PATCH /v1/enterprises/{id}``, a CSV or JSONL import
that carries only some columns, an honour list): **a field the write does not name keeps
its stored value**; a field it names takes the new value; a field it sets to ``null``
becomes unknown. What a present-but-empty CSV cell (or ``""`` in JSONL) means is the
importer's choice (:data:`EMPTY_CHOICES`, docs/service.md): ``keep`` (the default: the
stored value stays) or ``clear`` (the field becomes unknown).

Derived fields follow what they are derived from: ``size_class`` is always recomputed by
:func:`corpus.schemas.validate_profile`, and a stored ``rd_ratio`` that was derived from
``rd_expense / revenue`` is dropped (so derived again) when a write changes either of
those without naming ``rd_ratio`` itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from corpus.schemas import (
    PROFILE_FIELD_NAMES,
    EnterpriseProfile,
    FieldProblem,
    ProfileError,
    validate_profile,
)

EmptyChoice = Literal["keep", "clear"]
EMPTY_CHOICES: tuple[str, ...] = ("keep", "clear")
#: Fields validation computes: a value a write gives for them is ignored, as a full profile's is.
DERIVED_FIELDS: tuple[str, ...] = ("size_class",)
_FIELDS = frozenset(PROFILE_FIELD_NAMES)


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply a JSON merge patch (RFC 7396 §2) to ``target``; returns a new value, ``target`` is not changed.

    An object patch merges key by key (``null`` removes the key, an object recurses);
    any other patch (a list, a string, a number, ``null``) replaces the target whole.
    """
    if not isinstance(patch, Mapping):
        return patch
    out = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def empty_cell(value: Any) -> bool:
    """Say whether an import treats this as as a present-but-empty cell (``""`` or whitespace)."""
    return isinstance(value, str) and not value.strip()


def profile_changes(row: Mapping[str, Any], empty: str = "keep") -> dict[str, Any]:
    """Return the changes one import row makes: the profile fields it carries, ``None`` for those it clears.

    Keys that are not profile fields are left out (the loader warns about them); an empty cell
    is left out under ``keep`` and becomes ``None`` (clear) under ``clear``.
    """
    if empty not in EMPTY_CHOICES:
        raise ValueError(f"empty must be one of {', '.join(EMPTY_CHOICES)}, got {empty!r}")
    changes: dict[str, Any] = {}
    for key, value in row.items():
        if key not in _FIELDS:
            continue
        if empty_cell(value):
            if empty == "clear" and key not in ("id", "name"):
                changes[key] = None
            continue
        changes[key] = value
    return changes


def merge_profile(stored: EnterpriseProfile | None, changes: Mapping[str, Any]) -> EnterpriseProfile:
    """Apply ``changes`` (field → value, ``None`` = unknown) to the stored profile and validate the result.

    ``stored`` None: the changes make a new profile (it then needs ``id`` and ``name``).
    Raises :class:`~corpus.schemas.ProfileError` naming every bad field.
    """
    problems: list[FieldProblem] = []
    if stored is not None and changes.get("id") not in (None, stored.id):
        problems.append(
            FieldProblem("id", f"is {changes['id']!r} but the stored enterprise is {stored.id!r}")
        )
    if stored is not None and "name" in changes and changes["name"] is None:
        problems.append(FieldProblem("name", "is required and cannot be cleared"))
    if problems:
        raise ProfileError(problems, stored.id if stored is not None else changes.get("id"))
    base: dict[str, Any] = stored.to_dict() if stored is not None else {}
    if stored is not None and "rd_ratio" not in changes and ({"rd_expense", "revenue"} & changes.keys()):
        if _derived_rd_ratio(stored):
            base["rd_ratio"] = None
    merged = {**base, **{k: v for k, v in changes.items() if k in _FIELDS}}
    for name in DERIVED_FIELDS:
        merged.pop(name, None)
    return validate_profile(merged)


def _derived_rd_ratio(profile: EnterpriseProfile) -> bool:
    """Say whether the stored ``rd_ratio`` is what validation derives from ``rd_expense / revenue``."""
    if profile.rd_ratio is None or profile.rd_expense is None or not profile.revenue:
        return profile.rd_ratio is None
    return bool(round(profile.rd_expense / profile.revenue * 100.0, 4) == profile.rd_ratio)
