"""Training text for the document-type classifier, written for this project (no third-party text).

:func:`examples` returns ``(text, doc_type, is_policy)`` triples from slot-filled
templates in the project's own words — policies, 申报通知 and answers that state
who qualifies (policies), and news, meeting reports, 公示 / 拟资助名单, 中标 /
采购公告, office how-tos and tips (not policies) — plus policy documents of the
demo generator. Deterministic for a seed, so the fitted model is the same on every machine.
"""

from __future__ import annotations

import random

_PLACES = (
    "台州市",
    "椒江区",
    "黄岩区",
    "路桥区",
    "温岭市",
    "临海市",
    "玉环市",
    "天台县",
    "仙居县",
    "三门县",
    "浙江省",
    "宁波市",
    "杭州市",
    "嘉兴市",
    "湖州市",
    "金华市",
    "北京市",
    "海淀区",
    "广州市",
    "天河区",
    "江苏省",
    "泰州市",
    "南通市",
    "山东省",
    "福建省",
    "厦门市",
    "四川省",
    "遂宁市",
    "湖南省",
    "湘潭市",
)
_DEPTS = (
    "经济和信息化局",
    "科学技术局",
    "商务局",
    "财政局",
    "人力资源和社会保障局",
    "发展和改革局",
    "农业农村局",
    "市场监督管理局",
    "文化广电旅游局",
    "住房和城乡建设局",
    "税务局",
    "人民政府",
    "人民政府办公室",
    "医疗保障局",
)
_SUBJECTS = (
    "规模以上工业企业",
    "中小微企业",
    "高新技术企业",
    "科技型中小企业",
    "专精特新中小企业",
    "外贸企业",
    "服务业企业",
    "小微企业",
    "个体工商户",
    "农业龙头企业",
    "软件企业",
    "批发零售企业",
    "文旅企业",
    "建筑企业",
    "物流企业",
)
_SUPPORTS = (
    "给予一次性奖励{n}万元",
    "按设备投资额的{p}%给予补助，最高不超过{n}万元",
    "给予贷款贴息，贴息比例{p}%",
    "返还上年度实际缴纳失业保险费的{p}%",
    "减半征收房产税和城镇土地使用税",
    "给予最高{n}万元的研发费用补助",
    "按实际租金的{p}%给予租金补贴",
    "给予每人{n}千元的培训补贴",
    "免收{n}个月的场地租金",
    "给予担保费补助",
    "按销售额的{p}%给予奖励",
    "给予不超过{n}万元的资金支持",
    "享受研发费用加计扣除政策",
)
_CONDITIONS = (
    "在本{lvl}注册登记且依法纳税",
    "上年度营业收入达到{n}千万元以上",
    "研发投入占营业收入比例不低于{p}%",
    "近三年无重大安全生产事故",
    "未被列入失信被执行人名单",
    "成立满{k}年",
    "职工人数{k}0人以上",
    "获得省级专精特新中小企业认定",
    "亩均效益综合评价为A类或B类",
    "当年新增设备投资{n}00万元以上",
    "有效发明专利{k}件以上",
    "纳税信用等级为A级或B级",
    "属于制造业企业",
    "参保职工不少于{k}0人",
)
_TOPICS = (
    "数字化改造",
    "技术改造",
    "稳岗就业",
    "小升规",
    "专精特新培育",
    "外贸稳增长",
    "科技创新",
    "人才引进",
    "服务业复苏",
    "首台套推广",
    "质量品牌",
    "总部经济",
    "绿色低碳",
    "企业上市",
    "现代农业",
    "复工复产",
)
_PERSONS = ("张明", "李华", "王强", "陈静", "刘洋", "赵磊", "周敏", "吴刚")
_COMPANIES = (
    "恒远机械有限公司",
    "海诚电子科技有限公司",
    "东方新材料股份有限公司",
    "瑞丰食品有限公司",
    "华星智能装备有限公司",
    "永盛塑业有限公司",
    "联创软件有限公司",
    "青禾农业发展有限公司",
    "凯达汽配有限公司",
    "安泰医疗器械有限公司",
)


def _fill(r: random.Random, template: str, level: str = "市") -> str:
    return template.format(
        n=r.choice((5, 10, 20, 30, 50, 100, 200)),
        p=r.choice((5, 8, 10, 20, 30, 50)),
        k=r.choice((1, 2, 3, 5)),
        lvl=level,
    )


def _org(r: random.Random) -> str:
    return r.choice(_PLACES) + r.choice(_DEPTS)


def _date(r: random.Random) -> str:
    return f"{r.choice((2021, 2022, 2023, 2024))}年{r.randint(1, 12)}月{r.randint(1, 28)}日"


def _policy(r: random.Random) -> str:
    org, topic = _org(r), r.choice(_TOPICS)
    kind = r.choice(("若干政策", "若干措施", "实施细则", "管理办法", "实施意见", "扶持办法"))
    parts = [
        f"{org}关于印发《{topic}{kind}》的通知",
        "各有关单位：",
        f"为推动{topic}，结合本地实际，制定如下政策。",
    ]
    numbers = ("一、", "二、", "三、", "四、", "五、", "六、")
    for number in numbers[: r.randint(2, 5)]:
        conditions = "、".join(_fill(r, c) for c in r.sample(_CONDITIONS, r.randint(1, 3)))
        subject = r.choice(_SUBJECTS)
        support = _fill(r, r.choice(_SUPPORTS))
        parts.append(f"{number}对{conditions}的{subject}，{support}。")
    if r.random() < 0.6:
        parts.append(r.choice(("同一企业同一项目按就高原则不重复享受。", "本政策适用于在本市注册的企业。")))
    if r.random() < 0.6:
        parts.append(f"本政策自印发之日起施行，有效期{r.choice(('三年', '2年', '一年'))}。")
    parts.append(f"{org} {_date(r)}")
    return "\n".join(parts)


def _notice(r: random.Random) -> str:
    org, topic = _org(r), r.choice(_TOPICS)
    year = r.choice((2022, 2023, 2024))
    conditions = "；".join(f"（{i + 1}）{_fill(r, c)}" for i, c in enumerate(r.sample(_CONDITIONS, 3)))
    return "\n".join(
        (
            f"关于组织申报{year}年度{topic}专项资金项目的通知",
            "各区县经信部门、各有关企业：",
            f"根据《{topic}扶持办法》，现将{year}年度项目申报工作通知如下。",
            f"一、申报条件 申报企业应同时符合以下条件：{conditions}。",
            f"二、支持标准 {_fill(r, r.choice(_SUPPORTS))}。",
            f"三、申报时间 {year}年{r.randint(2, 5)}月1日至{r.randint(6, 9)}月30日。",
            "四、申报材料 申请表、营业执照复印件、财务报表。",
            f"联系人：{r.choice(_PERSONS)}  {org}",
        )
    )


def _policy_answer(r: random.Random) -> str:
    subject = r.choice(_SUBJECTS)
    conditions = "；".join(
        f"{i + 1}.{_fill(r, c)}" for i, c in enumerate(r.sample(_CONDITIONS, r.randint(1, 3)))
    )
    lead = r.choice(
        (
            f"符合下列条件的{subject}可以申请：{conditions}。",
            f"根据相关办法规定，{subject}同时满足以下条件的，{_fill(r, r.choice(_SUPPORTS))}：{conditions}。",
            f"申请{r.choice(_TOPICS)}补贴的企业须{_fill(r, r.choice(_CONDITIONS))}，经审核后{_fill(r, r.choice(_SUPPORTS))}。",
            f"{subject}{_fill(r, r.choice(_CONDITIONS))}的，可按规定{_fill(r, r.choice(_SUPPORTS))}。",
        )
    )
    return lead


def _news(r: random.Random) -> str:
    place, person = r.choice(_PLACES), r.choice(_PERSONS)
    topic = r.choice(_TOPICS)
    return r.choice(
        (
            f"{place}召开{topic}工作推进会\n{_date(r)}上午，{place}召开{topic}工作推进会。会议听取了各部门工作进展汇报，"
            f"分析研判当前形势，部署下一阶段重点任务。{person}在会上强调，要提高政治站位，压实工作责任，确保各项工作落到实处。",
            f"记者从{place}{r.choice(_DEPTS)}获悉，今年以来该地累计为企业减负{r.randint(2, 90)}亿元，"
            f"惠及市场主体{r.randint(1, 9)}万户。据介绍，下一步将继续优化服务，推动政策直达快享。（记者 {person}）",
            f"{person}到{r.choice(_COMPANIES)}调研{topic}工作\n{_date(r)}，{person}深入企业车间，详细了解生产经营情况，"
            "听取企业负责人意见建议。他指出，要坚持问题导向，帮助企业解决实际困难。",
            f"新华社{place}{r.randint(1, 28)}日电 {place}日前出台系列举措支持{topic}，据悉相关部门已累计发放资金"
            f"{r.randint(1, 50)}亿元。专家表示，这些举措有助于提振市场信心。",
            f"{place}{topic}成效显著\n近日，{place}{topic}工作取得新进展。截至目前，全市已有{r.randint(10, 500)}家企业"
            "参与其中，相关负责人介绍，下一步将总结经验做法，加大宣传推广力度。",
            f"{place}举行新闻发布会 介绍{topic}有关情况\n发布会上，{r.choice(_DEPTS)}负责人介绍了近期工作情况，"
            "并回答了记者提问。发布内容：一是加强组织领导；二是强化要素保障；三是优化营商环境。",
        )
    )


def _result(r: random.Random) -> str:
    org, topic = _org(r), r.choice(_TOPICS)
    year = r.choice((2022, 2023, 2024))
    names = "\n".join(
        f"{i + 1} {c} {r.randint(5, 200)}万元" for i, c in enumerate(r.sample(_COMPANIES, r.randint(3, 6)))
    )
    return r.choice(
        (
            f"关于{year}年度{topic}专项资金拟资助项目的公示\n经企业申报、专家评审，现将拟资助项目名单予以公示。"
            f"公示期为{r.randint(5, 7)}个工作日。如有异议，请在公示期内以书面形式向{org}反映。\n{names}",
            f"{year}年{topic}拟认定企业名单公示\n根据认定工作安排，经审核，拟认定以下企业，现予公示。"
            f"公示时间：{_date(r)}至{_date(r)}。联系电话：{r.randint(80000000, 89999999)}。\n{names}",
            f"关于公布{year}年度{topic}示范企业名单的通知\n经评审，确定以下企业为示范企业，现予以公布。\n{names}",
            f"{org}关于{topic}补助资金拨付结果的公告\n现将补助资金拨付结果公告如下：\n{names}",
        )
    )


def _procurement(r: random.Random) -> str:
    org, company = _org(r), r.choice(_COMPANIES)
    item = r.choice(
        ("办公设备采购项目", "信息化系统建设项目", "物业管理服务项目", "道路维修工程", "宣传服务项目")
    )
    return r.choice(
        (
            f"{org}{item}中标结果公告\n项目编号：ZC{r.randint(100000, 999999)}\n中标供应商：{company}\n"
            f"中标金额：{r.randint(10, 900)}万元\n评审专家名单：{'、'.join(r.sample(_PERSONS, 3))}",
            f"{org}{item}公开招标公告\n采购人：{org}\n预算金额：{r.randint(10, 900)}万元\n"
            f"投标截止时间：{_date(r)}\n供应商资格要求：具有独立承担民事责任的能力。",
            f"{item}成交公告\n采购方式：竞争性磋商\n成交供应商：{company}\n成交金额：{r.randint(10, 900)}万元",
        )
    )


def _howto(r: random.Random) -> str:
    system = r.choice(("网上办事大厅", "电子税务局", "政务服务网", "企业服务平台", "申报系统"))
    return r.choice(
        (
            f"登录{system}后，点击“忘记密码”，输入注册时的手机号和验证码，即可重新设置密码。如仍无法登录，请拨打技术支持电话。",
            f"用户可通过{system}首页的“办事指南”栏目查询办理流程，按提示上传材料并提交，系统将自动生成受理回执。",
            f"{system}将于本周末进行升级维护，维护期间暂停服务，给您带来的不便敬请谅解。",
            f"请使用谷歌或火狐浏览器访问{system}，首次使用需完成实名认证。扫码登记后可查看办理进度。",
        )
    )


def _duty(r: random.Random) -> str:
    """Write what a body or an enterprise must do, or a warning: it grants nobody anything (no policy)."""
    org, subject, topic = _org(r), r.choice(_SUBJECTS), r.choice(_TOPICS)
    return r.choice(
        (
            f"{subject}应当自取得施工许可之日起{r.randint(10, 30)}个工作日内，持营业执照到经办银行开立专用账户，"
            "按规定存储保证金，并每月报送用工情况。",
            f"{org}负责本辖区{topic}的组织实施和监督检查工作，各有关部门按照职责分工做好配合。",
            f"{org}从未委托任何机构或个人代理{topic}项目申报，也未授权开展收费培训，相关活动与本项目无关，请企业注意甄别。",
            "申报单位应对所报材料的真实性负责。弄虚作假骗取资金的，一经查实，追回已拨付资金，并记入信用记录。",
            f"依照有关规定，符合下列情形之一的建设项目，建设单位应当在开工前进行{topic}评估：位于重点区域的；"
            f"用地面积{r.randint(1, 9)}万平方米以上的。",
            f"{org}关于{topic}工作的安全提示\n近期气温回升，各单位要落实安全生产主体责任，开展隐患排查，"
            "严禁违规作业，发现问题及时整改。",
            f"{org}关于捐赠款物接收情况的说明\n社会各界踊跃捐款捐物，现将接收账户和联系方式说明如下："
            f"账户名称：{org}，咨询电话：{r.randint(80000000, 89999999)}。",
        )
    )


def _tips(r: random.Random) -> str:
    return r.choice(
        (
            "发生火灾时，应立即拨打119报警，用湿毛巾捂住口鼻，沿疏散通道有序撤离，不要乘坐电梯。",
            "雷雨天气请减少外出，远离高压线和大树，在室内关闭门窗，切断不必要的电器电源。",
            "进入公共场所请佩戴口罩，保持社交距离，勤洗手、常通风，出现发热症状及时就医。",
            "冬季取暖要注意用电安全，不私拉乱接电线，使用燃气时保持通风，防止一氧化碳中毒。",
        )
    )


def examples(seed: int = 14, per_kind: int = 60) -> list[tuple[str, str, bool]]:
    """``(text, doc_type, is_policy)`` training examples in the project's own words, deterministic for ``seed``."""
    r = random.Random(seed)
    out: list[tuple[str, str, bool]] = []
    makers = (
        (_policy, "policy", True),
        (_notice, "notice", True),
        (_policy_answer, "qa", True),
        (_news, "news", False),
        (_result, "result", False),
        (_procurement, "procurement", False),
        (_howto, "other", False),
        (_tips, "other", False),
        (_duty, "other", False),
    )
    for make, doc_type, is_policy in makers:
        for _ in range(per_kind):
            out.append((make(r), doc_type, is_policy))
    out.extend(_demo_policies(seed))
    return out


def _demo_policies(seed: int, count: int = 40) -> list[tuple[str, str, bool]]:
    """Policy documents of the demo generator (its own templates), as further policy examples."""
    from corpus.demo import generate

    corpus = generate(seed, n_policies=count, n_enterprises=1)
    return [(p.title + "\n" + p.text, "policy", True) for p in corpus.policies]
