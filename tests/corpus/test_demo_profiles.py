"""The demo corpus generator's enterprise profiles: valid, consistent figures and titles, realistic rates, cheap at scale."""

from __future__ import annotations

from collections import Counter

from corpus import reference
from corpus.demo import DEFAULT_SEED
from corpus.demo.enterprises import (
    CHUNK,
    SIZE_CLASSES,
    TITLES,
    generate_chunk,
    iter_chunk_profiles,
)
from corpus.demo.vocab import COUNTIES, LINES
from corpus.schemas import uscc_problem, validate_profile

# --- enterprises -----------------------------------------------------------------------------------


def test_every_profile_validates_and_its_size_class_agrees_with_its_figures(profiles) -> None:  # type: ignore[no-untyped-def]
    chunk = generate_chunk(DEFAULT_SEED, 0)
    true_sizes = [SIZE_CLASSES[s] for s in chunk.size.tolist()]
    decided = 0
    for profile, size in zip(profiles, true_sizes, strict=True):
        valid = validate_profile(profile)
        assert reference.is_known_region(valid.region_code or "")
        if valid.size_class is not None:
            assert valid.size_class == size, profile["id"]
            decided += 1
    assert decided > 0.85 * len(profiles)


def test_figures_and_titles_hang_together(profiles) -> None:  # type: ignore[no-untyped-def]
    for p in profiles:
        titles = set(p.get("qualifications", ()))
        code = p.get("industry_code")
        revenue, employees = p.get("revenue"), p.get("employees")
        if code and revenue is not None:
            if code[0] in "BCD" and "qualifications" in p:
                assert ("规上工业企业" in titles) == (revenue >= 2000), p["id"]
            if revenue and "rd_expense" in p and titles & {"国家高新技术企业", "科技型中小企业"}:
                required = 5 if revenue < 5000 else 4 if revenue < 20000 else 3
                assert p["rd_expense"] / revenue * 100 >= required - 0.05, p["id"]
        if "国家级专精特新“小巨人”企业" in titles:
            assert "省级专精特新中小企业" in titles
        if "科技型中小企业" in titles and employees is not None:
            assert employees <= 500
        if code and code[0] not in "BCD":
            assert "output_value" not in p and "mu_jun_class" not in p
        if p.get("uscc"):
            assert uscc_problem(p["uscc"]) is None and p["uscc"][2:8] == p["region_code"][:6]
        line = next(line for line in LINES if any(w in p["name"] for w in line.name_words))
        assert line is not None
        if "products" in p and code:
            owner = [
                x for x in LINES if x.industry_code == code and any(q in p["products"] for q in x.products)
            ]
            assert owner, p["id"]


def test_rates_of_exclusions_missing_fields_and_titles_are_realistic(profiles) -> None:  # type: ignore[no-untyped-def]
    n = len(profiles)
    share = lambda pred: sum(1 for p in profiles if pred(p)) / n  # noqa: E731
    assert 0.01 < share(lambda p: p.get("credit_status") == "dishonest") < 0.05
    assert 0.003 < share(lambda p: p.get("major_violation") is True) < 0.03
    assert 0.03 < share(lambda p: "revenue" not in p) < 0.08
    assert 0.15 < share(lambda p: "rd_expense" not in p) < 0.3
    assert 0.05 < share(lambda p: "国家高新技术企业" in p.get("qualifications", ())) < 0.2
    assert 0.85 < share(lambda p: p["region_code"].startswith("3310")) < 0.99
    assert share(lambda p: len(p["region_code"]) == 9) > 0.7
    counties = Counter(p["region_code"][:6] for p in profiles)
    assert set(COUNTIES) <= set(counties)
    for title in TITLES:
        assert any(title in p.get("qualifications", ()) for p in profiles), title


def test_lines_cluster_in_their_home_counties(profiles) -> None:  # type: ignore[no-untyped-def]
    valves = Counter(p["region_code"][:6] for p in profiles if p.get("industry_code") == "C3443")
    assert valves.most_common(1)[0][0] == "331083"  # 玉环 valves


def test_the_business_lines_read_from_their_data_file_are_whole_records() -> None:
    # vocab.LINES is read from corpus/demo/lines.json: every field there, lists as tuples, known codes.
    assert len({line.key for line in LINES}) == len(LINES) > 30
    for line in LINES:
        assert reference.industry_name(line.industry_code), line.key
        assert all(
            isinstance(words, tuple) and words for words in (line.name_words, line.products, line.scope)
        )
        assert isinstance(line.home, tuple) and set(line.home) <= set(COUNTIES)
        assert 0 < line.weight and 0 <= line.tech <= 1 and 0 <= line.export <= 1
    pumps = next(line for line in LINES if line.key == "pumps")
    assert (pumps.industry_code, pumps.home, pumps.productivity) == ("C3441", ("331081",), 55)


def test_a_million_profiles_are_cheap_per_chunk() -> None:
    # The generator is O(n) in chunks; one chunk stands for every other one (1M = 100 chunks).
    chunk = generate_chunk(DEFAULT_SEED, 99)
    rows = list(iter_chunk_profiles(chunk))
    assert rows[-1]["id"] == "E1000000"
    assert len({r["name"] for r in rows}) == CHUNK


def test_brands_are_unique_and_never_repeat_a_character() -> None:
    from corpus.demo.enterprises import brand

    numbers = sorted(set(range(0, 400_000, 7)) | set(range(2_850, 2_870)))  # 2 → 3 characters at 2,862
    names = [brand(n) for n in numbers]
    assert len(set(names)) == len(names)
    assert all(a != b for name in names for a, b in zip(name, name[1:], strict=False))
