"""Policy vocabulary the rules read: metrics, sizes, industries, exclusions, undecidable requirements.

Each table maps how Chinese policy text says a thing to the condition
language of conditions.md. Qualification titles, regions and GB/T 4754 names
come from :mod:`corpus.reference`.
"""

from __future__ import annotations

# Metric words → profile field, most specific first (a threshold's field is the nearest one before it).
METRICS: tuple[tuple[str, str], ...] = (
    # Fields of the condition language v2 (docs/conditions.md §4), before the broader words they hold.
    (r"(?:有效)?发明专利(?:授权)?(?:数量|数)?", "invention_patents"),
    (r"(?:自主)?知识产权(?:数量|数)?|(?:I|Ⅰ)类知识产权", "ip_count"),
    (
        r"(?:研发|科技|研究开发)人员(?:数)?占(?:企业)?(?:当年)?(?:(?:职工|从业人员|员工)(?:总数|总人数|人数)?(?:的)?(?:比(?:例|重))?|比(?:例|重))|(?:研发|科技)人员占比",
        "rd_staff_ratio",
    ),
    (
        r"高新技术产品(?:（服务）|\(服务\))?收入占(?:企业)?(?:同期)?(?:总收入|营业收入|销售收入)?(?:的)?比(?:例|重)?|高新技术产品(?:（服务）|\(服务\))?收入占比",
        "hightech_income_ratio",
    ),
    # Staff counted as insured (参保职工 / 参保员工 / 参加社会保险的职工 / 社保缴纳人数), not the head-count
    # (docs/conditions.md).
    (
        r"参保(?:职工|员工)?人数|参保(?:职工|员工)|参加(?:社会保险|社保)的?(?:职工|员工)(?:人数)?"
        r"|缴纳社(?:会)?保(?:险)?(?:的)?(?:职工|员工)?人数|社保缴纳人数",
        "insured_employees",
    ),
    (
        r"研发(?:费用|投入|经费)(?:总额)?占(?:企业)?(?:同期)?(?:主营业务|营业|销售)?收入(?:总额)?(?:的)?比(?:例|重)?",
        "rd_ratio",
    ),
    (r"研发(?:费用|投入|经费)(?:投入)?(?:强度|占比)", "rd_ratio"),
    (r"(?:主营业务收入|营业收入|销售收入|营收)(?:同比)?(?:增长率|增幅|增速|增长)", "revenue_growth"),
    # 开票销售(额): invoiced sales, how a county's 复工 or 奖励 batches name revenue.
    (r"(?:年度?)?(?:主营业务收入|营业收入|销售收入|营业额|营收|销售额|开票销售(?:收入|额)?)", "revenue"),
    (
        r"(?:从业人员|从业人数|职工人数|员工人数|在职职工(?:人数)?|在岗人数|职工总数|用工人数|员工总数)",
        "employees",
    ),
    (r"(?:资产总额|总资产)", "total_assets"),
    (r"研发(?:费用|投入|经费)(?:总额|支出)?", "rd_expense"),
    # 地方财政贡献 / 财政贡献: the taxes an enterprise pays that stay with the local budget, read as 纳税.
    (
        r"(?:纳税总额|纳税额|实缴税金|缴纳税收|税收贡献|入库税收|实缴税收|年度?纳税|(?:地方)?财政贡献"
        # A bare 纳税 right before its figure (纳税达到300万元), never 纳税人 / 纳税信用.
        r"|纳税(?=(?:达到|超过|不低于|不少于|在)?(?:[\d一二三四五六七八九十两]|$)))",
        "tax_paid",
    ),
    (r"(?:工业总产值|工业产值|年产值|产值)", "output_value"),
    (r"(?:出口额|出口交货值|自营出口额|进出口额)", "export_value"),
    (r"(?:设备投资|技改投资|固定资产投资|项目总投资|总投资|投资额|投资总额)", "investment"),
)

# Metrics with no profile field: a threshold on them is ``undecidable``, never a guess.
UNDECIDABLE_METRICS = (
    r"裁员率",
    r"应纳税所得额",
    r"(?:利润总额|净利润|利润)",
    r"(?:平均)?(?:职工|员工)(?:平均)?人数与上年",
    r"(?:出口额|营业收入)?(?:同比)?(?:增长|增速)",
    r"资产负债率",
    r"亩均税收",
)

NUMERIC_UNITS = {
    "employees": ("人", "名"),
    "revenue": ("money",),
    "total_assets": ("money",),
    "rd_expense": ("money",),
    "tax_paid": ("money",),
    "output_value": ("money",),
    "export_value": ("money",),
    "investment": ("money",),
    "rd_ratio": ("%", "个百分点"),
    "invention_patents": ("件", "项", "个"),
    "ip_count": ("件", "项", "个"),
    "rd_staff_ratio": ("%",),
    "hightech_income_ratio": ("%",),
    "insured_employees": ("人", "名"),
    "revenue_growth": ("%", "个百分点"),
}

# Words around a number that make it the support (an amount given), not a requirement.
SUPPORT_WORDS = r"(?:减按|税率|给予|奖励|奖补|补助|补贴|资助|贴息|最高|上限|额度|不超过[^，。；]{0,6}的|按照|按|标准|减免|返还|降至|下浮|期限|贷款|担保金额|费率|利率)"

# Words that make a head-count a count of people the enterprise moves or hires (not its size).
HEADCOUNT_ACTIVITY = r"(?:输送|吸纳|招用|招聘|招收|培训|带动|新增就业|安置|介绍)"

# 企业规模 phrases → size classes.
SIZE_PHRASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"中小微型?企业|中小微|中、小、微型企业", ("中", "小", "微")),
    (r"中小型?企业", ("中", "小", "微")),
    (r"小型、微型企业|小型微型企业|小微型?企业|小微(?=、)", ("小", "微")),
    (r"微型企业", ("微",)),
    (r"大型企业", ("大",)),
    (r"中型企业", ("中",)),
)
# Nouns after a size phrase that make it a name of something else (a fund, a platform, a carrier).
SIZE_BLOCKERS = (
    r"公共服务平台|发展专项资金|专项资金|特色载体|创业创新基地|划型标准|法律服务团|融资服务|服务窗口|贷款余额|贷款增速|"
    r"融资成本|信贷|贷款利率|贷款平均利率|不良贷款|综合融资成本|发展基金|服务平台|服务中心|工作领导小组|促进|"
    # A bank's lending to them (中小企业贷款投放) and an office named after them (中小企业科, 中小企业局).
    r"贷款投放|[科局处](?=[\s，。；、：:]|$)"
    # Any lending to them (小微企业贷款担保风险补偿, 中小企业融资成本): the lenders' business, not a size asked of
    # the enterprise — save a subsidy of their loans' interest (中小企业贷款贴息) and a guarantee of their loans.
    r"|贷款(?![^，。；]{0,6}贴息)|融资(?!担保)"
    # 对中小微租户减免租金: the tenants a landlord is urged to relieve; the measure is the landlord's.
    r"|租户"
    # The same lending said of them and others (小微企业和个体户经营贷款, 中小企业及“三农”业务): a lender's business.
    r"|(?:和|及|与|、)[^，。；;的]{0,8}?(?:贷款|业务)(?![^，。；]{0,6}贴息)"
)
# 小型微利企业 is a tax category defined by its own thresholds, not a size class. 国有大中型企业 / 大中型国有企业
# are the state firms a measure asks to act (pay, buy, let premises), not a size asked of the enterprise.
SIZE_FALSE_FRIENDS = r"小型微利企业|小微企业普惠性|普惠型小微|普惠小微|国有大中型企业|大中型国有企业"

# Industry phrases (policy words → GB/T 4754-2017 codes, letter + digits).
INDUSTRY_PHRASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"数字经济核心产业", ("C39", "I63", "I64", "I65")),
    (r"高端装备制造业?", ("C34", "C35")),
    (r"软件和信息技术服务业?", ("I65",)),
    # 医药制造企业 is C27 (below), not manufacturing at large: this entry comes first and would take its 制造企业.
    (r"先进制造业|(?<!医药)制造(?:业|企业)", ("C",)),
    (r"工业企业", ("B", "C", "D")),
    (r"批发零售|批发和零售|商贸流通|商贸企业|零售企业", ("F",)),
    # 文化旅游 names two trades (文化 → R, 旅游 → 旅行社), as the labelling guide reads it.
    (r"文化旅游(?:业|企业)?", ("L7291", "R")),
    # 涉农 / “三农”领域 names agriculture as a whole.
    (r"[“\"]三农[”\"]领域", ("A",)),
    # Pharmaceutical makers and distributors: 药品生产企业和流通企业 is one list of both.
    (r"(?:药品|医药)生产(?:企业)?(?:和|及|与|、)(?:药品|医药)?流通企业", ("C27", "F515", "F525")),
    (r"(?:药品|医药)生产企业", ("C27",)),
    (r"(?:药品|医药)流通企业", ("F515", "F525")),
    (r"(?:各类|各级)?医疗(?:卫生)?机构|卫生机构", ("Q84",)),
    (r"民航企业|航空公司|航空运输企业", ("G56",)),
    (r"住宿餐饮|餐饮住宿", ("H",)),
    # Bare 住宿 is the trade only in a list of trades (住宿、餐饮); 住宿费, 集中住宿 are not.
    (r"住宿(?:业|企业|行业)|(?<=[、和及与或])住宿|住宿(?=、|等|和|及|与|或)", ("H61",)),
    (r"餐饮(?:业|企业)?", ("H62",)),
    # A taxi firm or its drivers (出租汽车企业, 巡游出租汽车, 网约车平台): GB/T 4754 5413 出租车客运. A bare 出租车 in a
    # list of services (公交客运、出租车、长途客运) names a service, not whom the measure is for.
    (
        r"(?:巡游|网络预约)?出租汽?车(?:客运)?(?:企业|公司|经营者|行业|驾驶员|司机)|巡游出租汽?车|网约车(?:平台|企业|公司)?",
        ("G5413",),
    ),
    # 公共交通运输 (a public service, 公交 and 地铁) is narrower than the 门类: no code of its own here.
    (r"(?<!公共)交通运输|物流运输|运输物流|物流企业|运输企业", ("G",)),
    (r"旅游(?:业|企业)?|旅行社", ("L7291",)),
    (r"会展", ("L728",)),
    (r"教育培训", ("P",)),
    # 文艺演出 / 影视剧院 in a list of hard-hit trades: culture, read at the 门类 as the labelling guide reads 文化 (R).
    (r"文艺演出", ("R",)),
    (r"影视剧院|影视", ("R",)),
    (r"人力资源服务(?:机构|企业)", ("L726",)),
    (r"家政服务企业|家政企业", ("O801",)),
    (r"农业企业|农业经营主体", ("A",)),
    (r"建筑业|建筑企业", ("E",)),
    (r"房地产(?:业|企业)", ("K",)),
    (r"生物医药|医药制造|医药企业", ("C27",)),
    (r"便利店|菜店|超市", ("F52",)),
)
# 415X: Zhejiang's 4 世界级 + 15 优势 + X 新星 clusters; read as manufacturing.
CLUSTER_PHRASES = ((r"415X(?:先进制造业)?集群", ("C",)),)

# 失信 / 重大违法: exclusions with a field; other misconduct is undecidable.
CREDIT_PATTERNS = r"(?:列入|纳入)?(?:严重)?失信(?:被执行人|主体|企业|联合惩戒对象|名单|行为|记录)?(?:名单)?"
VIOLATION_PATTERNS = r"重大违法(?:违规)?(?:行为|记录)?"
MISCONDUCT_PATTERNS = (
    r"(?:较大|重大|一般)?(?:及?以上)?安全生产(?:责任)?事故",
    r"(?:重大|较大)?(?:环境污染|环保|生态环境)(?:事件|事故|违法|处罚)",
    r"经营异常名录",
    r"欠薪|拖欠工资",
    r"偷税|逃税|骗税",
)

# Requirements no profile field decides (read as ``undecidable``). General policy phrasings.
UNDECIDABLE_PATTERNS = (
    r"(?:受|因)(?:新冠肺炎|新型冠状病毒(?:感染的)?肺炎|疫情)(?:疫情)?(?:影响|原因)?(?:较大|严重|较重)?(?:面临|出现|(?:、|，)?(?:导致|造成))?(?:暂时性)?(?:生产经营困难|经营困难|困难)?(?:且(?:有望)?恢复有望|且有望恢复|但有发展前景|且有发展前景)?",
    r"(?:面临)?暂时性(?:生产)?经营困难(?:且恢复有望|且有望恢复)?",
    # 不裁员或少裁员的参保企业: the insured enterprise is who does not lay off — one requirement, not two.
    r"(?:坚持)?不裁员(?:或|、)?少裁员(?:（[^）]{0,30}）)?(?:的(?:失业保险)?参保(?:企业|单位))?"
    r"|(?:坚持)?不裁员或裁员率不高于[^，；。的（(]{0,20}",
    r"裁员率[^，；。]{0,30}",
    # 参保企业 narrows whom a measure is for; 其他参保单位 / 各类参保单位 (every other one, every one) does not.
    r"(?<!其他)(?<!其它)(?<!各类)(?<!所有)(?:失业保险)?参保(?:企业|单位)",
    r"(?:确实)?无力足额缴纳[^，；。]{0,30}",
    r"[^，；。、]{0,16}确有困难",
    r"(?:遭受|发生)重大损失(?:影响)?",
    r"(?:列入|纳入)?[^，；。]{0,12}重点保障(?:企业|物资生产企业|名单)(?:名单)?",
    r"依法足额缴纳[^，；。且并的]{0,12}",
    r"(?:不能|无法|未能)按(?:期|时)缴纳[^，；。的]{0,24}",
    # An exclusion in brackets: （不含淘汰落后产能企业、僵尸企业）.
    r"(?<=[（(])不含[^）)]{2,30}(?=[）)])",
    r"(?:按规定|依法)(?:足额)?缴纳(?:职工)?社会保险(?:费)?|参加(?:失业|职工)?社会保险[^，；。]{0,10}",
    r"(?:签订|依法签订)[^，；。]{0,12}劳动合同",
    r"吸纳[^，；。]{0,24}就业",
    r"招用[^，；。]{0,24}人员",
    r"会计核算健全|实行查账征收|(?:能够)?准确归集研发费用",
    r"(?:从事)?国家非限制和禁止行业",
    r"发生亏损|出现亏损",
    r"新增(?:的)?(?:企业)?贷款",
    # 小微企业创业担保贷款可展期: the enterprise must hold such a loan (a kind no profile field holds).
    r"(?<=企业)创业担保贷款(?!贴息|支持)",
    r"承租[^，；。]{0,16}(?:经营用房|房产|厂房)",
    r"(?<![省市区县])经(?!信)[^，；。]{2,20}(?:认定|评定|审核确认)",
    # 经认定后，免收… / 经认定符合条件的: the recognition the enterprise must obtain (经认定的X: X says it).
    r"(?<![省市区县未])经认定(?!的)(?:符合条件)?",
    # 经相关行业主管部门确认: whom a department must confirm (not 经营, 经济, 经费, 经办). The labels read
    # 经…批准 / 经…核准 as procedure, so only 确认 is taken.
    r"(?<![省市区县])经(?![信营济费办销])[^，；。]{2,20}?确认(?!书|文件)",
    r"(?:已)?(?:建成|竣工)(?:投产|验收)[^，；。]{0,10}",
    # A figure compared with last year's, no number given (一季度出口额高于去年同期值).
    r"(?:[一二三四]季度|上半年|当年|年度)?(?:出口额|营业收入|销售收入|产值|销售额|纳税额|税收)"
    r"(?:高于|超过|不低于|不少于|持平或高于)(?:去年|上年|上一年)同期(?:值|水平)?",
    # A kind of enterprise no field holds, before its size (科技型小微企业, 中关村创新型中小微企业).
    r"[^，。；、的对为]{0,4}?(?:科技型|创新型|成长型|外向型)(?=中小微|中小|小微|小型|微型)",
    # Wages at least a multiple or share of the minimum wage (按月足额发放不低于最低工资标准1.2倍工资).
    r"(?:按月|每月)[^，；。、且并]{0,6}?不低于[^，；。]{0,10}最低工资[^，；。]{0,24}?(?=的[，；。]|[，；。]|$)",
    r"符合[^，；。]{0,12}(?:功能定位|发展方向|产业政策)[^，；。]{0,10}",
    r"信誉良好|诚信经营",
    r"(?:组织)?[^，；。]{0,20}参加就业见习",
    r"劳务派遣单位除外|机关事业单位除外",
    # What a 须/应 sentence asks of the applicant (申报企业须通过两化融合管理体系贯标评定).
    "(?:"
    + "|".join(
        f"(?<={noun}{verb})" for noun in ("企业", "单位", "项目") for verb in ("须", "需", "应", "必须")
    )
    # Not the opening of a list (申报企业应同时符合下列条件：（1）…): its items are read one by one.
    # Nor how to apply (企业应将…填入申报表 / 应于…前提交 / 应上传…扫描件 / 应对所报材料的真实性负责): procedure,
    # no requirement.
    + r")(?!要|当|(?:同时)?(?:符合|满足|具备)(?:下列|以下|如下)|将|于|在[^，；。]{0,12}(?:时|前|日内)|向|如实|对[^，；。]{0,40}负责|登录|提交|填报|填写|注明|上传|报送|开具|补报|留存"
    # Nor a duty once supported (缓缴期满后，企业应及时足额补缴 / 应按规定使用资金 / 需补正材料 / 应归还): what the
    # enterprise owes after the grant is no requirement of eligibility.
    + r"|(?:及时)?(?:足额)?(?:补缴|补正|补交|补办|归还|偿还|退还)|(?:按规定|按照规定|按要求|专款专用)?使用"
    # Nor a word that merely begins with 应 / 需 (企业应急物资, 企业应收账款, 建立企业应对疫情…机制, 企业应用国产装备,
    # 企业需求): no 须/应 duty at all.
    + r"|急|收|付|用|求|对(?:疫情|突发|风险))"
    + r"[^，；。：:]{4,30}",
    r"未能如期参加[^，；。的]{0,12}",
    r"正常生产经营(?:活动)?受到(?:重大|较大|严重)?影响",
)

# What an enterprise does, judged from its business scope / products (``semantic``).
SEMANTIC_PATTERNS = (
    # 防疫物资生产企业 / 医用防护物资生产企业 / 药品和医疗器械生产企业 / “菜篮子”生产、加工、流通企业: what the enterprise
    # makes (labelling guide, l25 conventions). 重点保障物资生产企业 is a list the departments draw up (a status,
    # ``undecidable`` above); 药品生产企业 alone is industry C27 (``INDUSTRY_PATTERNS``).
    (
        r"(?:(?<=[对为给])|(?<![^，；。：:、（(\s]))(?![^，；。]{0,16}重点保障)[^，；。、：:对为给（(]{0,16}?"
        r"(?:物资|医疗器械|器械|防护用品|医用耗材|用品|菜篮子”?|(?<=[和及与])药品|药品(?=[和及与]))"
        r"(?:[和及与][^，；。、对为给的]{1,10}?)?生产(?:、(?:加工|销售|流通|储备|供应))*(?:企业|行业)",
        "business_scope",
    ),
    (r"从事([^，；。]{2,40}?)(?:研发|生产|服务|业务|经营)(?=的|等)", "business_scope"),
    # 对从事集成电路设计的企业 / 对主要生产智能卫浴产品的企业: what the enterprises of the subject do.
    (
        r"(?:主要)?(?:从事|(?<!安全)(?<!恢复)(?<!组织)(?<!扩大)生产)(?!经营|活动|事故|困难)([^，；。的]{2,40}?)"
        r"(?=的(?:[^，；。的]{0,10}?)(?:企业|单位|公司))",
        "business_scope",
    ),
    (r"(?:应急)?生产([^，；。]{2,60}?)等?(?:防疫|防控)?物资(?=的)", "products"),
    # 对中小企业生产的X、Y等医疗器械产品…实行零收费: the measure is for enterprises that make the goods named.
    (r"(?<=企业)生产的[^，；。的]{2,60}?(?:产品|物资|药品|器械|设备)", "business_scope"),
    # 外贸企业 / 出口企业: what the enterprise does, without a clear GB/T 4754 code (labelling guide §5).
    (r"(?:外贸|出口|进出口)企业", "business_scope"),
    # 创业园、孵化器…等各类载体: the measure is for the operators of such places.
    (r"(?:创业园|孵化器|众创空间|创业基地|科技园|产业园)[^，；。]{0,40}?等(?:各类)?载体", "business_scope"),
)

# The act the support pays for or dates is no condition: the reward is for it, not for enterprises that
# already did it. 首次认定 / 新认定 (the title is the condition), 首次评价入库, 当年首次纳入规上统计,
# 新注册成立 (dated by an ``established`` condition), 实施数字化改造 (the project's figures are the
# conditions), and hiring with its contract (新招用…人员并签订1年以上劳动合同, per-hire subsidies).
SUPPORTED_ACTS = (
    r"(?:当年|本年度|上年度|年度内|当年度)?(?:首次|新|重新)(?:被)?"
    r"(?:认定|评价入库|入库|纳入(?:规上|规模以上)?(?:工业)?(?:企业)?(?:统计)?|评为|获评|注册成立|注册|成立|设立|落户)"
    r"(?:（含重新认定）|\(含重新认定\))?",
    r"实施[^，；。的]{1,16}(?:改造|项目|升级)",
    r"[^，；。]{0,12}?(?:新招用|招用|新聘招|新聘用|新聘|吸纳|新引进|引进|输送)[^，；。]{0,30}",
    r"(?:依法)?签订[^，；。]{0,12}劳动合同",
)

# --- the words of granting, shared by the readers (each regex is built from these in this order: the
# alternatives' order decides which of two overlapping words a match ends on, so a reader appends, never sorts) ---

# Who counts as an enterprise where an item names whom it is for (audience: a grant to one of these is no
# persons-only benefit). The recipient search after a grant's verb adds 基地 / 项目 (补贴…基地).
ENTERPRISE_KINDS: tuple[str, ...] = (
    "企业", "单位", "个体工商户", "市场主体", "公司", "商户", "合作社", "经营者", "机构", "纳税人", "缴费人", "主体",
)  # fmt: skip
# The kinds a relief names as "every other one" or "every one" (对其他企业 / 各类参保单位): silent reads them as
# no requirement, tiers as the complement of the tier before.
PAYER_KINDS: tuple[str, ...] = ("企业", "单位", "纳税人", "缴费人", "市场主体")
# A charge relieved (减免…容量电费 / 免收…费): silent reads whose charge it is, tiers a part that opens with one.
RELIEF_WORDS: tuple[str, ...] = ("减免", "免收", "减收", "减半收取")


def alternatives(words: tuple[str, ...]) -> str:
    """Return ``words`` as one regex alternation, in their order (``a|b|c``)."""
    return "|".join(words)
