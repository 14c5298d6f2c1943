"""A layer-pruned e5 (some of its 12 layers kept), optionally distilled back towards the full model.

:func:`prune_layers` keeps the listed transformer layers of a sentence-transformers BERT model
and writes a new model folder (same tokenizer, prompts, pooling). :func:`distill_student`
then trains the pruned model for a fixed time so that its vectors approach the teacher's
(cosine loss on the teacher's own vectors), on the project's own text: demo policy items
(as passages), demo enterprise profiles (as queries) and the shipped policy sentences —
never evaluation text (:func:`eval.bench.bulk_encode.distillation_texts` lists that text: it is
the project's text, above this layer).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

# Every other layer, ending with the last: the last layer's output is what mean pooling was trained on.
DEFAULT_KEEP = (1, 3, 5, 7, 9, 11)


def prune_layers(src_dir: Path, out_dir: Path, keep: Sequence[int] = DEFAULT_KEEP) -> Path:
    """Write ``src_dir``'s model with only the transformer layers ``keep`` (0-based, in order) into ``out_dir``."""
    from sentence_transformers import SentenceTransformer
    from torch import nn

    model = SentenceTransformer(str(src_dir), device="cpu")
    bert: Any = model[0].auto_model
    layers = bert.encoder.layer
    if not keep or any(not 0 <= i < len(layers) for i in keep) or list(keep) != sorted(set(keep)):
        raise ValueError(
            f"keep must list distinct layers in order among 0..{len(layers) - 1}; got {list(keep)}"
        )
    bert.encoder.layer = nn.ModuleList([layers[i] for i in keep])
    bert.config.num_hidden_layers = len(keep)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(str(out_dir))
    return out_dir


def distill_student(
    student_dir: Path,
    teacher: object,
    pairs: Sequence[tuple[str, str]],
    *,
    seconds: float = 600.0,
    max_steps: int | None = None,
    batch_size: int = 16,
    lr: float = 5e-5,
    max_seq_length: int = 256,
    seed: int = 0,
    say: Callable[[str], None] | None = None,
) -> dict[str, float]:
    """Train ``student_dir`` in place for about ``seconds`` (or ``max_steps``) towards ``teacher``'s vectors of ``pairs``.

    Returns a summary: steps, passes, examples, the mean loss of the first and last steps, seconds.

    ``teacher`` is an ``Encoder``; its vectors are computed once, with the e5 prompts.
    """
    import torch
    from sentence_transformers import SentenceTransformer

    say = say or (lambda _m: None)
    started = time.perf_counter()
    prompts = {"query": "query: ", "passage": "passage: "}
    queries = [t for k, t in pairs if k == "query"]
    passages = [t for k, t in pairs if k == "passage"]
    target = {
        "query": np.asarray(teacher.encode_queries(queries), dtype=np.float32),  # type: ignore[attr-defined]
        "passage": np.asarray(teacher.encode_passages(passages), dtype=np.float32),  # type: ignore[attr-defined]
    }
    examples = [(prompts["query"] + t, target["query"][i]) for i, t in enumerate(queries)]
    examples += [(prompts["passage"] + t, target["passage"][i]) for i, t in enumerate(passages)]
    say(f"distil: teacher vectors of {len(examples)} texts ({time.perf_counter() - started:.0f} s)")

    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = SentenceTransformer(str(student_dir), device="cpu")
    model.max_seq_length = max_seq_length
    model.train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps = 0
    losses: list[float] = []
    deadline = time.perf_counter() + seconds
    epoch = 0

    def done() -> bool:
        return time.perf_counter() >= deadline or (max_steps is not None and steps >= max_steps)

    while not done():
        rng.shuffle(examples)
        for start in range(0, len(examples), batch_size):
            if done():
                break
            batch = examples[start : start + batch_size]
            features = model.tokenize([text for text, _ in batch])
            output = model(features)["sentence_embedding"]
            goal = torch.from_numpy(np.stack([vector for _, vector in batch]))
            loss = (1.0 - torch.nn.functional.cosine_similarity(output, goal)).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            steps += 1
            losses.append(loss.item())
            if steps % 25 == 0:
                say(f"distil: epoch {epoch} step {steps} loss {np.mean(losses[-25:]):.4f}")
        epoch += 1
    model.eval()
    model.save(str(student_dir))
    window = max(1, min(25, len(losses) // 2))  # first and last steps, never overlapping
    return {
        "steps": steps,
        "epochs": epoch,
        "examples": len(examples),
        "first_loss": float(np.mean(losses[:window])) if losses else float("nan"),
        "last_loss": float(np.mean(losses[-window:])) if losses else float("nan"),
        "seconds": time.perf_counter() - started,
    }
