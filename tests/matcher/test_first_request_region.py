"""The first-request paths over a region's items (issue 19, rounds v21 and v22) give the numbers of the plain computations."""

import numpy as np


def test_offered_items_kept_per_region_and_day_are_the_plain_masks(tmp_path, encoder):  # type: ignore[no-untyped-def]
    import datetime as dt

    from golden_demo import demo_matcher

    with demo_matcher(tmp_path, encoder) as matcher:
        catalog = matcher.catalog
        assert catalog.facts is not None and len(catalog.prefixes) > 1
        n = len(catalog.items)
        regions = sorted({p for p in catalog.prefixes if p}) + ["", "999999", "0"]
        days = [matcher.today, dt.date(2000, 1, 1), dt.date(2100, 1, 1)]
        for region in regions:
            for day in days:
                offered = catalog.offered_in(region, day)
                # The plain computation match_items did per request before.
                mask = catalog.in_region(region) if region else np.ones(n, dtype=bool)
                mask &= catalog.facts.offered(day)
                positions = np.flatnonzero(catalog.in_region(region)) if region else np.arange(n)
                assert offered.region_known == bool(region)
                assert np.array_equal(offered.positions, positions)
                assert np.array_equal(offered.applicable, mask[positions])
                assert offered.count == int(mask.sum())
                assert catalog.offered_in(region, day) is offered  # kept, not rebuilt
                for array in (offered.positions, offered.applicable):
                    assert not array.flags.writeable  # shared by requests: a caller writing to one raises
            # Regions with the same longest catalog prefix share one: at most one per prefix plus one, per day.
            if region:
                assert catalog.offered_in(region + "99", matcher.today) is catalog.offered_in(
                    region, matcher.today
                )
        assert catalog.offered_in("999998", matcher.today) is catalog.offered_in("999999", matcher.today)
        today = [key for key in catalog.__dict__["_offered"] if key[1] == matcher.today.toordinal()]
        assert len(today) <= len(catalog.prefixes) + 2  # each longest prefix, none matched, no region


def test_levels_asked_for_by_bits_are_the_plain_gather():
    import itertools

    from corpus.conditions import LEVELS
    from matcher.eligibility import LEVEL_RANK
    from matcher.matching import _in_levels, _level_bits

    rng = np.random.default_rng(21)
    for dtype in (np.int8, np.int32, np.int64):
        level = rng.integers(0, len(LEVELS), 5000).astype(dtype)
        for k in range(1, len(LEVELS) + 1):
            for asked in itertools.combinations(LEVELS, k):
                wanted = np.zeros(len(LEVELS), dtype=bool)
                wanted[[LEVEL_RANK[name] for name in asked]] = True
                got = _in_levels(level, _level_bits(asked))
                assert got.dtype == bool and np.array_equal(got, wanted[level])


def test_zscore_spelt_out_gives_the_bits_of_std_and_mean():
    from matcher.fusion import zscore

    def plain(values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        if values.size == 0:
            return values
        std = float(values.std())
        if std <= 1e-12:
            return np.zeros_like(values)
        return (values - float(values.mean())) / std

    rng = np.random.default_rng(23)
    draws = [
        lambda n: rng.normal(size=n),
        lambda n: rng.random(n).astype(np.float32),  # dense cosines arrive as float32
        lambda n: rng.exponential(5.0, n) * 1e3,
        lambda n: np.full(n, rng.normal()),  # constant: zeros
        lambda n: np.where(rng.random(n) < 0.9, 0.0, rng.random(n) * 20),  # BM25: mostly 0
    ]
    for t in range(1500):
        values = draws[t % len(draws)](int(rng.integers(1, 5000)))
        assert np.array_equal(zscore(values), plain(values))
    for special in ([], [1.0], [np.nan, 1.0], [np.inf, 1.0, 2.0]):
        assert np.array_equal(zscore(np.array(special)), plain(np.array(special)), equal_nan=True)


def test_codes_of_some_items_rows_are_those_of_every_row(tmp_path, encoder):  # type: ignore[no-untyped-def]
    from golden_demo import demo_matcher

    with demo_matcher(tmp_path, encoder) as matcher:
        catalog, judge = matcher.catalog, matcher.judge
        table = catalog.table
        n = len(catalog.items)
        assert not table.structure.simple and table.semantic_texts
        rng = np.random.default_rng(22)
        subsets = [
            *(np.flatnonzero(catalog.in_region(p)) for p in (*catalog.prefixes, "\0")),
            np.zeros(0, dtype=np.int64),
            np.sort(rng.choice(n, n // 3, replace=False)),
            rng.choice(n, n // 4, replace=False),  # not in order
            np.array([3, 1, 3, 0, 1], dtype=np.int64),  # an item twice: judged whole, no plan
        ]
        ids = [matcher.columns.ids[r] for r in range(len(matcher.columns)) if matcher.columns.alive[r]][:6]
        profiles = [matcher.profile_for(i, None) for i in ids]
        # Missing numbers and date, an unreadable date, a profile without any field.
        profiles += [
            {**profiles[0], "established": None, "revenue": None},
            {**profiles[1], "established": "x"},
            {},
        ]
        for profile in profiles:
            scores = rng.uniform(-0.2, 1.0, len(table.semantic_texts)).astype(np.float32)
            for semantic in ((None, None), (scores, judge.codes)):
                every = table.verdict_codes(profile, *semantic)
                for items in subsets:
                    part = table.compile_items(items)
                    if part.plan is not None:
                        assert np.array_equal(table._codes(part.plan, profile, *semantic), every[part.rows])
                    else:
                        assert len(np.unique(part.rows)) < len(part.rows)
                    plain = table.levels_of_items(every, items)
                    some = table.judge_items(profile, items, *semantic)
                    for name in ("level", "n_met", "n_conditions", "excluded", "level_without_exclusions"):
                        assert np.array_equal(getattr(some, name), getattr(plain, name)), name
                    assert np.array_equal(some.rules_share(), plain.rules_share())
