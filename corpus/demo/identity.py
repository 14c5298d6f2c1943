"""Identities of demo enterprises: ids, unique 字号 (brands) and valid 统一社会信用代码."""

from __future__ import annotations

import numpy as np

from corpus.demo.vocab import BRAND_CHARS

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)


def enterprise_id(number: int) -> str:
    """Return the id of the ``number``-th demo enterprise (``E0000001``)."""
    return f"E{number + 1:07d}"


def brand(number: int) -> str:
    """Return a unique 字号 for enterprise ``number``: two characters for the first ones, then three, then four.

    No character repeats its neighbour ("恒达", never "恒恒"): the first character is one
    of ``base``, each next one of the ``base - 1`` others, so numbers map one-to-one onto names.
    """
    base = len(BRAND_CHARS)
    n_chars, offset = 2, 0
    while number - offset >= base * (base - 1) ** (n_chars - 1):
        offset += base * (base - 1) ** (n_chars - 1)
        n_chars += 1
    space = base * (base - 1) ** (n_chars - 1)
    # A multiplier coprime with the space scatters consecutive numbers over the alphabet.
    k = ((number - offset) * 7_919) % space
    k, previous = divmod(k, base)
    chars = [BRAND_CHARS[previous]]
    for _ in range(n_chars - 1):
        k, step = divmod(k, base - 1)
        previous = (previous + 1 + step) % base
        chars.append(BRAND_CHARS[previous])
    return "".join(chars)


def _uscc(region_codes: list[str], numbers: np.ndarray) -> list[str]:
    """统一社会信用代码 (GB 32100-2015): 91 + county + 组织机构代码 (GB 11714 check) + check character."""
    org = (numbers * 73_856_093 + 31_415_926) % 100_000_000  # coprime multiplier: unique for 1e8 numbers
    org_digits = (org[:, None] // (10 ** np.arange(7, -1, -1))) % 10
    org_check = (11 - (org_digits * _ORG_WEIGHTS).sum(axis=1) % 11) % 11
    org_check_values = np.where(org_check == 10, _USCC_CHARS.index("X"), org_check)  # 10 is written X
    prefix = np.array([[9, 1, *map(int, code[:6])] for code in region_codes], dtype=np.int64)
    body = np.concatenate([prefix, org_digits, org_check_values[:, None]], axis=1)
    check = (31 - (body * _USCC_WEIGHTS).sum(axis=1) % 31) % 31
    out = []
    for row, c in zip(body.tolist(), check.tolist(), strict=True):
        out.append("".join(_USCC_CHARS[v] for v in row) + _USCC_CHARS[c])
    return out
