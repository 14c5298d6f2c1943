"""Reference tables shipped with the project: regions, industries, qualifications, size classes.

The tables live in ``corpus/reference/`` (built by ``corpus/reference/build.py``
from ``../shared/data/reference/``; their sources are cited in docs/data.md):

- 统计用区划代码 (2022): provinces, cities, counties, Zhejiang streets — codes
  are the natural prefixes (``33`` 浙江省, ``3310`` 台州市, ``331002`` 椒江区,
  ``331002001`` a street), so ``within_region`` is a ``startswith``;
- GB/T 4754-2017 国民经济行业分类 at every level (门类 ``C``, 大类 ``36``,
  中类 ``367``, 小类 ``3670``); the canonical form of a code is letter + digits
  (``C3670``), the form ``conditions.industry_in`` compares;
- 资质荣誉 titles: the one qualification taxonomy — aliases (``高企`` →
  ``国家高新技术企业``), levels (国家 / 省 / 市 / 县), what each title implies
  (国家级“小巨人” meets 专精特新中小企业) and how long it holds (高企: 3 years);
- 统计上大中小微型企业划分办法(2017) thresholds → :func:`size_class`.

Everything is loaded once, lazily, and read-only.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, TypeVar

TABLES = Path(__file__).resolve().parent / "reference"

RegionLevel = Literal["province", "city", "county", "street"]
IndustryLevel = Literal["section", "division", "group", "class"]
SizeClass = Literal["大", "中", "小", "微"]
SIZE_CLASSES: tuple[SizeClass, ...] = ("大", "中", "小", "微")

# Placeholder names of the city level (直辖市 / 省直辖县): real rows, but not a place a person names.
_PLACEHOLDER_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})


@dataclass(frozen=True)
class Region:
    """One administrative division of 统计用区划代码."""

    code: str
    name: str
    level: RegionLevel
    parent: str


@dataclass(frozen=True)
class Industry:
    """One category of GB/T 4754-2017."""

    code: str
    name: str
    level: IndustryLevel
    parent: str

    @property
    def canonical_code(self) -> str:
        """Letter + digits (``C3670``); the letter alone for a 门类."""
        return self.code if self.level == "section" else _section_of(self.code) + self.code


#: A table row with a ``parent`` code: a region or an industry category.
_Tree = TypeVar("_Tree", Region, Industry)


@dataclass(frozen=True)
class Qualification:
    """A 资质荣誉 title: its level (国家 / 省 / 市 / 县 or ''), aliases, the titles it implies, and years it holds."""

    title: str
    level: str
    aliases: tuple[str, ...]
    implies: tuple[str, ...] = ()
    valid_years: int | None = None


@dataclass(frozen=True)
class SizeGroup:
    """One industry group of the 2017 划分办法 with its lower bounds of 大/中/小 per indicator."""

    name: str
    prefixes: tuple[str, ...]
    exclude: tuple[str, ...]
    bounds: tuple[tuple[str, tuple[float, float, float]], ...]


# --- regions -----------------------------------------------------------------------------------


def _read_tree(name: str, kind: type[_Tree]) -> dict[str, _Tree]:
    """Read a ``code, name, level, parent`` table of ``TABLES`` into records by code, in the file's order."""
    with (TABLES / name).open(encoding="utf-8", newline="") as handle:
        return {
            row["code"]: kind(row["code"], row["name"], row["level"], row["parent"])  # type: ignore[arg-type]
            for row in csv.DictReader(handle)
        }


@lru_cache(maxsize=1)
def _regions() -> dict[str, Region]:
    return _read_tree("regions.csv", Region)


def iter_regions() -> Iterator[Region]:
    """Every region of the table, provinces first."""
    return iter(_regions().values())


def region(code: str) -> Region | None:
    """Return the region with exactly this code (``33``, ``3310``, ``331002``, ``331002001``), or None."""
    return _regions().get(str(code).strip())


def region_name(code: str) -> str | None:
    """Return the name of a region code, or None when unknown."""
    found = region(code)
    return found.name if found else None


def region_level(code: str) -> RegionLevel | None:
    """``province`` / ``city`` / ``county`` / ``street`` of a known code, or None."""
    found = region(code)
    return found.level if found else None


def region_chain(code: str) -> tuple[Region, ...]:
    """Return the regions from the province down to ``code`` (empty when unknown); 12-digit codes use their street."""
    code = str(code).strip()
    table = _regions()
    if code not in table and len(code) == 12:
        code = code[:9]
    return _from_the_top(table, table.get(code))


def region_path(code: str) -> tuple[str, ...]:
    """Names from the province down (``("浙江省", "台州市", "椒江区")``), placeholders like 市辖区 left out."""
    return tuple(r.name for r in region_chain(code) if r.name not in _PLACEHOLDER_NAMES)


def is_known_region(code: str) -> bool:
    """Whether a profile's region code is known: 6-digit county, or 9/12-digit street/village under a known place.

    Streets are shipped for Zhejiang only; elsewhere a 9/12-digit code is accepted when its county is known.
    """
    code = str(code).strip()
    if not code.isdigit() or len(code) not in (6, 9, 12):
        return False
    table = _regions()
    if len(code) == 6:
        return code in table
    if code[:9] in table:
        return True
    return code[:2] != "33" and code[:6] in table


def regions_named(name: str) -> list[Region]:
    """Regions whose name is ``name`` or ``name`` without its suffix (``椒江`` finds 椒江区), most general first."""
    name = name.strip()
    return list(_regions_by_name().get(name, ()))


@lru_cache(maxsize=1)
def _regions_by_name() -> dict[str, tuple[Region, ...]]:
    index: dict[str, list[Region]] = {}
    for item in _regions().values():
        if item.name in _PLACEHOLDER_NAMES:
            continue
        keys = {item.name}
        short = re.sub(r"(省|市|自治区|特别行政区|自治州|地区|盟|区|县|自治县|旗|街道|镇|乡)$", "", item.name)
        if len(short) >= 2:
            keys.add(short)
        for key in keys:
            index.setdefault(key, []).append(item)
    return {k: tuple(v) for k, v in index.items()}


# --- industries --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _industries() -> dict[str, Industry]:
    return _read_tree("industries.csv", Industry)


@lru_cache(maxsize=1)
def _division_sections() -> dict[str, str]:
    return {i.code: i.parent for i in _industries().values() if i.level == "division"}


def _section_of(digits: str) -> str:
    return _division_sections().get(digits[:2], "")


def iter_industries() -> Iterator[Industry]:
    """Every category of GB/T 4754-2017, in the standard's order."""
    return iter(_industries().values())


def industry(code: str) -> Industry | None:
    """Return the category of a code in any accepted form (``C3670``, ``3670``, ``C36``, ``36``, ``C``), or None.

    A code whose letter disagrees with its digits (``A3670``) is unknown.
    """
    code = str(code).strip().upper()
    match = re.fullmatch(r"([A-T]?)(\d{2,4})?", code)
    if not match or not code:
        return None
    letter, digits = match.group(1), match.group(2)
    table = _industries()
    if digits is None:
        return table.get(letter)
    found = table.get(digits)
    if found is None or (letter and _section_of(digits) != letter):
        return None
    return found


def canonical_industry_code(code: str) -> str | None:
    """Letter + digits form of a known code (``3670`` → ``C3670``), or None."""
    found = industry(code)
    return found.canonical_code if found else None


def industry_name(code: str) -> str | None:
    """Return the name of a GB/T 4754 code, or None when unknown."""
    found = industry(code)
    return found.name if found else None


def industry_path(code: str) -> tuple[Industry, ...]:
    """Return the categories from the 门类 down to ``code`` (empty when unknown)."""
    return _from_the_top(_industries(), industry(code))


def _from_the_top(table: Mapping[str, _Tree], node: _Tree | None) -> tuple[_Tree, ...]:
    """Return ``node`` and its parents in ``table`` (by ``parent`` code), the topmost first (empty for None)."""
    chain: list[_Tree] = []
    while node is not None:
        chain.append(node)
        node = table.get(node.parent) if node.parent else None
    return tuple(reversed(chain))


# --- qualifications ----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def qualifications() -> tuple[Qualification, ...]:
    """Every canonical 资质荣誉 title with its aliases."""
    data = json.loads((TABLES / "qualifications.json").read_text(encoding="utf-8"))
    titles = tuple(
        Qualification(
            t["title"],
            t["level"],
            tuple(t["aliases"]),
            tuple(t.get("implies") or ()),
            t.get("valid_years"),
        )
        for t in data["titles"]
    )
    known = {t.title for t in titles}
    for item in titles:
        unknown = [name for name in item.implies if name not in known]
        if unknown:
            raise ValueError(f"qualification {item.title!r} implies unknown titles {unknown}")
    return titles


@lru_cache(maxsize=1)
def _qualification_table() -> dict[str, Qualification]:
    return {item.title: item for item in qualifications()}


def qualification(title: str) -> Qualification | None:
    """Return the taxonomy entry of a canonical title (or an alias), or None when unknown."""
    canonical = canonical_qualification(title) or title
    return _qualification_table().get(canonical)


@lru_cache(maxsize=1)
def _implication_closure() -> dict[str, frozenset[str]]:
    direct = {item.title: set(item.implies) for item in qualifications()}
    closure: dict[str, frozenset[str]] = {}
    for title in direct:
        seen: set[str] = set()
        todo = list(direct[title])
        while todo:
            name = todo.pop()
            if name not in seen and name != title:
                seen.add(name)
                todo.extend(direct.get(name, ()))
        closure[title] = frozenset(seen)
    return closure


def implied_titles(titles: Iterable[str]) -> frozenset[str]:
    """Return the titles held plus every title they imply (国家级“小巨人” → 省级专精特新, 专精特新中小企业)."""
    held = {str(t) for t in titles}
    closure = _implication_closure()
    out = set(held)
    for title in held:
        out |= closure.get(title, frozenset())
        canonical = canonical_qualification(title)
        if canonical is not None and canonical != title:
            out.add(canonical)
            out |= closure.get(canonical, frozenset())
    return frozenset(out)


def _qualification_key(text: str) -> str:
    # Quotes and brackets vary (“小巨人” / "小巨人" / 「小巨人」 / none); whitespace never matters.
    return re.sub(r"[\s“”\"'‘’「」『』《》]", "", text).replace("(", "（").replace(")", "）")


@lru_cache(maxsize=1)
def _qualification_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for item in qualifications():
        for name in (item.title, *item.aliases):
            key = _qualification_key(name)
            if index.get(key, item.title) != item.title:
                raise ValueError(f"qualification alias {name!r} names two titles")
            index[key] = item.title
    return index


def qualification_aliases() -> dict[str, str]:
    """Every title and alias as written in the table → its canonical title (for dictionaries and matching)."""
    return {name: item.title for item in qualifications() for name in (item.title, *item.aliases)}


def canonical_qualification(text: str) -> str | None:
    """Return the canonical title of a title or alias (``高企`` → ``国家高新技术企业``), or None when unknown."""
    if not isinstance(text, str) or not text.strip():
        return None
    return _qualification_index().get(_qualification_key(text))


# --- enterprise size ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def size_groups() -> tuple[SizeGroup, ...]:
    """Return the industry groups of 统计上大中小微型企业划分办法(2017) with their thresholds."""
    data = json.loads((TABLES / "size_thresholds.json").read_text(encoding="utf-8"))
    return tuple(
        SizeGroup(
            g["name"],
            tuple(g["prefixes"]),
            tuple(g["exclude"]),
            tuple((field, (float(b[0]), float(b[1]), float(b[2]))) for field, b in g["bounds"].items()),
        )
        for g in data["groups"]
    )


def size_group(industry_code: str) -> SizeGroup | None:
    """Return the 划分办法 group of an industry code (longest matching prefix), or None (金融业, 公共管理, unknown)."""
    code = canonical_industry_code(industry_code)
    if code is None:
        return None
    best: tuple[int, SizeGroup] | None = None
    for group in size_groups():
        if any(code.startswith(x) for x in group.exclude):
            continue
        for prefix in group.prefixes:
            if code.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), group)
    return best[1] if best else None


def size_class(
    industry_code: str | None,
    employees: float | None = None,
    revenue: float | None = None,
    total_assets: float | None = None,
) -> SizeClass | None:
    """大/中/小/微 by the 2017 划分办法 (money in 万元), or None when the industry or a needed figure is unknown.

    大, 中 and 小 need every indicator of the group at or above the bound; one
    indicator below 小 is enough for 微 — so the class is the smallest over the
    indicators, and one missing indicator leaves it unknown unless another already says 微.
    """
    if not industry_code:
        return None
    group = size_group(industry_code)
    if group is None:
        return None
    values = {"employees": employees, "revenue": revenue, "total_assets": total_assets}
    worst = 0
    missing = False
    for field, bounds in group.bounds:
        value = values[field]
        if value is None:
            missing = True
            continue
        rank = next((i for i, bound in enumerate(bounds) if float(value) >= bound), 3)
        worst = max(worst, rank)
    if worst == 3:
        return "微"
    if missing:
        return None
    return SIZE_CLASSES[worst]
