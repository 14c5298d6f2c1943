"""Demo policy documents (惠企政策) with their items and the true conditions of each item.

A document is written the way Taizhou's and Zhejiang's support policies are:
a title and 文号, an addressee, a preamble, numbered items in one of several
numbering styles (一、 / （一） / 1. / （1） / 第X条, flat or under chapter
headings), a closing paragraph, the issuer and the date. Every document is a
pure function of (seed, its index), so a corpus of any size is reproducible
and a larger one starts with the documents of a smaller one.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace
from typing import Any

from corpus.conditions import Condition, Entry, Group, Node, Tier, leaves
from corpus.demo.clauses import MAKERS, TOPICS, Context
from corpus.demo.documents import (
    AS_OF,
    NON_POLICY_SHARE,
    date_cn,
    non_policy,
    page_header,
    realistic_closing,
    validity,
)
from corpus.demo.phrasing import Clause, Issuer, fulfilment_sentence
from corpus.demo.policy_records import DemoItem, DemoPolicy
from corpus.demo.shapes import SHAPES
from corpus.demo.vocab import CITY, COUNTIES, COUNTY_WEIGHTS, DEPARTMENTS, PROVINCE, PROVINCE_DEPARTMENTS

CN_DIGITS = "零一二三四五六七八九"
NUMBERING_STYLES = ("一、", "一、>（一）", "第一条", "1.", "一、>1.", "（一）", "1.>（1）", "第一章>第一条")
STYLES = ("realistic", "plain")
STATED_MODES = (
    "免申即享",
    "即申即享",
    "快申优享",
    "即申快享",
)  # a realistic closing states these for the whole document
SHAPE_SHARE = 0.55  # of the items of a kind that has realistic shapes, the share written with one


def cn_number(n: int) -> str:
    """Write the Chinese numeral for 1..99 (一, 十, 十二, 二十三)."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


# Numbering styles: the marker of item ``n`` ({cn}: in Chinese numerals, {n}: in digits).
_MARKERS = {
    "一、": "{cn}、",
    "（一）": "（{cn}）",
    "第一条": "第{cn}条 ",
    "第一章": "第{cn}章 ",
    "1.": "{n}.",
    "（1）": "（{n}）",
}


def _marker(style: str, n: int) -> str:
    template = _MARKERS.get(style)
    if template is None:
        raise ValueError(f"unknown numbering style {style!r}")
    return template.format(cn=cn_number(n) if "{cn}" in template else "", n=n)


def _issuer(r: random.Random) -> Issuer:
    roll = r.random()
    if roll < 0.1:
        return Issuer("province", PROVINCE[0], PROVINCE[1], "浙江省", "省", "浙")
    if roll < 0.33:
        return Issuer("city", CITY[0], CITY[1], "台州市", "市", "台")
    codes = list(COUNTY_WEIGHTS)
    code = r.choices(codes, weights=[COUNTY_WEIGHTS[c] for c in codes])[0]
    name, short, kind = COUNTIES[code]
    prefix = name if kind == "市" else f"台州市{name}"
    return Issuer("county", code, name, prefix, kind, short)


def generate_policy(seed: int, index: int, style: str = "realistic") -> DemoPolicy:
    """Write the ``index``-th demo policy of corpus ``seed`` (deterministic).

    ``style`` ``"plain"`` writes the regular text of the first generator (every condition
    ANDed in one sentence, no document facts beyond validity); ``"realistic"`` (the default)
    draws the same issuer, topic and numbering, then writes the shapes of real Taizhou /
    Zhejiang policies (:mod:`corpus.demo.shapes`, governing closing clauses, document facts,
    some 公示 / 名单 that are not policies). The realistic draws come from a second stream, so
    the plain corpus of a seed stays exactly what it was.
    """
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}, got {style!r}")
    r = random.Random(f"policymatch-demo:{seed}:policy:{index}")
    real = style == "realistic"
    r2 = random.Random(f"policymatch-demo:{seed}:shape:{index}")
    issuer = _issuer(r)
    topic, dept_key, kinds = r.choice(TOPICS)
    by_government = r.random() < 0.35
    departments = PROVINCE_DEPARTMENTS if issuer.level == "province" else DEPARTMENTS
    dept_row = next((d for d in departments if dept_key[:2] in d[1]), departments[0])
    finance_row = next(d for d in departments if "财政" in d[0])
    dept_text, finance_text = issuer.dept(dept_row[1]), issuer.dept(finance_row[1])

    issued = dt.date(2022, 1, 1) + dt.timedelta(days=r.randrange(0, 1276))  # 2022-01 .. 2025-06
    valid_until = None if r.random() < 0.1 else dt.date(issued.year + r.choice((1, 2, 3)), 12, 31)
    effective = issued + dt.timedelta(days=r.choice((0, 10, 15, 30)))
    validity_words = ""
    if real:
        issued, effective, valid_until, validity_words = validity(r2)
    year = issued.year
    number = r.randrange(1, 60)
    region_word = {"province": "全省", "city": "全市", "county": f"全{issuer.kind}"}[issuer.level]
    topic_text = topic.replace("质量强区", f"质量强{issuer.kind}")
    if by_government:
        issuer_name = f"{issuer.full_prefix}人民政府" + ("办公室" if r.random() < 0.4 else "")
        doc_word = "政办发" if issuer_name.endswith("办公室") else "政发"
        doc_number = f"{issuer.short}{doc_word}〔{year}〕{number}号"
    else:
        issuer_name = (
            f"{issuer.full_prefix}{dept_row[0]}" if issuer.level != "province" else f"浙江省{dept_row[0]}"
        )
        doc_number = f"{issuer.short}{dept_row[2]}〔{year}〕{number}号"
    department = issuer_name

    policy_id = f"demo-{index + 1:04d}"
    if real and r2.random() < NON_POLICY_SHARE:
        return non_policy(policy_id, r2, issuer, issuer_name, dept_text, doc_number, issued)
    style = r.choice(NUMBERING_STYLES)
    n_items = r.randint(4, 8)
    # Each kind once where the topic has enough of them; the rest from related kinds of other topics.
    chosen = r.sample(kinds, min(n_items, len(kinds)))
    others = sorted({k for _, _, ks in TOPICS for k in ks} - set(chosen))
    chosen += r.sample(others, n_items - len(chosen))
    list_style = "①" if "（1）" in style else "（1）"  # a 申报条件 list must not look like the next item
    ctx = Context(issuer=issuer, dept=dept_text, finance=finance_text, issued=issued, list_style=list_style)
    doc_mode = r.choice(("免申即享", "一般申报", None, None))
    if real:  # the plan's vocabulary: a document may state one mode for all its items
        doc_mode = r2.choice(("免申即享", "即申即享", "快申优享", "即申快享", "一般申报", None, None))

    title_forms = (
        f"{issuer_name}关于印发{issuer.region_name}{topic_text}若干政策的通知",
        f"{issuer_name}关于进一步{topic_text}的若干意见",
        f"关于{topic_text}的若干政策措施",
        f"{issuer.region_name}{topic_text}专项资金管理办法",
        f"{issuer_name}关于印发《{issuer.region_name}关于{topic_text}的实施意见》的通知",
    )
    title = title_forms[0 if "第一条" not in style else 3] if r.random() < 0.3 else r.choice(title_forms)
    by_articles = style == "第一章>第一条"  # a 办法: 总则, chapters of articles numbered throughout, 附则
    if by_articles:
        title = title_forms[3]
    addressee = {
        "province": "各市、县（市、区）人民政府，省政府直属各单位：",
        "city": "各县（市、区）人民政府，市政府直属各单位：",
        "county": f"各乡镇人民政府、街道办事处，{issuer.kind}级有关部门：",
    }[issuer.level]
    preamble = r.choice(
        (
            f"为深入贯彻落实党中央、国务院和省委、省政府关于{topic_text}的决策部署，进一步激发市场主体活力，结合{region_word}实际，制定本政策。",
            f"为加快{topic_text}，推动经济高质量发展，经研究，现提出如下政策意见。",
            f"为进一步优化营商环境，支持企业做大做强，根据有关规定，结合我{issuer.kind}实际，现就{topic_text}提出以下措施。",
        )
    )

    lines: list[str] = [title, doc_number, addressee, preamble]
    if real and r2.random() < 0.5:  # as the page shows it: 索引号, 发布机构, 发文日期 … then the 印发 note
        lines = [*page_header(r2, issuer, issuer_name, issued, doc_number, valid_until), *lines]
    if by_articles:
        scope = {"province": "在浙江省", "city": "在台州市", "county": f"在{issuer.region_name}"}[
            issuer.level
        ]
        lines = [
            title,
            doc_number,
            "第一章 总则",
            f"第一条 为加快{topic_text}，规范专项资金使用，根据有关规定，结合{region_word}实际，制定本办法。",
            f"第二条 本办法适用于{scope}依法注册登记、具有独立法人资格的企业。",
        ]
    items: list[DemoItem] = []
    parent, child = (style.split(">") + [""])[:2] if ">" in style else (style, "")
    if child:  # items of one chapter stay together, chapters in order of first mention
        order = list(dict.fromkeys(_CHAPTER_NAMES[k] for k in chosen))
        chosen.sort(key=lambda k: order.index(_CHAPTER_NAMES[k]))
    chapter_titles = _chapters(chosen) if child else []
    seq = 0
    for position, kind in enumerate(chosen):
        if real and kind in SHAPES and r2.random() < SHAPE_SHARE:
            clause = r2.choice(SHAPES[kind])(r, ctx)
        else:
            clause = MAKERS[kind](r, ctx)
        mode = clause.fulfilment if r.random() < 0.55 else None
        if doc_mode and r.random() < 0.5 and clause.support_type != "用地":  # land is never 免申即享
            mode = doc_mode
        heading: tuple[str, ...] = ()
        if child:
            chapter_index = chapter_titles[position][0] + (1 if by_articles else 0)
            if chapter_titles[position][1]:
                heading_line = f"{_marker(parent, chapter_index)}{chapter_titles[position][2]}"
                if real and not by_articles and r2.random() < 0.4:  # 一、推进数字化转型（由区经信局牵头）
                    heading_line += f"（由{dept_text}牵头）"
                lines.append(heading_line)
            heading = (f"{_marker(parent, chapter_index)}{chapter_titles[position][2]}",)
            # Articles run on through the chapters after 总则's two; other styles restart in each chapter.
            marker = _marker(child, position + 3 if by_articles else chapter_titles[position][3])
        else:
            marker = _marker(style, position + 1)
        seq += 1
        item = _write_item(
            clause, marker, mode, ctx, policy_id, seq, heading, department, issuer, issued, valid_until, r
        )
        lines.append(item.text)
        items.append(item)

    closing = [
        f"本政策自{date_cn(effective)}起施行"
        + (f"，有效期至{date_cn(valid_until)}" if valid_until else "")
        + "。同一企业同一项目符合多项扶持政策的，按照“就高不重复”原则执行。",
        f"本政策由{dept_text}会同{finance_text}负责解释。"
        if dept_text != finance_text
        else f"本政策由{dept_text}负责解释。",
        issuer_name,
        date_cn(issued),
    ]
    if by_articles:
        last = len(chosen) + 2
        closing = [
            f"第{cn_number(len(chapter_titles and {c[0] for c in chapter_titles}) + 2)}章 附则",
            f"第{cn_number(last + 1)}条 本办法由{dept_text}负责解释。",
            f"第{cn_number(last + 2)}条 本办法自{date_cn(effective)}起施行"
            + (f"，有效期至{date_cn(valid_until)}。" if valid_until else "。"),
            issuer_name,
            date_cn(issued),
        ]
    governing: list[tuple[str, list[Node]]] = []
    window: tuple[dt.date, dt.date] | None = None
    if real:
        closing, governing, window = realistic_closing(
            r2,
            issuer,
            issuer_name,
            dept_text,
            finance_text,
            issued,
            effective,
            validity_words,
            doc_mode,
            closing,
        )
        if by_articles:  # 第二条 本办法适用于…: a governing clause of the 办法
            scope = next(line for line in lines if line.startswith("第二条 "))
            words = scope.split(" ", 1)[1]
            governing.insert(
                0,
                (
                    words,
                    [
                        Condition(
                            "region_code", "within_region", issuer.region_code, span=words, source="edited"
                        )
                    ],
                ),
            )
    lines.extend(closing)
    text = "\n".join(lines)
    stated = {item.fulfilment for item in items if item.fulfilment}
    fulfilment = next(iter(stated)) if len(stated) == 1 else None
    facts: dict[str, Any] = {}
    if real:
        governs = [[text.rindex(words), text.rindex(words) + len(words)] for words, _ in governing]
        facts = {
            "is_policy": True,
            "doc_type": "policy",
            "valid_from": effective.isoformat(),
            "valid_until": valid_until.isoformat() if valid_until else None,
            "window": [window[0].isoformat(), window[1].isoformat()] if window else None,
            "fulfilment_mode": doc_mode if doc_mode in STATED_MODES else None,
            "as_of": AS_OF.isoformat(),
            "governs": governs,
        }
        governed = [node for _, nodes in governing for node in nodes]
        item_facts = {**facts, "governing_text": [words for words, _ in governing]}
        items = [_with_governing(item, governed, item_facts, facts["fulfilment_mode"]) for item in items]
        if facts["fulfilment_mode"]:
            fulfilment = facts["fulfilment_mode"]
    return DemoPolicy(
        id=policy_id,
        title=title,
        text=text,
        region_code=issuer.region_code,
        department=department,
        issued=issued.isoformat(),
        valid_until=valid_until.isoformat() if valid_until else None,
        url=f"https://policies.demo.invalid/{policy_id}.html",
        fulfilment=fulfilment,
        doc_number=doc_number,
        numbering=style,
        items=tuple(items),
        facts=facts,
    )


_CHAPTER_NAMES = {
    "技改": "加快技术改造",
    "数字化": "推进数字化转型",
    "上台阶": "支持企业做大做强",
    "小升规": "支持企业做大做强",
    "专精特新": "培育优质企业梯队",
    "用地": "强化要素保障",
    "亩均": "强化要素保障",
    "成长": "支持企业做大做强",
    "首台套": "鼓励创新产品应用",
    "高企": "强化科技创新主体",
    "科小": "强化科技创新主体",
    "研发": "鼓励研发投入",
    "人才": "加强人才支撑",
    "新设": "支持招商引资",
    "产业专项": "壮大重点产业",
    "外贸": "稳定外贸规模",
    "服务业": "促进服务业发展",
    "贴息": "加大金融支持",
    "稳岗": "稳定就业岗位",
    "纳税": "激励企业贡献",
    "质量品牌": "提升质量品牌",
}


def _chapters(kinds: list[str]) -> list[tuple[int, bool, str, int]]:
    """(chapter number, whether the item opens its chapter, chapter title, number within the chapter) per item."""
    out: list[tuple[int, bool, str, int]] = []
    chapter, within, last = 0, 0, None
    for kind in kinds:
        name = _CHAPTER_NAMES[kind]
        if name != last:
            chapter, within, last = chapter + 1, 0, name
        within += 1
        out.append((chapter, within == 1, name, within))
    return out


def _write_item(
    clause: Clause,
    marker: str,
    mode: str | None,
    ctx: Context,
    policy_id: str,
    seq: int,
    heading: tuple[str, ...],
    department: str,
    issuer: Issuer,
    issued: dt.date,
    valid_until: dt.date | None,
    r: random.Random,
) -> DemoItem:
    title_sep = r.choice(("。", "。", "：")) if not marker.startswith("第") else ""
    head = f"{marker}{clause.title}{title_sep}" if title_sep else marker
    text = head
    placed: list[tuple[Condition, str | None, tuple[int, int]]] = []
    for segment in clause.segments:
        if isinstance(segment, tuple):
            words, condition = segment[0], segment[1]
            placed.append(
                (condition, segment[2] if len(segment) == 3 else None, (len(text), len(text) + len(words)))
            )
            text += words
        else:
            text += segment
    local = _entries(clause, placed, text)
    where = {id(condition): span for condition, _, span in placed}
    spans = [where[id(leaf)] for leaf in leaves(local)]
    if mode:
        text += fulfilment_sentence(r, mode, issuer, ctx.dept, ctx.finance, clause.support_type)
    return DemoItem(
        id=f"{policy_id}#{seq}",
        policy_id=policy_id,
        seq=seq,
        heading_path=heading,
        title=clause.title,
        text=text,
        conditions=local,
        spans=tuple(spans),
        theme=clause.theme,
        support_type=clause.support_type,
        support=clause.support,
        fulfilment=mode,
        region_code=issuer.region_code,
        department=department,
        issued=issued.isoformat(),
        valid_until=valid_until.isoformat() if valid_until else None,
        semantic_lines=tuple(sorted(clause.semantic_lines.items())),
        local=local,
    )


def _entries(
    clause: Clause, placed: list[tuple[Condition, str | None, tuple[int, int]]], text: str
) -> tuple[Entry, ...]:
    """Assemble the v2 entries of an item from its placed leaves.

    Common nodes come first (a group where its first member stands), then the tiers in the
    order the clause opened them (best first).
    """
    common: list[Condition | str] = []  # leaves, and group keys standing for their group
    members: dict[str, list[tuple[Condition, tuple[int, int]]]] = {}
    tier_nodes: dict[str, list[Condition | str]] = {
        key: [] for key, spec in clause.slots.items() if spec["kind"] == "tier"
    }
    for condition, slot, span in placed:
        spec = clause.slots.get(slot) if slot else None
        if spec is None:
            common.append(condition)
        elif spec["kind"] == "tier":
            tier_nodes[slot].append(condition)  # type: ignore[index]
        else:
            if slot not in members:
                target = tier_nodes[spec["parent"]] if spec.get("parent") else common
                target.append(slot)  # type: ignore[arg-type]
            members.setdefault(slot, []).append((condition, span))  # type: ignore[arg-type]

    def node(entry: Condition | str) -> Node:
        if isinstance(entry, Condition):
            return entry
        spec, grouped = clause.slots[entry], members[entry]
        start, end = grouped[0][1][0], grouped[-1][1][1]
        return Group(
            "any", tuple(c for c, _ in grouped), span=text[start:end], role=spec["role"], source="edited"
        )

    tiers = [
        Tier(
            label=spec["label"],
            conditions=tuple(node(e) for e in tier_nodes[key]),
            support=spec["support"],
            amount=spec["amount"],
            formula=spec["formula"],
            span="、".join(c.span for c in tier_nodes[key] if isinstance(c, Condition)),
            source="edited",
        )
        for key, spec in clause.slots.items()
        if spec["kind"] == "tier"
    ]
    return (*(node(e) for e in common), *tiers)


def _with_governing(
    item: DemoItem, governed: list[Node], facts: dict[str, Any], mode: str | None
) -> DemoItem:
    """Add the document's governing conditions to an item's truth (those it does not state itself) and its facts."""
    own = {leaf.key for leaf in leaves(item.local) if leaf.role == "require"}
    added = tuple(
        n for n in governed if not (isinstance(n, Condition) and n.role == "require" and n.key in own)
    )
    common = [e for e in item.local if not isinstance(e, Tier)]
    tiers = [e for e in item.local if isinstance(e, Tier)]
    return replace(
        item,
        conditions=(*common, *added, *tiers),
        governed=added,
        facts=facts,
        fulfilment=item.fulfilment or mode,
    )
