import threading

import pytest

from matcher.index_versions import IndexIntegrityError, IndexVersions, current_version
from matcher.lexical import BM25Index


def build_bm25(folder, texts):
    BM25Index(tokenizer=str.split).fit([f"d{i}" for i in range(len(texts))], texts).save(folder / "lexical")


def test_build_publishes_and_switches_current(tmp_path):
    versions = IndexVersions(tmp_path)
    assert current_version(tmp_path) is None
    with versions.build(model_id="m1", corpus_snapshot="s1") as folder:
        build_bm25(folder, ["a b", "b c"])
    first = current_version(tmp_path)
    assert first is not None and first.model_id == "m1" and first.corpus_snapshot == "s1"
    assert set(first.checksums) == {
        "lexical/bm25.npz",
        "lexical/vocab.json",
        "lexical/ids.json",
        "lexical/manifest.json",
    }
    assert len(BM25Index.load(first.path / "lexical", tokenizer=str.split)) == 2
    assert not list(versions.root.glob(".building-*"))


def test_a_reader_during_a_build_sees_the_old_version(tmp_path):
    versions = IndexVersions(tmp_path)
    with versions.build(model_id="m1", corpus_snapshot="s1") as folder:
        build_bm25(folder, ["a b"])
    old = versions.current_name()
    seen: list[str | None] = []
    with versions.build(model_id="m1", corpus_snapshot="s2") as folder:
        build_bm25(folder, ["a b", "c d", "e f"])
        (folder / "VERSION.json").write_text("{}", encoding="utf-8")  # as in the publish window
        reader = threading.Thread(target=lambda: seen.append(current_version(tmp_path).version))
        reader.start()
        reader.join()
        assert versions.versions() == [old]
        (folder / "VERSION.json").unlink()
    assert seen == [old]
    assert versions.current_name() != old
    assert old in versions.versions()  # the previous version stays until pruned


def test_a_build_that_fails_leaves_current_untouched(tmp_path):
    versions = IndexVersions(tmp_path)
    with versions.build(model_id="m1", corpus_snapshot="s1") as folder:
        build_bm25(folder, ["a b"])
    before = versions.current_name()
    with pytest.raises(RuntimeError, match="killed"):
        with versions.build(model_id="m1", corpus_snapshot="s2") as folder:
            build_bm25(folder, ["x y"])
            raise RuntimeError("build killed half way")
    assert versions.current_name() == before
    assert versions.versions() == [before]
    assert not list(versions.root.glob(".building-*"))
    assert current_version(tmp_path).corpus_snapshot == "s1"


def test_corrupted_version_is_refused_with_the_file_named(tmp_path):
    versions = IndexVersions(tmp_path)
    with versions.build(model_id="m1", corpus_snapshot="s1") as folder:
        build_bm25(folder, ["a b"])
    info = versions.current()
    (info.path / "lexical" / "vocab.json").write_text('["tampered"]', encoding="utf-8")
    with pytest.raises(IndexIntegrityError, match=r"vocab.json: checksum mismatch.*rebuild"):
        current_version(tmp_path)


def test_prune_keeps_the_newest_and_never_current(tmp_path):
    versions = IndexVersions(tmp_path)
    names = []
    for snapshot in ("s1", "s2", "s3", "s4"):
        with versions.build(model_id="m1", corpus_snapshot=snapshot) as folder:
            build_bm25(folder, [snapshot])
        names.append(versions.current_name())
    versions.switch(names[0])  # rolled back to the oldest
    deleted = versions.prune(keep=2)
    assert deleted == [names[1]]
    assert versions.versions() == [names[0], names[2], names[3]]
    assert versions.current().version == names[0]
