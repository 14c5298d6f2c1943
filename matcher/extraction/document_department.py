"""The body that issues a document (发文机关), split out of :mod:`matcher.extraction.document_region`.

Read from the title or the text's head (the name before 关于 / 印发 / 转发) or else the signature, and
named with the region read when the text calls it by level only (省工业和信息化厅).
"""

from __future__ import annotations

import re

from matcher.extraction.document_dates import ReadFact, read_issued

# --- department --------------------------------------------------------------------------------

_DEPT_TAIL = (
    r"(?:人民政府办公厅|人民政府办公室|人民政府|办公厅|办公室|委员会|管委会|指挥部|领导小组(?:办公室)?|"
    r"总局|总署|[^\s，。；、：:“”（）()]{0,2}(?:局|厅|委|部|署|办|中心|银行|分行|支行|税务局))"
)
_DEPT_RE = re.compile(rf"[\u4e00-\u9fff]{{2,30}}?{_DEPT_TAIL}")


_NAME_GAP_RE = re.compile(r"[\s\u200b-\u200d\ufeff】\-）》|。&;]")


def _department_name(whole: str, head_start: int, head_end: int) -> tuple[int, str] | None:
    """Return the name that ends at ``head_end`` (after the last space or bracket before it), when it is a body's name."""
    head_start = max(head_start, head_end - 40)
    gaps = [m.end() for m in _NAME_GAP_RE.finditer(whole, head_start, head_end)]
    head_start = gaps[-1] if gaps else head_start
    name = whole[head_start:head_end].strip()
    if name.startswith(("转发", "印发")):
        name, head_start = name[2:], head_start + 2
    if re.fullmatch(rf"[\u4e00-\u9fff]{{2,30}}{_DEPT_TAIL}", name) and not re.search(
        r"[的在对和为了]", name[-4:]
    ):
        return head_start, name
    return None


def _header_name(whole: str, end: int) -> tuple[int, int, str] | None:
    """Return the body named by one of the (up to three) words before ``end``: 国家税务总局辽宁省税务局 最新文件 关于…."""
    stop = end
    for _ in range(3):
        while stop > 0 and _NAME_GAP_RE.match(whole, stop - 1):
            stop -= 1
        if stop <= 0:
            return None
        found = _department_name(whole, max(0, stop - 40), stop)
        if found is not None:
            return found[0], stop, found[1]
        gaps = [m.end() for m in _NAME_GAP_RE.finditer(whole, max(0, stop - 40), stop)]
        if not gaps:
            return None
        stop = gaps[-1] - 1
    return None


def read_department(text: str, title: str = "") -> ReadFact | None:
    """Read the issuing body: the name before 关于 / 印发 in the title or the text's head, else the signature's name."""
    for whole, end, in_title in ((title, len(title), True), (text, min(len(text), 200), False)):
        for cut in re.finditer(r"关于|印发|转发", whole[:end]):
            if cut.start() < 3:
                continue
            header = _header_name(whole, cut.start())
            if header is not None:
                return ReadFact(header[2], None if in_title else header[:2], header[2])
            break
    issued = read_issued(text)
    stop = issued.span[0] if issued is not None and issued.span is not None else len(text.rstrip())
    # The signature names the issuers before the date, the lead one first: 财政部 生态环境部 2020年2月20日.
    first: tuple[int, int, str] | None = None
    for _ in range(4):
        while stop > 0 and text[stop - 1].isspace():
            stop -= 1
        found = _department_name(text, max(0, stop - 40), stop)
        if found is None:
            break
        first = (found[0], stop, found[1])
        stop = found[0]
    if first is not None:
        return ReadFact(first[2], (first[0], first[1]), first[2])
    return None


def _placed(department: ReadFact | None, region: ReadFact | None) -> ReadFact | None:
    """Name a body its text calls by level only (省工业和信息化厅) with the region read (贵州省工业和信息化厅)."""
    if department is None or region is None or not region.value:
        return department
    from corpus.reference import region_name

    code = str(region.value)
    level = {"省": (2,), "市": (4, 2), "区": (6,), "县": (6,)}.get(department.value[:1])
    name = region_name(code)
    if level is None or len(code) not in level or not name or not name.endswith(department.value[:1]):
        return department
    return ReadFact(name + department.value[1:], department.span, department.evidence)
