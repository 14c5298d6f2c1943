"""An item's fingerprint: what says whether an edited item's text changed under its edits."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NUMERALS = "一二三四五六七八九十百零〇两"
# Enumerators that open a clause: 第三条 / 第2款, （三） / (3), 三、 / 3、 / 3. (not 3.5), ①; repeated: （一）1.
_ENUMERATOR = re.compile(
    rf"^(?:第[{_NUMERALS}\d]+[条款项章节部分]+|[(（][{_NUMERALS}\d]+[)）]|[{_NUMERALS}]+[、.．]|\d+[、.．](?!\d)"
    r"|[\u2460-\u249b])"
)


def item_fingerprint(text: str) -> str:
    """Hex SHA-256 of an item's text: whitespace and leading enumerators (三、 （二） 第五条) dropped, then NFKC.

    So re-wrapping a clause, or renumbering it because a paragraph was inserted before
    it, keeps its fingerprint; any change of its words changes it.
    """
    words = "".join(text.split())
    while (match := _ENUMERATOR.match(words)) and match.end() < len(words):
        words = words[match.end() :]
    # NFKC after the enumerators: it would turn ① into a bare 1.
    return hashlib.sha256(unicodedata.normalize("NFKC", words).encode("utf-8")).hexdigest()
