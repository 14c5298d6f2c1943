"""The heading tree of a policy text: its numbering markers, in sequence and nested as the drafter nested them.

Markers are 第X章 / 第X条 / 一、 / （一） / 1. / （1） / ①, Markdown ``#`` headings and the numbered rows
of a table flattened to text; :func:`build_tree` keeps those that follow their list's sequence (a
stray ``（3）`` in a sentence stays text), nests each kind under the kinds opened before it, and
reads a list restarted after a table of contents from the body. :mod:`corpus.splitting` makes
items out of the tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Chinese digit → value, shared with the extractor's number and date readers.
CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUM = "[零〇一二两三四五六七八九十百]+"
# A marker must start a line, follow whitespace, or follow the end of a sentence or clause.
_BOUNDARY = r"(?:(?<=^)|(?<=[\s\u3000\xa0。；;：:！!？?）)]))"
_MARKERS: tuple[tuple[str, str], ...] = (
    ("md", r"^(?P<md>#{1,6})[ \t]+"),
    ("chapter", _BOUNDARY + rf"第(?P<chapter>{_CN_NUM}|\d{{1,3}})章"),
    ("article", _BOUNDARY + rf"第(?P<article>{_CN_NUM}|\d{{1,3}})条(?![款项规])"),
    ("cn", _BOUNDARY + rf"(?P<cn>{_CN_NUM})[、，,]"),
    ("cn_paren", _BOUNDARY + rf"[（(](?P<cn_paren>{_CN_NUM})[）)]"),
    ("arabic", _BOUNDARY + r"(?P<arabic>\d{1,2})(?:[．、]|\.(?!\d))"),
    ("arabic_paren", _BOUNDARY + r"[（(](?P<arabic_paren>\d{1,2})[）)]"),
    ("circled", _BOUNDARY + r"(?P<circled>[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳])"),
)
MARKER_RE = re.compile("|".join(f"(?:{pattern})" for _, pattern in _MARKERS), re.MULTILINE)
_TITLE_END_RE = re.compile(r"[。；;！!？?\n]")


@dataclass
class Section:
    """A node of the heading tree while splitting."""

    kind: str
    number: int
    start: int  # offset of the marker in the document text
    body_start: int  # offset just after the marker
    end: int = -1
    heading: str = ""
    children: list[Section] = field(default_factory=list)

    def intro_end(self) -> int:
        """Return where the section's own text ends: its first subsection's marker, or its end."""
        return self.children[0].start if self.children else self.end


def cn_number(text: str) -> int | None:
    """Value of a Chinese (十二, 二十一, 一百零五) or Arabic numeral, or None."""
    if text.isdigit():
        return int(text)
    total, current, seen = 0, 0, False
    for char in text:
        if char in CN_DIGITS:
            current = CN_DIGITS[char]
            seen = True
        elif char == "十":
            total += (current or 1) * 10
            current, seen = 0, True
        elif char == "百":
            total += (current or 1) * 100
            current, seen = 0, True
        else:
            return None
    return total + current if seen else None


def _marker_number(kind: str, raw: str) -> int | None:
    if kind == "circled":
        return ord(raw) - ord("①") + 1
    if kind == "md":
        return len(raw)
    return cn_number(raw)


# A table flattened to text: a header row that starts with 序号 and names its columns, then rows
# that open with their serial number glued to the first cell ("2财税〔2019〕24号…", "11.财政部…"
# is row 1 whose cell starts with a list).
_TABLE_HEADER_RE = re.compile(r"序号[ \t\u3000\xa0]?[^\s。；;，,：:\d]{4,96}")
_ROW_START_RE = re.compile(
    r"(?<=[\s\u3000\xa0])(?:\d{1,4}(?=[^\s\d%％.．、年月日号个万元亿人份次项件条天])|\d{2,4}(?=[.．、]))"
)
# Fewer rows than this in sequence is no table.
_MIN_ROWS = 3


def _table_rows(text: str) -> list[tuple[str, int, int, int]]:
    """Rows 1, 2, 3 … of a table flattened to text after a 序号 header, as ``row`` markers."""
    header = _TABLE_HEADER_RE.search(text)
    if header is None:
        return []
    rows: list[tuple[str, int, int, int]] = []
    expected = 1
    for match in _ROW_START_RE.finditer(text, header.end()):
        digits, wanted = match.group(0), str(expected)
        # The row number may run into a list that opens its first cell: "231.财税" is row 23, "1." in it.
        if digits == wanted or (
            digits.startswith(wanted)
            and len(digits) == len(wanted) + 1
            and match.end() < len(text)
            and text[match.end()] in ".．、"
        ):
            rows.append(("row", expected, match.start(), match.start() + len(wanted)))
            expected += 1
    return rows if len(rows) >= _MIN_ROWS else []


def _find_markers(text: str) -> list[tuple[str, int, int, int]]:
    """(kind, number, start, end) of every numbering marker, before any sequence check."""
    rows = _table_rows(text)
    row_starts = {start for _, _, start, _ in rows}
    found = list(rows)
    for match in MARKER_RE.finditer(text):
        kind = next(k for k, _ in _MARKERS if match.group(k) is not None)
        number = _marker_number(kind, match.group(kind))
        if number is None or number == 0 or match.start() in row_starts:
            continue
        found.append((kind, number, match.start(), match.end()))
    return sorted(found, key=lambda m: m[2]) if rows else found


def build_tree(text: str) -> list[Section]:
    """Return the heading tree; markers out of sequence (a stray ``（3）`` in a sentence) are left as text."""
    roots: list[Section] = []
    stack: list[Section] = []
    markers = _find_markers(text)
    # Some drafters number 1. 2. 3. straight through the 一、 二、 sections: the last number seen of each kind.
    last_seen: dict[str, int] = {}
    index = 0
    heading_start: int | None = None  # where a '#' line began whose numbering is the marker
    while index < len(markers):
        kind, number, start, end = markers[index]
        index += 1
        if heading_start is not None:
            start, heading_start = heading_start, None
        if kind == "md":
            # "## 一、总则": the numbering inside the heading line decides, not the '#'.
            nxt = markers[index] if index < len(markers) else None
            if nxt is not None and nxt[2] == end:
                heading_start = start
                continue
            kind = f"md{number}"
            number = 0
        depth = next((i for i, s in enumerate(stack) if s.kind == kind), None)
        if depth is not None:
            previous = stack[depth]
            if (
                kind.startswith("md")
                or number == previous.number + 1
                or _lost_number(markers, index, kind, number, previous.number)
            ):
                stack[depth:] = []
            elif depth == 0 and number == 1 and _next_number(markers, index, kind) == 2:
                # The top-level list starts again: a table of contents before the body, or a second document.
                if _is_contents(roots, start):
                    roots.clear()
                stack.clear()
            else:
                continue  # out of sequence: part of the text
        elif (
            not kind.startswith("md")
            and number != 1
            and number != last_seen.get(kind, -1) + 1
            and (roots or stack)  # an excerpt may start mid-list ("三、…"): its first marker is taken as is
        ):
            continue  # a list starts at 1 (or runs on); anything else mid-sentence is a reference
        last_seen[kind] = number
        section = Section(kind, number, start, end)
        (stack[-1].children if stack else roots).append(section)
        stack.append(section)
    _close(roots, len(text))
    return roots


def _next_number(markers: list[tuple[str, int, int, int]], index: int, kind: str) -> int | None:
    """Return the number of the next marker of ``kind`` from ``markers[index]`` on, or None."""
    return next((number for k, number, _, _ in markers[index:] if k == kind), None)


def _lost_number(
    markers: list[tuple[str, int, int, int]], index: int, kind: str, number: int, previous: int
) -> bool:
    """Tell whether one number of a list was lost in the text ("1. 2. … 4. 5."): the list runs on after the gap."""
    return number == previous + 2 and _next_number(markers, index, kind) == number + 1


# A table of contents lists headings only: its sections are short.
_CONTENTS_MEAN_CHARS = 80


def _is_contents(roots: list[Section], restart: int) -> bool:
    """Tell whether the sections before a restarted list are a table of contents (headings only) of the body."""
    if not roots:
        return False

    def count(sections: list[Section]) -> int:
        return sum(1 + count(s.children) for s in sections)

    return (restart - roots[0].start) / count(roots) <= _CONTENTS_MEAN_CHARS


def _close(sections: list[Section], end: int) -> None:
    for position, section in enumerate(sections):
        section.end = sections[position + 1].start if position + 1 < len(sections) else end
        _close(section.children, section.end)


def section_heading(text: str, section: Section) -> str:
    """Return the marker plus the section's title: its first line or first sentence, shortened when long."""
    intro = text[section.body_start : section.intro_end()]
    stripped = intro.lstrip(" \t\u3000\xa0")
    match = _TITLE_END_RE.search(stripped)
    title = stripped[: match.start()] if match else stripped
    title = title.strip()
    # Texts that lost their line breaks keep a space between a heading and its body: "一、金融支持 1．…".
    gap = re.search(r"[ \t\u3000\xa0]+", title)
    if gap is not None and 2 <= gap.start() <= 30:
        title = title[: gap.start()]
    if len(title) > 40:
        cut = re.search(r"[，,：:]", title)
        if cut and cut.start() >= 4:
            title = title[: cut.start()]
        if len(title) > 40:
            title = title[:40] + "…"

    marker = text[section.start : section.body_start].strip().lstrip("#").strip()
    joiner = " " if marker.endswith(("章", "条")) and title else ""
    return f"{marker}{joiner}{title}".strip()
