"""Rebuild the shipped reference tables from ``../shared/data/reference/``.

Run ``python corpus/reference/build.py [SHARED_REFERENCE_DIR]``. It writes, in
this folder, the project's own compact tables (see docs/data.md):

- ``regions.csv``     code,name,level,parent — 统计用区划代码 (2022): provinces,
  cities, counties of all China and the streets (乡镇街道) of Zhejiang;
- ``industries.csv``  code,name,level,parent — GB/T 4754-2017 门类/大类/中类/小类;
- ``qualifications.json`` and ``size_thresholds.json`` are written by hand
  (they come from policy texts and 统计上大中小微型企业划分办法(2017), not from a
  data file) and are only checked here.

The source tree lists 1381 小类; the standard has 1380 (see docs/data.md for
what the odd one is and what is done with it). Three names in the source carry
stray text or spacing; they are repaired below, each with the reason.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parents[2] / "shared" / "data" / "reference"

# Names in the source that are not the standard's names (stray description text, spacing, half-width bracket).
INDUSTRY_NAME_FIXES = {
    "3531": "食品、酒、饮料及茶生产专用设备制造",  # source has the start of the 说明 column glued on
    "2541": "生物质液体燃料生产",  # leading space
    "7517": "三维（3D）打印技术推广服务",  # half-width closing bracket
}


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [{k.strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def build_regions(source: Path) -> list[tuple[str, str, str, str]]:
    """Rows (code, name, level, parent) of every province, city, county and Zhejiang street."""
    regions = source / "regions"
    rows: list[tuple[str, str, str, str]] = []
    for row in _read_csv(regions / "provinces.csv"):
        rows.append((row["code"], row["name"], "province", ""))
    for row in _read_csv(regions / "cities.csv"):
        rows.append((row["code"], row["name"], "city", row["provinceCode"]))
    for row in _read_csv(regions / "areas.csv"):
        rows.append((row["code"], row["name"], "county", row["cityCode"]))
    for row in _read_csv(regions / "zhejiang_streets.csv"):
        rows.append((row["code"], row["name"], "street", row["areaCode"]))
    codes = {r[0] for r in rows}
    missing = [r for r in rows if r[3] and r[3] not in codes]
    if missing:
        raise ValueError(f"{len(missing)} regions name a parent that is not in the table, e.g. {missing[0]}")
    return rows


def build_industries(source: Path) -> list[tuple[str, str, str, str]]:
    """Rows (code, name, level, parent) of GB/T 4754-2017 at every level."""
    tree = json.loads((source / "gbt4754_2017.json").read_text(encoding="utf-8"))
    levels = ("section", "division", "group", "class")
    rows: list[tuple[str, str, str, str]] = []

    def walk(node: dict, depth: int, parent: str) -> None:
        code = node["code"].strip()
        name = INDUSTRY_NAME_FIXES.get(code, " ".join(node["name"].split()))
        rows.append((code, name, levels[depth], parent))
        for child in node.get("children") or []:
            walk(child, depth + 1, code)

    for section in tree:
        walk(section, 0, "")
    return rows


def _write_csv(path: Path, rows: list[tuple[str, str, str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("code", "name", "level", "parent"))
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    """Build the tables; returns the exit code."""
    args = sys.argv[1:] if argv is None else argv
    source = Path(args[0]) if args else DEFAULT_SOURCE
    if not (source / "gbt4754_2017.json").exists():
        raise SystemExit(f"no reference data under {source} (expected gbt4754_2017.json and regions/)")
    regions = build_regions(source)
    industries = build_industries(source)
    _write_csv(HERE / "regions.csv", regions)
    _write_csv(HERE / "industries.csv", industries)
    counts: dict[str, int] = {}
    for _, _, level, _ in regions + industries:
        counts[level] = counts.get(level, 0) + 1
    print(json.dumps(counts, ensure_ascii=False))  # noqa: T201 - a build script reports what it wrote
    return 0


if __name__ == "__main__":
    sys.exit(main())
