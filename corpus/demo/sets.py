"""Labelled sets written from the demo corpus's ground truth (the formats of shared/spec/conditions.md).

- Eligibility set: ``items.jsonl`` (with the true conditions), ``profiles.jsonl``,
  ``truth.jsonl`` for every (profile, item) pair, computed with
  :func:`corpus.conditions.judge_item` and :func:`corpus.conditions.truth_verdict`.
  ``semantic`` conditions are settled by the generator's knowledge of each
  enterprise's true line of business (:meth:`DemoCorpus.semantic_judge`), not
  by reading its texts; ``undecidable`` ones stay unknown.
- What counts as a condition (the labelling convention of the truth): what the item
  requires the applying enterprise to already be or have — thresholds, titles,
  region, industry, founding date, size class (小微企业 → ``size_class in [小, 微]``),
  亩均 class, exclusions (失信 → ``credit_status eq normal``, 重大违法 →
  ``major_violation eq false``), what it does (``semantic``, the value without a
  leading 从事) and enterprise facts no profile field holds (``undecidable``, value
  = span: 首台（套）认定, 两化融合贯标, 社保缴纳, 安全或环境事故, 品字标, 标准, 质量奖).
  The action being supported (实施技术改造, 新招用人员并签订劳动合同, 引进人才,
  参加境外展会), the procedure (申报, 审核, 兑现) and the 首次 / 新认定 timing of a
  title are not conditions.
- Retrieval set: ``docs.jsonl`` (every item) and ``queries.jsonl`` — questions an
  enterprise would ask ("我们是一家做汽车零部件的规上企业，有什么技改补贴？") with
  the items that answer them.

Profiles are written as the service holds them after ingest (validated by
:func:`corpus.schemas.validate_profile`: ``size_class`` and ``rd_ratio`` derived,
unknown fields null) and the truth is judged on exactly those. They are chosen
so that every level appears often: each is drawn, from the
corpus's first enterprises, to fit the region, industry and titles an item
asks for (its "anchor"), so its numbers then decide between eligible,
near_miss and ineligible, and its missing fields give need_info.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.conditions import (
    LEVELS,
    Condition,
    Entry,
    Level,
    SemanticJudge,
    evaluate_condition,
    judge_item,
    truth_verdict,
)
from corpus.demo.clauses import THEMES
from corpus.demo.enterprises import V2_MISSING_RATES
from corpus.demo.generator import DemoCorpus
from corpus.demo.policies import DemoItem
from corpus.demo.vocab import COUNTIES, LINES, QUALIFICATION_ALIASES
from corpus.schemas import validate_profile

POOL = 20_000  # profiles of the set come from the corpus's first POOL enterprises
STRUCTURAL_FIELDS = frozenset(
    {"region_code", "industry_code", "qualifications", "mu_jun_class", "established"}
)


@dataclass(frozen=True)
class EligibilitySetReport:
    """What :func:`write_eligibility_set` wrote."""

    out_dir: Path
    n_items: int
    n_profiles: int
    n_pairs: int
    levels: tuple[tuple[str, int], ...]  # level → number of pairs


@dataclass(frozen=True)
class RetrievalSetReport:
    """What :func:`write_retrieval_set` wrote."""

    out_dir: Path
    n_docs: int
    n_queries: int
    mean_relevant: float


def _write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def _required(conditions: Iterable[Entry]) -> list[Condition]:
    """Return the item's common leaves that are requirements (not bonus, not exclude; not in a group or tier)."""
    return [c for c in conditions if isinstance(c, Condition) and c.role == "require"]


def _fits(conditions: Iterable[Entry], profile: Mapping[str, Any]) -> bool:
    """Tell whether no structural condition (region, industry, titles, 亩均, founding date) is unmet."""
    return all(
        evaluate_condition(c, profile).verdict != "unmet"
        for c in _required(conditions)
        if c.field in STRUCTURAL_FIELDS
    )


def true_level(
    item: DemoItem, profile: Mapping[str, Any], judge: SemanticJudge | None
) -> tuple[Level, list[str], list[str]]:
    """Return the true (level, failed, unknown fields) of a pair: document facts first, then conditions.

    A non-policy, a date outside the document's validity (judged at its ``as_of``) or an enterprise
    outside the issuing region is ``ineligible`` whatever the conditions say, because the service
    never lists such a pair (docs/conditions.md §5-6).
    """
    facts = item.facts
    if not item.is_policy:
        return "ineligible", ["is_policy"], []
    as_of = facts.get("as_of")
    if as_of and ((facts.get("valid_from") or "") > as_of or as_of > (facts.get("valid_until") or "9999")):
        return "ineligible", ["valid_until"], []
    region = str(profile.get("region_code") or "")
    if facts and region and item.region_code and not region.startswith(item.region_code):
        return "ineligible", ["region_code"], []
    verdict = judge_item(item.conditions, profile, judge)
    return verdict.level, verdict.failed_fields, verdict.unknown_fields


def as_held(profile: Mapping[str, Any]) -> dict[str, Any]:
    """Return the profile as the service holds it after ingest (validated, size_class and rd_ratio derived).

    The fields of the condition language v2 are kept as generated even where the running
    validation does not know them yet: they are what the enterprise truly has.
    """
    held = validate_profile(profile).to_dict()
    for name in V2_MISSING_RATES:
        if held.get(name) is None and profile.get(name) is not None:
            held[name] = profile[name]
    return held


def choose_items(corpus: DemoCorpus, n_items: int, r: random.Random) -> list[DemoItem]:
    """Choose a sample of items covering every theme, about half of them city or province items (which apply to more enterprises)."""
    items = [item for item in corpus.items if item.conditions or not item.is_policy]
    r.shuffle(items)
    by_theme: dict[tuple[bool, str], list[DemoItem]] = {}
    for item in items:
        by_theme.setdefault((len(item.region_code) < 6, item.theme), []).append(item)
    chosen: list[DemoItem] = []
    keys = sorted(by_theme)
    while len(chosen) < min(n_items, len(items)):
        for key in keys:
            if by_theme[key] and len(chosen) < n_items:
                chosen.append(by_theme[key].pop())
    return sorted(chosen, key=lambda item: (item.policy_id, item.seq))


def choose_profiles(
    corpus: DemoCorpus, items: list[DemoItem], n_profiles: int, r: random.Random
) -> list[dict[str, Any]]:
    """Choose profiles from the corpus's first enterprises, each fitting the structural conditions of one anchor item."""
    # Profiles as the service holds them after ingest: validated, with size_class and rd_ratio derived.
    pool = [as_held(p) for p in corpus.iter_enterprises(POOL)]
    by_county: dict[str, list[int]] = {}
    for position, profile in enumerate(pool):
        by_county.setdefault(str(profile.get("region_code", ""))[:6], []).append(position)
    taizhou = [p for code, rows in by_county.items() if code in COUNTIES for p in rows]
    taken: set[int] = set()
    chosen: list[dict[str, Any]] = []
    judge = corpus.semantic_judge()
    policies = [item for item in items if item.is_policy] or items
    anchors = [
        item for item in policies if not any(c.field == "undecidable" for c in item.conditions)
    ] or policies
    r.shuffle(anchors)
    for slot in range(n_profiles):
        anchor = anchors[slot % len(anchors)]
        region = next((str(c.value) for c in _required(anchor.conditions) if c.op == "within_region"), "")
        candidates = by_county.get(region, []) if len(region) == 6 else taizhou
        start = r.randrange(len(candidates)) if candidates else 0
        found = None
        # Half the profiles are eligible for their anchor where the pool has one; the rest only fit its structure.
        want_eligible = slot % 2 == 0
        for k in range(len(candidates)):
            position = candidates[(start + k) % len(candidates)]
            if position in taken or not _fits(anchor.conditions, pool[position]):
                continue
            if want_eligible and true_level(anchor, pool[position], judge)[0] != "eligible":
                continue
            found = position
            break
        if found is None and want_eligible:  # no eligible one: one that fits the structure
            found = next(
                (p for p in candidates if p not in taken and _fits(anchor.conditions, pool[p])), None
            )
        if found is None:  # nothing fits: any Taizhou enterprise not yet taken
            found = next(p for p in (r.choice(taizhou) for _ in range(1000)) if p not in taken)
        taken.add(found)
        chosen.append(pool[found])
    return chosen


def write_eligibility_set(
    corpus: DemoCorpus,
    out_dir: Path,
    *,
    n_items: int = 300,
    n_profiles: int = 200,
) -> EligibilitySetReport:
    """Write ``items.jsonl``, ``profiles.jsonl``, ``truth.jsonl`` and ``manifest.json`` of a labelled eligibility set."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    r = random.Random(f"policymatch-demo:{corpus.seed}:eligibility")
    items = choose_items(corpus, n_items, r)
    profiles = choose_profiles(corpus, items, n_profiles, r)
    judge = corpus.semantic_judge()
    source = f"policymatch demo corpus, seed {corpus.seed}"
    _write_jsonl(out_dir / "items.jsonl", (item.to_set_record(source) for item in items))
    _write_jsonl(out_dir / "profiles.jsonl", profiles)
    levels: Counter[str] = Counter()

    def truth_rows() -> Iterable[dict[str, Any]]:
        for profile in profiles:
            for item in items:
                level, failed, unknown = true_level(item, profile, judge)
                levels[level] += 1
                yield {
                    "profile": profile["id"],
                    "item": item.id,
                    "verdict": truth_verdict(level),
                    "failed": failed,
                    "unknown": unknown,
                    "level": level,
                }

    n_pairs = _write_jsonl(out_dir / "truth.jsonl", truth_rows())
    level_counts = tuple((level, levels[level]) for level in LEVELS)
    manifest = {
        "kind": "eligibility",
        "source": source,
        "seed": corpus.seed,
        "n_policies": len(corpus.policies),
        "items": len(items),
        "profiles": len(profiles),
        "pairs": n_pairs,
        "levels": dict(level_counts),
        "labelling": "conditions are what the item requires the applying enterprise to already be or have "
        "(thresholds, titles, region, industry, founding date, size class, 亩均 class, exclusions, what it does as "
        "semantic with the value less a leading 从事, and facts no profile field holds as undecidable with value = "
        "span); the action being supported, the procedure and the 首次/新认定 timing of a title are not conditions",
        "v2": "conditions are the condition language v2 (docs/conditions.md): any groups, bonus and exclude roles, "
        "tiers (with amounts and formulas); each item carries its document's facts (is_policy, doc_type, valid_from, "
        "valid_until, window, fulfilment_mode, as_of, governs) and its truth includes the conditions of the clauses "
        "that govern it; a non-policy, a date outside validity at as_of, or an enterprise outside the issuing "
        "region is ineligible whatever the conditions say",
        "semantic_truth": "semantic conditions are settled by the generator's knowledge of each enterprise's "
        "true line of business (corpus.demo.DemoCorpus.semantic_judge); undecidable conditions stay unknown",
    }
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return EligibilitySetReport(out_dir, len(items), len(profiles), n_pairs, level_counts)


# --- retrieval --------------------------------------------------------------------------------------

_QUESTION_FORMS = (
    "我们是一家{where}做{product}的{who}，有什么{ask}？",
    "{where}{who}，主要生产{product}，有没有{ask}？",
    "我们公司在{county}，主营{product}，想了解一下{ask}。",
    "{ask}怎么申请？我们是{where}的{line_noun}{who}。",
    "请问{county}对{line_noun}{who}有没有{ask}",
    "{county}的{ask}，我们做{product}的{who}能申请吗？",
)
# Kinds of item that speak to manufacturers, to technology firms, to exporters: an asker is drawn to fit.
_THEME_LINES = {
    "技改": "industry",
    "数字化": "industry",
    "上台阶": "industry",
    "小升规": "industry",
    "亩均": "industry",
    "用地": "industry",
    "专精特新": "industry",
    "首台套": "industry",
    "质量品牌": "industry",
    "高企": "tech",
    "科小": "tech",
    "研发": "tech",
    "人才": "tech",
    "外贸": "export",
}


def _persona(item: DemoItem, r: random.Random) -> tuple[str, Any, list[str]]:
    """Return (county code, line, titles stated) of an enterprise the item is meant for."""
    region = next(
        (str(c.value) for c in _required(item.conditions) if c.op == "within_region"), item.region_code
    )
    county = region if region in COUNTIES else r.choice(sorted(COUNTIES))
    kind = _THEME_LINES.get(item.theme)
    lines = [
        line
        for line in LINES
        if kind is None
        or (kind == "industry" and line.industry_code[0] in "BCD")
        or (kind == "tech" and line.tech >= 0.5)
        or (kind == "export" and line.export >= 0.3)
    ]
    for condition in _required(item.conditions):
        if condition.op == "industry_in":
            fitting = [
                line
                for line in LINES
                if any(_industry_match(line.industry_code, str(code)) for code in condition.value)
            ]
            lines = [line for line in lines if line in fitting] or fitting
        if condition.op == "semantic":
            wanted = dict(item.semantic_lines).get(str(condition.value), ())
            lines = [line for line in LINES if line.key in wanted] or lines
    titles = [
        str(c.value) for c in _required(item.conditions) if c.op == "has" and c.field == "qualifications"
    ]
    return county, r.choice(lines or list(LINES)), titles


def _industry_match(code: str, prefix: str) -> bool:
    return code.startswith(prefix) if prefix[0].isalpha() else code[1:].startswith(prefix)


def _relevant(corpus: DemoCorpus, item: DemoItem, county: str, line: Any, titles: list[str]) -> list[str]:
    """List the items of the same theme that answer the asker.

    Those issued for its county or the city (or the province, when the question came from a provincial
    item) that its region, industry, titles and line of business do not rule out.
    """
    persona: dict[str, Any] = {"id": "", "region_code": county, "industry_code": line.industry_code}
    if titles:
        persona["qualifications"] = titles
    out = [item.id]
    for other in corpus.items:
        if other.theme != item.theme or other.id == item.id or not other.is_policy:
            continue
        if other.region_code not in (county, "3310") and not (other.region_code == item.region_code == "33"):
            continue
        ok = True
        for condition in _required(other.conditions):
            if condition.op == "semantic":
                wanted = dict(other.semantic_lines).get(str(condition.value), ())
                ok = line.key in wanted
            elif condition.field in ("region_code", "industry_code"):
                ok = evaluate_condition(condition, persona).verdict != "unmet"
            elif condition.field == "qualifications" and condition.op in ("has", "in") and titles:
                ok = evaluate_condition(condition, persona).verdict != "unmet"
            if not ok:
                break
        if ok:
            out.append(other.id)
    return out


def write_retrieval_set(corpus: DemoCorpus, out_dir: Path, *, n_queries: int = 300) -> RetrievalSetReport:
    """Write ``docs.jsonl`` (every item) and ``queries.jsonl`` (enterprise questions with their relevant items)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    r = random.Random(f"policymatch-demo:{corpus.seed}:retrieval")
    policies = {policy.id: policy for policy in corpus.policies}
    docs = (
        {"docid": item.id, "text": f"{policies[item.policy_id].title}\n{item.text}"} for item in corpus.items
    )
    n_docs = _write_jsonl(out_dir / "docs.jsonl", docs)
    items = [item for item in corpus.items if item.is_policy]  # nobody asks for a 公示
    queries: list[dict[str, Any]] = []
    total_relevant = 0
    for number in range(min(n_queries, len(items))):
        item = r.choice(items)
        county, line, titles = _persona(item, r)
        county_name = COUNTIES[county][0]
        if titles:
            who = r.choice(QUALIFICATION_ALIASES.get(titles[0], (titles[0],)))
        else:
            who = r.choice(("企业", "小微企业", "公司", "民营企业"))
        product = line.products[r.randrange(len(line.products))]
        ask = r.choice(THEMES[item.theme])
        question = r.choice(_QUESTION_FORMS).format(
            where=county_name,
            county=county_name,
            product=product,
            who=who,
            ask=ask,
            line_noun=line.name_words[0],
        )
        relevant = _relevant(corpus, item, county, line, titles)
        total_relevant += len(relevant)
        queries.append(
            {"qid": f"dq{number + 1:04d}", "question": question, "docid": item.id, "docids": relevant}
        )
    _write_jsonl(out_dir / "queries.jsonl", queries)
    manifest = {
        "kind": "retrieval",
        "source": f"policymatch demo corpus, seed {corpus.seed}",
        "docs": n_docs,
        "queries": len(queries),
        "relevance": "docid is the item the question was written from; docids are every item of the same kind "
        "(theme) issued for the asker's county or the city (or the province, for questions written from a provincial "
        "item) whose region, industry, titles and line of business do not rule the asker out",
    }
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    mean = total_relevant / len(queries) if queries else 0.0
    return RetrievalSetReport(out_dir, n_docs, len(queries), mean)
