"""Opaque paging cursors for target lists (精准推送).

A cursor carries the index version and policy version the list was ranked
under, the offset of the next page, and a hash of the query (policy, item,
levels) so it cannot be replayed on another list. It is base64url JSON with a
checksum: opaque to clients, not a secret (it grants nothing the key does not).

Decision: a cursor minted under another index or policy version is answered
``410 Gone`` (code ``cursor_stale``) rather than silently restarting, so a
push run never mixes two rankings; the client starts again without a cursor.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from api.errors import ApiError

_PREFIX = "c1."


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts, and under which ranking."""

    index_version: str
    policy_version: str
    offset: int
    query_hash: str


def query_hash(policy_id: str, item_id: str | None, levels: Sequence[str]) -> str:
    """Hash what a target list was asked for."""
    text = json.dumps([policy_id, item_id or "", sorted(levels)], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _checksum(payload: bytes) -> str:
    return hashlib.sha256(b"policymatch-cursor:" + payload).hexdigest()[:12]


def encode_cursor(cursor: Cursor) -> str:
    """Encode the opaque string handed to the client as ``next_cursor``."""
    payload = json.dumps(
        {"i": cursor.index_version, "p": cursor.policy_version, "o": cursor.offset, "q": cursor.query_hash},
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    token = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{_PREFIX}{token}.{_checksum(payload)}"


def decode_cursor(text: str) -> Cursor:
    """Parse a cursor; raises a 400 ApiError when it is not one this service issued."""
    bad = ApiError(
        400, "cursor_invalid", "The cursor is not one this service issued; drop it to start from page one."
    )
    if not text.startswith(_PREFIX) or text.count(".") != 2:
        raise bad
    _, token, checksum = text.split(".")
    try:
        payload = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(payload)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if _checksum(payload) != checksum or not isinstance(data, dict):
        raise bad
    try:
        cursor = Cursor(str(data["i"]), str(data["p"]), int(data["o"]), str(data["q"]))
    except (KeyError, TypeError, ValueError):
        raise bad from None
    if cursor.offset < 0:
        raise bad
    return cursor


def check_cursor(cursor: Cursor, *, index_version: str, policy_version: str, expected_query: str) -> None:
    """Reject a cursor for another query (400) or minted under another ranking (410)."""
    if cursor.query_hash != expected_query:
        raise ApiError(
            400,
            "cursor_mismatch",
            "The cursor belongs to another target list (policy, item or levels differ); drop it to start over.",
        )
    if cursor.index_version != index_version or cursor.policy_version != policy_version:
        raise ApiError(
            410,
            "cursor_stale",
            "The ranking changed since this cursor was issued (new index or policy version); start again without a cursor.",
            {
                "cursor_index_version": cursor.index_version,
                "index_version": index_version,
                "cursor_policy_version": cursor.policy_version,
                "policy_version": policy_version,
            },
        )
