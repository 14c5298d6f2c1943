"""Hostile policy files (issue 18): caps checked before parsing, and a folder ingest reports each bad file and keeps the good ones."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from corpus.loaders import FileCaps, load_policies, read_policies
from tests.reliability.hostile_inprocess import bomb_docx

GOOD_TEXT = "一、对新认定的国家高新技术企业，给予一次性奖励20万元。"


def _good_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_paragraph("关于支持企业创新的若干措施", style="Title")
    document.add_paragraph(GOOD_TEXT)
    document.save(path)
    return path


def test_a_docx_bomb_is_refused_before_parsing_fast_and_small(tmp_path: Path):
    good = _good_docx(tmp_path / "good.docx")
    bomb = bomb_docx(tmp_path / "bomb.docx", good, megabytes=57)
    assert bomb.stat().st_size < 1024 * 1024  # small on disk, 57 MB inside
    tracemalloc.start()
    started = time.perf_counter()
    result = load_policies([bomb])
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert not result.records
    assert "before parsing" in str(result.errors[0]) and "max_unzipped_bytes" in str(result.errors[0])
    assert seconds < 10 and peak < 64 * 1024 * 1024, (seconds, peak)


def test_element_cap_and_size_cap(tmp_path: Path):
    good = _good_docx(tmp_path / "good.docx")
    many = bomb_docx(tmp_path / "many.docx", good, megabytes=2)  # under the size cap, ~60 000 elements
    caps = FileCaps(max_xml_elements=10_000)

    errors = [e for e in read_policies(many, caps) if not hasattr(e, "record")]
    assert errors and "elements" in str(errors[0])
    html = tmp_path / "deep.html"
    html.write_text("<html><body>" + "<div>x</div>" * 20_000 + "</body></html>", encoding="utf-8")
    errors = [e for e in read_policies(html, caps) if not hasattr(e, "record")]
    assert errors and "elements" in str(errors[0])
    big = tmp_path / "big.txt"
    big.write_text("字" * 1000, encoding="utf-8")
    errors = [e for e in read_policies(big, FileCaps(max_file_bytes=1024)) if not hasattr(e, "record")]
    assert errors and "max_file_bytes" in str(errors[0])


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"PK\x03\x04 not really a zip", id="broken-zip"),
        pytest.param(b"", id="empty"),
        pytest.param(b"<html>not a docx</html>", id="html-named-docx"),
    ],
)
def test_a_folder_ingest_reports_each_bad_file_and_keeps_the_good(
    tmp_path: Path, content: bytes, capsys, monkeypatch
):
    from api.cli import main
    from api.settings import get_settings
    from corpus.store import open_store

    folder = tmp_path / "in"
    folder.mkdir()
    _good_docx(folder / "a-good.docx")
    (folder / "b-bad.docx").write_bytes(content)
    bomb_docx(folder / "c-bomb.docx", folder / "a-good.docx", megabytes=30)
    (folder / "d-good.txt").write_text(GOOD_TEXT, encoding="utf-8")
    monkeypatch.setenv("POLICYMATCH_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        code = main(["ingest", "policies", str(folder), "--quiet"])
        out = capsys.readouterr()
        assert "Traceback" not in out.out + out.err
        assert code == 1  # some files failed, the others went in
        assert "b-bad.docx" in out.out and "c-bomb.docx" in out.out
        store = open_store(get_settings().store_path)
        try:
            ids = {p.id for p in store.list_policies()}
        finally:
            store.close()
        assert ids == {"a-good", "d-good"}
    finally:
        get_settings.cache_clear()
