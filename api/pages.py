"""The four pages (智能匹配, 条件校对, 推送时间线, 风险监管), assembled once from one template.

``api/templates/page.html`` holds what every page shares (the ``<head>``, the header with its nav bar and
key box, the scripts); ``api/templates/<name>.html`` holds one page's ``<main>``. The app assembles them when
it is built and serves the bytes from memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from string import Template

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Page:
    """One page: where it is served, its name (its ``<main>`` file and its script), title and key hint."""

    path: str
    name: str
    title: str
    key_hint: str  # the key box's placeholder: which roles' keys the page wants


PAGES: tuple[Page, ...] = (
    Page("/", "index", "智能匹配", "访问密钥"),
    Page("/admin", "admin", "条件校对", "管理员密钥"),
    Page("/push", "push", "推送时间线", "推送或管理员密钥"),
    Page("/risk", "risk", "风险监管", "分析或管理员密钥"),
)
# The nav bar links every page, then the API reference, in this order on every page.
NAV: tuple[tuple[str, str], ...] = (*((p.path, p.title) for p in PAGES), ("/docs", "接口文档"))


def nav_bar(current: str) -> str:
    """Return the nav bar's links, the one to ``current`` marked."""
    marks = {current: ' class="current"'}
    return "".join(f'<a href="{path}"{marks.get(path, "")}>{title}</a>' for path, title in NAV)


def render(page: Page, templates: Path = TEMPLATES) -> bytes:
    """Return one page, whole, as UTF-8."""
    shell = Template((templates / "page.html").read_text(encoding="utf-8"))
    main = (templates / f"{page.name}.html").read_text(encoding="utf-8").rstrip("\n")
    html = shell.substitute(
        title=page.title, nav=nav_bar(page.path), key_hint=page.key_hint, main=main, script=page.name
    )
    return html.encode("utf-8")


def render_all(templates: Path = TEMPLATES) -> dict[str, bytes]:
    """Return every page by the path it is served at."""
    return {page.path: render(page, templates) for page in PAGES}
