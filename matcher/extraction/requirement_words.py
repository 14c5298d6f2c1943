"""The words that say a part states a requirement, and the ones that say it does not (no silent yes).

Split out of :mod:`matcher.extraction.silent`, which reads parts and clauses with them: a binding
须 / 应当, a requirement on the applicant, conditions named but not stated (符合条件的企业), and what
stands in for nothing — procedure, the target of a measure, a duty of the authorities or of others,
the lead-in of a list.
"""

from __future__ import annotations

import re

from matcher.extraction.clauses import _CLAUSE_END, _LIST_MARK_RE

# 满足市场主体资金需求 / 有效满足…金融服务需求: the authorities meet someone's needs, no requirement met.
_NEEDS = r"[^，。；;]{0,20}?(?:需求|需要)"
_MEETS_NEEDS_RE = re.compile(r"满足" + _NEEDS)
# 须 / 必须 / 应当 binding whoever applies, in a part (_REQUIREMENT_RE) and in a clause (_CLAUSE_REQUIREMENT_RE); not
# 相应当 / 供应当 … / 应当要. Tiers' _OBLIGATION_RE differs on purpose: it adds 需要 and reads 无须 / 不须 as no duty.
_BINDING = r"(?<![相供反适效])(?:须|必须|应当)(?!要)"
# 符合条件的企业，可按规定给予…: the conditions are set elsewhere (a rule the item names not), and an enterprise
# may or may not meet them — a requirement read as nothing would make the item everyone's.
_UNSTATED_RE = re.compile(
    r"符合(?:相关|规定)?条件的(?:中小微企业|中小企业|小微企业|企业|单位|纳税人|市场主体)"
)
# 符合条件的企业按年度向…申报，经…审核后兑现: how whoever meets the item's own conditions applies — procedure.
_APPLIES_RE = re.compile(r"申报|申请|提交|审核|兑现|办理|登录")


def _unstated_requirement(words: str) -> bool:
    """Whether a part names its beneficiary by conditions it does not state (符合条件的企业，可按规定给予…)."""
    match = _UNSTATED_RE.search(words)
    return match is not None and not _APPLIES_RE.search(words, match.end())


# What makes a part state a requirement on the enterprise.
_REQUIREMENT_RE = re.compile(
    r"(?:企业|单位|主体|机构|项目|申请人|申报人|纳税人)[^，。；]{0,4}(?<![无不毋免])(?:须|需|应当?|必须|要)(?!求|对|用|急|收|付)"
    r"|"
    + _BINDING
    + r"|(?:符合|满足(?!"
    + _NEEDS
    + r")|具备|具有|达到)(?!条件的)(?![^，。；]{0,4}(?:规定|要求)(?:的|，))"
    r"|不(?:低|少)于|(?:以上|以下|以内)的"
    r"|(?:的|等)(?:企业|单位|机构|纳税人|市场主体|商户|个体工商户|项目)[^，。；]{0,6}(?:均可|均能|可|可以|方可)(?:申请|申报|享受|参与)"
    r"|(?:应|须|需)属于|限于|仅限"
    r"|(?:不得|不能|不予)(?:申报|申请|享受)"
    r"|(?:受|因)(?:疫情|新冠)"
    r"|(?:未|不)裁员"
    # 提供…工商变更材料: a procedure for a change the enterprise must have gone through (its name, its owners).
    r"|(?:名称|工商|股权|地址|注册)变更(?:材料|证明|登记)"
)
# When and how to apply (申报时间为… / 企业应将…填入 / 应于…前提交 / 不接受线下申报), and the words that
# every enterprise may have it (无论…均可): no requirement, and no stand-in for one.
_PROCEDURE = (
    r"(?:申报|申请|受理)时间(?:为|是|：|:)|(?:须|需|应当?)(?:将|于|如实|向)"
    r"|(?:不|暂不|不再)(?:接受|受理)(?:线上|线下|现场|纸质|邮寄)?(?:申报|申请|材料)"
    r"|无论[^。；;]{1,30}?(?:还是|或是|或者|与否)[^。；;]{0,30}?(?:均|都)(?:可|能)"
    # A step of the filing (在办理纳税申报时，应当填写…栏次 / 应当注明 / 应在…前向海关办理手续): how, not who.
    r"|(?:在|于)办理[^，。；;]{0,30}?时"
    r"|(?:须|需|应当?)(?:填写|填报|注明|开具|报送|提交|上传|留存|补报)"
    r"|(?:须|需要?|应当?)在[^，。；;]{0,20}?(?:前|之前|以前|内)"
    # When filing or paying is due, moved for every payer (征收期延长至3月底 / 纳税期限由按季度调整为按半年 /
    # 可以…一并在6月底前申报缴纳): the calendar, no requirement.
    r"|(?:征收期|纳税期限|申报期限|缴费期限?)[^，。；;]{0,12}?(?:延长至|延长到|调整为|顺延至|由)"
    r"|在[^，。；;]{0,16}?(?:前|之前|以前)[^，。；;]{0,4}?(?:申报|缴纳|提交|报送|补办)"
    # A material to hand in (《…登记表》2份 / …扫描件等相关材料).
    r"|[》」][^，。；;]{0,4}[\d一二两三]+份|等(?:相关|有关|申报|证明)?材料|扫描件|复印件"
)
_PROCEDURE_RE = re.compile(_PROCEDURE)
# A target the authorities set themselves (力争实现95%以上, 确保信贷余额不低于上年同期): what they aim at,
# no requirement on an enterprise, whatever threshold words it holds.
_TARGET = (
    r"力争|确保"
    # A lender's own book and terms (贷款增速不低于20% / 有贷款余额的户数不低于上年 / 利率下浮10%以上 /
    # 担保费率降至1%以下): what the lender is asked to reach, not what a borrower must be.
    r"|(?:贷款|信贷|授信)[^，。；;]{0,12}?(?:增速|余额|馀额|增量)|户数不低于|利率[^，。；;]{0,12}?(?:下浮|上浮)"
    r"|费率[^，。；;]{0,6}?(?:降低|降|下调)至"
)
_TARGET_RE = re.compile(_TARGET)
# A part that only points at requirements stated elsewhere, or describes the procedure.
_NOT_A_REQUIREMENT_RE = re.compile(
    r"^(?:符合|满足|具备)(?:下列|以下|如下|上述|相关)?(?:条件|要求)|(?:申报|申请)(?:材料|程序|流程|方式|时间)|咨询|电话|邮箱|网址|登录|提交"
    # A lead-in to the list that states the requirements (享受本条政策须同时满足以下条件：①…).
    r"|(?:符合|满足|具备|达到)(?:下列|以下|如下)(?:全部|所有)?(?:条件|要求|标准)"
    # How the support is paid (实行“免申即享”…企业无需申报), not what the enterprise must be.
    r"|免申即享|无需申报|无需申请|直接兑付|直接兑现"
    r"|" + _PROCEDURE + r"|" + _TARGET
)
# What an authority or a lender is to do (各级税务机关要…, 金融机构要适当下调…贷款利率, 鼓励融资租赁公司…减免租金):
# a duty or an encouragement of someone other than the applicant, no requirement on the enterprise, whatever
# obligation or threshold words follow. Matched at the opening of a clause only; the lazy gap is bounded.
_OTHERS_DUTY_RE = re.compile(
    r"(?:各级|各地|各类|各|有关|相关|全省|全市|全区|辖区内)?[^，。；;：:]{0,16}?"
    r"(?:部门|机构|银行|机关|政府|财政|海关|税务局|融资租赁公司|保险公司|担保公司|国有企业)"
    r"(?:要|应当?|须|需|必须|务必)(?!求)"
    r"|(?:鼓励|支持|引导|督促|推动|发挥)[^，。；;：:]{0,16}?"
    r"(?:金融机构|银行|担保机构|融资租赁公司|保险公司)"
)


# A part that asks nothing of the enterprise (issue 14): it opens with an encouragement (鼓励企业…), with an office as
# its subject (…部门上门走访…), or with what the authorities set up or do themselves (设立…专项资金 / 搭建…平台 /
# 延迟缴纳…), and the enterprises it names are enterprises at large — the object of the help (支持企业 / 帮助各类企业 /
# 为企业), never a kind (…的企业, 外贸企业). What such a part says is done for everyone; it narrows whom the item is
# for by nothing. An office named in a rule's title (财政部 税务总局公告) is no subject.
_ASKS_NOTHING_OPENING_RE = re.compile(
    r"(?:鼓励|倡导|引导|动员)"
    r"|(?![对为向与])[^，。；;：:的]{0,12}?(?:部门|机关|政府|财政|管委会|税务局|海关|人民银行)"
    r"(?![部厅局委署总\s　]|的|公告|要求|规定|认定|批准|核准|审核)"
    r"|(?:积极|全力|主动|及时)?(?:设立|搭建|建立|健全|完善|强化|加强|加大|充分发挥|发挥|推行|延迟|延期|开通|开设|统筹|优化"
    r"|深化|畅通|做好)"
)
_AT_LARGE = r"(?:企业|用人单位|市场主体|纳税人|缴费人|商户|个体工商户)"
# The words before enterprises at large: the help done to them, a preposition, or every one of them.
_AT_LARGE_BEFORE_RE = re.compile(
    r"(?:鼓励|倡导|引导|动员|支持|帮助|协助|扶持|服务|助力|指导|辅导|督促|推动|收集|了解|回应|响应|方便|便利|惠及|"
    r"为|对|向|与|让|使|各类|广大|全体|所有|全市|全省|全区|全县|、|和|及|（|\()$"
)
_AT_LARGE_RE = re.compile(_AT_LARGE)
# Nouns that may name what the item is for (a kind of project, goods, premises, a body): a part naming one is read.
_OTHER_SUBJECT_RE = re.compile(r"项目|物资|货物|农户|园区|机构|场所|设施|单位(?<!用人单位)|主体(?<!市场主体)")
# …的企业 / 受影响的商户: a kind named by what it does or has (not 的原则).
_OF_A_KIND_RE = re.compile(r"的[^，。；;]{0,10}?" + _AT_LARGE)
# 对确需当面办理的，实行预约 / 对于必须去窗口办理的，只跑一次: the matters an office still
# handles in person (what it does for them is its own service), no one the measure is for — unless the clause names
# whom (对确需当面办理年审的货运企业).
IN_PERSON_RE = re.compile(
    r"对于?[^，。；;]{0,4}?(?:确需|确实需要|需要|需|必须)[^，。；;]{0,20}?办理(?![^，。；;]*?"
    + _AT_LARGE
    + ")"
)


def asks_nothing(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is an encouragement, an office's act or the authorities' own, toward every enterprise.

    It names no kind of enterprise (…的 + a noun, a compound before 企业, a project, goods, premises) and no one the
    help is toward but enterprises at large.
    """
    mark = _LIST_MARK_RE.match(text, start, end)
    at = mark.end() if mark else start
    while at < end and text[at] in " 　\t":
        at += 1
    if not _ASKS_NOTHING_OPENING_RE.match(text, at, end):
        return False
    words = IN_PERSON_RE.sub("", text[at:end])
    if _OF_A_KIND_RE.search(words) or _OTHER_SUBJECT_RE.search(words):
        return False
    return all(_AT_LARGE_BEFORE_RE.search(words, 0, m.start()) for m in _AT_LARGE_RE.finditer(words))


# 对 / 为 / 向 / 与…企业 inside a clause: whom the measure is toward (加大对…企业的支持, 为…企业提供, 与…单位对接).
_TOWARD_RE = re.compile(
    r"(?:对|为|向|与)[^，。；;,：:]{1,60}?(?:企业|单位|主体|商户|个体工商户|纳税人|大户|农户|合作社|家庭农场)"
)


def _past_others_duties(text: str, start: int, end: int) -> int:
    """Return where the applicant's words begin in a span opening with what another body is to do, else ``start``.

    The body stays the subject over the commas after it (金融机构要下调…利率，减轻企业财务负担): its words
    end at the span's end, or where a clause names a beneficiary of its own (…，对…企业给予贴息).
    """
    mark = _LIST_MARK_RE.match(text, start, end)
    at = mark.end() if mark else start
    if not _OTHERS_DUTY_RE.match(text, at, end):
        return start
    clause_start = at
    for n in range(at, end + 1):
        if n < end and text[n] not in _CLAUSE_END:
            continue
        # 银行业金融机构要…，加大对疫情防控物资生产企业的支持力度: the enterprises the duty is toward are the
        # item's beneficiary, and what makes them so is a requirement (the opening clause too: keep it all).
        if _TOWARD_RE.search(text, clause_start, n):
            return start if clause_start == at else clause_start
        clause_start = n + 1
    return end


# 对同时符合下列条件的企业，给予…: the beneficiary is whoever meets the list, which says the requirements.
_LIST_LEAD_RE = re.compile(
    r"(?:符合|满足|具备|达到)(?:下列|以下|如下)(?:全部|所有)?(?:条件|要求|标准)"
    # 须同时满足：（1）… — a list follows the colon.
    r"|(?:须|应|需|必须|应当)?同时(?:满足|符合|具备)(?:条件|要求)?[：:]"
)


def _opens_a_list(text: str, span: tuple[int, int]) -> bool:
    """Whether a stand-in's words only open a list (须同时满足：（1）…): the list says the requirements.

    The character after the span is read too: the span stops before the colon that opens the list.
    """
    return bool(_LIST_LEAD_RE.search(text, span[0], min(len(text), span[1] + 1)))
