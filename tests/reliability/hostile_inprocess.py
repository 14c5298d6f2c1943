"""Issue 18's hostile inputs measured in this process: the whole policy read at the size cap, a .docx bomb."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path


def read_all_seconds(text: str) -> float:
    """Seconds to split, extract and summarise ``text`` as POST /v1/policies does (no budget, no length cap)."""
    from corpus.schemas import validate_policy
    from matcher.extraction.support import support_text
    from matcher.ingest import prepare_policy

    document = validate_policy({"id": "w", "title": "t", "text": text, "region_code": "4401"})
    started = time.perf_counter()
    prepared = prepare_policy(document, budget_s=None, max_chars=None)
    for item in prepared.items:
        support_text(item.text)
    return time.perf_counter() - started


def extraction_worst_case(length: int = 200_000) -> list[tuple[str, float, float]]:
    """(text, seconds, µs per character) of the whole policy read at ``length`` characters, worst first."""
    texts = {
        "条件 × 100 000": "条件" * (length // 2),
        "200 000 characters without sentence punctuation": ("企业研发投入支持资金" * (length // 10 + 1))[
            :length
        ],
        "digits": "1" * length,
        "Chinese numerals 一": "一" * length,
        "blanks": "x" + " " * (length - 1),
        "两 (region names)": "两" * length,
        "月": "月" * length,
        "为 (qualification heads)": "为" * length,
        "奖励， (support clauses)": ("奖励，" * (length // 3 + 1))[:length],
        "1. (amount runs)": "1." * (length // 2),
        "。 (one part per character)": "x" + "。" * (length - 1),
        "tiers (对A，给予X；对B，给予Y)": (
            "对高新技术企业，给予奖励1万元；对小微企业给予奖励2万元；" * (length // 28 + 1)
        )[:length],
    }
    read_all_seconds("预热")  # jieba's dictionary and the extractors' tables load once, untimed
    out = []
    for name, text in texts.items():
        seconds = read_all_seconds(text)
        out.append((name, seconds, seconds / len(text) * 1e6))
    return sorted(out, key=lambda row: -row[2])


def bomb_docx(path: Path, source: Path, megabytes: int) -> Path:
    """Write a real .docx whose document.xml is ``source``'s padded to ``megabytes`` MB of tiny elements.

    It compresses about 250:1: small on disk, large once unzipped (what the loaders' caps are for).
    """
    with zipfile.ZipFile(source) as original:
        members = {name: original.read(name) for name in original.namelist()}
    xml = members["word/document.xml"]
    cut = xml.rindex(b"</w:body>")
    run = b"<w:p><w:r><w:t>x</w:t></w:r></w:p>"
    padding = run * (megabytes * 1024 * 1024 // len(run))
    members["word/document.xml"] = xml[:cut] + padding + xml[cut:]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for name, data in members.items():
            bomb.writestr(name, data)
    return path


def docx_bomb_case(folder: Path) -> tuple[float, float, str]:
    """Seconds and peak MB to refuse a .docx whose document.xml is 57 MB, and the error."""
    import tracemalloc

    import docx

    from corpus.loaders import load_policies

    source = folder / "source.docx"
    document = docx.Document()
    document.add_paragraph("对企业给予奖励。")
    document.save(source)
    bomb = bomb_docx(folder / "bomb.docx", source, megabytes=57)
    tracemalloc.start()
    started = time.perf_counter()
    result = load_policies([bomb])
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return seconds, peak, f"{bomb.stat().st_size // 1024} KB file: {result.errors[0].message}"
