"""The 免申即享 payout rule on the demo corpus: no flagged enterprise on any payout list, where the plain list has them."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest

from corpus.schemas import uscc_check_digit, validate_profile
from corpus.store import open_store
from matcher.risk import FREE_APPLY, RiskBoard, monitor_fingerprint
from matcher.service import Matcher

TODAY = dt.date(2026, 6, 1)


def _code(n: int) -> str:
    body = f"91330000MA{n:07d}"
    return body + uscc_check_digit(body)


@pytest.mark.slow
def test_no_flagged_enterprise_on_any_payout_list_of_the_demo_corpus(tmp_path, encoder):
    from corpus.demo import generate
    from matcher.demo import store_items_with_true_conditions

    corpus = generate(11, 24, 600)
    store = open_store(tmp_path / "demo.sqlite3")
    store_items_with_true_conditions(store, corpus)
    rng = random.Random(11)
    profiles = []
    for n, profile in enumerate(corpus.iter_enterprises()):
        data = dict(profile)
        # Most carry a valid code; some none (unverifiable); a tenth are 失信 or 重大违法 whatever the demo said.
        data["uscc"] = _code(n) if n % 9 else None
        if rng.random() < 0.1:
            data["credit_status"] = "dishonest"
        elif rng.random() < 0.05:
            data["major_violation"] = True
        profiles.append(validate_profile(data))
    store.upsert_enterprises(profiles)
    matcher = Matcher.open(tmp_path, store, encoder, today=TODAY)
    board = RiskBoard(store, matcher)
    snap = board.snapshot()
    flagged = {eid for eid, colour in snap.colours.items() if colour.colour != "green"}
    red = {eid for eid, colour in snap.colours.items() if colour.colour == "red"}
    lists = on_plain_list_red = on_payout = 0
    for policy in corpus.policies:
        for item in store.iter_items(policy.id):
            if item.fulfilment != FREE_APPLY:
                with pytest.raises(ValueError):
                    board.payout_list(item.policy_id, item.id, snap)
                continue
            payout = board.payout_list(item.policy_id, item.id, snap)
            (plain,) = matcher.entitled(item.policy_id, item.id)
            lists += 1
            on_plain_list_red += len(set(plain.enterprise_ids) & red)
            listed = {r.enterprise_id for r in payout.rows}
            on_payout += len(listed)
            assert not listed & flagged, f"{item.id}: flagged enterprises on the payout list"
            assert listed <= set(plain.enterprise_ids)
            left = {eid for eid, _ in payout.left_off}
            assert set(plain.enterprise_ids) == listed | left, (
                "every eligible enterprise is listed or left off with why"
            )
    assert lists >= 5 and on_payout > 0
    # The plain list (every decidable item, flagged only) does carry red enterprises: the rule is what removes them.
    assert on_plain_list_red > 0
    report = board.monitoring(snap)
    assert monitor_fingerprint(report) == monitor_fingerprint(RiskBoard(store, matcher).monitoring())
    print(
        json.dumps(
            {"free_apply_lists": lists, "payout_rows": on_payout, "red_on_plain_lists": on_plain_list_red}
        )
    )
    matcher.close()
    store.close()
