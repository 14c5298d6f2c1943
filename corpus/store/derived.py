"""What the layer above derives from a profile for the store to keep beside it, installed by that layer.

The store knows nothing above it (``../shared/ARCHITECTURE.md``: ``corpus/`` imports no ``matcher``), yet it
keeps an enterprise's BM25 query tokens with its profile so a first 智能匹配 need not cut them
(:mod:`matcher.query_tokens`, which installs itself here when ``matcher`` is imported). Without an
installed derivation the store writes no tokens for a new or changed profile and leaves stored ones as
they are: a match then cuts the query itself, as it does for tokens of another version.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class QueryTokens:
    """How the matcher forms an enterprise's stored query tokens."""

    # The stored form for a profile (None: nothing can be stored for it).
    stored_form: Callable[[Mapping[str, Any]], str | None]
    # The form a profile's stored tokens should have now: the stored one itself while it is current.
    current_form: Callable[[str | None, Mapping[str, Any]], str | None]


_installed: QueryTokens | None = None


def install_query_tokens(derivation: QueryTokens) -> None:
    """Make every store of this process write query tokens with ``derivation``."""
    global _installed
    _installed = derivation


def query_tokens() -> QueryTokens | None:
    """Return the installed derivation, or None when no layer above installed one."""
    return _installed
