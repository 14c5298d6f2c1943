"""The item model that offers measures no support word names: the shipped file, and what ingest makes of it."""

from __future__ import annotations

import json

from corpus.schemas import validate_policy
from corpus.splitting import SUPPORT_RE, grants_enterprises
from eval.offered_items import OPENINGS
from matcher.extraction.audience import for_enterprises
from matcher.extraction.offered import (
    MODEL_PATH,
    item_words,
    not_offered_to_enterprises,
    offered_probability,
    offered_to_enterprises,
)
from matcher.ingest import prepare_policy

# A measure that names no support word the splitter knows (补贴 / 减免 …) and grants in no shape
# grants_enterprises reads, yet is offered to enterprises: what they may do, and the help they get.
STEADY_JOBS = (
    "（二）支持企业稳定岗位。对受疫情影响经营困难的企业，鼓励其与员工协商，采用轮岗、缩短工时等办法"
    "稳住岗位，帮助企业减轻资金压力。"
)
LEADERSHIP = "（三）压实工作责任。各区要成立工作专班，明确责任分工，确保各项措施落到实处。"
PUBLICITY = "（四）做好宣传解读。各有关部门要通过多种渠道宣传政策，及时回应社会关切。"
RENT = "（一）减免房租。对承租区属国有经营用房的小微企业，免收3个月房租。"
# A news report that names a support word, no measure: the rules would offer it.
VISIT = (
    "区领导调研检查复工复产工作 3月3日，区领导一行到辖区商场检查疫情防控和复工情况，了解减税降费政策"
    "落实进度，强调要严格落实防控措施。"
)


def test_the_shipped_file_holds_short_ngram_weights_only() -> None:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    # Chosen by cross-validation on tune: the model speaks only when fairly sure.
    assert 0.7 <= data["threshold"] < 1.0
    assert 0.0 < data["withhold_below"] <= 0.2
    assert 0 < len(data["weights"]) <= 2000
    assert max(len(gram) for gram in data["weights"]) <= 2
    assert MODEL_PATH.stat().st_size < 64 * 1024


def test_the_model_reads_the_opening_the_shipped_file_names() -> None:
    opening = json.loads(MODEL_PATH.read_text(encoding="utf-8"))["opening"]
    # Chosen on tune among the lengths eval.offered_items tries.
    assert opening in OPENINGS
    # What follows the opening — here the departments that carry the measure out, repeated well past
    # it — does not move the model's reading of the item.
    tail = "（责任单位：市发展改革委、市工业和信息化局、市财政局、市人力资源社会保障局）" * 12
    padded = STEADY_JOBS + tail
    assert len(padded) > opening
    assert item_words(padded) == padded[:opening]
    assert offered_probability(padded) == offered_probability(padded[:opening])
    assert not_offered_to_enterprises(padded) == not_offered_to_enterprises(padded[:opening] + tail)
    # A caller may ask for another length (the fitting script tries each of OPENINGS).
    assert item_words(padded, len(padded)) == padded


def test_the_new_shape_is_one_no_rule_reads() -> None:
    assert not SUPPORT_RE.search(STEADY_JOBS)
    assert not grants_enterprises(STEADY_JOBS)
    assert offered_to_enterprises(STEADY_JOBS)


def test_duties_of_departments_read_as_not_offered() -> None:
    for text in (LEADERSHIP, PUBLICITY):
        assert not offered_to_enterprises(text), text
        assert offered_probability(text) < 0.1, text


def test_a_report_the_rules_would_offer_is_withheld_and_real_measures_are_not() -> None:
    assert SUPPORT_RE.search(VISIT) and for_enterprises(VISIT)
    assert not_offered_to_enterprises(VISIT)
    for text in (RENT, STEADY_JOBS):
        assert not not_offered_to_enterprises(text), text


def _items(text: str) -> list[tuple[str, bool]]:
    document = validate_policy({"id": "p-offered", "title": "关于帮助企业渡过难关的若干措施", "text": text})
    prepared = prepare_policy(document, budget_s=None)
    return [(item.text, item.is_policy is not False) for item in prepared.items]


def test_ingest_offers_the_new_shape_and_keeps_duties_unoffered() -> None:
    text = "为帮助企业渡过难关，制定如下措施。\n" + "\n".join((RENT, STEADY_JOBS, LEADERSHIP, PUBLICITY))
    assert _items(text) == [(RENT, True), (STEADY_JOBS, True), (LEADERSHIP, False), (PUBLICITY, False)]
