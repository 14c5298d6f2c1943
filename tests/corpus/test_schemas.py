import datetime as dt
import re
from pathlib import Path

import pytest

from corpus.schemas import (
    PROFILE_FIELD_NAMES,
    PolicyError,
    PolicyItem,
    ProfileError,
    uscc_check_digit,
    uscc_problem,
    validate_policy,
    validate_profile,
)

GOOD_USCC = "91350100M000100Y43"  # a published 统一社会信用代码


def good(**overrides):
    data = {
        "id": "e1",
        "name": "台州椒江某某机械有限公司",
        "uscc": GOOD_USCC,
        "region_code": "331002",
        "industry_code": "3670",
        "established": "2015-03-02",
        "employees": 350,
        "revenue": 5000,
        "rd_expense": 200,
        "qualifications": ["高企", "专精特新小巨人"],
        "credit_status": "normal",
        "major_violation": False,
    }
    data.update(overrides)
    return data


def test_fields_are_exactly_the_spec(shared_dir: Path):
    spec = (shared_dir / "spec/enterprise_profile.md").read_text("utf-8")
    fields = re.findall(r"^\| (\w+) \|", spec, flags=re.M)
    fields = [f for f in fields if f != "field"]
    # Plus the fields the condition language v2 added, as docs/conditions.md §4 lists them.
    v2 = Path(__file__).resolve().parents[2] / "docs" / "conditions.md"
    section = v2.read_text("utf-8").split("## 4.")[1].split("## 5.")[0]
    added = re.findall(r"^\| `(\w+)` \|", section, flags=re.M)
    assert len(added) == 6
    assert list(PROFILE_FIELD_NAMES) == fields + ["size_class"] + added


def test_v2_fields_are_checked_and_missing_is_unknown():
    profile = validate_profile(
        good(
            invention_patents="3",
            ip_count=7,
            rd_staff_ratio="12.5",
            hightech_income_ratio=65,
            tax_credit_grade="b级",
            insured_employees=40,
        )
    )
    assert (profile.invention_patents, profile.ip_count, profile.insured_employees) == (3, 7, 40)
    assert profile.rd_staff_ratio == 12.5 and profile.hightech_income_ratio == 65
    assert profile.tax_credit_grade == "B"
    assert validate_profile(good()).invention_patents is None  # missing: unknown, never a failure
    with pytest.raises(ProfileError) as err:
        validate_profile(good(invention_patents=-1, rd_staff_ratio=140, tax_credit_grade="E", ip_count=1.5))
    assert set(err.value.fields) == {"invention_patents", "rd_staff_ratio", "tax_credit_grade", "ip_count"}


def test_valid_profile_is_canonicalised_and_derived():
    profile = validate_profile(good())
    assert profile.industry_code == "C3670"
    assert profile.qualifications == ("国家高新技术企业", "国家级专精特新“小巨人”企业")
    assert profile.rd_ratio == pytest.approx(4.0)  # 200 / 5000 × 100
    assert profile.size_class == "中"
    assert profile.employees == 350 and isinstance(profile.employees, int)
    data = profile.to_dict()
    assert set(data) == set(PROFILE_FIELD_NAMES)
    assert data["qualifications"] == ["国家高新技术企业", "国家级专精特新“小巨人”企业"]
    assert data["total_assets"] is None  # unknown stays null, never zero


def test_given_rd_ratio_is_kept_and_strings_are_read():
    profile = validate_profile(
        good(
            rd_ratio=3.2,
            employees="1,200",
            revenue="45000",
            major_violation="否",
            credit_status="正常",
            qualifications="规上、高企；瞪羚",
            mu_jun_class="a",
        )
    )
    assert profile.rd_ratio == 3.2
    assert profile.employees == 1200 and profile.revenue == 45000.0
    assert (
        profile.major_violation is False and profile.credit_status == "normal" and profile.mu_jun_class == "A"
    )
    assert profile.qualifications == ("规上工业企业", "国家高新技术企业", "瞪羚企业")
    assert profile.size_class == "大"


def test_absent_and_empty_mean_unknown():
    profile = validate_profile(
        {"id": "e2", "name": "某公司", "revenue": "", "uscc": None, "qualifications": None}
    )
    assert profile.revenue is None and profile.uscc is None and profile.qualifications is None
    assert profile.rd_ratio is None and profile.size_class is None


def test_every_problem_is_reported_at_once():
    with pytest.raises(ProfileError) as caught:
        validate_profile(
            {
                "id": "e3",
                "name": "",
                "uscc": "91350100M000100Y44",
                "region_code": "33100",
                "industry_code": "X12",
                "established": "2015-02-30",
                "employees": 12.5,
                "revenue": -1,
                "tax_paid": "很多",
                "qualifications": "高企,",
                "mu_jun_class": "E",
                "credit_status": "bad",
                "major_violation": "maybe",
            }
        )
    error = caught.value
    assert error.record_id == "e3"
    assert error.fields == [
        "name",
        "uscc",
        "region_code",
        "industry_code",
        "established",
        "employees",
        "revenue",
        "tax_paid",
        "mu_jun_class",
        "credit_status",
        "major_violation",
    ]
    text = str(error)
    assert "uscc: check digit is '4', expected '3'" in text
    assert "region_code: '33100' must be a 6-digit county or 9/12-digit street code" in text
    assert "revenue: must not be negative (万元)" in text


def test_unknown_codes_are_named():
    with pytest.raises(ProfileError) as caught:
        validate_profile(good(region_code="331099", industry_code="3699"))
    assert "'331099' is not a known 统计用区划代码" in str(caught.value)
    assert "'3699' is not a GB/T 4754-2017 code" in str(caught.value)


def test_future_established_date_is_refused():
    with pytest.raises(ProfileError, match="established: 2031-01-01 is in the future"):
        validate_profile(good(established="2031-01-01"), today=dt.date(2026, 1, 1))
    assert validate_profile(good(established="2015年3月2日")).established == "2015-03-02"


def test_uscc_check_digit():
    assert uscc_problem(GOOD_USCC) is None
    assert uscc_check_digit(GOOD_USCC[:17]) == GOOD_USCC[17]
    assert "18 characters" in uscc_problem("123")
    assert "not allowed" in uscc_problem("91350100M000100YI3")  # I is not in the alphabet
    assert validate_profile(good(uscc=GOOD_USCC.lower())).uscc == GOOD_USCC


def test_profile_is_a_mapping_for_the_condition_language():
    from corpus.conditions import Condition, judge_item

    profile = validate_profile(good())
    verdict = judge_item(
        [Condition("qualifications", "has", "国家高新技术企业"), Condition("rd_ratio", "gte", 3)], profile
    )
    assert verdict.level == "eligible"


def test_validate_policy():
    doc = validate_policy(
        {
            "id": " tz-1 ",
            "title": "政策",
            "text": "一、补助",
            "region_code": "3310",
            "issued": "2024-01-05",
            "fulfilment": "免申即享",
        }
    )
    assert doc.id == "tz-1" and doc.version == 1 and doc.region_code == "3310"
    with pytest.raises(PolicyError) as caught:
        validate_policy(
            {
                "id": "tz-2",
                "title": "",
                "text": "x",
                "region_code": "9999",
                "issued": "2024-05-01",
                "valid_until": "2024-01-01",
                "fulfilment": "随到随办",
            }
        )
    assert caught.value.fields == ["title", "region_code", "valid_until", "fulfilment"]


def test_item_round_trip():
    item = PolicyItem("p#1", "p", 1, ("一、支持", "（一）补助"), "补助", "text", "331002")
    assert PolicyItem.from_dict(item.to_dict()) == item


def test_document_facts_given_win_over_what_is_read():
    from corpus.schemas import merge_document_facts, validate_policy

    given = validate_policy(
        {
            "id": "p",
            "title": "t",
            "text": "x",
            "valid_until": "2025-12-31",
            "window": ["2025-03-01", "2025-04-30"],
            "fulfilment": "即申快享",
            "doc_type": "notice",
        }
    )
    assert (given.window_open, given.window_close, given.is_policy) == ("2025-03-01", "2025-04-30", None)
    read = {
        "valid_until": "2024-12-31",
        "region_code": "331002",
        "is_policy": False,
        "fulfilment": "免申即享",
    }
    merged = merge_document_facts(given, read)
    assert merged.valid_until == "2025-12-31" and merged.fulfilment == "即申快享"  # given wins
    assert merged.region_code == "331002" and merged.is_policy is False  # unstated: read fills it
    explicit = validate_policy({"id": "p", "title": "t", "text": "x", "is_policy": True})
    assert merge_document_facts(explicit, {"is_policy": False}).is_policy is True
    with pytest.raises(PolicyError):
        validate_policy({"id": "p", "title": "t", "text": "x", "window": ["2025-05-01", "2025-04-30"]})
    with pytest.raises(PolicyError):
        validate_policy({"id": "p", "title": "t", "text": "x", "doc_type": "memo"})
