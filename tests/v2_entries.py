"""Condition-language v2 entries that the tests of several layers (store, matcher, API) write alike."""

from __future__ import annotations

from typing import Any

#: 房地产企业除外: the exclusion most policies carry (docs/conditions.md, ``role: exclude``).
NO_REAL_ESTATE: dict[str, Any] = {
    "field": "industry_code",
    "op": "industry_in",
    "value": ["K"],
    "span": "房地产企业除外",
    "role": "exclude",
}
