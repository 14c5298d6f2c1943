"""Vocabulary of the demo generator: Taizhou's regions and departments, business lines, titles, size bands.

Region and street codes are 统计用区划代码 (2022); industry codes and names are
GB/T 4754-2017 国民经济行业分类; size bands come from :func:`corpus.reference.size_group`
(统计上大中小微型企业划分办法 2017). The product words, name words and scope phrases were written for this
generator; the business lines (:data:`LINES`) are data, in ``lines.json`` beside this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROVINCE = ("33", "浙江省")
CITY = ("3310", "台州市")

# County code → (name, short name used in 文号 and enterprise names, kind 区/县/市).
COUNTIES: dict[str, tuple[str, str, str]] = {
    "331002": ("椒江区", "椒", "区"),
    "331003": ("黄岩区", "黄", "区"),
    "331004": ("路桥区", "路", "区"),
    "331022": ("三门县", "三", "县"),
    "331023": ("天台县", "天", "县"),
    "331024": ("仙居县", "仙", "县"),
    "331081": ("温岭市", "温", "市"),
    "331082": ("临海市", "临", "市"),
    "331083": ("玉环市", "玉", "市"),
}

# Share of enterprises registered in each county (roughly the size of each economy).
COUNTY_WEIGHTS: dict[str, float] = {
    "331002": 14,
    "331003": 13,
    "331004": 14,
    "331022": 4,
    "331023": 6,
    "331024": 5,
    "331081": 18,
    "331082": 14,
    "331083": 12,
}

# A few counties elsewhere in Zhejiang: enterprises registered outside Taizhou.
OTHER_ZHEJIANG: dict[str, str] = {
    "330106": "杭州市西湖区",
    "330212": "宁波市鄞州区",
    "330302": "温州市鹿城区",
    "330782": "义乌市",
}

# 街道 / 镇 / 乡 of each Taizhou county (统计用区划代码 2022).
STREETS: dict[str, tuple[tuple[str, str], ...]] = {
    "331002": (
        ("331002001", "海门街道"),
        ("331002002", "白云街道"),
        ("331002003", "葭沚街道"),
        ("331002004", "洪家街道"),
        ("331002005", "三甲街道"),
        ("331002006", "下陈街道"),
        ("331002007", "前所街道"),
        ("331002008", "章安街道"),
        ("331002009", "海虹街道"),
    ),
    "331003": (
        ("331003001", "东城街道"),
        ("331003002", "南城街道"),
        ("331003003", "西城街道"),
        ("331003004", "北城街道"),
        ("331003005", "新前街道"),
        ("331003006", "澄江街道"),
        ("331003007", "江口街道"),
        ("331003008", "高桥街道"),
        ("331003107", "院桥镇"),
        ("331003108", "沙埠镇"),
    ),
    "331004": (
        ("331004001", "路南街道"),
        ("331004002", "路桥街道"),
        ("331004003", "路北街道"),
        ("331004004", "螺洋街道"),
        ("331004005", "桐屿街道"),
        ("331004006", "峰江街道"),
        ("331004103", "新桥镇"),
        ("331004104", "横街镇"),
        ("331004106", "金清镇"),
        ("331004107", "蓬街镇"),
    ),
    "331022": (
        ("331022001", "海游街道"),
        ("331022002", "海润街道"),
        ("331022003", "沙柳街道"),
        ("331022102", "珠岙镇"),
        ("331022105", "健跳镇"),
        ("331022107", "浦坝港镇"),
    ),
    "331023": (
        ("331023001", "赤城街道"),
        ("331023002", "始丰街道"),
        ("331023003", "福溪街道"),
        ("331023101", "白鹤镇"),
        ("331023105", "平桥镇"),
        ("331023106", "坦头镇"),
    ),
    "331024": (
        ("331024001", "安洲街道"),
        ("331024002", "南峰街道"),
        ("331024003", "福应街道"),
        ("331024101", "横溪镇"),
        ("331024104", "田市镇"),
        ("331024106", "下各镇"),
    ),
    "331081": (
        ("331081001", "太平街道"),
        ("331081002", "城东街道"),
        ("331081003", "城西街道"),
        ("331081004", "城北街道"),
        ("331081005", "横峰街道"),
        ("331081100", "泽国镇"),
        ("331081101", "大溪镇"),
        ("331081102", "松门镇"),
        ("331081103", "箬横镇"),
        ("331081104", "新河镇"),
        ("331081107", "温峤镇"),
        ("331081108", "城南镇"),
    ),
    "331082": (
        ("331082001", "古城街道"),
        ("331082002", "大洋街道"),
        ("331082003", "江南街道"),
        ("331082004", "大田街道"),
        ("331082005", "邵家渡街道"),
        ("331082100", "汛桥镇"),
        ("331082101", "东塍镇"),
        ("331082112", "杜桥镇"),
        ("331082111", "沿江镇"),
    ),
    "331083": (
        ("331083001", "玉城街道"),
        ("331083002", "坎门街道"),
        ("331083003", "大麦屿街道"),
        ("331083101", "清港镇"),
        ("331083102", "楚门镇"),
        ("331083103", "干江镇"),
        ("331083106", "芦浦镇"),
        ("331083107", "龙溪镇"),
    ),
}

# Departments: (full-name suffix, short name as the text says it "经信局", 文号 word).
DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("经济和信息化局", "经信局", "经信"),
    ("科学技术局", "科技局", "科"),
    ("商务局", "商务局", "商务"),
    ("人力资源和社会保障局", "人力社保局", "人社"),
    ("财政局", "财政局", "财"),
    ("市场监督管理局", "市场监管局", "市监"),
    ("发展和改革局", "发改局", "发改"),
)
PROVINCE_DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("经济和信息化厅", "省经信厅", "经信"),
    ("科学技术厅", "省科技厅", "科"),
    ("商务厅", "省商务厅", "商务"),
    ("人力资源和社会保障厅", "省人力社保厅", "人社"),
    ("财政厅", "省财政厅", "财"),
    ("市场监督管理局", "省市场监管局", "市监"),
)

# Canonical qualification titles (enterprise_profile.md) and aliases a policy text may use.
QUALIFICATION_ALIASES: dict[str, tuple[str, ...]] = {
    "国家高新技术企业": ("国家高新技术企业", "高新技术企业", "国家级高新技术企业", "高企"),
    "科技型中小企业": ("科技型中小企业", "国家科技型中小企业"),
    "省级专精特新中小企业": ("省级专精特新中小企业", "省级“专精特新”中小企业", "浙江省专精特新中小企业"),
    "国家级专精特新“小巨人”企业": (
        "国家级专精特新“小巨人”企业",
        "专精特新“小巨人”企业",
        "专精特新小巨人企业",
    ),
    "规上工业企业": ("规上工业企业", "规模以上工业企业"),
    "省隐形冠军企业": ("省隐形冠军企业", "浙江省隐形冠军企业"),
    "省级企业技术中心": ("省级企业技术中心",),
    "技术先进型服务企业": ("技术先进型服务企业",),
}


@dataclass(frozen=True)
class Line:
    """A line of business: its GB/T 4754 code, words for names, products and 经营范围, and its economics."""

    key: str
    industry_code: str
    sector: str  # a loose family, used for wording only; size bands come from the code
    name_words: tuple[str, ...]
    products: tuple[str, ...]
    scope: tuple[str, ...]
    weight: float
    productivity: float  # median revenue per employee, 万元
    rd_intensity: float  # median 研发费用 / 营业收入, %
    tech: float  # how likely its firms hold technology titles, 0..1
    export: float  # share of its firms that export
    asset_ratio: float  # median total assets / revenue
    home: tuple[str, ...] = ()  # counties where the line clusters


def _line(record: dict[str, Any]) -> Line:
    """One record of lines.json as a :class:`Line` (its lists as tuples)."""
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in record.items()}
    return Line(**values)


# The business lines, one record each, in corpus/demo/lines.json: data, kept beside this module (the order is the
# generator's: a seed draws lines by their index).
LINES: tuple[Line, ...] = tuple(
    _line(record)
    for record in json.loads((Path(__file__).resolve().parent / "lines.json").read_text(encoding="utf-8"))
)


# Characters of enterprise 字号 (trade names); combined two, three or four at a time.
BRAND_CHARS = (
    "恒达华利精诚正泰金鑫永宏博海盛瑞新远天峰力凯信昌源嘉兴丰明宇"
    "安康星辰龙腾飞跃东方宝隆顺德益众合创佳立鸿福祥鼎"
)
