"""No eligible on an incomplete reading (issue 14): a gate that adds an ``undecidable`` where a reading looks short.

The readers of :mod:`matcher.extraction.silent` turn a part or clause that states a requirement in words
they know into an ``undecidable`` stand-in. What they pass over (a requirement in words no rule names, or
in a clause they read as something else) leaves the item eligible on what was read: silence reads as yes.
This gate looks at the item as a whole — how many of its clauses carry a requirement cue (须 / 应 / 需 /
具备 / 符合 / 满足 / 达到 / 不低于 / 以上 / 以下 / 企业 with a figure …) and how many of those no condition
covers, how long it is, how many conditions were read, the item model's p — and where a small logistic
model over these says the reading is likely incomplete (p at or above the shipped bound), adds one
``undecidable`` condition whose span is the uncovered cue clause the clause model reads most as a
requirement. The verdict is then unknown (need_info) at best, and the span shows a person what to check.

The weights and bound (``reading_gate.json`` beside this module) are fitted by :mod:`eval.reading_gate`
on the ``tune`` split only: the model on whether a tune item's reading missed a labelled requirement,
the bound by cross-validation over tune documents on the objective written there (wrong "eligible"
pairs removed less twice the right "eligible" pairs lost). The file holds a few numbers, no text.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from corpus.conditions import Condition
from matcher.extraction.clauses import _HEADING_RE, _Span, _within
from matcher.extraction.conditions import _Found
from matcher.extraction.requirement_clauses import clause_words, requirement_probability

MODEL_PATH = Path(__file__).with_name("reading_gate.json")

# A clause that may state a requirement on the applicant: an obligation or need, holding or meeting
# something, a floor or a bound on a figure, or the enterprise named beside a figure.
_NUMBER = r"[\d０-９一二三四五六七八九十百千万两]"
_FIGURE = _NUMBER + r"[^，,。；;]{0,6}?(?:万元|亿元|元|人|名|个|%|％|倍|平方米|亩|吨|千瓦时|家|项)"
_CUE_RE = re.compile(
    r"(?<![相供反适效])(?:须|应(?!对|用|急|收|付|缴|纳|予)|需(?!求))|具备|具有|符合|满足|达到|不(?:得)?(?:低|少)于"
    r"|取得|获得|认定|" + _NUMBER + r"[^\d，,。；;、]{0,5}?(?:（含）|\(含\))?(?:以上|以下|以内)"
    r"|(?:企业|单位|纳税人|主体|机构)[^，,。；;]{0,20}?"
    + _FIGURE
    + r"|"
    + _FIGURE
    + r"[^，,。；;]{0,20}?(?:企业|单位|纳税人|主体|机构)"
)
# Uncovered words that state no requirement of the applicant's whatever cue they hold: what the measure grants or
# allows (允许企业… / 企业可以多享受…), what the authorities do (贯彻落实《…》 / 加大…力度 / 降低企业…成本).
_GRANTS_OR_ACTS_RE = re.compile(
    r"^(?:允许|可以|可|支持|鼓励|加大|降低|减轻|认真|贯彻|落实|推动|推进|加强|做好|提高|扩大)"
    r"|(?:企业|纳税人)(?:可以|可)(?:多)?(?:享受|申请|选择|按)"
    r"|(?:贯彻|落实|根据|按照|依据)[^，,。；;]{0,8}?《"
)


#: The features, in the order the shipped weights are stored.
FEATURES = (
    "cue_clauses",
    "uncovered_cue_clauses",
    "unread_clauses",
    "unread_share",
    "unread_requirement_p",
    "conditions",
    "log_length",
    "offered_p",
)


@dataclass(frozen=True)
class Reading:
    """How complete an item's reading looks: the gate's features, and the uncovered clause it would stand in."""

    cue_clauses: int
    uncovered_cue_clauses: int
    unread_clauses: int
    unread_share: float
    unread_requirement_p: float
    conditions: int
    log_length: float
    offered_p: float
    span: tuple[int, int] | None

    def vector(self) -> list[float]:
        """Return the features in :data:`FEATURES` order."""
        return [float(getattr(self, name)) for name in FEATURES]

    def to_dict(self) -> dict[str, object]:
        """Return the reading as plain data (the fitter's rows)."""
        return asdict(self)


def _trimmed(text: str, clause: _Span) -> tuple[int, int] | None:
    """Return a clause's words without list mark, spaces and stops around them (None when under four characters)."""
    from matcher.extraction.clauses import _CLAUSE_END, _LIST_MARK_RE

    start, end = clause.start, clause.end
    mark = _LIST_MARK_RE.match(text, start, end)
    if mark:
        start = mark.end()
    while start < end and text[start] in " 　\t\n，,：:；;":
        start += 1
    while end > start and text[end - 1] in _CLAUSE_END + " 　\t":
        end -= 1
    return (start, end) if end - start >= 4 else None


def _no_requirement(words: str) -> bool:
    """Whether uncovered words are what the readers pass over on purpose: procedure, a target, another's duty."""
    from matcher.extraction.silent import _EVERY_ENTERPRISE_IS_RE, _NOT_A_REQUIREMENT_RE, _OTHERS_DUTY_RE

    return bool(
        _NOT_A_REQUIREMENT_RE.search(words)
        or _OTHERS_DUTY_RE.match(words)
        or _EVERY_ENTERPRISE_IS_RE.search(words)
        or _GRANTS_OR_ACTS_RE.search(words)
    )


def read_completeness(
    text: str, found: Sequence[_Found], clauses: Sequence[_Span], *, offered_p: float
) -> Reading:
    """Return the gate's features of one reading: ``found`` is every finding of the readers, stand-ins included.

    A cue clause is *uncovered* when no finding falls in it, and *unread* when it is uncovered and no
    procedure, target or other body's duty either (what :mod:`.silent` passes over on purpose).
    """
    from matcher.extraction.silent import _Coverage

    heading = _HEADING_RE.match(text)
    body_start = heading.end() if heading else 0
    read = _Coverage(found)
    cue = uncovered = unread = 0
    best: tuple[float, tuple[int, int]] | None = None
    for clause in _within(clauses, body_start, len(text) + 1):
        span = _trimmed(text, clause)
        if span is None or not _CUE_RE.search(text, span[0], span[1]):
            continue
        cue += 1
        if read.overlaps(clause.start, clause.end):
            continue
        uncovered += 1
        if _no_requirement(text[span[0] : span[1]]):
            continue
        unread += 1
        p = requirement_probability(clause_words(text, clause.start, clause.end))
        if best is None or p > best[0]:
            best = (p, span)
    decided = len({(f.start, f.end) for f in found if f.condition.field != "undecidable"})
    return Reading(
        cue_clauses=cue,
        uncovered_cue_clauses=uncovered,
        unread_clauses=unread,
        unread_share=unread / cue if cue else 0.0,
        unread_requirement_p=best[0] if best else 0.0,
        conditions=decided,
        log_length=math.log1p(len(text.strip())),
        offered_p=offered_p,
        span=best[1] if best else None,
    )


@lru_cache(maxsize=2)
def load_gate(path: Path = MODEL_PATH) -> dict[str, object]:
    """Read the shipped gate: intercept, weights, feature means and scales, and the bound."""
    return json.loads(path.read_text(encoding="utf-8"))


def gate_probability(reading: Reading, gate: dict[str, object] | None = None) -> float:
    """Return the shipped model's probability that ``reading`` missed a stated requirement."""
    gate = load_gate() if gate is None else gate
    means, scales, weights = gate["means"], gate["scales"], gate["weights"]
    z = float(gate["intercept"])  # type: ignore[arg-type]
    for x, m, s, w in zip(reading.vector(), means, scales, weights, strict=True):  # type: ignore[call-overload]
        z += float(w) * (x - float(m)) / float(s)
    z = max(-60.0, min(60.0, z))
    return 1.0 / (1.0 + math.exp(-z))


# Whoever fits the gate watches each reading as the extractor makes it, with the gate off (eval.reading_gate).
_observers: list[Callable[[str, Reading], None]] = []


@contextmanager
def watching(observer: Callable[[str, Reading], None]) -> Iterator[None]:
    """Call ``observer(text, reading)`` for every item the gate is asked about, and add no stand-in, in the block."""
    _observers.append(observer)
    try:
        yield
    finally:
        _observers.remove(observer)


def incomplete_reading_stand_in(
    text: str, raw_text: str, found: Sequence[_Found], clauses: Sequence[_Span]
) -> _Found | None:
    """Return one ``undecidable`` over the likeliest unread requirement clause where the reading looks incomplete.

    Asked only of an item that holds no required ``undecidable`` yet (it would be unknown already).
    ``raw_text`` is what the item model reads (the item's text as posted).
    """
    from matcher.extraction.offered import offered_probability

    reading = read_completeness(text, found, clauses, offered_p=offered_probability(raw_text))
    for observer in _observers:
        observer(raw_text, reading)
    if reading.span is None or _observers:
        return None
    gate = load_gate()
    if gate_probability(reading, gate) < float(gate["bound"]):  # type: ignore[arg-type]
        return None
    value = text[reading.span[0] : reading.span[1]]
    return _Found(reading.span[0], reading.span[1], Condition("undecidable", "eq", value, value))
