"""Roles (issue 14, x57): places outside the mainland excepted, and a stand-in that says its own refusal (own sentences)."""

from __future__ import annotations

from corpus.conditions import Condition
from matcher.extraction import extract_entries


def _leaves(text: str) -> list[Condition]:
    return [e for e in extract_entries(text) if isinstance(e, Condition)]


def test_an_exception_of_places_outside_the_mainland_is_where_to_be_registered() -> None:
    text = "申报单位须在中国境内（不包括港、澳、台地区）注册，会计核算健全。"
    leaves = _leaves(text)
    assert all(c.role == "require" for c in leaves)
    place = next(c for c in leaves if "境内" in c.span)
    assert place.span.startswith("在中国境内") and place.span.endswith("注册")


def test_a_registration_with_an_alternative_after_it_is_still_required() -> None:
    text = "申报单位须在中国境内（不包括港、澳、台地区）注册成立或经批准设立分支机构，会计核算健全。"
    place = next(c for c in _leaves(text) if "境内" in c.span)
    assert place.role == "require" and place.span.startswith("在中国境内")


def test_places_outside_the_mainland_read_alone_are_required_not_excluded() -> None:
    text = "申报主体为我国境内（不含香港、澳门和台湾地区）依法登记设立的企业，经营状态正常。"
    assert not any(c.role == "exclude" for c in _leaves(text))


def test_an_exception_of_a_kind_of_enterprise_still_excludes() -> None:
    text = "本市企业（不含国有企业）可申报。"
    leaves = _leaves(text)
    assert any(c.role == "exclude" and "国有企业" in c.span for c in leaves)


def test_a_stand_in_closing_with_its_own_refusal_is_an_exclusion() -> None:
    text = "本项目面向本区注册的民营企业；已获得同类市级补助的企业不能申报。"
    refusal = next(c for c in _leaves(text) if c.span.endswith("不能申报"))
    assert refusal.role == "exclude"


def test_a_threshold_said_with_bude_stays_a_requirement() -> None:
    text = "申报企业上年度研发投入不得少于100万元。"
    assert all(c.role == "require" for c in _leaves(text))
