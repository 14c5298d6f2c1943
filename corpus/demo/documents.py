"""What a realistic demo document says about all of its items, and the documents that are not policies.

Real Taizhou / Zhejiang policy pages (docs/data.md) put the facts of the whole
document around its items: a page header (索引号, 发布机构, 发文日期, 有效性), a
cover note, and closing paragraphs that govern every item — who it applies to
(适用范围), who is excluded (失信, 安全生产事故), 就高不重复, the application
window (申报时间), how it is fulfilled (免申即享 / 即申即享 / 快申优享 / 即申快享)
and its validity (自印发之日起施行，有效期3年). Sites also publish 公示 and 名单
next to the policies: stored, never matched (``is_policy`` false).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from corpus.conditions import Condition, Node
from corpus.demo.enterprises import brand
from corpus.demo.phrasing import Issuer

if TYPE_CHECKING:
    from corpus.demo.policies import DemoPolicy

AS_OF = dt.date(2025, 6, 30)  # the day the demo's truth is judged at (the enterprises' AS_OF too)
NON_POLICY_SHARE = 0.06  # of realistic documents, the 公示 / 名单 that are not policies
EXPIRED_SHARE = 0.08  # of realistic policies, those whose validity ended before AS_OF


def date_cn(day: dt.date) -> str:
    """Write a date as policies do: 2025年3月1日."""
    return f"{day.year}年{day.month}月{day.day}日"


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def validity(r: random.Random) -> tuple[dt.date, dt.date, dt.date | None, str]:
    """Draw (issued, effective, valid_until, the words that state the validity) of a realistic policy."""
    if r.random() < EXPIRED_SHARE:  # issued 2022 – mid 2023, ended before AS_OF
        issued = dt.date(2022, 1, 1) + dt.timedelta(days=r.randrange(0, 540))
        effective = issued + dt.timedelta(days=r.choice((0, 10, 30)))
        until = dt.date(issued.year + 1, 12, 31)
        return issued, effective, until, f"有效期至{date_cn(until)}"
    issued = dt.date(2023, 7, 1) + dt.timedelta(days=r.randrange(0, 730))  # mid 2023 .. mid 2025
    effective = issued + dt.timedelta(days=r.choice((0, 0, 10, 30)))
    roll = r.random()
    if roll < 0.45:
        years = r.choice((3, 3, 5))
        until = _add_years(effective, years) - dt.timedelta(days=1)
        words = r.choice(
            (
                f"自{date_cn(effective)}起施行，有效期{years}年",
                f"自印发之日起{r.choice(('', '30日后'))}施行，有效期{years}年",
            )
        )
        if "30日后" in words:
            effective = issued + dt.timedelta(days=30)
            until = _add_years(effective, years) - dt.timedelta(days=1)
        elif "印发之日" in words:
            effective = issued
            until = _add_years(effective, years) - dt.timedelta(days=1)
        return issued, effective, until, words
    if roll < 0.9:
        until = dt.date(effective.year + r.choice((2, 3, 4)), 12, 31)
        return issued, effective, until, f"自{date_cn(effective)}起施行，有效期至{date_cn(until)}"
    return issued, effective, None, f"自{date_cn(effective)}起施行"


def page_header(
    r: random.Random,
    issuer: Issuer,
    issuer_name: str,
    issued: dt.date,
    doc_number: str,
    valid_until: dt.date | None,
) -> list[str]:
    """Write the lines a government site puts above a document (索引号, 发布机构, 发文日期, 有效性, 发文字号)."""
    index_no = f"{issuer.region_code.ljust(6, '0')}000000/{issued.year}-{r.randrange(100000, 999999)}"
    valid = "有效" if valid_until is None or valid_until >= AS_OF else "失效"
    return [
        f"索引号：{index_no}",
        f"发布机构：{issuer_name}",
        f"发文日期：{issued.isoformat()}",
        f"有效性：{valid}",
        f"发文字号：{doc_number}",
    ]


def _scope(r: random.Random, issuer: Issuer) -> tuple[str, list[Node]]:
    """适用范围: the region (and sometimes the sector) every item is for."""
    name = issuer.region_name
    where = r.choice(
        (
            f"注册地和税收户管地均在{name}",
            f"在{name}依法登记注册、税收解缴在{name}",
            f"工商注册和税务登记均在{name}",
        )
    )
    nodes: list[Node] = [
        Condition("region_code", "within_region", issuer.region_code, span=where, source="edited")
    ]
    who = "企业"
    if r.random() < 0.3:
        who = "工业企业"
        nodes.append(
            Condition("industry_code", "industry_in", ["B", "C", "D"], span="工业企业", source="edited")
        )
    return f"本政策适用于{where}、具有独立法人资格的{who}。", nodes


def _dishonest(r: random.Random) -> tuple[str, list[Node]]:
    credit = r.choice(("被列入严重失信主体名单", "列入失信被执行人名单"))
    violation = r.choice(("近三年有重大违法违规记录", "近三年存在重大违法行为"))
    words = f"{credit}或{violation}的企业，不得享受本政策。"
    return words, [
        Condition("credit_status", "eq", "normal", span=credit, source="edited"),
        Condition("major_violation", "eq", False, span=violation, source="edited"),
    ]


def _safety(r: random.Random) -> tuple[str, list[Node]]:
    what = r.choice(("当年度发生较大及以上安全生产事故", "当年度发生重大环境污染事件"))
    return f"{what}的企业，不享受本政策各项奖补。", [
        Condition("undecidable", "eq", what, span=what, source="edited", role="exclude")
    ]


def realistic_closing(
    r: random.Random,
    issuer: Issuer,
    issuer_name: str,
    dept: str,
    finance: str,
    issued: dt.date,
    effective: dt.date,
    validity_words: str,
    doc_mode: str | None,
    closing: list[str],
) -> tuple[list[str], list[tuple[str, list[Node]]], tuple[dt.date, dt.date] | None]:
    """Rewrite a document's closing with clauses that govern every item.

    Returns the closing lines, the governing clauses (their words and conditions) and the
    application window (or None). The last two lines (issuer, date) stay last.
    """
    governing: list[tuple[str, list[Node]]] = []
    paragraphs: list[str] = []
    if r.random() < 0.6:
        governing.append(_scope(r, issuer))
    if r.random() < 0.5:
        governing.append(_dishonest(r))
    if r.random() < 0.12:
        governing.append(_safety(r))
    paragraphs += [words for words, _ in governing]
    paragraphs.append(
        r.choice(
            (
                "同一企业同一项目符合本政策多项条款或与上级政策重复的，按照就高不重复原则执行。",
                "企业同一事项符合多项奖补政策的，按“就高不重复”原则享受，另有规定的除外。",
            )
        )
    )
    window = None
    if r.random() < 0.45:
        year = max(effective.year, issued.year) + (1 if effective.month > 9 else 0)
        start = dt.date(year, r.choice((3, 4, 5, 9)), 1)
        end = start + dt.timedelta(days=r.choice((29, 45, 60)))
        window = (start, end)
        paragraphs.append(
            r.choice(
                (
                    f"申报时间：{date_cn(start)}至{date_cn(end)}，逾期不予受理。",
                    f"本政策奖补资金每年集中申报一次，申报时间为{date_cn(start)}至{date_cn(end)}。",
                )
            )
        )
    if doc_mode in ("免申即享", "即申即享", "快申优享", "即申快享"):
        paragraphs.append(f"本政策兑现实行“{doc_mode}”，由{dept}会同{finance}组织实施。")
    out: list[str] = []
    for line in closing[:-2]:
        if "起施行" in line:  # the validity sentence, in the words drawn for it
            prefix = line.split(" ", 1)[0] + " " if line.startswith("第") and " " in line else ""
            subject = "本办法" if "本办法" in line else "本政策"
            out.append(f"{prefix}{subject}{validity_words}。")
            continue
        if "就高不重复" in line:
            line = line.split("。同一企业")[0] + "。"
        out.append(line)
    # Governing paragraphs before the validity sentence (or at the end of the closing).
    at = next((i for i, line in enumerate(out) if "施行" in line), len(out))
    return [*out[:at], *paragraphs, *out[at:], *closing[-2:]], governing, window


def non_policy(
    policy_id: str,
    r: random.Random,
    issuer: Issuer,
    issuer_name: str,
    dept: str,
    doc_number: str,
    issued: dt.date,
) -> DemoPolicy:
    """Write a 公示 or 名单: published beside the policies, not a policy anyone applies for."""
    from corpus.demo.policies import DemoItem, DemoPolicy

    year = issued.year
    what, theme = r.choice(
        (
            (f"{year}年度{issuer.region_name}专精特新中小企业", "专精特新"),
            (f"{year}年度技术改造项目补助资金", "技改"),
            (f"{year}年度高新技术企业认定奖励", "高企"),
            (f"{year}年度“小升规”企业奖励资金", "小升规"),
        )
    )
    kind = r.choice(("公示", "名单"))
    if kind == "公示":
        title = f"关于{what}拟{'认定' if '专精特新' in what else '兑现'}名单的公示"
        start = issued + dt.timedelta(days=1)
        body = [
            f"根据有关文件要求，经企业申报、属地推荐、专家评审和部门会审，现将{what}拟{'认定' if '专精特新' in what else '兑现'}名单予以公示。",
            f"公示期为{date_cn(start)}至{date_cn(start + dt.timedelta(days=6))}。如有异议，请于公示期内以书面形式向{dept}反映，逾期不予受理。",
        ]
    else:
        title = f"关于公布{what}名单的通知"
        body = [f"经审核，现将{what}名单予以公布，相关资金由{dept}按规定拨付。"]
    names = [
        f"{r.choice(('台州', issuer.region_name[:2]))}{brand(r.randrange(50_000, 900_000))}{r.choice(('机械', '科技', '塑业', '电器', '阀门'))}有限公司"
        for _ in range(r.randint(4, 9))
    ]
    listed = names  # one name a line, as the attachment shows them (a numbered list would read as items)
    head = "\n".join([title, *body])  # the item: what a reader (and the splitter) takes before the attachment
    text = "\n".join([head, "附件：名单", *listed, issuer_name, date_cn(issued)])
    facts: dict[str, Any] = {
        "is_policy": False,
        "doc_type": "result",
        "valid_from": None,
        "valid_until": None,
        "window": None,
        "fulfilment_mode": None,
        "as_of": AS_OF.isoformat(),
        "governs": [],
    }
    item = DemoItem(
        id=f"{policy_id}#1",
        policy_id=policy_id,
        seq=1,
        heading_path=(),
        title=title,
        text=head,
        conditions=(),
        spans=(),
        theme=theme,
        support_type="",
        support="",
        fulfilment=None,
        region_code=issuer.region_code,
        department=issuer_name,
        issued=issued.isoformat(),
        valid_until=None,
        facts={**facts, "governing_text": []},
    )
    return DemoPolicy(
        id=policy_id,
        title=title,
        text=text,
        region_code=issuer.region_code,
        department=issuer_name,
        issued=issued.isoformat(),
        valid_until=None,
        url=f"https://policies.demo.invalid/{policy_id}.html",
        fulfilment=None,
        doc_number=doc_number,
        numbering="",
        items=(item,),
        facts=facts,
    )
