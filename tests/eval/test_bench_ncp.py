from eval.bench.ncp import WINDOW_CHUNKING, WINDOWS, config_of, dense_key, split_by_document
from matcher.fusion import FusionConfig
from matcher.retrieval import RetrievalConfig, chunk_text


def test_served_chunking_is_one_the_bench_measures():
    # The goal table reads the served dense part from the bench's scores: its chunking must be measured.
    assert dense_key(RetrievalConfig()) in (WINDOWS, 1, 4)
    picked = config_of(("words+bigrams", 0, WINDOWS, FusionConfig(passage_weight=0.3)), 100)
    assert (picked.chunk_chars, picked.chunk_stride, picked.max_chunks) == WINDOW_CHUNKING
    assert dense_key(picked) == WINDOWS and picked.passage_chars == 0
    assert dense_key(config_of(("words", 0, 4, FusionConfig()), 100)) == 4


def test_window_chunking_covers_a_long_text_up_to_its_cap():
    width, stride, most = WINDOW_CHUNKING
    windows = chunk_text("政" * 20_000, width, most, stride)
    assert len(windows) == most and all(len(w) == width for w in windows)


def test_split_keeps_every_question_of_a_document_on_one_side():
    answers = ["a", "b", "a", "c", "b", "a"]
    tune, test = split_by_document(answers)
    assert sorted([*tune, *test]) == list(range(6))
    for doc in "abc":
        sides = {0 if i in tune else 1 for i, a in enumerate(answers) if a == doc}
        assert len(sides) == 1
