"""The offering-ceiling measure (eval.offering_features) on items written here, with the served encoder."""

from __future__ import annotations

from eval.offering_features import FEATURE_SETS, STRENGTHS, logistic_table

# Grants to enterprises and duties of departments, in this test's own words (label 1: offered to enterprises).
GRANTS = [
    "对新招用高校毕业生的小微企业，给予每人1500元一次性吸纳就业补贴。",
    "对受影响较大的中小企业，免收三个月厂房租金。",
    "对按时足额缴纳社保费的企业，返还上年度失业保险费的50%。",
    "企业新购置的研发设备，可按投资额的10%申请补助，最高不超过100万元。",
    "对纳入名单的科技型企业，贷款利息给予50%贴息。",
    "对首次认定的专精特新企业，一次性奖励20万元。",
    "物流企业可申请延期缴纳税款，最长不超过三个月。",
    "对吸纳困难人员就业的企业，按每人每月500元给予社会保险补贴。",
]
DUTIES = [
    "各区要加强组织领导，压实工作责任，确保各项措施落到实处。",
    "各部门要加大宣传力度，及时回应社会关切。",
    "市财政局要会同有关部门做好资金保障工作。",
    "各地要建立工作台账，每周报送工作进展。",
    "有关部门要强化督促检查，对工作不力的严肃问责。",
    "各级人社部门要做好政策解读，主动上门宣传。",
    "各县区要落实属地责任，做好统计监测。",
    "各单位要严格执行值班制度，确保信息畅通。",
]


def _rows(texts: list[str], label: int, prefix: str) -> list[tuple[str, str, str, int]]:
    return [(f"{prefix}:{i % 4}", text, "关于印发若干措施的通知", label) for i, text in enumerate(texts)]


def test_feature_sets_are_scored_by_document_cv_and_on_held_out_items(encoder) -> None:  # type: ignore[no-untyped-def]
    tune = _rows(GRANTS[:6], 1, "g") + _rows(DUTIES[:6], 0, "d")
    check = _rows(GRANTS[6:], 1, "gc") + _rows(DUTIES[6:], 0, "dc")
    table = logistic_table(tune, check, encoder)
    assert [(row[0], row[1]) for row in table] == [(kind, c) for kind in FEATURE_SETS for c in STRENGTHS]
    for _, _, tune_auc, check_auc, accuracy in table:
        assert (
            0.0 <= float(tune_auc) <= 1.0 and 0.0 <= float(check_auc) <= 1.0 and 0.0 <= float(accuracy) <= 1.0
        )
    # Grants and duties this plain are told apart on items the models never saw.
    by_kind = {(row[0], row[1]): float(row[3]) for row in table}
    assert by_kind[("ngrams", 1.0)] >= 0.75 and by_kind[("ngrams+e5", 1.0)] >= 0.75
