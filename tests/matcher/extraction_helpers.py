"""What the extraction tests ask of every reading: a text's conditions, each with a span that is a piece of it."""

from __future__ import annotations

from corpus.conditions import Condition, Tier, leaves
from matcher.extraction import extract_entries, extract_item


def checked_conditions(text: str, **kwargs: object) -> tuple[Condition, ...]:
    """Return what ``extract_item`` reads of ``text``, asserting every condition's span stands in it."""
    conditions = extract_item(text, **kwargs).conditions  # type: ignore[arg-type]
    for condition in conditions:
        assert condition.span and condition.span in text, condition
    return conditions


def checked_keys(text: str, **kwargs: object) -> set[tuple]:
    """Return the (field, op, value) keys of :func:`checked_conditions`."""
    return {c.key for c in checked_conditions(text, **kwargs)}


def checked_leaves(text: str, field: str | None = None) -> list[Condition]:
    """Return the leaves ``extract_entries`` reads of ``text`` (only ``field``'s when given), asserting each span stands in it."""
    found = [c for c in leaves(extract_entries(text)) if field is None or c.field == field]
    for condition in found:
        assert condition.span and condition.span in text, condition
    return found


def tiers_of(text: str) -> list[Tier]:
    """Return the tiers ``extract_entries`` reads of ``text``, in its order."""
    return [e for e in extract_entries(text) if isinstance(e, Tier)]
