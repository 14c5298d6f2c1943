"""Policy text out of the formats it comes in: front matter and Markdown, HTML (stdlib ``html.parser``), ``.docx``.

Headings become ``#`` lines, which :mod:`corpus.splitting` reads as section markers.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path


def front_matter(raw: str) -> tuple[dict[str, str], str]:
    """Split a leading ``---`` block of ``key: value`` lines from the body (no block: no keys)."""
    lines = raw.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}, raw
    for end in range(1, min(len(lines), 40)):
        if lines[end].strip() == "---":
            metadata = {}
            for line in lines[1:end]:
                if ":" in line:
                    key, value = line.split(":", 1)
                    metadata[key.strip()] = value.strip().strip("\"'")
            return metadata, "\n".join(lines[end + 1 :])
    return {}, raw


def markdown_to_text(body: str) -> str:
    """Plain text of Markdown, headings kept as ``#`` lines."""
    out = []
    for line in body.splitlines():
        line = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", line)  # images
        line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)  # links keep their text
        line = re.sub(r"(\*\*|__|`)", "", line)
        line = re.sub(r"^\s*>\s?", "", line)
        line = re.sub(r"^\s*[-*+]\s+", "", line)
        out.append(line.rstrip())
    return "\n".join(out).strip()


class _HTMLText(HTMLParser):
    _BLOCKS = frozenset(
        {
            "p",
            "div",
            "br",
            "li",
            "tr",
            "table",
            "section",
            "article",
            "ul",
            "ol",
            "blockquote",
            "pre",
            "dd",
            "dt",
        }
    )
    _SKIP = frozenset({"script", "style", "noscript", "head", "nav", "footer"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")
        elif re.fullmatch(r"h[1-6]", tag):
            self.parts.append("\n" + "#" * int(tag[1]) + " ")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCKS or re.fullmatch(r"h[1-6]", tag):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip:
            self.parts.append(re.sub(r"[ \t\r\n]+", " ", data))


def html_to_text(html: str) -> str:
    """Visible text of an HTML page, one block per line; ``h1``–``h6`` become ``#`` lines."""
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).splitlines()]
    return "\n".join(line for line in lines if line and line != "#")


def docx_to_text(path: str | Path) -> tuple[dict[str, str], str]:
    """(metadata, text) of a .docx: paragraphs and table rows in order; Heading/标题 styles become ``#`` lines."""
    import docx  # python-docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(path))
    metadata: dict[str, str] = {}
    core_title = (document.core_properties.title or "").strip()
    if core_title:
        metadata["title"] = core_title
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(child, document)
            text = paragraph.text.strip()
            if not text:
                continue
            style = (paragraph.style.name if paragraph.style is not None else "") or ""
            level = re.search(r"(?:Heading|标题)\s*(\d)", style)
            if style == "Title" or style == "标题":
                metadata.setdefault("title", text)
                lines.append(f"# {text}")
            elif level:
                lines.append("#" * min(6, int(level.group(1))) + f" {text}")
            else:
                lines.append(text)
        elif tag == "tbl":
            table = Table(child, document)
            for row in table.rows:
                cells = [cell.text.strip() for cell in row.cells]
                lines.append(" ".join(c for c in cells if c))
    return metadata, "\n".join(lines)
