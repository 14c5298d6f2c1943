"""Split a policy document into its items (事项清单化), following the document's own numbering.

Chinese policy texts number their parts 第X章 / 第X条 / 一、 / （一） / 1. / （1） / ①,
in whatever nesting the drafter chose, and often run them inline with no line
breaks. :func:`split_policy` finds the markers, builds the heading tree (the
order in which marker kinds first appear gives their depth), and emits the
items a person would apply for:

- a section is an item when it (with its subsections) states support — money,
  relief or a service (补助, 奖励, 贴息, 减免, 返还, 担保费, ...); a section
  about the policy (总体要求, 组织保障, 附则, 申报程序, ...) is not; a numbered
  measure that names no support beside ones that do (强化服务, 加强监管, duties
  of departments) is an item kept with its document but never offered
  (``is_policy`` false): the labels' items follow the text's numbering —
  unless it grants enterprises something all the same (对…企业，可… /
  允许 / 延至 / 不列入, with no department's 要 / 应 before it:
  :func:`grants_enterprises`);
- a list whose top level starts again at 1 after a table of contents
  (headings only) is read from the body; a list with one number lost in the
  text (1. 2. 4. 5.) runs on;
- a section whose subsections are the list of its conditions or of its
  tiers with one support (``符合下列条件：（1）…（2）…``) stays one item;
  subsections that each state their own support become items of their own;
- a document whose numbered parts all state no support (a notice of duties, a
  report) keeps each part as an item, never offered; a document without
  numbering, or whose numbered parts are the conditions its opening announces
  (须满足以下条件：1. … 2. …), is one item (the whole text), so every posted
  policy can still be found.

Each item keeps its heading path (its ancestors' headings and its own), its
exact text (a substring of the document, so extracted spans stay valid), and
the document's metadata; a fulfilment mode named in the item itself
(免申即享, 即申即享, 第三方评审) overrides the document's.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from corpus.schemas import FULFILMENTS, PolicyDocument, PolicyItem, item_id
from corpus.sections import CN_DIGITS, MARKER_RE, Section, build_tree, cn_number, section_heading

# CN_DIGITS and cn_number are read here by the extractor and the tests (they live in corpus.sections).
__all__ = [
    "CN_DIGITS",
    "NON_ITEM_HEADING_RE",
    "SENTENCE_RE",
    "SUPPORT_RE",
    "cn_number",
    "grants_enterprises",
    "split_policy",
]

# What makes a section something to apply for: money, relief or a concrete service (免税 / 停征: a tax or
# charge not levied, like 免征).
SUPPORT_RE = re.compile(
    r"补助|补贴|奖励|资助|贴息|奖补|补偿|减免|免征|免税|停征|免收|免除|减半|减按|减征|返还|退还|退税|缓缴|延期缴纳|延期申报|"
    r"担保费|费率|融资成本|贷款|授信|续贷|展期|税前扣除|加计扣除|抵扣|优惠|专项资金|扶持资金|一次性|"
    r"最高不超过|给予.{0,12}(?:支持|补|奖|资金)|按.{0,20}%|免申即享|即申即享|"
    # Services an enterprise applies for (issue 14: items the labels give conditions): a fast lane, legal
    # help, a force-majeure certificate, a deadline extended, deposits returned.
    r"绿色通道|法律援助|法律服务|不可抗力|延长[^。；;]{0,12}期限|延期(?:办理|缴|交|申报)|暂退|不列入|容缺|"
    # Money advanced or paid early, charges cut, a place given free (先行垫付启动资金, 提前支付工程账款,
    # 收费标准降低30%, 减税降费, 无偿安排临时办公场所).
    r"减税|降费|垫付|提前支付|收费标准[^。；;]{0,6}降低|无偿(?:安排|提供)|"
    # Done first, papers later (issue 14): a step allowed before its approval or documents (可先投产再补办
    # 手续, 先放行后补办, 扫描件先行受理).
    r"先[^。；;]{0,10}(?:再|后|後)[^。；;]{0,6}补办|先行(?:办理|放行|通行|受理|复工|开工)"
)
# A measure that names no support may still grant enterprises something (对…企业，可…; 纳税人…允许…;
# 公司可…申请…, as the audience reader counts a 公司 an enterprise):
# a beneficiary an enterprise can be, then what it is allowed or spared, with no department's duty (要 / 应 /
# 鼓励 …) before it. 可通过 / 可向…申请 / 可预约 / 尽可能 name a channel or an effort, not a grant.
# Not matcher.extraction.vocab.ENTERPRISE_KINDS (corpus/ may not import matcher/): a grant sentence's own list,
# with 定额户 / 供应商 / 承运 / 项目, without 机构 / 主体, and 单位 not in 各单位 / 有关单位 / 任务单位 ….
_BENEFICIARY_RE = re.compile(
    r"企业|公司|纳税人|缴费人|(?<![各关任头合办])单位|市场主体|个体工商户|定额户|供应商|合作社|经营者|商户|承运|项目"
)
_GRANT_RE = re.compile(
    r"(?<!尽)可(?:以)?(?!(?:直接|自行|自主)?(?:通过|登录|登陆|拨打|咨询|向|到|预约|自助|下载|关注|联系|使用|选择|在线|网上))"
    r"(?!能)|允许|准予|免予|免费|零收费|降低|延至|延长|不将|不列入|优先|"
    r"提前支付|暂按|暂不(?!可)|无需|不需|不收取|不受[^。；;，,]{0,20}?限制"
)
# 对…企业…实行 (a price, a regime): granted to them; 企业…实行 alone is their duty (实行分餐制).
_GRANT_REGIME_RE = re.compile(r"对[^。；;]{0,60}?(?:" + _BENEFICIARY_RE.pattern + r")[^。；;]{0,40}?实行")
# 要 / 应 as a duty, not inside 需要 / 重要 / 要求 / 应对 / 应用 / 应急 / 应纳税 …. Not tiers' _AUTHORITY_DUTY_RE:
# that one also takes 不得 / 禁止 / 不 as refusing a measure; many grants here are negations (不列入 / 不受…限制 / 暂不).
_DUTY_BEFORE_RE = re.compile(
    r"应当|(?<![响适供对反])应(?![对用急收付纳税征])|(?<![需重主只想])要(?![求素点件])|鼓励|引导|倡导|督促|指导|推动|推行|帮助"
)
# A sentence of an item: up to 。 / ； / ; or a line break. The splitter looks for a beneficiary and its grant within
# one; audience reads an item's sentences the same way (its grant shapes, recipients, first sentence, duties).
SENTENCE_RE = re.compile(r"[^。；;\n]+")
# Sections that are about the policy, not something to apply for. 社会保障措施 is a support (social
# insurance), not 保障措施 (how the policy is safeguarded); 《…》附件 cites another document's attachment.
NON_ITEM_HEADING_RE = re.compile(
    r"总则|附则|指导思想|总体要求|基本原则|工作目标|目标任务|主要目标|(?<!社会)保障措施|组织保障|组织领导|加强领导|"
    r"工作要求|申报程序|申报流程|申报方式|申报时间|申报材料|申请材料|申请程序|办理流程|办理程序|兑现程序|兑付程序|"
    r"兑现方式|资金管理|监督管理|监督检查|其他事项|其他说明|(?<![》〉])附件|政策解读|实施期限|有效期|职责分工|联系方式|咨询电话"
)
# An intro that announces a list of conditions, materials or tiers rather than separate supports.
_LIST_INTRO_RE = re.compile(
    r"(?:条件|要求|标准|材料|资料|情形|具备|满足|符合下列|符合以下|下列|以下|如下|同时)[^。]{0,20}[：:]\s*$"
)
# An opening that announces the list of conditions, cases or materials the numbered parts are
# (符合下列条件… / 属于下列情形之一的… / 提交下列材料：), not measures (现就有关事项通知如下：).
_CONDITIONS_INTRO_RE = re.compile(
    r"(?:下列|以下|如下)[^。；;，,]{0,6}(?:条件|情形|材料|要求|标准|资格)|(?:条件|要求|标准|情形|资格|之一)[^。；;]{0,12}[：:]$"
)
# The closing remarks of a document (施行日期, 解释权, signature) do not belong to its last item.
_TRAILER_RE = re.compile(
    r"(?:(?<=[。\s\u3000])|^)(?:本|以上|上述)(?:政策|办法|措施|通知|意见|细则|规定|方案|若干措施|实施细则|条款)"
    r"[^。]{0,40}(?:施行|执行|实施|有效|解释|负责)"
)
# A document's signature: issuer(s) and date at its very end, maybe with （此件公开发布）.
# Linear on long blank runs (issue 18): a blank run is entered only where it starts, and never given back.
_SIGNATURE_RE = re.compile(
    r"(?<![\s\u3000\xa0])[\s\u3000\xa0]++[^。；;\s]{2,40}(?:[\s\u3000\xa0]++[^。；;\s]{2,40}){0,5}[\s\u3000\xa0]*+"
    r"\d{4}年\d{1,2}月\d{1,2}日[\s\u3000\xa0]*(?:[（(][^）)]{0,20}[）)])?[\s\u3000\xa0]*$"
)
# A measure's subsection opens with a short title, then a body: "落实稳岗用工政策。用好用足……".
_TITLED_RE = re.compile(
    r"[ \t\u3000\xa0]*[^。；;，,：:！？\n]{2,24}(?:[。\n]|[ \t\u3000\xa0]+(?=\S))[ \t\u3000\xa0]*[^\s#]"
)
_FULFILMENT_PATTERNS = (
    ("免申即享", re.compile(r"免申即享")),
    ("即申即享", re.compile(r"即申即享")),
    ("快申优享", re.compile(r"快申优享")),
    ("即申快享", re.compile(r"即申快享")),
    ("第三方评审", re.compile(r"第三方(?:机构)?评审")),
)


def _has_support(text: str) -> bool:
    return SUPPORT_RE.search(text) is not None


def grants_enterprises(text: str) -> bool:
    """Tell whether a measure naming no support grants enterprises something all the same (对…企业，可…).

    Its sentence names a beneficiary an enterprise can be, then what it is allowed or spared (可 /
    允许 / 准予 / 免予 / 延至 / 降低 / 不列入 / 优先 …), with no duty of a department (要 / 应 / 鼓励 /
    督促 …) before the grant: 对运输物资的承运企业，可先行通行 grants; 各地要指导企业… is a duty.
    """
    for sentence in SENTENCE_RE.finditer(text):
        start, end = sentence.span()
        beneficiary = _BENEFICIARY_RE.search(text, start, end)
        if beneficiary is None:
            continue
        grant = _GRANT_RE.search(text, beneficiary.start(), end)
        if grant is None:
            regime = _GRANT_REGIME_RE.search(text, start, end)
            if regime is not None and _DUTY_BEFORE_RE.search(text, start, regime.end()) is None:
                return True
            continue
        if _DUTY_BEFORE_RE.search(text, start, grant.start()) is None:
            return True
    return False


def _is_atomic(text: str, section: Section, supported: bool) -> bool:
    """Tell whether the subsections are the conditions or tiers of one support, not supports of their own.

    ``supported``: whether the section's whole text states support (``_has_support``).
    """
    if not section.children or section.kind == "row":
        return True  # a table's row is one measure, whatever lists its cells hold
    if section.kind.startswith("md"):
        return False  # a markdown/HTML/Word heading is structure, never a list of conditions
    intro = text[section.body_start : section.intro_end()].rstrip()
    if _LIST_INTRO_RE.search(intro):
        return True
    children = [c for c in section.children if not _about_the_policy(text, c, nested=True)]
    if not children:
        return True
    if not supported:
        # A measure that names no money or relief (绿色通道, 法律服务, duties) stays whole — unless its parts are
        # titled measures of their own (一、…力度 （一）加强指导。… （三）简化手续。…): kept whole, a part
        # that grants enterprises something is lost with its neighbours, the departments' duties; split, each is
        # offered or withheld on its own words.
        titled = sum(1 for child in children if _TITLED_RE.match(text, child.body_start, child.end))
        return not (len(children) >= 2 and titled * 2 >= len(children))
    stated = sum(1 for child in children if _has_support(text[child.start : child.end]))
    if stated >= 2:
        return False
    if stated == 0:
        # The support is in the section's own opening (【优惠内容】…免征…), which no subsection holds:
        # split, that text would belong to no item. Its subsections are its details (bases, materials).
        return True
    if intro.endswith(("：", ":")):
        return True  # "对技改项目给予补助：1. … 2. …" — the clauses the intro announces
    # One support among the subsections: plain clauses are its conditions or tiers; titled measures
    # ("（二）强化服务。建立……") are separate, and only the supported one is offered.
    titled = sum(1 for child in children if _TITLED_RE.match(text, child.body_start, child.end))
    return titled * 2 < len(children)


def _title_of(heading: str, marker_text: str) -> str:
    return heading[len(marker_text) :].strip() if heading.startswith(marker_text) else heading


def _section_title(text: str, section: Section) -> tuple[str, str]:
    """Return a section's heading and its title (the heading without its marker)."""
    heading = section_heading(text, section)
    marker = text[section.start : section.body_start].strip().lstrip("#").strip()
    return heading, _title_of(heading, marker) or heading


# How a subsection about the policy opens its title when not with the part itself: （五）加强组织领导 / 强化监督管理.
_SAFEGUARD_VERB_RE = re.compile(r"(?:切实)?(?:加强|强化|健全|完善|严格)")


def _about_the_policy(text: str, section: Section, *, nested: bool) -> bool:
    """Tell whether a section is about the policy (总则, 保障措施, 申报程序 …) rather than something to apply for.

    A chapter (``nested`` False) is when its title names such a part anywhere (切实加强组织领导). A subsection
    is only when its title *is* that part (（三）申报材料 / （二）保障措施), maybe after a safeguard verb
    (（五）加强组织领导): inside a list of measures a title that merely holds the words (优化办理流程,
    落实各项保障措施) names a measure, and dropping it hides the measure from every enterprise it was for.
    """
    title = _section_title(text, section)[1]
    match = NON_ITEM_HEADING_RE.search(title)
    if match is None or not nested:
        return match is not None
    return match.start() == 0 or _SAFEGUARD_VERB_RE.fullmatch(title, 0, match.start()) is not None


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    path: tuple[str, ...]
    title: str
    supported: bool = True


def _collect(text: str, sections: list[Section], path: tuple[str, ...], out: list[_Span]) -> None:
    for section in sections:
        heading, title = _section_title(text, section)
        section.heading = heading
        if _about_the_policy(text, section, nested=bool(path)):
            continue
        here = (*path, heading)
        supported = _has_support(text[section.start : section.end])
        if _is_atomic(text, section, supported):
            out.append(_Span(section.start, section.end, here, title, supported))
        else:
            _collect(text, section.children, here, out)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Cut the document's closing remarks off a span, and surrounding whitespace."""
    trailer = _TRAILER_RE.search(text, start + 1, end)
    if trailer is not None:
        end = trailer.start()
    signature = _SIGNATURE_RE.search(text, start + 1, end)
    if signature is not None:
        end = signature.start()
    return _strip(text, start, end)


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    """Narrow a span past the whitespace at both ends and the markdown ``#`` at its start."""
    while end > start and text[end - 1].isspace():
        end -= 1
    while start < end and (text[start].isspace() or text[start] == "#"):
        start += 1
    return start, end


def _fulfilment(text: str, default: str | None) -> str | None:
    for name, pattern in _FULFILMENT_PATTERNS:
        if pattern.search(text):
            return name
    return default if default in FULFILMENTS else None


def _measures(text: str, tree: list[Section], spans: list[_Span]) -> bool:
    """Tell whether numbered parts that state no support are measures of their own (一、落实主体责任。…).

    Not when there is one, when the opening announces them as its conditions, cases or materials,
    or when most are no titled measure but plain clauses (（1）注册资本不得少于200万元；).
    """
    if len(spans) < 2 or _CONDITIONS_INTRO_RE.search(text[: tree[0].start]):
        return False
    titled = 0
    for span in spans:
        marker = MARKER_RE.match(text, span.start)
        if marker is not None and _TITLED_RE.match(text, marker.end(), span.end):
            titled += 1
    return titled * 2 >= len(spans)


def split_policy(doc: PolicyDocument) -> list[PolicyItem]:
    """Return the items of a policy document, numbered 1.. in document order (see the module docstring)."""
    text = doc.text
    spans: list[_Span] = []
    tree = build_tree(text)
    _collect(text, tree, (), spans)
    if not any(span.supported for span in spans) and not _measures(text, tree, spans):
        # One numbered part, or parts that are the list of conditions the opening announces
        # (…须满足以下条件：1. … 2. …): the document is one item (below).
        spans = []
    items: list[PolicyItem] = []
    for span in spans:
        # Closing remarks (施行日期, 解释权, signature) trail only the section that runs to the end.
        start, end = (
            _trim(text, span.start, span.end) if span.end >= len(text) else _strip(text, span.start, span.end)
        )
        if end <= start:
            continue
        item = _item(doc, len(items) + 1, span.path, span.title or doc.title, text[start:end])
        if not span.supported and not grants_enterprises(item.text):
            # A numbered measure that names no money, relief or service beside ones that do (组织领导,
            # 加强监管, duties of departments) is kept with its document, never offered — unless it
            # grants enterprises something all the same (对…承运企业，可先行放行).
            item = dataclasses.replace(item, is_policy=False)
        items.append(item)
    if not items and text.strip():
        start, end = _trim(text, 0, len(text))
        items.append(_item(doc, 1, (), doc.title, text[start:end] or text))
    return items


def _item(doc: PolicyDocument, seq: int, path: tuple[str, ...], title: str, body: str) -> PolicyItem:
    """Item ``seq`` of ``doc``: ``body`` under ``path`` and ``title``, with the document's metadata and facts."""
    return PolicyItem(
        id=item_id(doc.id, seq),
        policy_id=doc.id,
        seq=seq,
        heading_path=path,
        title=title,
        text=body,
        region_code=doc.region_code,
        department=doc.department,
        fulfilment=_fulfilment(body, doc.fulfilment),
        issued=doc.issued,
        valid_until=doc.valid_until,
        **_item_facts(doc),
    )


def _item_facts(doc: Any) -> dict[str, Any]:
    """Return the document facts every item of the document carries (docs/conditions.md §5)."""
    return {
        key: getattr(doc, key)
        for key in ("is_policy", "doc_type", "valid_from", "window_open", "window_close")
        if hasattr(doc, key)
    }
