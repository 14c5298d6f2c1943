"""The bootstrap over documents that puts an interval beside a split's verdict figures."""

from __future__ import annotations

from eval.real_eval.intervals import document_bootstrap


def _pairs(item: str, truth: str, said: str, n: int) -> list[tuple[str, str, str, str, str]]:
    return [(f"p{k}", item, "check", truth, said) for k in range(n)]


def test_documents_that_agree_give_a_point_and_documents_that_differ_a_span() -> None:
    alike = _pairs("a1", "eligible", "eligible", 10) + _pairs("b1", "eligible", "eligible", 10)
    point = document_bootstrap(alike, {"a1": "A", "b1": "B"})
    assert point["verdict_accuracy"] == [1.0, 1.0] and point["eligible_precision"] == [1.0, 1.0]
    # One document read right, one read wrong (all its eligible pairs said ineligible), one with no eligible pair.
    mixed = (
        _pairs("a1", "eligible", "eligible", 10)
        + _pairs("b1", "eligible", "ineligible", 10)
        + _pairs("c1", "ineligible", "ineligible", 10)
    )
    spread = document_bootstrap(mixed, {"a1": "A", "b1": "B", "c1": "C"})
    low, high = spread["verdict_accuracy"]
    assert 0.0 <= low < 2 / 3 < high <= 1.0
    assert spread["eligible_precision"] == [1.0, 1.0]  # whatever is said eligible is right
    assert spread["eligible_recall"][0] == 0.0 and spread["eligible_recall"][1] == 1.0
    # The same pairs give the same interval (a fixed seed), and one document gives none.
    assert document_bootstrap(mixed, {"a1": "A", "b1": "B", "c1": "C"}) == spread
    assert document_bootstrap(_pairs("a1", "eligible", "eligible", 5), {"a1": "A"}) == {}
