"""The layer-pruned e5: fewer layers of the real model, and distillation that moves it towards the teacher."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from models.pruned import distill_student, prune_layers


@pytest.mark.slow
def test_pruning_keeps_the_teachers_layers_and_distillation_moves_it_towards_the_teacher(
    tmp_path: Path, models_dir: Path, encoder, policy_sentences: list[str]
) -> None:
    """Two of twelve layers kept with the teacher's very weights; twelve training steps raise its cosine to the teacher.

    One pruned model serves both halves: pruning and saving the model is most of the time.
    """
    from safetensors.numpy import load_file

    from models.registry import ModelRegistry
    from models.st_encoder import SentenceTransformerEncoder

    teacher_dir = ModelRegistry(models_dir).active().path
    with pytest.raises(ValueError, match="distinct layers in order among 0..11"):
        prune_layers(teacher_dir, tmp_path / "bad", (3, 12))
    student = prune_layers(teacher_dir, tmp_path / "student", (5, 11))
    assert json.loads((student / "config.json").read_text())["num_hidden_layers"] == 2
    pruned = load_file(str(student / "model.safetensors"))
    teacher = load_file(str(teacher_dir / "model.safetensors"))
    assert {int(k.split(".")[2]) for k in pruned if k.startswith("encoder.layer.")} == {0, 1}
    name = "encoder.layer.{}.attention.self.query.weight"
    for new, old in ((0, 5), (1, 11)):
        np.testing.assert_array_equal(pruned[name.format(new)], teacher[name.format(old)])
    del pruned, teacher

    texts = policy_sentences[:24]
    goal = encoder.encode_passages(texts)

    def agreement() -> float:
        vectors = SentenceTransformerEncoder(student).encode_passages(texts)
        return float(np.mean(np.sum(vectors * goal, axis=1)))

    before = agreement()
    summary = distill_student(
        student,
        encoder,
        [("passage", t) for t in texts],
        seconds=300.0,
        max_steps=12,
        batch_size=8,
        lr=3e-4,
    )
    assert summary["steps"] == 12 and summary["last_loss"] < summary["first_loss"]
    assert agreement() > before + 0.01
