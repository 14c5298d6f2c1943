import re
from pathlib import Path

import pytest

from corpus import reference

TAIZHOU_COUNTIES = {
    "331002": "椒江区",
    "331003": "黄岩区",
    "331004": "路桥区",
    "331022": "三门县",
    "331023": "天台县",
    "331024": "仙居县",
    "331081": "温岭市",
    "331082": "临海市",
    "331083": "玉环市",
}


def test_region_levels_and_counts():
    levels = {}
    for region in reference.iter_regions():
        levels[region.level] = levels.get(region.level, 0) + 1
    assert levels["province"] == 31
    assert levels["city"] > 300 and levels["county"] > 2900
    streets = [r for r in reference.iter_regions() if r.level == "street"]
    assert streets and all(r.code.startswith("33") and len(r.code) == 9 for r in streets)


def test_taizhou_counties_and_paths():
    assert reference.region_name("3310") == "台州市"
    for code, name in TAIZHOU_COUNTIES.items():
        assert reference.region_name(code) == name
        assert reference.region_path(code) == ("浙江省", "台州市", name)
        assert reference.region_level(code) == "county"
    # 直辖市: the 市辖区 placeholder is not part of the path a person reads.
    assert reference.region_path("110101") == ("北京市", "东城区")
    street = next(r for r in reference.iter_regions() if r.parent == "331002")
    assert reference.region_path(street.code) == ("浙江省", "台州市", "椒江区", street.name)


def test_known_region_codes():
    street = next(r for r in reference.iter_regions() if r.parent == "331082")
    assert reference.is_known_region("331082")
    assert reference.is_known_region(street.code)
    assert reference.is_known_region(street.code + "201")  # a village under a known street
    assert not reference.is_known_region("331099")
    assert not reference.is_known_region("331082999")  # Zhejiang streets are all known: this one is not
    assert reference.is_known_region("110101001")  # outside Zhejiang, a street under a known county
    assert not reference.is_known_region("3310")  # a profile names a county or street, not a city
    assert [r.code for r in reference.regions_named("椒江")] == ["331002"]


def test_industry_levels_and_codes():
    levels = {}
    for industry in reference.iter_industries():
        levels[industry.level] = levels.get(industry.level, 0) + 1
    assert levels == {"section": 20, "division": 97, "group": 473, "class": 1381}
    assert reference.canonical_industry_code("3670") == "C3670"
    assert reference.canonical_industry_code("c3670") == "C3670"
    assert reference.canonical_industry_code("I65") == "I65"
    assert reference.canonical_industry_code("C") == "C"
    assert reference.industry("A3670") is None  # the letter must agree with the digits
    assert reference.industry("9999") is None
    assert [i.name for i in reference.industry_path("6513")] == [
        "信息传输、软件和信息技术服务业",
        "软件和信息技术服务业",
        "软件开发",
        "应用软件开发",
    ]


def test_industry_names_are_clean():
    # The build repairs the source's stray text (3531), spacing (2541) and half-width bracket (7517).
    assert reference.industry_name("3531") == "食品、酒、饮料及茶生产专用设备制造"
    assert reference.industry_name("2541") == "生物质液体燃料生产"
    assert reference.industry_name("7517") == "三维（3D）打印技术推广服务"
    for industry in reference.iter_industries():
        assert industry.name == industry.name.strip() and not re.search(r"\s{2,}", industry.name)


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("高企", "国家高新技术企业"),
        ("高新企业", "国家高新技术企业"),
        ("小巨人", "国家级专精特新“小巨人”企业"),
        ("专精特新小巨人", "国家级专精特新“小巨人”企业"),
        ('国家级专精特新"小巨人"企业', "国家级专精特新“小巨人”企业"),
        ("专精特新", "专精特新中小企业"),  # the generic title, met by every level (issue 14)
        ("省专精特新", "省级专精特新中小企业"),
        ("隐形冠军", "省隐形冠军企业"),
        ("规上", "规上工业企业"),
        ("规模以上工业企业", "规上工业企业"),
        ("科技型中小企业", "科技型中小企业"),
        ("瞪羚", "瞪羚企业"),
        ("雏鹰企业", "雏鹰企业"),
        (" 省级企业技术中心 ", "省级企业技术中心"),
        ("国家企业技术中心", "国家级企业技术中心"),
    ],
)
def test_canonical_qualification(text, title):
    assert reference.canonical_qualification(text) == title


def test_unknown_qualification_and_levels_kept_apart():
    assert reference.canonical_qualification("某某荣誉") is None
    assert reference.canonical_qualification("") is None
    assert reference.canonical_qualification("省级企业技术中心") != reference.canonical_qualification(
        "国家级企业技术中心"
    )


def test_every_listed_title_is_covered(shared_dir: Path):
    titles = [
        line.strip()
        for line in (shared_dir / "data/reference/qualification_titles.txt").read_text("utf-8").splitlines()
    ]
    spec = (shared_dir / "spec/enterprise_profile.md").read_text("utf-8")
    listed = re.search(r"资质荣誉: (.*?), \.\.\.", spec).group(1).split(", ")
    for title in [t for t in titles if t] + listed:
        assert reference.canonical_qualification(title) is not None, title
    for title in listed:  # the spec's own titles are canonical
        assert reference.canonical_qualification(title) == title


@pytest.mark.parametrize(
    ("industry", "employees", "revenue", "assets", "expected"),
    [
        ("C3670", 1000, 40000, None, "大"),
        ("C3670", 1000, 39999, None, "中"),  # both indicators must reach the bound, else one class down
        ("C3670", 300, 2000, None, "中"),
        ("C3670", 299, 100000, None, "小"),
        ("C3670", 20, 300, None, "小"),
        ("C3670", 19, 100000, None, "微"),  # one indicator below 小 is enough for 微
        ("C3670", 500, None, None, None),  # unknown revenue: no class
        ("C3670", 5, None, None, "微"),  # ...unless employees alone already say 微
        ("F5211", 60, 600, None, "中"),  # 零售业
        ("F5111", 60, 600, None, "微"),  # 批发业: revenue < 1000
        ("I6513", 50, 800, None, "小"),  # 软件和信息技术服务业
        ("E4811", None, 7000, 6000, "中"),  # 建筑业: revenue and assets
        ("K7010", None, 5000, 6000, "中"),  # 房地产开发经营
        ("L7211", 150, None, 9000, "中"),  # 租赁和商务服务业: employees and assets
        ("M7320", 350, None, None, "大"),  # 其他未列明行业: employees only
        ("J6621", 5000, 1e6, 1e6, None),  # 金融业 has its own standard
        ("Z99", 10, 10, 10, None),
    ],
)
def test_size_class(industry, employees, revenue, assets, expected):
    assert reference.size_class(industry, employees, revenue, assets) == expected


def test_taxonomy_implications_levels_and_validity():
    giant = "国家级专精特新“小巨人”企业"
    implied = reference.implied_titles([giant])
    assert {"省级专精特新中小企业", "专精特新中小企业"} <= implied
    assert "市级专精特新中小企业" not in implied
    # An alias held is read as its title, and implies what the title implies.
    assert "专精特新中小企业" in reference.implied_titles(["小巨人"])
    assert reference.implied_titles(["省级企业技术中心"]) >= {"市级企业技术中心"}
    assert "国家级企业技术中心" not in reference.implied_titles(["省级企业技术中心"])
    entry = reference.qualification("高企")
    assert entry is not None and entry.level == "国家" and entry.valid_years == 3
    assert {q.level for q in reference.qualifications()} <= {"国家", "省", "市", "县", ""}
