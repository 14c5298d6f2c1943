"""Is a document a policy? Its type (policy, notice, qa, result, procurement, news, other) from its text.

Three readers, combined:

- **rules** on the title and the opening (公示 / 拟…名单, 中标 / 采购公告,
  新闻发布会 / 记者 / 召开…会议): high precision, they decide when they fire;
- a **scikit-learn** classifier (TF-IDF over character 1–3-grams of the title and
  the opening, logistic regression) for the rest. It is fitted on first use from
  :mod:`matcher.extraction.doctype_examples` — text written for this project and the
  demo generator's policies — so it ships with the package and needs nothing beside it;
- a **document model** learnt from the tune split's labelled documents (``document_model.json`` beside this
  module, fitted by ``python -m eval.document_model``: character uni/bigram weights over the title and opening,
  nothing a sentence could be read back from). Where no rule fires, the file's ``combine`` says how it joins the
  template classifier: shipped ``either`` — a non-policy when either says so, at a threshold chosen by
  cross-validation on tune hiding no more tune policies than the template alone (``docs/benchmarks.md``,
  section ``real-doctype-x45``).

A non-policy is stored but never matched (docs/conditions.md §5).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from corpus.splitting import SUPPORT_RE
from matcher.extraction.requirement_clauses import ngram_probability

# The document model fitted on the tune split's labelled documents (eval.document_model); absent, the template
# classifier alone decides where no rule fires.
MODEL_PATH = Path(__file__).with_name("document_model.json")
_TEMPLATE_ONLY: ContextVar[bool] = ContextVar("template_only", default=False)


@contextmanager
def template_only() -> Iterator[None]:
    """Read documents without the document model inside the block, as models fitted before it was shipped were.

    The item model's bounds (eval.offered_items) were chosen on the documents the template classifier reads as
    policies; refitting them on the document model's readings is a step of its own, measured before it is shipped.
    """
    token = _TEMPLATE_ONLY.set(True)
    try:
        yield
    finally:
        _TEMPLATE_ONLY.reset(token)


# How much of a document the classifier reads: the title and the opening say what a document is.
_HEAD_CHARS = 600
# Below this probability of being a policy (and with no rule firing) a document is a non-policy. Chosen on the
# tune split by the pairs it scores right (``python -m api.cli eval eligibility --split tune``, 0.20–0.35 tried:
# 0.25 best; docs/benchmarks.md, section ``real-extraction-x23``): calling a policy a non-policy hides it from
# every enterprise, so the threshold errs towards "policy"; the model learnt from own-words text, so real
# text sits nearer the middle than the examples do.
POLICY_THRESHOLD = 0.25
# Below the threshold but not below this floor, a document that opens with its addressees (各…：) is a policy.
ADDRESSED_FLOOR = 0.15


@dataclass(frozen=True)
class DocumentKind:
    """What a document is: its type, whether it is a policy, the probability and what decided it."""

    doc_type: str
    is_policy: bool
    probability: float
    evidence: str


# Title / opening cues that settle a document's kind on their own.
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "result",
        re.compile(
            r"拟(?:资助|认定|立项|入选|支持|奖励|补助|推荐|命名)[^。\n]{0,20}(?:名单|项目|企业)|(?:名单|结果)的?公示|公示(?:名单|结果)|予以公示|现予公示|名单(?:的)?(?:公布|公告)|公布[^。\n]{0,20}名单"
        ),
    ),
    (
        "procurement",
        re.compile(
            r"(?:中标|成交|中选)(?:结果|候选人)?(?:公告|公示)|(?:公开招标|竞争性磋商|竞争性谈判|询价|采购)(?:公告|结果)|招标公告|采购项目[^。\n]{0,20}(?:公告|公示|结果|文件|邀请)"
        ),
    ),
    (
        "news",
        re.compile(
            r"新华社|本报讯|[（(]记者|记者[^，。]{0,8}(?:获悉|了解到|从)|新闻发布会|发布会上|召开[^。\n]{0,24}(?:会议|推进会|座谈会|调度会|部署会)|[^。\n]{0,12}(?:调研|督导|视察|检查)[^。\n]{0,24}(?:工作|情况)时强调"
        ),
    ),
)


# A report opens by telling what happened lately (近日 / 日前 / 今天，); a policy opens with its addressees or aim.
# 日前 after a day's number is a deadline (每月10日前报送), not "lately".
_REPORT_OPENING_RE = re.compile(
    r"近日|(?<![\d〇零一二三四五六七八九十])日前|据悉|今天，|今日，|昨天，|昨日，"
)
# The words a document's title ends with (its kind): 通知, 办法, 意见 …
_DOCUMENT_WORDS = r"通知|办法|意见|措施|细则|规定|方案|公告|通告|决定|指引|指南|条例|政策"
_DOCUMENT_TITLE_RE = re.compile(_DOCUMENT_WORDS)
# An explanation of a policy (文件解读 / 政策解读) is not the policy.
_EXPLANATION_RE = re.compile(r"(?:文件|政策)解读|答记者问")
# An appeal or an open letter (倡议书 / 公开信 / 致…的一封信) asks and informs; it grants nothing of its own.
# Only its title (or, with none, its first line) says so: a policy may cite one in its body.
_LETTER_RE = re.compile(r"倡议书|公开信|一封信")
# Titles of documents that are no policy in force: a draft put out for comment (征求意见稿 / 公开征求…意见), a report of
# work done (工作总结 / 工作报告 / 情况通报), an explanation in pictures or words (图解 / 一图读懂 / …解读).
_NOT_IN_FORCE_TITLE_RE = re.compile(
    r"征求意见稿|征求[^。\n]{0,30}意见的?(?:通知|公告|函)|工作总结|工作报告|情况(?:通报|汇报|报告)|工作简报|工作动态"
    r"|图解|一图(?:读懂|看懂|了解)|解读"
)
# A title that names a list or a result as the document itself (…认定结果的通知 / 评审结果公告 / 第一批…企业名单);
# not a policy on using results (认定结果互认 / 评审结果运用).
_RESULT_TITLE_RE = re.compile(
    r"(?:认定|评审|评选|审核|遴选|立项|验收|申报|复核)结果(?!运用|应用|使用|管理|互认)|名单(?:[（(][^）)]{0,12}[）)])?$|名录$"
)
# A cover note that forwards or issues another document (现将《…》转发 / 印发给你们) and holds none of it: the
# document it forwards is the policy, and the note alone grants nothing.
_COVER_NOTE_RE = re.compile(r"现将[^。\n]{0,80}(?:转发|印发)给你们|转发[^。\n]{0,80}的通知")
_COVER_NOTE_CHARS = 400


# An official document (公文) names the bodies it is sent to (主送机关) on a line of its own before its body:
# 各区县人民政府，市政府各部门： / 各有关单位： / 辖各参保单位、参保职工：. News, answers and reminders do not.
# Such a document is sent to those who apply it; when the classifier is unsure (p(policy) from
# ADDRESSED_FLOOR up to POLICY_THRESHOLD) it stays a policy, since a hidden policy costs every enterprise each
# of its items was for. Tune: 28 of the 29 documents so addressed are policies; the one that is not (a notice
# to insured persons) is read as a policy already. A clear non-policy call (a safety reminder, p ≈ 0.1) stands.
_ADDRESSEES_RE = re.compile(
    r"(?:^|[\s\u3000])(?:各|全省各|全市各|全区各|市直各|省直各|辖区各|辖各)[^。；;\n]{1,60}[：:]"
)


# Kinds whose cues are read in the title only (or, with none posted, the first line). A procurement notice
# names itself there (…采购项目竞争性磋商公告); a policy on public purchasing (政府采购支持中小企业) names
# 采购项目 / 采购公告 in its first measures, and reading them there hid it.
_TITLE_ONLY = frozenset({"procurement"})
# A meeting cited as the ground of a document (根据…召开的…会议精神 / 贯彻落实…会议部署) is no report of one.
_CITED_MEETING_BEFORE_RE = re.compile(r"根据|按照|依据|贯彻|落实|学习")
_CITED_MEETING_AFTER_RE = re.compile(r"[^，,。；;\n]{0,4}(?:精神|部署|要求|决策|议定)")


def _cited_meeting(text: str, match: re.Match[str]) -> bool:
    """Tell whether a 召开…会议 match is a meeting the document cites as its ground, not one it reports."""
    if not match.group(0).startswith("召开"):
        return False
    before = text[max(0, match.start() - 24) : match.start()]
    return bool(_CITED_MEETING_BEFORE_RE.search(before) or _CITED_MEETING_AFTER_RE.match(text, match.end()))


# In a notice calling for applications (申报通知, a policy) the result and its 公示 are steps to come
# (拟认定企业名单将在…公示 / 评审结果将予以公示). A result notice announces its own list (现将…名单予以公示 /
# 拟认定…等50家企业为…，予以公示): in the opening, a result cue in a sentence that puts it in the future does not count.
_TO_COME_RE = re.compile(r"(?<![现即])将|届时|另行|后续")
_ANNOUNCED_NOW_RE = re.compile(r"现将|现予|特此|兹将")
_SENTENCE_START_RE = re.compile(r"[。；;！!\n]")


def _to_come(text: str, match: re.Match[str]) -> bool:
    """Tell whether a result cue in the opening sits in a sentence that puts the result in the future."""
    start = max((m.end() for m in _SENTENCE_START_RE.finditer(text, 0, match.start())), default=0)
    stop = _SENTENCE_START_RE.search(text, match.end())
    sentence = text[start : stop.start() if stop else len(text)]
    return _TO_COME_RE.search(sentence) is not None and _ANNOUNCED_NOW_RE.search(sentence) is None


# An answer that grants nothing (issue 14, docs/benchmarks.md section ``x49``). A short text that is no official
# document (no 关于… / …通知 title, no addressees) and names nothing an enterprise or a person can get, apply for or
# qualify by — only how, where or when a procedure is done (register, fill a form, keep a ledger, where a file is
# kept), what a term means, or a rule of law (a duty, a ban, when a right vests) — is no policy: served, it is one
# item with no condition, or with its own sentence read as an `undecidable` requirement, offered to every enterprise.
# The words below are what a grant, an application or a relief is named by; a tax return (纳税申报 / 申报表), an
# applicant (申请人) and a dispute (申请仲裁) are procedures, not grants. A definition of a kind of enterprise
# (…企业是指), a scope (适用于), a list of conditions or where it is registered (在…注册的居民企业) says who qualifies:
# the answer stays with the classifier.
_ANSWER_CHARS = 800
_GRANT_RE = re.compile(
    r"给予|补贴|补助|奖励|奖补|资助|扶持|减免|免征|免收|免除|暂免|减征|减半|停征|缓缴|缓征|返还|退还|退税|贴息|优惠"
    r"|享受|申请|申报|申领|扣除|费率|许可|资格|支持|优先|待遇|补偿|发给|发放|可获|获得"
)
_NO_GRANT_RE = re.compile(r"(?:纳税|预缴|汇算清缴)申报|申报表|申请仲裁|申请人")
_QUALIFIES_RE = re.compile(
    r"企业(?:是指|系指|指|包括)|适用于|适用范围|符合[^。；;\n]{0,30}条件|下列条件|具备[^。；;\n]{0,10}条件|须满足|条件之一"
    r"|(?:注册|登记|成立)的[^。；;，,、\n]{0,8}企业|(?:应|须|需|必须)(?:有|具有|持有)"
)
# The title of an official document: 关于… or a document word at its end (a word inside 《》 names another document).
_OFFICIAL_TITLE_RE = re.compile(
    rf"^(?:[^\W\d]{{2,30}}?(?:局|委|厅|部|办|府|室|会|院|署|中心))?关于|(?:{_DOCUMENT_WORDS}|函|令)(?:[（(][^）)]{{0,12}}[）)])?$"
)
_BOOK_TITLE_RE = re.compile(r"《[^》]*》")
# A short name in quotation marks (“项目申报” for a button, a column or a menu) names a thing on a page, not a grant;
# one that names money or a relief (“稳岗返还”) still counts.
_QUOTED_NAME_RE = re.compile(r"“[^”]{1,12}”")
_MONEY_RE = re.compile(r"补贴|补助|奖励|奖补|资助|减免|免征|返还|退还|退税|贴息|优惠|扣除|费率")


def _unquoted(text: str) -> str:
    """Drop the short quoted names that name no money or relief (see ``_QUOTED_NAME_RE``)."""
    return _QUOTED_NAME_RE.sub(lambda m: m.group(0) if _MONEY_RE.search(m.group(0)) else "", text)


# A procedure answer (how to file, what to submit, when the window is: docs/labelling.md, lab7a and l29) names the
# grant it serves only inside the names of papers and steps: a form or a pledge to fill, sign or stamp
# (…加计扣除优惠明细表, …补贴资金使用承诺函, …申请书), a filing's materials, system, window or batch (申报材料 /
# 申报系统 / 申报批次). Such a name says what is filed, not what anyone gets. The name of a paper runs back from its
# last word over characters with no verb, particle or conjunction between (享受补贴需填写申请表 keeps its 补贴).
_PAPER_NAME_RE = re.compile(
    r"[^\W的需须应可请并及和与或填提交写报传送在按由对将经向]{1,16}"
    r"(?:明细表|归集表|汇总表|申请表|登记表|备案表|情况表|一览表|承诺函|承诺书|申请书|说明书)"
)
_FILING_STEP_RE = re.compile(
    r"申请(?:书|表|材料)|申报(?:书|材料|资料|数据|系统|平台|入口|页面|时间|批次|通知)"
)


def _procedure_names_dropped(text: str) -> str:
    """Drop the names of other documents (《…》), of papers to file and of filing steps: they name no grant."""
    return _FILING_STEP_RE.sub("", _PAPER_NAME_RE.sub("", _BOOK_TITLE_RE.sub("", text)))


# What an addressee line (各…：) ends with before its colon: bodies or persons. 各 + a colon can also open a list
# inside an answer's sentence (各项费用须…，例如：); that names no addressee.
_ADDRESSEE_END_RE = re.compile(
    r"(?:单位|部门|政府|机关|机构|局|委|会|办|室|厅|院|校|中心|企业|公司|组织|小组|指挥部|兵团|人员|职工|个人|户|们|[）)])$"
)


def _addressed_to_bodies(head: str) -> bool:
    """Tell whether the opening names addressees (各…：) that end with a body's or a person's word."""
    return any(
        _ADDRESSEE_END_RE.search(found.group(0).rstrip("：:").strip())
        for found in _ADDRESSEES_RE.finditer(head[:300])
    )


# A term that names who gets something (支持对象 / 申报主体 / 适用范围 …) is no definition to skip.
_WHO_TERM_RE = re.compile(r"对象|主体|范围|条件|企业|单位")
# An answer that opens by defining a term (…是指 / …指 / …包括 / …分为, the term first).
_DEFINITION_RE = re.compile(
    r"(?:答[:：])?[^，,。；;：:\n]{2,24}?(?:是指|系指|指(?![导标引定南示出])|包括|分为)"
)


# 申请 / 申报 / 申领 name a grant where the answer says who may (or may not) file — 可 / 能 / 允许 / 准予 / 有权 / 不得
# before it in its clause (可申请…补贴, 均可进行项目申报, 核定征收的企业不能申报) — or what is applied for, as the verb
# before its object (企业申请实行…工作制: how to apply for an approval is a policy, docs/labelling.md lab7b). The filing
# as a thing — returned, given up, made offline, its time (申报将被退回 / 放弃申报 / 线下申报。/ 申报时), what is filed
# (所申报) — is a step of a procedure (lab7a: how the office reviews).
_FILING_WORDS = frozenset({"申请", "申报", "申领"})
_MAY_FILE_RE = re.compile(r"可|能|允许|准予|有权|不得")
_CLAUSE_START_RE = re.compile(r"[，,。；;：:！!？?\n]")
_FILING_AS_THING_RE = re.compile(r"[，,。；;、：:！!？?）)\n]|$|的|时|将|被|审核|审查|受理|退回|问题|事宜")


# A clause that says why (由于… / 因为… / 为了… / 以保证… / 以确保…) names the grant a rule serves, not one it gives:
# an answer explaining why a registration moved from one party to another (由于受托机构已享受…优惠，…，以便委托企业
# 享受减免) grants nothing of its own.
_WHY_CLAUSE_RE = re.compile(r"由于|因为|为了|以保证|以确保|以便|旨在")
# A clause whose predicate is how a thing is handled (…采取…的办理方式 / 办理流程 / 办理程序) tells the procedure of the
# grant it names (docs/labelling.md, lab5's 办理方式 answer and lab7a), not the grant.
_HANDLING_CLAUSE_END_RE = re.compile(r"(?:办理方式|办理流程|办理程序|办理时限)$")


# The office or body that handles a case, with its duty (仲裁庭须… / 受理机构应… / 经办部门须…): what follows in its
# sentence is how the case is handled (先行调解后优先安排开庭), a procedure (docs/labelling.md lab7a: how the office reviews;
# lab7b: a rule of law), not what an enterprise gets — unless the sentence names an enterprise after the duty
# (…机关应为缴费人退还多缴款项: the payer gets it).
_BODY_DUTY_RE = re.compile(r"(?:委员会|仲裁院|仲裁庭|法院|机关|机构|部门)(?:应当|应|须|必须)")
_SENTENCE_END_RE = re.compile(r"[。；;！!？?\n]")
_ENTERPRISE_WORD_RE = re.compile(r"企业|单位|纳税人|缴费人|公司|个体工商户|市场主体")


def _in_a_bodys_duty(text: str, at: int) -> bool:
    """Tell whether the word at ``at`` stands after a handling body's duty in its sentence (see ``_BODY_DUTY_RE``)."""
    start = max((m.end() for m in _SENTENCE_END_RE.finditer(text, 0, at)), default=0)
    duty = max(_BODY_DUTY_RE.finditer(text, start, at), key=lambda m: m.start(), default=None)
    if duty is None:
        return False
    stop = _SENTENCE_END_RE.search(text, at)
    return _ENTERPRISE_WORD_RE.search(text, duty.end(), stop.start() if stop else len(text)) is None


# A grant told as done (扶持组建了… / 给予了…): what an office did, reported, not what it offers.
_DONE_RE = re.compile(r"[^，,。；;！!？?\n了]{0,6}了(?![解结])")


def _names_a_grant(text: str) -> bool:
    """Tell whether a text names a grant outside a clause of reasons or handling (a filing word: see above)."""
    for found in _GRANT_RE.finditer(text):
        start = max((m.end() for m in _CLAUSE_START_RE.finditer(text, 0, found.start())), default=0)
        stop = _CLAUSE_START_RE.search(text, found.end())
        clause = text[start : stop.start() if stop else len(text)].strip()
        if _WHY_CLAUSE_RE.match(clause) or _HANDLING_CLAUSE_END_RE.search(clause):
            continue
        if _in_a_bodys_duty(text, found.start()):
            continue
        if _DONE_RE.match(text, found.end()):
            continue
        if found.group(0) not in _FILING_WORDS:
            return True
        as_thing = text[found.start() - 1 : found.start()] == "所" or _FILING_AS_THING_RE.match(
            text, found.end()
        )
        if not as_thing:
            return True
        if _MAY_FILE_RE.search(text, start, found.start()):
            return True
    return False


def grants_nothing(title: str, text: str) -> str | None:
    """Return why a short answer that grants nothing is no policy (see ``_GRANT_RE``), or None when it may be one."""
    body = text.strip()
    if len(body) > _ANSWER_CHARS:
        return None
    official = _OFFICIAL_TITLE_RE.search(_BOOK_TITLE_RE.sub("", title).strip())
    if official or _addressed_to_bodies(body[:_HEAD_CHARS]):
        return None
    if _QUALIFIES_RE.search(body):
        return None
    definition = _DEFINITION_RE.match(body)
    term = definition.group(0) if definition is not None else ""
    if definition is not None and not _GRANT_RE.search(term) and not _WHO_TERM_RE.search(term):
        # A term's definition may name what it covers (a wage's parts, a leave kept on pay): only the sentences
        # after it could grant.
        stop = _SENTENCE_START_RE.search(body, definition.end())
        body = body[stop.end() if stop else len(body) :]
    if _names_a_grant(_NO_GRANT_RE.sub("", _procedure_names_dropped(_unquoted(body)))):
        return None
    return "grants nothing"


def _rule(title: str, head: str) -> tuple[str, str] | None:
    first_line = head.split("\n", 1)[0][:60]
    for doc_type, pattern in _RULES:
        texts = (title or first_line,) if doc_type in _TITLE_ONLY else (title, head[:200])
        for text in texts:
            for found in pattern.finditer(text):
                if _cited_meeting(text, found):
                    continue
                if doc_type == "result" and text is not title and _to_come(text, found):
                    continue
                return doc_type, found.group(0)
    for text in (title, head[:80]):
        match = _EXPLANATION_RE.search(text)
        if match:
            return "other", match.group(0)
    match = _RESULT_TITLE_RE.search((title or first_line).strip())
    if match:
        return "result", match.group(0)
    match = _LETTER_RE.search(title or first_line) or _NOT_IN_FORCE_TITLE_RE.search(title or first_line)
    if match:
        return "other", match.group(0)
    if len(head) < _COVER_NOTE_CHARS:
        match = _COVER_NOTE_RE.search(title + "\n" + head)
        if match and not SUPPORT_RE.search(head):
            return "other", match.group(0)
    opening = _REPORT_OPENING_RE.search(head[:150])
    if opening is not None and not _DOCUMENT_TITLE_RE.search(title or head[:40]):
        return "news", opening.group(0)
    return None


class _Model:
    """The fitted pipeline and its classes; fitted once per process, on first use."""

    _lock = threading.Lock()
    _fitted: Any = None

    @classmethod
    def get(cls) -> Any:
        with cls._lock:
            if cls._fitted is None:
                cls._fitted = _fit()
            return cls._fitted


def _fit() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    from matcher.extraction.doctype_examples import examples

    data = examples()
    texts = [_head("", text) for text, _, _ in data]
    labels = [doc_type if is_policy else f"!{doc_type}" for _, doc_type, is_policy in data]
    # Character 2–3-grams and jieba words: on the tune split words and grams together rank real
    # documents better (AUC 0.90) than either alone (0.87–0.88).
    model = make_pipeline(
        make_union(
            TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True, min_df=2),
            TfidfVectorizer(
                tokenizer=_words, token_pattern=None, lowercase=False, sublinear_tf=True, min_df=2
            ),
        ),
        LogisticRegression(max_iter=2000, C=4.0, class_weight="balanced"),
    )
    model.fit(texts, labels)
    return model


def _words(text: str) -> list[str]:
    """Return the jieba words of a text (module-level, so the fitted pipeline can be pickled)."""
    import jieba

    return [w for w in jieba.lcut(text) if w.strip()]


def _head(title: str, text: str) -> str:
    return (title + "\n" + text.strip())[:_HEAD_CHARS]


def document_words(text: str, title: str, opening: int) -> str:
    """Return what the document model reads: the title and the first characters of the text, ``opening`` in all."""
    return (title + "\n" + text.strip())[:opening]


@lru_cache(maxsize=1)
def _real_model() -> dict[str, Any] | None:
    if not MODEL_PATH.exists():
        return None
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    return {
        "model": (float(data["intercept"]), {str(k): float(v) for k, v in data["weights"].items()}, 0.0),
        "threshold": float(data["threshold"]),
        "opening": int(data["opening"]),
        "combine": str(data["combine"]),
    }


def combined_policy(template_policy: bool, model_policy: bool, combine: str) -> bool:
    """Say whether a document is a policy when the template classifier and the document model read it so.

    ``combine`` is the shipped file's: ``instead`` — the model alone; ``both`` — a non-policy only when both say
    so; ``either`` — a non-policy when either says so. (Shared with eval.document_model, which chooses it.)
    """
    if combine == "instead":
        return model_policy
    if combine == "both":
        return template_policy or model_policy
    return template_policy and model_policy


def _combined(kind: DocumentKind, text: str, title: str) -> DocumentKind:
    """Combine the template classifier's reading with the document model's, as the shipped file says."""
    real = _real_model()
    if real is None or _TEMPLATE_ONLY.get():
        return kind
    p = ngram_probability(real["model"], document_words(text, title, real["opening"]))
    is_policy = combined_policy(kind.is_policy, p >= real["threshold"], real["combine"])
    if is_policy == kind.is_policy:
        return DocumentKind(
            kind.doc_type, is_policy, kind.probability, f"{kind.evidence}, document model p={p:.2f}"
        )
    doc_type = "policy" if is_policy else "other"
    return DocumentKind(doc_type, is_policy, kind.probability, f"document model p(policy)={p:.2f}")


def classify_document(text: str, *, title: str = "", real_model: bool = True) -> DocumentKind:
    """Say what a document is: rules on the title and opening first, then the fitted classifiers.

    ``real_model`` False leaves out the document model learnt from tune (to fit it beside the template classifier).
    """
    head = text.strip()[:_HEAD_CHARS]
    ruled = _rule(title, head)
    if ruled is not None:
        return DocumentKind(ruled[0], False, 0.0, ruled[1])
    nothing = grants_nothing(title, text)
    if nothing is not None:
        return DocumentKind("other", False, 0.0, nothing)
    model = _Model.get()
    probabilities = model.predict_proba([_head(title, text)])[0]
    classes = list(model.classes_)
    policy = float(sum(p for c, p in zip(classes, probabilities, strict=True) if not c.startswith("!")))
    is_policy = policy >= POLICY_THRESHOLD or (policy >= ADDRESSED_FLOOR and _addressed_to_bodies(head))
    candidates = [
        (p, c) for c, p in zip(classes, probabilities, strict=True) if c.startswith("!") != is_policy
    ]
    best = max(candidates)[1].lstrip("!")
    kind = DocumentKind(best, is_policy, policy, f"classifier p(policy)={policy:.2f}")
    return _combined(kind, text, title) if real_model else kind
