"""Enterprise profiles built for the real corpus (``eval/sets/real_policies/profiles.jsonl``), deterministically.

Our own data, so it may be committed. Two kinds, from one seed:

- a **population**: enterprises spread over the documents' regions (national,
  北京 11…, 广州 4401…, the NCP documents' provinces) and 台州 (3310…), with
  GB/T 4754 industries, real-looking figures (万元, persons), canonical
  qualification titles, some fields missing, some 失信 / 重大违法, and the
  v2 fields of docs/conditions.md §4 on a share of them;
- **designed** profiles, read off the ``tune`` labels: for an item with
  decidable conditions, one enterprise meeting every one (in the document's
  region, inside its dates), one missing by exactly one, one lacking the data
  of one — so pairs near the boundary are informative. Only ``tune`` labels
  are read, and only to shape the enterprises, never the extractor.

``python -m eval.real_profiles`` rewrites the file from the labels at hand.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from corpus.ledger_demo import make_uscc
from eval.real_corpus import SET_DIR, Corpus

PROFILES_PATH = SET_DIR / "profiles.jsonl"
SEED = 13
N_POPULATION = 220
N_DESIGNED = 210

# Region spread: national (many provinces), the corpus's own cities and Taizhou.
_REGION_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("3310", 0.22),  # 台州
    ("11", 0.16),  # 北京
    ("4401", 0.12),  # 广州
    ("33", 0.08),  # 浙江 (other cities)
    ("", 0.42),  # the rest of the country
)
# GB/T 4754 classes an enterprise may be in (manufacturing weighted as in Zhejiang).
_INDUSTRIES: tuple[str, ...] = (
    "C3670", "C3484", "C3824", "C2927", "C3311", "C1713", "C3982", "C2710", "C3360", "C4090",
    "C3399", "C2651", "C3531", "C1830", "C3130", "C3891", "C1391", "C2438",
    "I6513", "I6520", "I6450", "I6432", "M7320", "M7517", "M7520", "F5137", "F5261", "F5191",
    "H6110", "H6210", "G5411", "G5810", "E4790", "K7020", "L7251", "R8810", "A0141", "O8010",
    "D4411", "P8391",
)  # fmt: skip
_QUALS_WEIGHTED: tuple[tuple[str, float], ...] = (
    ("规上工业企业", 0.3),
    ("科技型中小企业", 0.28),
    ("国家高新技术企业", 0.22),
    ("省科技型中小企业", 0.12),
    ("省级专精特新中小企业", 0.1),
    ("市级专精特新中小企业", 0.08),
    ("国家级专精特新“小巨人”企业", 0.03),
    ("省级企业技术中心", 0.05),
    ("市级企业技术中心", 0.06),
    ("省隐形冠军企业", 0.02),
    ("瞪羚企业", 0.03),
    ("绿色工厂", 0.04),
    ("上市企业", 0.02),
    ("技术先进型服务企业", 0.02),
)
_OPTIONAL = (
    "industry_code", "established", "employees", "revenue", "revenue_growth", "total_assets",
    "rd_expense", "tax_paid", "output_value", "export_value", "investment", "qualifications",
    "mu_jun_class", "credit_status", "major_violation",
)  # fmt: skip


def _counties(prefix: str) -> list[str]:
    from corpus.reference import iter_regions

    return sorted(r.code for r in iter_regions() if r.level == "county" and r.code.startswith(prefix))


def _industry_under(prefix: str, rng: random.Random) -> str | None:
    from corpus.reference import iter_industries

    prefix = prefix.upper()
    codes = [
        i.canonical_code
        for i in iter_industries()
        if len(i.canonical_code) == 5
        and (i.canonical_code.startswith(prefix) or i.canonical_code[1:].startswith(prefix))
    ]
    return rng.choice(sorted(codes)) if codes else None


def _size_class(profile: Mapping[str, Any]) -> str | None:
    from corpus.reference import size_class

    return size_class(
        profile.get("industry_code"),
        profile.get("employees"),
        profile.get("revenue"),
        profile.get("total_assets"),
    )


def _base_profile(n: int, rng: random.Random, region_prefix: str | None = None) -> dict[str, Any]:
    if region_prefix is None:
        r, acc = rng.random(), 0.0
        region_prefix = ""
        for prefix, weight in _REGION_WEIGHTS:
            acc += weight
            if r <= acc:
                region_prefix = prefix
                break
    counties = _counties(region_prefix) if region_prefix else []
    if region_prefix == "33":
        counties = [c for c in counties if not c.startswith("3310")]
    if not counties:
        province = rng.choice(
            ["13", "32", "35", "36", "37", "41", "42", "43", "44", "50", "51", "61", "63", "12"]
        )
        counties = _counties(province)
    size = rng.choices(["micro", "small", "medium", "large"], weights=[0.25, 0.4, 0.25, 0.1])[0]
    scale = {"micro": 0.03, "small": 0.3, "medium": 3.0, "large": 30.0}[size]
    revenue = round(rng.lognormvariate(0, 0.6) * 5000 * scale, 1)
    employees = max(2, int(rng.lognormvariate(0, 0.5) * 120 * scale**0.6))
    industry = rng.choice(_INDUSTRIES)
    rd_expense = round(revenue * rng.uniform(0.0, 0.08), 1)
    quals = [title for title, p in _QUALS_WEIGHTED if rng.random() < p * (1.6 if size != "micro" else 0.5)]
    if not industry.startswith("C"):
        quals = [q for q in quals if q != "规上工业企业"]
    profile: dict[str, Any] = {
        "id": f"rp-{n:04d}",
        "name": f"评测企业{n:04d}有限公司",
        "uscc": make_uscc(rng),
        "region_code": rng.choice(counties),
        "industry_code": industry,
        "established": (dt.date(2021, 6, 30) - dt.timedelta(days=rng.randint(200, 9000))).isoformat(),
        "employees": employees,
        "revenue": revenue,
        "revenue_growth": round(rng.gauss(8, 15), 1),
        "total_assets": round(revenue * rng.uniform(0.6, 2.5), 1),
        "rd_expense": rd_expense,
        "tax_paid": round(revenue * rng.uniform(0.01, 0.08), 1),
        "output_value": round(revenue * rng.uniform(0.9, 1.2), 1) if industry.startswith("C") else None,
        "export_value": round(revenue * rng.uniform(0, 0.5), 1) if rng.random() < 0.35 else 0.0,
        "investment": round(rng.lognormvariate(0, 1) * 300 * scale, 1) if rng.random() < 0.5 else None,
        "qualifications": quals,
        "mu_jun_class": rng.choice("AABBBCD") if region_prefix.startswith("33") else None,
        "credit_status": "dishonest" if rng.random() < 0.05 else "normal",
        "major_violation": rng.random() < 0.03,
    }
    for name in _OPTIONAL:  # missing data is part of the test: about one field in eight
        if rng.random() < 0.12:
            profile[name] = None
    if rng.random() < 0.45:
        profile["invention_patents"] = rng.choice([0, 0, 1, 2, 3, 5, 8, 12])
        profile["ip_count"] = profile["invention_patents"] + rng.randint(0, 15)
        profile["rd_staff_ratio"] = round(rng.uniform(2, 40), 1)
        profile["hightech_income_ratio"] = round(rng.uniform(0, 90), 1)
        profile["tax_credit_grade"] = rng.choice("AABBBMC")
        profile["insured_employees"] = max(1, int((profile["employees"] or 20) * rng.uniform(0.6, 1.0)))
    return profile


# --- designed profiles -------------------------------------------------------------------------


def _leaves(nodes: Iterable[Any]) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    for node in nodes:
        if "any" in node:
            members = node["any"]
            # Meeting one member meets the group: the first decidable one, when there is one.
            chosen = next((m for m in members if "field" in m and _decidable(m)), members[0])
            out += _leaves([chosen])
        elif "all" in node:
            out += _leaves(node["all"])
        else:
            out.append(node)
    return out


def _decidable(leaf: Mapping[str, Any]) -> bool:
    return leaf.get("field") != "undecidable" and leaf.get("op") != "semantic" and leaf.get("role") != "bonus"


def _set_leaf(profile: dict[str, Any], leaf: Mapping[str, Any], meet: bool, rng: random.Random) -> None:
    """Set the profile's field so the leaf is met (``meet``) or unmet; exclusions are met by not being hit."""
    name, op, value = str(leaf["field"]), leaf["op"], leaf.get("value")
    if leaf.get("role") == "exclude":
        meet = not meet
    if name == "size_class":
        wanted = set(value if isinstance(value, list) else [value])
        small = bool(wanted & {"小", "微"}) == meet
        profile["employees"], profile["revenue"], profile["total_assets"] = (
            (30, 800.0, 1200.0) if small else (1500, 120000.0, 250000.0)
        )
        if profile.get("industry_code") is None:
            profile["industry_code"] = "C3670"
        return
    if name == "qualifications":
        titles = list(value if isinstance(value, list) else [value])
        held = [q for q in (profile.get("qualifications") or []) if q not in titles]
        if (op in ("has", "in", "eq")) == meet:
            held.append(rng.choice(titles))
        profile["qualifications"] = held
        return
    if (
        op in ("gte", "gt", "lte", "lt", "eq")
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        up = op in ("gte", "gt")
        if op == "eq":
            number = value if meet else value + 1
        elif up == meet:
            number = value * 1.3 + 1
        else:
            number = value * 0.6 - (1 if value >= 1 else 0)
        number = max(number, 0)
        profile[name] = (
            int(round(number))
            if name in ("employees", "invention_patents", "ip_count", "insured_employees")
            else round(number, 1)
        )
        return
    if op in ("eq", "in"):
        choices = list(value if isinstance(value, list) else [value])
        if meet:
            profile[name] = choices[0]
        else:
            alternatives: dict[str, list[Any]] = {
                "credit_status": ["dishonest", "normal"],
                "major_violation": [True, False],
                "mu_jun_class": list("ABCD"),
                "tax_credit_grade": list("ABMCD"),
            }
            others = alternatives.get(name, [])
            left = [o for o in others if o not in choices]
            profile[name] = left[0] if left else None
        return
    if op == "within_region":
        code = str(value[0] if isinstance(value, list) else value)
        counties = _counties(code) if meet else [c for c in _counties("44" if code[:2] != "44" else "33")]
        if counties:
            profile["region_code"] = rng.choice(counties)
        return
    if op == "industry_in":
        prefixes = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        if meet:
            profile["industry_code"] = _industry_under(prefixes[0], rng) or profile.get("industry_code")
        else:
            other = next(
                c for c in _INDUSTRIES if not any(c.startswith(p) or c[1:].startswith(p) for p in prefixes)
            )
            profile["industry_code"] = other
        return
    if op in ("established_after", "established_before"):
        bound = dt.date.fromisoformat(str(value))
        later = (op == "established_after") == meet
        profile["established"] = (
            bound + dt.timedelta(days=rng.randint(30, 700) * (1 if later else -1))
        ).isoformat()


def _designed(corpus: Corpus, start: int, count: int, rng: random.Random) -> list[dict[str, Any]]:
    """Profiles meeting, missing by one, or lacking data for the decidable conditions of tune items."""
    items = [
        i
        for i in corpus.items
        if i.split == "tune"
        and corpus.documents[i.doc].record.get("is_policy") is not False
        and i.for_enterprises
    ]
    useful = []
    for item in items:
        tiers = item.record.get("tiers") or [{}]
        for tier in tiers:
            every = _leaves(
                [
                    *item.record.get("conditions", []),
                    *corpus.documents[item.doc].record.get("governs_conditions", []),
                    *tier.get("conditions", []),
                ]
            )
            leaves = [leaf for leaf in every if _decidable(leaf)]
            if leaves:
                # Items every condition of which a profile can meet come first: they give eligible pairs.
                reachable = all(_decidable(leaf) or leaf.get("role") == "bonus" for leaf in every)
                useful.append((not reachable, rng.random(), item, leaves))
    useful.sort(key=lambda u: (u[0], u[1]))
    plan = [(item, leaves, mode) for _, _, item, leaves in useful for mode in ("meet", "miss", "lack")]
    out: list[dict[str, Any]] = []
    n = start
    for item, leaves, mode in plan[:count]:
        document = corpus.documents[item.doc].record
        region = str(document.get("region_code") or "")
        profile = _base_profile(n, rng, region or None)
        profile["credit_status"], profile["major_violation"] = "normal", False
        for leaf in leaves:
            _set_leaf(profile, leaf, True, rng)
        if mode != "meet":
            leaf = rng.choice(leaves)
            if mode == "miss":
                _set_leaf(profile, leaf, False, rng)
            else:
                profile[str(leaf["field"])] = None
        profile["design"] = f"{mode}:{item.id}"
        out.append(profile)
        n += 1
    return out


def build_profiles(
    corpus: Corpus | None = None,
    *,
    seed: int = SEED,
    n_population: int = N_POPULATION,
    n_designed: int = N_DESIGNED,
) -> list[dict[str, Any]]:
    """Build the population plus the designed profiles (those need the corpus' tune labels), each with its size_class."""
    rng = random.Random(seed)
    profiles = [_base_profile(n, rng) for n in range(1, n_population + 1)]
    if corpus is not None:
        profiles += _designed(corpus, n_population + 1, n_designed, rng)
    for profile in profiles:
        profile["size_class"] = _size_class(profile)  # as the service derives it (2017 划分办法)
    return profiles


def write_profiles(profiles: Sequence[Mapping[str, Any]], path: Path = PROFILES_PATH) -> Path:
    """Write profiles as JSONL (one a line, keys in a stable order)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for profile in profiles:
            handle.write(json.dumps(profile, ensure_ascii=False) + "\n")
    return path


def read_profiles(path: Path = PROFILES_PATH) -> list[dict[str, Any]]:
    """Read the committed profiles."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    """Rebuild profiles.jsonl from the labels at hand (designed profiles need ../shared)."""
    import argparse
    import sys

    from eval.real_corpus import CorpusUnavailable, load_corpus

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--labels", type=Path, nargs="*", default=None, help="label files (default: labels/*.jsonl)"
    )
    parser.add_argument("--out", type=Path, default=PROFILES_PATH)
    args = parser.parse_args(argv)
    try:
        corpus = load_corpus(files=args.labels) if args.labels else load_corpus()
    except CorpusUnavailable as exc:
        sys.stderr.write(f"{exc}; writing the population only\n")
        corpus = None
    profiles = build_profiles(corpus)
    write_profiles(profiles, args.out)
    sys.stdout.write(f"wrote {len(profiles)} profiles to {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
