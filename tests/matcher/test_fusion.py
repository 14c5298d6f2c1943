import numpy as np
import pytest

from matcher.fusion import FusionConfig, PartScores, fuse, minmax, normalise, ranks, rrf, weighted_sum, zscore


def test_minmax_and_zscore_by_hand():
    np.testing.assert_allclose(minmax(np.array([2.0, 4.0, 3.0])), [0.0, 1.0, 0.5])
    np.testing.assert_allclose(zscore(np.array([1.0, 2.0, 3.0])), np.array([-1.0, 0.0, 1.0]) / np.sqrt(2 / 3))
    assert np.all(minmax(np.array([5.0, 5.0])) == 0) and np.all(zscore(np.array([5.0, 5.0])) == 0)


def test_ranks_and_rrf_by_hand():
    assert ranks(np.array([0.1, 0.9, 0.5])).tolist() == [3, 1, 2]
    np.testing.assert_allclose(rrf(np.array([1, 2, 0]), k=60), [1 / 61, 1 / 62, 0.0])


def test_fuse_returns_each_part_and_the_sum():
    bm25 = np.array([10.0, 0.0, 5.0])
    dense = np.array([0.80, 0.90, 0.70])
    tags = np.array([0.0, 1.0, 0.5])
    fused = fuse(PartScores(bm25, None, dense, tags), FusionConfig("zscore", 1.0, 0.5, 2.0))
    np.testing.assert_allclose(fused.total, fused.bm25 + fused.dense + fused.tags)
    np.testing.assert_allclose(fused.dense, 0.5 * zscore(dense))
    np.testing.assert_allclose(fused.tags, 2.0 * tags)
    np.testing.assert_allclose(weighted_sum((bm25, dense), (1.0, 2.0)), bm25 + 2 * dense)


def test_unknown_method_names_the_valid_ones():
    with pytest.raises(ValueError, match="zscore"):
        FusionConfig("borda")
    with pytest.raises(ValueError, match="valid"):
        normalise(np.ones(2), "borda")


def test_dense_defers_to_a_confident_bm25_by_its_top_two_margin():
    dense = np.array([0.80, 0.90, 0.70, 0.75])
    config = FusionConfig("zscore", 1.0, 3.0, 0.0, lexical_confidence=1.0)
    sharp = np.array([20.0, 1.0, 0.0, 0.5])  # BM25 singles out the first candidate
    fused = fuse(PartScores(sharp, None, dense), config)
    lexical = zscore(sharp)
    top_two = np.sort(lexical)[-2:]
    np.testing.assert_allclose(fused.dense, 3.0 * np.exp(-(top_two[1] - top_two[0])) * zscore(dense))
    assert int(np.argmax(fused.total)) == 0
    # BM25 unsure (its top two tie): dense speaks at its full weight and its favourite wins.
    unsure = np.array([5.0, 5.0, 0.0, 0.0])
    fused = fuse(PartScores(unsure, None, dense), config)
    np.testing.assert_allclose(fused.dense, 3.0 * zscore(dense))
    assert int(np.argmax(fused.total)) == 1
    # Without a lexical part (target lists rank by dense alone) the order is dense's.
    fused = fuse(PartScores(np.zeros(4), None, dense), config)
    assert np.argsort(-fused.total).tolist() == np.argsort(-dense).tolist()
    with pytest.raises(ValueError, match="lexical_confidence"):
        FusionConfig(lexical_confidence=-1.0)


def test_the_listwise_fusion_is_its_features_times_its_weights_split_by_part():
    from matcher.fusion import LISTWISE_FEATURES, listwise_features, log_windows

    rng = np.random.default_rng(3)
    weights = tuple(rng.normal(size=len(LISTWISE_FEATURES)))
    config = FusionConfig("zscore", tags_weight=0.5, passage_weight=0.3, listwise=weights)
    for windows in (np.array([1.0, 6.0, 2.0, 0.0, 12.0]), np.ones(5)):
        logs = log_windows(windows)
        assert (logs is None) == (windows.max() == 1)  # one window each: no window terms at all
        bm25, passage, dense, tags = rng.random(5) * 8, rng.random(5), rng.random(5), rng.random(5)
        fused = fuse(PartScores(bm25, passage, dense, tags, logs), config)
        features = listwise_features(zscore(bm25 + 0.3 * passage), zscore(dense), logs)
        lexical = [n for n, name in enumerate(LISTWISE_FEATURES) if name.startswith("L")]
        np.testing.assert_allclose(fused.total, features @ np.array(weights) + 0.5 * tags, atol=1e-12)
        np.testing.assert_allclose(fused.bm25, features[:, lexical] @ np.array(weights)[lexical], atol=1e-12)
        if logs is not None:
            np.testing.assert_allclose(
                features[:, 5], np.log([1.0, 6.0, 2.0, 1.0, 12.0])
            )  # w; 0 windows read as 1
        else:
            assert np.all(features[:, [3, 4, 5, 8]] == 0)


def test_a_listwise_fusion_needs_a_weight_per_feature_and_z_scores():
    with pytest.raises(ValueError, match="one weight per feature"):
        FusionConfig("zscore", listwise=(1.0, 2.0))
    with pytest.raises(ValueError, match="z-scored"):
        FusionConfig("rrf", listwise=(1.0,) * 9)
    assert (
        FusionConfig("zscore", listwise=[1.0] * 9).listwise == (1.0,) * 9
    )  # as a saved index's JSON gives it
