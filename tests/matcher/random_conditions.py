"""Random profiles and conditions of every op, for checking the bulk verdicts against the scalar ones."""

from __future__ import annotations

import random

from corpus.conditions import Condition, Formula, Group, Tier

QUALS = ["国家高新技术企业", "科技型中小企业", "省级专精特新中小企业", "规上工业企业", "省隐形冠军企业"]
REGIONS = ["331002", "331003", "331081", "330102", "110101", None]
INDUSTRIES = ["C3670", "3670", "I6510", "C2710", "F5130", None]


def random_profile(rng: random.Random, i: int) -> dict:
    def maybe(value):
        return None if rng.random() < 0.2 else value

    profile = {
        "id": f"e{i:04d}",
        "name": f"企业{i}",
        "revenue": maybe(round(rng.uniform(0, 20000), 1)),
        "rd_expense": maybe(round(rng.uniform(0, 800), 1)),
        "employees": maybe(rng.randint(0, 500)),
        "revenue_growth": maybe(round(rng.uniform(-20, 60), 2)),
        "tax_paid": maybe(round(rng.uniform(0, 900), 1)),
        "qualifications": maybe(rng.sample(QUALS, rng.randint(0, 3))),
        "region_code": rng.choice(REGIONS),
        "industry_code": rng.choice(INDUSTRIES),
        "established": maybe(f"{rng.randint(1995, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"),
        "mu_jun_class": maybe(rng.choice("ABCD")),
        "credit_status": maybe(rng.choice(["normal", "normal", "normal", "dishonest"])),
        "major_violation": maybe(rng.random() < 0.1),
    }
    if rng.random() < 0.3:
        profile["rd_ratio"] = round(rng.uniform(0, 10), 2)
    return {k: v for k, v in profile.items() if v is not None or rng.random() < 0.5}


def random_condition(rng: random.Random) -> Condition:
    kind = rng.randrange(12)
    if kind < 4:
        fld = rng.choice(["revenue", "rd_ratio", "employees", "revenue_growth", "tax_paid"])
        value = {"revenue": 5000, "rd_ratio": 3.0, "employees": 100, "revenue_growth": 10, "tax_paid": 200}[
            fld
        ]
        value = value * rng.choice([0.5, 1, 2]) if rng.random() < 0.8 else value
        return Condition(fld, rng.choice(["gte", "gt", "lte", "lt", "eq"]), value)
    if kind == 4:
        return Condition("qualifications", rng.choice(["has", "not_has"]), rng.choice(QUALS))
    if kind == 5:
        return Condition("qualifications", "in", rng.sample(QUALS, 2))
    if kind == 6:
        return Condition("region_code", "within_region", rng.choice(["3310", "331002", "33", "11"]))
    if kind == 7:
        return Condition(
            "industry_code", "industry_in", rng.sample(["C", "I65", "C36", "F"], rng.randint(1, 2))
        )
    if kind == 8:
        op = rng.choice(["established_after", "established_before"])
        return Condition("established", op, f"{rng.randint(2000, 2022)}-01-01")
    if kind == 9:
        return rng.choice(
            [
                Condition("credit_status", "eq", "normal"),
                Condition("major_violation", "eq", False),
                Condition("mu_jun_class", "in", ["A", "B"]),
            ]
        )
    if kind == 10:
        return Condition("undecidable", "eq", "符合产业导向", span="符合产业导向")
    return Condition("business_scope", "semantic", "从事集成电路设计")


def random_profiles(rng: random.Random, n: int) -> list[dict]:
    """``n`` random profiles with ids ``e0000 …``."""
    return [random_profile(rng, i) for i in range(n)]


def random_items(rng: random.Random, n: int, fewest: int, most: int) -> list[list[Condition]]:
    """``n`` items of ``fewest`` to ``most`` random conditions each."""
    return [[random_condition(rng) for _ in range(rng.randint(fewest, most))] for _ in range(n)]


def random_profile_v2(rng: random.Random, i: int) -> dict:
    """A random profile with the fields v2 added (docs/conditions.md §4), each unknown at times."""
    profile = random_profile(rng, i)
    extra = {
        "invention_patents": rng.randint(0, 6),
        "ip_count": rng.randint(0, 12),
        "rd_staff_ratio": round(rng.uniform(0, 30), 1),
        "hightech_income_ratio": round(rng.uniform(0, 90), 1),
        "tax_credit_grade": rng.choice("ABMCD"),
        "insured_employees": rng.randint(0, 200),
        "investment": round(rng.uniform(0, 3000), 1),
    }
    for key, value in extra.items():
        if rng.random() < 0.8:
            profile[key] = value
    if profile.get("qualifications") is not None and rng.random() < 0.3:
        profile["qualifications"] = [*profile["qualifications"], rng.choice(V2_QUALS)]
    return profile


V2_QUALS = ["国家级专精特新“小巨人”企业", "市级专精特新中小企业", "专精特新中小企业", "国家级企业技术中心"]


def random_leaf_v2(rng: random.Random) -> Condition:
    """A leaf over the v1 and the v2 fields (and the taxonomy's implied titles)."""
    kind = rng.randrange(5)
    if kind == 0:
        fld, base = rng.choice(
            [
                ("invention_patents", 2),
                ("ip_count", 5),
                ("rd_staff_ratio", 10),
                ("hightech_income_ratio", 60),
                ("insured_employees", 10),
            ]
        )
        return Condition(fld, rng.choice(["gte", "gt", "lte", "lt"]), base * rng.choice([0.5, 1, 2]))
    if kind == 1:
        return Condition("tax_credit_grade", "in", rng.sample(list("ABMCD"), rng.randint(1, 3)))
    if kind == 2:
        return Condition(
            "qualifications",
            rng.choice(["has", "not_has", "has"]),
            rng.choice([*V2_QUALS, "省级专精特新中小企业", "省级企业技术中心"]),
        )
    return random_condition(rng)


def random_entries_v2(rng: random.Random) -> list:
    """An item's entries in v2: leaves with roles, ``any`` groups (with an ``all`` member at times), and tiers."""

    def node():
        roll = rng.random()
        role = rng.choice(["require", "require", "require", "bonus", "exclude"])
        if roll < 0.3:
            members = [random_leaf_v2(rng) for _ in range(rng.randint(1, 3))]
            if rng.random() < 0.3:
                members.append(Group("all", tuple(random_leaf_v2(rng) for _ in range(rng.randint(1, 3)))))
            return Group("any", tuple(members), span="满足下列条件之一", role=role)
        leaf = random_leaf_v2(rng)
        if role != "require":
            leaf = Condition(leaf.field, leaf.op, leaf.value, leaf.span, role=role)
        return leaf

    entries = [node() for _ in range(rng.randint(0, 4))]
    if rng.random() < 0.4:
        for t in range(rng.randint(1, 3)):
            formula = Formula(0.08, "investment", cap=200) if rng.random() < 0.4 else None
            entries.append(
                Tier(
                    f"第{t + 1}档",
                    tuple(node() for _ in range(rng.randint(0, 2))),
                    f"奖励{50 - 10 * t}万元",
                    50.0 - 10 * t,
                    formula,
                )
            )
    return entries
