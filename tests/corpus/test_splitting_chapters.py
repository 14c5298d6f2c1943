"""Chapters that name no support: split into their titled measures, kept whole when their clauses are untitled (x52)."""

from test_splitting import doc

from corpus.splitting import split_policy


def test_a_chapter_of_titled_measures_naming_no_support_is_split_into_them():
    # None of the three names money or relief, so the chapter was one never-offered item, and the third —
    # which lets enterprises do something — was lost with the other two, duties of departments.
    text = (
        "若干措施 一、各级部门要加大复工保障力度 （一）加强防疫指导。各地要指派专人指导企业做好复工准备。 "
        "（二）做好用工对接。各地要及时发布企业用工需求，推进线上对接。 "
        "（三）简化复工手续。对防疫物资生产企业，可先行复工，三日内补报材料。 "
        "二、加大资金支持 对复工的中小企业给予一次性补贴5万元。"
    )
    items = split_policy(doc(text))
    assert [(i.heading_path[-1][:3], i.is_policy) for i in items] == [
        ("（一）", False),  # a department's duty
        ("（二）", False),
        ("（三）", None),  # the producers may start first
        ("二、加", None),
    ]


def test_a_chapter_of_plain_clauses_naming_no_support_stays_whole():
    # Clauses without titles are the parts of one measure, not measures of their own.
    text = (
        "若干措施 一、优化通行服务 （一）对运输防疫物资的车辆，凭通行证优先通行； "
        "（二）对运输生活物资的车辆，简化查验手续。 二、加大资金支持 对复工的中小企业给予一次性补贴5万元。"
    )
    items = split_policy(doc(text))
    assert [i.heading_path[-1][:2] for i in items] == ["一、", "二、"]
