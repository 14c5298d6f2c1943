import json

import pytest

from models.promote import (
    PromotionRefused,
    decide_promotion,
    evaluation_key,
    evaluations_of,
    promote,
    record_evaluation,
)
from models.registry import ModelRegistry

SHA = "ab" * 32
RETRIEVAL = evaluation_key("retrieval", SHA, "test")
ELIGIBILITY = evaluation_key("eligibility", "cd" * 32, "test")


def model_folder(path, hidden=8):
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"hidden_size": hidden}))
    (path / "weights.bin").write_bytes(b"\0" * 16)
    return path


@pytest.fixture()
def registry(tmp_path):
    reg = ModelRegistry(tmp_path / "models")
    v1 = reg.register(model_folder(tmp_path / "a"), parent=None, source="base")
    reg.activate(v1.version)
    reg.register(model_folder(tmp_path / "b"), parent=v1.version, source="fine-tune")
    return reg


def evals(recall, dense=0.8, accuracy=0.9):
    return {
        RETRIEVAL: {"set": "ncp:test", "recall@10": recall, "dense_recall@10": dense},
        ELIGIBILITY: {
            "set": "demo:test",
            "verdict_accuracy": accuracy,
            "eligible_precision": 1.0,
            "eligible_recall": 0.97,
        },
    }


def test_decision_allows_equal_or_better():
    decision = decide_promotion("v2", evals(0.95), "v1", evals(0.95))
    assert decision.allowed and not decision.reasons
    assert {c.key for c in decision.comparisons} == {
        "recall@10",
        "dense_recall@10",
        "verdict_accuracy",
        "eligible_precision",
        "eligible_recall",
    }


def test_decision_refuses_worse_recall_and_says_why():
    decision = decide_promotion("v2", evals(0.93), "v1", evals(0.95))
    assert not decision.allowed
    assert any("recall@10 on ncp:test" in r and "0.9300" in r and "0.9500" in r for r in decision.reasons)
    assert decide_promotion("v2", evals(0.93), "v1", evals(0.95), tolerance=0.03).allowed


def test_decision_refuses_worse_eligibility_and_no_common_set():
    assert not decide_promotion("v2", evals(0.95, accuracy=0.8), "v1", evals(0.95)).allowed
    lonely = {evaluation_key("retrieval", "ff" * 32, "test"): {"recall@10": 1.0}}
    decision = decide_promotion("v2", lonely, "v1", evals(0.5))
    assert not decision.allowed and any("share no retrieval evaluation" in r for r in decision.reasons)


def test_promote_refused_when_worse_then_allowed_when_not(registry):
    record_evaluation(registry, "v1", RETRIEVAL, evals(0.95)[RETRIEVAL])
    record_evaluation(registry, "v1", ELIGIBILITY, evals(0.95)[ELIGIBILITY])
    record_evaluation(registry, "v2", RETRIEVAL, evals(0.90)[RETRIEVAL])
    record_evaluation(registry, "v2", ELIGIBILITY, evals(0.90)[ELIGIBILITY])
    with pytest.raises(PromotionRefused, match=r"not promoting v2: recall@10 on ncp:test .* worse than v1"):
        promote(registry, "v2")
    assert registry.active_version() == "v1"
    record_evaluation(registry, "v2", RETRIEVAL, evals(0.96)[RETRIEVAL])
    assert set(evaluations_of(registry.get("v2"))) == {RETRIEVAL, ELIGIBILITY}  # merged, not replaced
    assert promote(registry, "v2").allowed
    assert registry.active_version() == "v2"
    assert registry.rollback().version == "v1"  # rollback is the registry's one command


@pytest.fixture()
def worse_v2(registry, monkeypatch):
    """v2 evaluated below the active v1, with the CLI's settings pointed at the registry's data directory."""
    from api.settings import get_settings

    record_evaluation(registry, "v1", RETRIEVAL, evals(0.95)[RETRIEVAL])
    record_evaluation(registry, "v2", RETRIEVAL, evals(0.90)[RETRIEVAL])
    monkeypatch.setenv("POLICYMATCH_DATA_DIR", str(registry.root.parent))
    get_settings.cache_clear()
    yield registry
    get_settings.cache_clear()


def test_promote_command_refuses_and_says_why(worse_v2, capsys):
    from api.cli import main

    registry = worse_v2
    assert main(["models", "promote", "v2"]) == 2
    assert "not promoting v2: recall@10" in capsys.readouterr().err
    assert registry.active_version() == "v1"


def test_promote_command_records_what_it_said(worse_v2, capsys):
    from api.cli import main
    from eval.training_report import promotion_note
    from models.promote import PROMOTION

    registry = worse_v2
    assert main(["models", "promote", "v2"]) == 2
    said = capsys.readouterr().err
    refused = registry.get("v2").metrics[PROMOTION]
    assert refused["outcome"] == "refused" and refused["active_before"] == "v1"
    assert refused["message"] in said and "recall@10" in refused["message"]
    note = promotion_note(registry.root, "v2")
    assert refused["message"] in note and "refused" in note

    record_evaluation(registry, "v2", RETRIEVAL, evals(0.96)[RETRIEVAL])
    assert main(["models", "promote", "v2"]) == 0
    promoted = registry.get("v2").metrics[PROMOTION]
    assert promoted["outcome"] == "promoted" and promoted["message"] in capsys.readouterr().out
    assert registry.active_version() == "v2"
    assert "`v2` is the active version" in promotion_note(registry.root, "v2")
    # The evaluations survive the record of the promotion.
    assert set(evaluations_of(registry.get("v2"))) == {RETRIEVAL}
    # models list shows each version's evaluations and what promotion said.
    assert main(["models", "list"]) == 0
    listing = capsys.readouterr().out
    assert "recall@10=0.9500" in listing and "recall@10=0.9600" in listing
    assert "promotion (" in listing and "promoted v2" in listing
