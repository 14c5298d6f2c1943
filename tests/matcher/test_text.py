"""matcher.text: the domain words stay whole, normalisation, stopwords, thread safety."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from matcher.text import STOPWORDS, domain_terms, get_tokenizer, normalize_text, tokenize


@pytest.mark.parametrize(
    ("sentence", "word"),
    [
        ("对认定为国家级专精特新小巨人企业的给予奖励", "专精特新小巨人"),
        ("当年享受研发费用加计扣除政策的企业", "研发费用加计扣除"),
        ("经认定的高新技术企业减按15%的税率征收", "高新技术企业"),
        ("本政策实行免申即享，无需申报", "免申即享"),
        ("支持专精特新企业发展", "专精特新企业"),
        ("培育小巨人企业", "小巨人"),
    ],
)
def test_domain_words_stay_whole(sentence: str, word: str) -> None:
    # Whole: inside one token (a longer title like 国家级专精特新小巨人企业 is whole too), never split.
    assert any(word in token for token in tokenize(sentence))


def test_short_alias_does_not_steal_from_common_words() -> None:
    # 高企 is in the dictionary; 提高企业 must still read 提高 / 企业.
    assert tokenize("提高企业获得感")[:2] == ["提高", "企业"]


def test_full_width_digits_and_letters_are_normalised() -> None:
    assert normalize_text("１２３万元ＡＢ") == "123万元AB"
    assert "123" in tokenize("营业收入１２３万元")


def test_punctuation_dropped_and_stopwords_optional() -> None:
    tokens = tokenize("企业的营业收入，达到500万元。")
    assert "，" not in tokens and "。" not in tokens
    assert "的" in tokens
    assert "的" not in tokenize("企业的营业收入，达到500万元。", drop_stopwords=True)
    assert "的" in STOPWORDS


def test_tokenizer_is_private_and_built_once() -> None:
    import jieba

    tokenizer = get_tokenizer()
    assert tokenizer is get_tokenizer()
    assert tokenizer is not jieba.dt
    assert len(domain_terms()) > 50


def test_tokenize_is_thread_safe() -> None:
    sentences = ["规上工业企业技改项目设备投资额达到500万元以上"] * 40
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(tokenize, sentences))
    assert all(r == results[0] for r in results)
    assert "规上工业企业" in results[0]


def test_cut_by_remembered_blocks_gives_the_tokens_of_cutting_the_whole_text() -> None:
    from corpus.demo import generate
    from matcher import text
    from matcher.encoder_text import query_text

    demo = generate(11, 30, 200)
    texts = [query_text(p) for p in demo.iter_enterprises(200)]
    texts += [policy.text for policy in demo.policies]
    texts += [
        "",
        "  ",
        "abc 123",
        "全角１２３ＡＢＣ，测试。\n\r\n x",
        "高新技术企业" * 20,
        "专精特新、小巨人；技改",
    ]
    text._BLOCK_TOKENS.clear()
    whole = [list(get_tokenizer().cut(normalize_text(t), HMM=True)) for t in texts]
    assert [text.cut(t) for t in texts] == whole  # cold: every block cut
    assert text._BLOCK_TOKENS and len(max(text._BLOCK_TOKENS, key=len)) <= text._MEMO_BLOCK_CHARS
    assert [text.cut(t) for t in texts] == whole  # warm: the short blocks from memory
