"""智能匹配 and 精准推送 answers on the seed-fixed small demo equal the golden file (issue 17).

The golden file was recorded before the matcher was split into parts; every
later difference in it is a bug fixed on purpose, in a commit of its own.
"""

from __future__ import annotations

import json
from pathlib import Path

from golden_demo import GOLDEN, answers, demo_matcher


def test_demo_answers_equal_the_golden_file(tmp_path: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    with demo_matcher(tmp_path, encoder) as matcher:
        found = json.loads(json.dumps(answers(matcher), ensure_ascii=False))
    assert found["targets"].keys() == golden["targets"].keys()
    for item_id, expected in golden["targets"].items():
        assert found["targets"][item_id] == expected, f"target list of {item_id}"
    assert found["stored"].keys() == golden["stored"].keys()
    for enterprise_id, expected in golden["stored"].items():
        assert found["stored"][enterprise_id] == expected, f"match of stored {enterprise_id}"
    for n, expected in enumerate(golden["ad_hoc"]):
        assert found["ad_hoc"][n] == expected, f"match of ad-hoc profile {n}"
    assert found == golden
