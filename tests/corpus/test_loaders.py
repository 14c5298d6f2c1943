import json
from pathlib import Path

import pytest

from corpus.loaders import (
    LoadError,
    UnsupportedFormatError,
    html_to_text,
    load_enterprises,
    load_policies,
)
from corpus.splitting import split_policy


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_txt_with_front_matter_and_signature_date(tmp_path: Path):
    write(
        tmp_path / "a.txt",
        "---\nid: tz-a\nregion_code: 331003\nfulfilment: 免申即享\n---\n黄岩区技改政策\n"
        "一、技改补助\n对设备投资500万元以上的项目给予8%补助。\n黄岩区人民政府\n2024年3月5日\n",
    )
    result = load_policies([tmp_path / "a.txt"])
    assert result.errors == ()
    loaded = result.records[0]
    doc = loaded.record
    assert (doc.id, doc.title, doc.region_code, doc.fulfilment, doc.issued) == (
        "tz-a",
        "黄岩区技改政策",
        "331003",
        "免申即享",
        "2024-03-05",
    )
    assert loaded.path.endswith("a.txt") and not doc.text.startswith("---")


def test_txt_without_front_matter_uses_the_file_name(tmp_path: Path):
    write(tmp_path / "jiaojiang-2024-01.txt", "椒江区人才政策\n一、博士补贴\n每人补贴10万元。")
    doc = load_policies([tmp_path]).records[0].record
    assert doc.id == "jiaojiang-2024-01" and doc.title == "椒江区人才政策" and doc.issued is None


def test_markdown(tmp_path: Path):
    write(
        tmp_path / "b.md",
        "# 路桥区研发政策\n\n## 一、研发费用补助\n对研发费用超过**500万元**的企业给予[10%](http://x)补助。\n\n"
        "## 二、附则\n本政策自2024年1月1日起施行。\n",
    )
    doc = load_policies([tmp_path / "b.md"]).records[0].record
    assert doc.title == "路桥区研发政策"
    assert "**" not in doc.text and "http" not in doc.text and "500万元的企业给予10%补助" in doc.text
    items = split_policy(doc)
    assert [i.heading_path for i in items] == [("路桥区研发政策", "一、研发费用补助")]


def test_html(tmp_path: Path):
    write(
        tmp_path / "c.html",
        "<html><head><title>临海市技改政策</title><style>p{color:red}</style></head><body>"
        "<nav>首页 | 政策</nav><h1>临海市技改政策</h1><p>一、技改补助</p><p>对设备投资500万元以上的项目给予8%&nbsp;补助。</p>"
        "<p>二、人才奖励</p><p>引进博士给予一次性奖励10万元。</p><script>var x = 1;</script></body></html>",
    )
    doc = load_policies([tmp_path / "c.html"]).records[0].record
    assert doc.title == "临海市技改政策"
    assert "color" not in doc.text and "var x" not in doc.text and "首页" not in doc.text
    assert [i.title for i in split_policy(doc)] == ["技改补助", "人才奖励"]
    assert html_to_text("<h2>标题</h2><p>a<br>b</p>") == "## 标题\na\nb"


def test_docx_made_with_python_docx(tmp_path: Path):
    import docx

    document = docx.Document()
    document.core_properties.title = "温岭市人才新政"
    document.add_heading("温岭市人才新政", 0)
    document.add_paragraph("为引进人才，制定本政策。")
    document.add_heading("一、人才引进奖励", 1)
    document.add_paragraph("对新引进的博士给予一次性奖励20万元。")
    document.add_heading("二、租房补贴", 1)
    document.add_paragraph("每月补贴1000元，最长3年。")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "学历", "金额"
    table.cell(1, 0).text, table.cell(1, 1).text = "硕士", "每月800元"
    document.save(tmp_path / "d.docx")
    doc = load_policies([tmp_path / "d.docx"]).records[0].record
    assert doc.id == "d" and doc.title == "温岭市人才新政"
    items = split_policy(doc)
    assert [i.heading_path for i in items] == [
        ("温岭市人才新政", "一、人才引进奖励"),
        ("温岭市人才新政", "二、租房补贴"),
    ]
    assert items[0].text == "一、人才引进奖励\n对新引进的博士给予一次性奖励20万元。"
    assert "硕士 每月800元" in items[1].text  # table rows are kept


def test_policy_jsonl_errors_name_file_line_field(tmp_path: Path):
    good = {"id": "p1", "title": "政策一", "text": "一、补助 给予10万元补助。", "region_code": "331002"}
    path = write(
        tmp_path / "p.jsonl",
        "\n".join(
            [
                json.dumps(good, ensure_ascii=False),
                "{not json",
                json.dumps(
                    {"id": "p3", "title": "", "text": "x", "issued": "2024-13-01"}, ensure_ascii=False
                ),
                "",
                json.dumps([1, 2]),
                json.dumps({**good, "id": "p6"}, ensure_ascii=False),
            ]
        ),
    )
    result = load_policies([path])
    assert [(r.record.id, r.line) for r in result.records] == [("p1", 1), ("p6", 6)]
    assert [(e.line, e.field) for e in result.errors] == [(2, None), (3, "title"), (3, "issued"), (5, None)]
    assert str(result.errors[1]) == f"{path}:3: title: is required and must be a non-empty string"


def test_unsupported_and_missing_files(tmp_path: Path):
    with pytest.raises(UnsupportedFormatError, match="unsupported file type .pdf"):
        load_policies([write(tmp_path / "x.pdf", "%PDF")])
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_policies([tmp_path / "missing.txt"])
    (tmp_path / "bad.txt").write_bytes(b"\x80\x80\xff\xff")  # neither UTF-8 nor GB18030
    errors = load_policies([tmp_path / "bad.txt"]).errors
    assert len(errors) == 1 and "is not UTF-8 text" in str(errors[0])


def test_gbk_files_from_chinese_office_tools(tmp_path: Path):
    (tmp_path / "g.txt").write_bytes("仙居县政策\n一、补助\n给予一次性奖励5万元。".encode("gbk"))
    assert load_policies([tmp_path / "g.txt"]).records[0].record.title == "仙居县政策"
    (tmp_path / "g.csv").write_bytes("id,name,region_code\ne1,仙居某公司,331024\n".encode("gbk"))
    result = load_enterprises([tmp_path / "g.csv"])
    assert [r.record.name for r in result.records] == ["仙居某公司"]
    assert "read as GB18030" in result.warnings[0]


def test_enterprise_csv(tmp_path: Path):
    path = write(
        tmp_path / "e.csv",
        "id,name,region_code,industry_code,employees,revenue,qualifications,备注\n"
        "e1,甲公司,331002,3670,100,5000,高企、专精特新,x\n"
        "e2,乙公司,999999,Z1,-5,abc,,y\n"
        ",,,,,,,\n"
        "e3,丙公司,331082,C3670,30,,,\n",
    )
    result = load_enterprises([path])
    assert [(r.record.id, r.line) for r in result.records] == [("e1", 2), ("e3", 5)]
    assert result.records[0].record.qualifications == (
        "国家高新技术企业",
        "专精特新中小企业",
    )  # the generic title (issue 14)
    assert [(e.line, e.field) for e in result.errors] == [
        (3, "region_code"),
        (3, "industry_code"),
        (3, "employees"),
        (3, "revenue"),
    ]
    assert str(result.errors[0]).startswith(f"{path}:3: region_code: '999999'")
    assert result.warnings == (f"{path}: ignored columns that are not profile fields: 备注",)


def test_enterprise_csv_needs_id_and_name(tmp_path: Path):
    result = load_enterprises([write(tmp_path / "e.csv", "code,title\n1,x\n")])
    assert result.records == () and [(e.line, e.field) for e in result.errors] == [(1, "id, name")]


def test_enterprise_jsonl(tmp_path: Path):
    path = write(
        tmp_path / "e.jsonl",
        "\n".join(
            [
                json.dumps({"id": "e1", "name": "甲", "qualifications": ["小巨人"]}, ensure_ascii=False),
                json.dumps({"id": "e2", "name": "乙", "uscc": "91350100M000100Y44"}, ensure_ascii=False),
                "[]",
            ]
        ),
    )
    result = load_enterprises([path])
    assert [r.record.qualifications for r in result.records] == [("国家级专精特新“小巨人”企业",)]
    assert [(e.line, e.field) for e in result.errors] == [(2, "uscc"), (3, None)]
    assert all(isinstance(e, LoadError) for e in result.errors)


def test_v2_profile_fields_and_document_facts_through_the_files(tmp_path: Path):
    csv_path = write(
        tmp_path / "e.csv",
        "id,name,invention_patents,ip_count,rd_staff_ratio,hightech_income_ratio,tax_credit_grade,insured_employees\n"
        "e1,甲,3,8,12.5,61,A级,44\n"
        "e2,乙,,,,,,\n"
        "e3,丙,-1,,,,Z,\n",
    )
    result = load_enterprises([csv_path])
    first, second = (r.record for r in result.records)
    assert (first.invention_patents, first.ip_count, first.insured_employees) == (3, 8, 44)
    assert (first.rd_staff_ratio, first.hightech_income_ratio, first.tax_credit_grade) == (12.5, 61, "A")
    assert second.invention_patents is None and second.tax_credit_grade is None  # empty cells: unknown
    assert {(e.line, e.field) for e in result.errors} == {(4, "invention_patents"), (4, "tax_credit_grade")}
    jsonl = write(
        tmp_path / "e.jsonl", json.dumps({"id": "e4", "name": "丁", "ip_count": 5}, ensure_ascii=False)
    )
    assert load_enterprises([jsonl]).records[0].record.ip_count == 5
    # Document facts in front matter are metadata given explicitly.
    text = write(
        tmp_path / "p.txt",
        "---\nid: tz-b\nis_policy: false\ndoc_type: result\nvalid_from: 2024-01-01\n"
        "window_open: 2024-03-01\nwindow_close: 2024-04-30\nfulfilment: 即申快享\n---\n公示\n一、名单如下。\n",
    )
    doc = load_policies([text]).records[0].record
    assert (doc.is_policy, doc.doc_type, doc.valid_from, doc.fulfilment) == (
        False,
        "result",
        "2024-01-01",
        "即申快享",
    )
    assert (doc.window_open, doc.window_close) == ("2024-03-01", "2024-04-30")
    assert all(item.is_policy is False and item.window_open == "2024-03-01" for item in split_policy(doc))
